import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import {
  makeConv2DBackpropFilter,
  makeConv2DBackpropInput,
  registerWasmConvGradients,
  shippedWasmKernel,
} from '../../nets/wasm-kernels.js';

type Pad =
  'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  d: number;
  stride: number | [number, number];
  pad: Pad;
}

function seededValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

async function gradients(backend: string, c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.d];
  const x = tf.tensor4d(seededValues(tf.util.sizeFromShape(c.x), 1), c.x);
  const f = tf.tensor4d(seededValues(tf.util.sizeFromShape(filterShape), 2), filterShape);
  const y = tf.conv2d(x, f, c.stride, c.pad);
  const dy = tf.tensor(seededValues(y.size, 3), y.shape);
  const [dx, df] = tf.grads((a, b) =>
    tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad),
  )([x, f], dy);
  const result = [await dx.data(), await df.data()] as Float32Array[];
  tf.dispose([x, f, y, dy, dx, df]);
  return result;
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

const cases: Case[] = [
  { x: [2, 7, 7, 3], k: [3, 3], d: 4, stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], k: [3, 3], d: 5, stride: 2, pad: 'same' },
  { x: [2, 7, 9, 2], k: [3, 3], d: 4, stride: 2, pad: 'same' },
  {
    x: [1, 8, 8, 4],
    k: [3, 3],
    d: 8,
    stride: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  {
    x: [3, 6, 6, 2],
    k: [3, 3],
    d: 3,
    stride: 1,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  { x: [2, 9, 8, 3], k: [3, 2], d: 2, stride: [2, 1], pad: 'valid' },
  { x: [2, 8, 8, 3], k: [1, 1], d: 6, stride: 2, pad: 'valid' },
  { x: [1, 5, 5, 1], k: [5, 5], d: 2, stride: 1, pad: 'valid' },
  {
    x: [2, 6, 6, 2],
    k: [3, 3],
    d: 2,
    stride: 3,
    pad: [
      [0, 0],
      [2, 0],
      [0, 2],
      [0, 0],
    ],
  },
  {
    x: [1, 4, 5, 2],
    k: [3, 3],
    d: 3,
    stride: 2,
    pad: [
      [0, 0],
      [3, 4],
      [4, 3],
      [0, 0],
    ],
  },
];

test('registered kernels agree with the cpu backend on conv gradients, strides 1-3', async () => {
  await tf.setBackend('wasm');
  registerWasmConvGradients();
  let worst = 0;
  for (const c of cases) {
    const [dxCpu, dfCpu] = await gradients('cpu', c);
    const [dxWasm, dfWasm] = await gradients('wasm', c);
    const dxGap = maxRelativeDifference(dxWasm, dxCpu);
    const dfGap = maxRelativeDifference(dfWasm, dfCpu);
    worst = Math.max(worst, dxGap, dfGap);
    assert.ok(dxGap < 1e-5, `input gradient ${JSON.stringify(c)}: ${dxGap}`);
    assert.ok(dfGap < 1e-5, `filter gradient ${JSON.stringify(c)}: ${dfGap}`);
  }
  console.error(`max relative difference ${worst}`);
});

test('registration keeps the shipped input-gradient kernel, also when repeated', async () => {
  await tf.setBackend('wasm');
  registerWasmConvGradients();
  registerWasmConvGradients();
  const shipped = shippedWasmKernel('Conv2DBackpropInput');
  assert.type(shipped, 'function');
  assert.is.not(shipped, tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc);
  assert.is(shippedWasmKernel('Conv2DBackpropFilter'), undefined);

  const dy = tf.tensor4d(
    Float32Array.from({ length: 2 * 3 * 3 * 2 }, (_, i) => i % 5),
    [2, 3, 3, 2],
  );
  const filter = tf.tensor4d(
    Float32Array.from({ length: 18 * 2 }, (_, i) => (i % 7) - 3),
    [3, 3, 2, 2],
  );
  const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', inputShape: [2, 5, 5, 2] };
  const backend = tf.backend();
  const run = (f: tf.KernelFunc) =>
    tf
      .engine()
      .makeTensorFromTensorInfo(f({ inputs: { dy, filter }, backend, attrs }) as tf.TensorInfo);
  const [a, b] = [run(shipped!), run(makeConv2DBackpropInput('wasm'))];
  assert.equal(Array.from(a.dataSync()), Array.from(b.dataSync()));
  tf.dispose([dy, filter, a, b]);
});

test('the kernels refuse NCHW data and name a kernel the backend lacks', async () => {
  await tf.setBackend('wasm');
  const x = tf.zeros([1, 4, 4, 1]);
  const f = tf.zeros([3, 3, 1, 1]);
  const backend = tf.backend();
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 1, 1] };
  assert.throws(
    () => makeConv2DBackpropFilter('wasm')({ inputs: { x, dy: x }, backend, attrs }),
    /Conv2DBackpropFilter: only the NHWC data format is supported, got NCHW/,
  );
  assert.throws(
    () =>
      makeConv2DBackpropInput('wasm')({
        inputs: { dy: x, filter: f },
        backend,
        attrs: { ...attrs, inputShape: [1, 4, 4, 1] },
      }),
    /Conv2DBackpropInput: only the NHWC/,
  );
  assert.throws(
    () =>
      makeConv2DBackpropFilter('nowhere')({
        inputs: { x, dy: x },
        backend,
        attrs: { ...attrs, dataFormat: 'NHWC' },
      }),
    /backend 'nowhere' has no Transpose kernel/,
  );
  tf.dispose([x, f]);
});

test.run();
