/**
 * A net at a fixed input, as the linear map it is there: once the forward pass has fixed every
 * ReLU mask, the net from the input of conv layer i to the output of conv layer j is
 * x -> S_j K_j ... S_i K_i x, with K_m the layer's conv (plus the identity in a residual block)
 * and S_m its 0/1 mask. Its Jacobian-vector and vector-Jacobian products are written here by
 * hand: a masked forward without biases, and a backward through the masks with the transposed
 * convs and the transposed identity. One forward pass serves any number of products.
 *
 * Accuracy: both are the exact derivatives of net.ts's forward pass (tfjs's ReLU gradient is
 * also 1 for positive and 0 for other inputs), up to float32 rounding; the tests compare them
 * with tfjs's own gradients on a tiny net to a relative difference of about 1e-6.
 */
import * as tf from '@tensorflow/tfjs';

import {
  blockIdentity,
  CONV_PADDING,
  forward,
  type ConvLayerSpec,
  type LayerTensors,
  type NetSpec,
} from './net.js';

/** What one forward pass fixes: every conv layer's input and ReLU mask, and the logits. */
export interface ForwardRecord {
  /** Input of each conv layer (the image for the stem). */
  inputs: tf.Tensor4D[];
  /** 1 where the layer's ReLU is active (its output is positive), else 0. */
  masks: tf.Tensor4D[];
  /** Output of the last conv layer. */
  last: tf.Tensor4D;
  logits: tf.Tensor2D;
}

/** Runs the forward pass once and keeps its masks; dispose with {@link disposeRecord}. */
export function recordForward(
  spec: NetSpec,
  params: readonly LayerTensors[],
  x: tf.Tensor4D,
): ForwardRecord {
  const inputs: tf.Tensor4D[] = [];
  const masks: tf.Tensor4D[] = [];
  let last: tf.Tensor4D | undefined;
  const logits = tf.tidy(() =>
    forward(spec, params, x, (_layer, trace) => {
      inputs.push(tf.keep(trace.input.clone()));
      masks.push(tf.keep(tf.cast(tf.greater(trace.output, 0), 'float32') as tf.Tensor4D));
      last?.dispose();
      last = tf.keep(trace.output.clone());
    }),
  );
  return { inputs, masks, last: last as tf.Tensor4D, logits };
}

/** Frees the tensors of a record. */
export function disposeRecord(record: ForwardRecord): void {
  tf.dispose([...record.inputs, ...record.masks, record.last, record.logits]);
}

/** The layer's linear map without bias: conv(v), plus the identity in a residual block. */
export function applyLinear(layer: ConvLayerSpec, kernel: tf.Tensor, v: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const conv = tf.conv2d(v, kernel as tf.Tensor4D, layer.stride, CONV_PADDING);
    return layer.identity ? tf.add<tf.Tensor4D>(conv, blockIdentity(v, layer)) : conv;
  });
}

/** The transpose of {@link blockIdentity}: a gradient on the block's output sent to its input. */
export function identityTranspose(g: tf.Tensor4D, layer: ConvLayerSpec): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, outHeight, outWidth] = g.shape;
    const [height, width] = layer.inSize;
    const C = layer.inChannels;
    let y = layer.outChannels > C ? tf.slice(g, [0, 0, 0, 0], [-1, -1, -1, C]) : g;
    const s = layer.stride;
    if (s > 1) {
      const spread = tf.pad(tf.reshape(y, [batch, outHeight, 1, outWidth, 1, C]), [
        [0, 0],
        [0, 0],
        [0, s - 1],
        [0, 0],
        [0, s - 1],
        [0, 0],
      ]);
      y = tf.slice(
        tf.reshape(spread, [batch, s * outHeight, s * outWidth, C]),
        [0, 0, 0, 0],
        [batch, height, width, C],
      ) as tf.Tensor4D;
    }
    return y;
  });
}

/** The transpose of {@link applyLinear}. */
export function applyLinearTranspose(
  layer: ConvLayerSpec,
  kernel: tf.Tensor,
  g: tf.Tensor4D,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [height, width] = layer.inSize;
    const shape: [number, number, number, number] = [g.shape[0], height, width, layer.inChannels];
    const back = tf.conv2dTranspose(g, kernel as tf.Tensor4D, shape, layer.stride, CONV_PADDING);
    return layer.identity ? tf.add<tf.Tensor4D>(back, identityTranspose(g, layer)) : back;
  });
}

/**
 * J v: the derivative of the map from the input of conv layer `from` to the output of conv
 * layer `to` (inclusive), at the recorded point, applied to v (shaped like that input).
 */
export function jacobianVector(
  spec: NetSpec,
  params: readonly LayerTensors[],
  record: ForwardRecord,
  from: number,
  to: number,
  v: tf.Tensor4D,
): tf.Tensor4D {
  return tf.tidy(() => {
    let h = v;
    for (let m = from; m <= to; m++) {
      const layer = spec.convs[m];
      h = tf.mul(applyLinear(layer, params[m].kernel, h), record.masks[m]);
    }
    return h;
  });
}

/**
 * u^T J: the vector-Jacobian product of the same map, for u shaped like the output of layer
 * `to`; the result is shaped like the input of layer `from`.
 */
export function vectorJacobian(
  spec: NetSpec,
  params: readonly LayerTensors[],
  record: ForwardRecord,
  from: number,
  to: number,
  u: tf.Tensor4D,
): tf.Tensor4D {
  return tf.tidy(() => {
    let g = u;
    for (let m = to; m >= from; m--) {
      g = applyLinearTranspose(spec.convs[m], params[m].kernel, tf.mul(g, record.masks[m]));
    }
    return g;
  });
}
