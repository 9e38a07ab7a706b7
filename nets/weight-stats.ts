/**
 * Statistics of a weight set as one parameter vector: mean, standard deviation and L1 mass of
 * all trainable numbers (kernels and biases of every layer), the mass of the numbers with
 * |w| >= 0.25, the mass of the ID entries, and histograms of all numbers and of the ID entries.
 * These are the paper's Table 3 and Figure 7, for a plain set p and for the transferred twin
 * t = T(r) of a residual set r (apply map.ts's toPlain first).
 *
 * Method: one pass in double precision over the host weight set (float64); the standard
 * deviation is the population one (divide by the count), as the paper's table does not say and
 * the count is in the hundreds of thousands. Exact up to float64 summation error (relative
 * error below 1e-12 for the sizes of these nets).
 */
import { idEntryIndices, isBlockLayer } from './map.js';
import type { WeightSet } from './weights.js';

/** The threshold of the paper's "large weights" row. */
export const LARGE_WEIGHT = 0.25;

/** Table 3 of the paper for one weight set. */
export interface WeightStatistics {
  /** Number of trainable numbers. */
  count: number;
  mean: number;
  std: number;
  /** L1 norm of all numbers. */
  massAll: number;
  /** L1 norm of the numbers with |w| >= 0.25. */
  massLarge: number;
  /** L1 norm of the ID entries of the block kernels. */
  massId: number;
  /** Number of ID entries. */
  idCount: number;
}

/** All trainable numbers of a weight set, kernels then bias, layer by layer. */
export function allWeights(weights: WeightSet): Float64Array {
  const n = weights.layers.reduce((s, l) => s + l.kernel.length + l.bias.length, 0);
  const out = new Float64Array(n);
  let at = 0;
  for (const layer of weights.layers) {
    out.set(layer.kernel, at);
    at += layer.kernel.length;
    out.set(layer.bias, at);
    at += layer.bias.length;
  }
  return out;
}

/** The ID entries of every block kernel, in layer order. */
export function idEntries(weights: WeightSet): Float64Array {
  const values: number[] = [];
  weights.layers.forEach((layer, index) => {
    if (!isBlockLayer(index, weights.layers.length)) return;
    for (const i of idEntryIndices(layer.kernelShape)) values.push(layer.kernel[i]);
  });
  return Float64Array.from(values);
}

/** Mean, population standard deviation and the three L1 masses of a weight set. */
export function weightStatistics(weights: WeightSet): WeightStatistics {
  const all = allWeights(weights);
  const id = idEntries(weights);

  let sum = 0;
  let massLarge = 0;
  let massAll = 0;
  for (const w of all) {
    sum += w;
    massAll += Math.abs(w);
    if (Math.abs(w) >= LARGE_WEIGHT) massLarge += Math.abs(w);
  }
  const mean = sum / all.length;

  let squares = 0;
  for (const w of all) squares += (w - mean) ** 2;

  let massId = 0;
  for (const w of id) massId += Math.abs(w);

  return {
    count: all.length,
    mean,
    std: Math.sqrt(squares / all.length),
    massAll,
    massLarge,
    massId,
    idCount: id.length,
  };
}

/** Counts of values in equal bins over [min, max]. */
export interface Histogram {
  min: number;
  max: number;
  counts: number[];
  /** Values outside [min, max], not counted in any bin. */
  outside: number;
}

/**
 * Histogram of values in `bins` equal bins over [min, max]; the last bin includes max.
 *
 * @throws RangeError when bins is not a positive integer or min >= max
 */
export function histogram(
  values: ArrayLike<number>,
  bins: number,
  min: number,
  max: number,
): Histogram {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`bins must be a positive integer, got ${bins}`);
  }
  if (!(min < max)) throw new RangeError(`min must be below max, got [${min}, ${max}]`);

  const counts = new Array<number>(bins).fill(0);
  let outside = 0;
  const width = (max - min) / bins;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!(v >= min && v <= max)) {
      outside++;
      continue;
    }
    counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  }
  return { min, max, counts, outside };
}
