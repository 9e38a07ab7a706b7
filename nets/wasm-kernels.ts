/**
 * The two gradient kernels of a 2-D convolution for the wasm backend, built from kernels that
 * backend already has (Conv2D on XNNPACK, Transpose, Reverse, PadV2, Slice, Reshape).
 *
 * tfjs-backend-wasm 4.22 ships no Conv2DBackpropFilter, so no conv net can train on it as
 * shipped, and its Conv2DBackpropInput is a plain loop. Both gradients are convolutions:
 *
 * - filter gradient: dW[u, v, c, d] = sum_{b, i, j} xPad[b, s i + u, s j + v, c] dy[b, i, j, d],
 *   a stride-1 convolution of the padded input, with batch and channel axes swapped, by the
 *   output gradient used as a filter dilated by the stride s;
 * - input gradient: dx = the stride-1 convolution of the zero-inserted output gradient (s - 1
 *   zeros after each entry), padded by k - 1 - pad, with the filter flipped in space and its
 *   channel axes swapped.
 *
 * Accuracy: both agree with the tfjs cpu backend's own kernels to float32 rounding; on the 10
 * shapes of test/nets/wasm-kernels.test.ts (strides 1, 2, 3 and (2, 1); 'same', 'valid',
 * explicit and oversized padding) the largest difference is 2.9e-7 of the largest entry.
 * Speed: the input gradient takes 25 ms on a 128x32x32x16 layer, against 269 ms for the
 * backend's own kernel (npm run bench:nets). Only the NHWC data format is supported; NCHW
 * throws, as tfjs's own wasm Conv2D does.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

type ConvPad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

/** Runs kernel `name` of the backend called `backendName` on tensors it already holds. */
function runKernel(
  backendName: string,
  backend: KernelBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const config = tf.getKernel(name, backendName);
  if (config === undefined) {
    throw new Error(`backend '${backendName}' has no ${name} kernel`);
  }
  return config.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/** Applies the steps in order, each to the previous result, and frees every intermediate. */
function chain(
  backend: KernelBackend,
  first: TensorInfo,
  steps: ((t: TensorInfo) => TensorInfo)[],
): TensorInfo {
  let current = first;
  for (const step of steps) {
    const next = step(current);
    if (current !== first) backend.disposeData(current.dataId);
    current = next;
  }
  return current;
}

function checkFormat(dataFormat: unknown, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel}: only the NHWC data format is supported, got ${dataFormat}`);
  }
}

/** A factory of the Conv2DBackpropFilter kernel on top of the named backend's kernels. */
export function makeConv2DBackpropFilter(backendName: string): KernelFunc {
  return ({ inputs, backend: untyped, attrs }) => {
    const backend = untyped as KernelBackend;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
      strides: number | [number, number];
      pad: ConvPad;
      dataFormat: string;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      filterShape: [number, number, number, number];
    };
    checkFormat(dataFormat, 'Conv2DBackpropFilter');
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const { inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = info;
    const { top, left } = info.padInfo;
    const run = (name: string, ins: Record<string, TensorInfo>, at: NamedAttrMap): TensorInfo =>
      runKernel(backendName, backend, name, ins, at);

    const neededHeight = sh * (outHeight - 1) + kh;
    const neededWidth = sw * (outWidth - 1) + kw;
    const bottom = Math.max(0, neededHeight - top - inHeight);
    const right = Math.max(0, neededWidth - left - inWidth);

    const filter = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const grad = chain(backend, x, [
      (t) => run('Transpose', { x: t }, { perm: [3, 1, 2, 0] }),
      (t) =>
        run(
          'Conv2D',
          { x: t, filter },
          {
            strides: [1, 1],
            pad: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            dataFormat: 'NHWC',
            dilations: [sh, sw],
          },
        ),
      (t) =>
        run('Slice', { x: t }, { begin: [0, 0, 0, 0], size: [inChannels, kh, kw, outChannels] }),
      (t) => run('Transpose', { x: t }, { perm: [1, 2, 0, 3] }),
    ]);
    backend.disposeData(filter.dataId);
    return grad;
  };
}

/**
 * Rows to add (positive) or drop (negative) at the start and the end of the zero-inserted output
 * gradient along one axis, so that a stride-1 correlation with the flipped filter yields exactly
 * `inSize` rows of the input gradient.
 */
function inputGradientPadding(
  inSize: number,
  k: number,
  before: number,
  insertedSize: number,
): [number, number] {
  const start = k - 1 - before;
  return [start, inSize + k - 1 - start - insertedSize];
}

/** A factory of the Conv2DBackpropInput kernel on top of the named backend's kernels. */
export function makeConv2DBackpropInput(backendName: string): KernelFunc {
  return ({ inputs, backend: untyped, attrs }) => {
    const backend = untyped as KernelBackend;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
      strides: number | [number, number];
      pad: ConvPad;
      dataFormat: string;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
    checkFormat(dataFormat, 'Conv2DBackpropInput');
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { batchSize, inHeight, inWidth, outHeight, outWidth, outChannels } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const run = (name: string, ins: Record<string, TensorInfo>, at: NamedAttrMap): TensorInfo =>
      runKernel(backendName, backend, name, ins, at);

    const [padTop, padBottom] = inputGradientPadding(
      inHeight,
      kh,
      info.padInfo.top,
      sh * outHeight,
    );
    const [padLeft, padRight] = inputGradientPadding(inWidth, kw, info.padInfo.left, sw * outWidth);
    const steps: ((t: TensorInfo) => TensorInfo)[] = [];
    if (sh > 1 || sw > 1) {
      steps.push(
        (t) =>
          run('Reshape', { x: t }, { shape: [batchSize, outHeight, 1, outWidth, 1, outChannels] }),
        (t) =>
          run(
            'PadV2',
            { x: t },
            {
              paddings: [
                [0, 0],
                [0, 0],
                [0, sh - 1],
                [0, 0],
                [0, sw - 1],
                [0, 0],
              ],
              constantValue: 0,
            },
          ),
        (t) =>
          run(
            'Reshape',
            { x: t },
            { shape: [batchSize, sh * outHeight, sw * outWidth, outChannels] },
          ),
      );
    }
    const dropTop = Math.max(0, -padTop);
    const dropLeft = Math.max(0, -padLeft);
    const dropBottom = Math.max(0, -padBottom);
    const dropRight = Math.max(0, -padRight);
    if (dropTop + dropLeft + dropBottom + dropRight > 0) {
      steps.push((t) =>
        run(
          'Slice',
          { x: t },
          {
            begin: [0, dropTop, dropLeft, 0],
            size: [
              batchSize,
              t.shape[1] - dropTop - dropBottom,
              t.shape[2] - dropLeft - dropRight,
              outChannels,
            ],
          },
        ),
      );
    }
    const flipped = chain(backend, filter, [
      (t) => run('Reverse', { x: t }, { dims: [0, 1] }),
      (t) => run('Transpose', { x: t }, { perm: [0, 1, 3, 2] }),
    ]);
    steps.push((t) =>
      run(
        'Conv2D',
        { x: t, filter: flipped },
        {
          strides: [1, 1],
          pad: [
            [0, 0],
            [Math.max(0, padTop), Math.max(0, padBottom)],
            [Math.max(0, padLeft), Math.max(0, padRight)],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          dilations: [1, 1],
        },
      ),
    );
    const grad = chain(backend, dy, steps);
    backend.disposeData(flipped.dataId);
    return grad;
  };
}

/** The wasm backend's own kernels that registration replaced, by kernel name. */
const shippedKernels = new Map<string, KernelFunc>();

/** The kernels this module registered, so that a second registration keeps the shipped ones. */
const packageKernels = new Set<KernelFunc>();

/**
 * Registers both gradient kernels for the wasm backend, replacing its Conv2DBackpropInput
 * (kept, for comparison, by {@link shippedWasmKernel}). Idempotent; call before the first
 * gradient is taken.
 */
export function registerWasmConvGradients(): void {
  const kernels: [string, KernelFunc][] = [
    ['Conv2DBackpropFilter', makeConv2DBackpropFilter('wasm')],
    ['Conv2DBackpropInput', makeConv2DBackpropInput('wasm')],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing !== undefined) {
      if (!packageKernels.has(existing.kernelFunc)) {
        shippedKernels.set(kernelName, existing.kernelFunc);
      }
      tf.unregisterKernel(kernelName, 'wasm');
    }
    packageKernels.add(kernelFunc);
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}

/**
 * The wasm backend's own kernel of that name as shipped, if registration replaced one (only
 * Conv2DBackpropInput: the backend ships no Conv2DBackpropFilter).
 */
export function shippedWasmKernel(kernelName: string): KernelFunc | undefined {
  return shippedKernels.get(kernelName);
}
