/**
 * Tiny nets and seeded values shared by the tests of the measurements: depth 5 on 5x5 images, so
 * that exact Jacobians and exact conv norms can be formed from basis vectors in a few seconds.
 */
import * as tf from '@tensorflow/tfjs';

import { buildNet, type LayerTensors, type NetKind, type NetSpec } from '../../nets/net.js';
import { initWeights, toTensors, type WeightSet } from '../../nets/weights.js';
import { createRng } from '../../nets/random.js';

export interface TinyNet {
  spec: NetSpec;
  weights: WeightSet;
  params: LayerTensors[];
  x: tf.Tensor4D;
  labels: tf.Tensor1D;
}

/**
 * A depth-5 net on `batch` random 5x5x2 images; its weights are the seeded initial ones plus
 * `jitter` times Gaussian noise on every kernel and bias, so biases are not zero and the ReLU
 * masks are mixed, as after training.
 */
export function tinyNet(kind: NetKind, batch: number, seed: number, jitter = 0.1): TinyNet {
  const spec = buildNet({ kind, depth: 5, inputShape: [5, 5, 2], classes: 3 });
  const weights = initWeights(spec, seed);
  const rng = createRng(seed + 1);
  for (const layer of weights.layers) {
    for (let k = 0; k < layer.kernel.length; k++) {
      layer.kernel[k] = Math.fround(layer.kernel[k] + jitter * rng.normal());
    }
    for (let k = 0; k < layer.bias.length; k++) layer.bias[k] = Math.fround(jitter * rng.normal());
  }
  const pixels = new Float32Array(batch * 5 * 5 * 2);
  for (let k = 0; k < pixels.length; k++) pixels[k] = rng.normal();
  const labels = Int32Array.from({ length: batch }, (_, b) => b % 3);
  return {
    spec,
    weights,
    params: toTensors(weights),
    x: tf.tensor4d(pixels, [batch, 5, 5, 2]),
    labels: tf.tensor1d(labels, 'int32'),
  };
}

/** Frees the tensors of a tiny net. */
export function disposeTiny(net: TinyNet): void {
  tf.dispose([net.x, net.labels, ...net.params.flatMap((p) => [p.kernel, p.bias])]);
}

/** max |a - b| / max |b|. */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}
