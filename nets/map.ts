/**
 * The map T between residual and plain weight sets: T adds 1 to every ID entry, position
 * (centre, centre, c, c) for c < min(C, D), of every block kernel; T^-1 subtracts it. The stem
 * and the dense layer have no identity and are left alone, as are all biases.
 *
 * A residual net with weights r and a plain net with weights T(r) compute the same function
 * (net.ts adds the identity exactly where the ID entries act). tfjs has no float64, so the two
 * forward passes round differently in float32: on the 10000 Fashion-MNIST test images, depth 20,
 * their logits differ by at most 5.1e-7 of the largest logit, at initialisation and after an
 * epoch of training, and every prediction agrees (`npm run nets -- map`).
 *
 * Exactness: weight sets are float64 on the host. For every float32 weight w with w = 0 or
 * |w| >= 2^-29 (all float32 weights but the tiniest), w + 1 is exact, so T^-1(T(w)) === w and
 * T(T^-1(w)) === w hold entry by entry (-0 comes back as +0). An ID entry below 2^-29 in
 * magnitude is rounded when 1 is added; a Hardt-Ma draw (std >= 1/576) is that small with
 * probability below 1e-6.
 */
import { KERNEL_SIZE } from './net.js';
import { cloneWeights, type WeightSet } from './weights.js';

/**
 * Flat indices, in the tfjs layout [3, 3, C, D], of the ID entries of one kernel.
 */
export function idEntryIndices(kernelShape: readonly number[]): number[] {
  const [kh, kw, C, D] = kernelShape;
  const centre = ((kh - 1) / 2) * kw + (kw - 1) / 2;
  const indices: number[] = [];
  for (let c = 0; c < Math.min(C, D); c++) indices.push((centre * C + c) * D + c);
  return indices;
}

/** Whether layer `index` of `count` trainable layers is a block (only blocks have ID entries). */
export function isBlockLayer(index: number, count: number): boolean {
  return index > 0 && index < count - 1;
}

/**
 * A kernel-shaped array that is 1 at the ID entries and 0 elsewhere: the rho of p = r + rho.
 */
export function identityKernel(kernelShape: readonly number[]): Float32Array {
  const rho = new Float32Array(kernelShape.reduce((a, b) => a * b, 1));
  for (const i of idEntryIndices(kernelShape)) rho[i] = 1;
  return rho;
}

function shift(weights: WeightSet, from: WeightSet['kind'], delta: number): WeightSet {
  if (weights.kind !== from) {
    throw new TypeError(`weights must be a ${from} weight set, got a ${weights.kind} one`);
  }
  const out = cloneWeights(weights, from === 'residual' ? 'plain' : 'residual');
  out.layers.forEach((layer, index) => {
    if (!isBlockLayer(index, out.layers.length)) return;
    if (layer.kernelShape.length !== 4 || layer.kernelShape[0] !== KERNEL_SIZE) {
      throw new TypeError(`layer ${index} must hold a 3x3 conv kernel, got ${layer.kernelShape}`);
    }
    for (const i of idEntryIndices(layer.kernelShape)) layer.kernel[i] += delta;
  });
  return out;
}

/**
 * T: the plain weight set with the same function as a residual one (1 added to every ID entry).
 *
 * @throws TypeError when the weight set is not a residual one
 */
export function toPlain(residual: WeightSet): WeightSet {
  return shift(residual, 'residual', 1);
}

/**
 * T^-1: the residual weight set with the same function as a plain one (1 subtracted from every
 * ID entry).
 *
 * @throws TypeError when the weight set is not a plain one
 */
export function toResidual(plain: WeightSet): WeightSet {
  return shift(plain, 'plain', -1);
}
