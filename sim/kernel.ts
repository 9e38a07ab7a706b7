/**
 * The CPU kernel of the Monte-Carlo engine: one block of trials of the random-matrix model in,
 * per-layer sums of dominant-flow counts out.
 *
 * For one trial, with k = L - l factors, Theta = F_{l+1} F_{l+2} ... F_L V where
 * F_m = K_m^T S_m. The kernel builds the product from the top layer down,
 *
 *     Q_L = F_L V,    Q_m = F_m Q_{m+1},    Theta(l) = Q_{l+1},
 *
 * so one chain yields Theta for every l at once (an l-sweep costs one point). In entries,
 * Q_m[i][j] = sum_a K_m[a][i] s_a Q_{m+1}[a][j]; for a residual factor K = I + eps A this is
 * s_i Q[i][j] + eps * sum_a A[a][i] s_a Q[a][j], and a masked row a (s_a = 0) costs nothing.
 *
 * Exact invariances used to save work and to make results bit-identical where the mathematics
 * says they are equal: sigma does not change when V is scaled, so V is drawn with unit
 * variance and sigmaV is never read; for plain nets it does not change when every A is scaled,
 * so A is drawn with unit variance and sigmaA is never read; for residual nets the kernel uses
 * only t = eps * sigmaA.
 *
 * Random streams of a block (see random.ts): stream 0 holds the n normals of V for each trial;
 * stream d + 1 holds, for each trial, the n^2 normals of A and n mask words of the factor d
 * layers below the top (layer L - d). A run at any l therefore reuses the draws of a run at a
 * smaller l, every p reuses the same mask words (a unit is kept when its word < p 2^32), and
 * residual and plain runs share A.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { fillNormals, fillUint32, streamState } from './random.js';

/** The two architectures of the model. */
export type NetKind = 'residual' | 'plain';

/** One block of trials for a kernel. */
export interface BlockTask {
  kind: NetKind;
  /** Width of each layer. */
  n: number;
  /** Number of factors from the top down to the deepest layer reported: k = L - lMin. */
  depth: number;
  /** Probability that a mask keeps a unit. */
  p: number;
  /** eps * sigmaA; read for residual nets only. */
  t: number;
  seed: number;
  /** Index of the block: selects the random streams. */
  block: number;
  /** Trials in this block. */
  trials: number;
}

/** Sums over the trials of a block, one entry per number of factors d = 1..depth. */
export interface BlockResult {
  block: number;
  trials: number;
  /** counts[d - 1] = sum over trials of the number of rows i with |Theta_ii| > |off_i|. */
  counts: Float64Array;
  /** squares[d - 1] = sum over trials of that number squared (for the standard error). */
  squares: Float64Array;
}

/**
 * Runs one block on the CPU. All sums are of integers below 2^53, so they are exact and the
 * totals do not depend on the order in which blocks are added.
 *
 * Work per trial: one O(n^2) top factor, then per further level an O(n^2) count and, except at
 * the deepest level, one product costing p^2 n^3 multiply-adds (masked rows of the factor and
 * masked columns of V are skipped: a column that the top mask closes stays zero all the way).
 *
 * @param trialCounts - optional, of length trials * depth: receives each trial's count with
 *   d factors (d = 1..depth) at [trial * depth + d - 1], to compare backends trial by trial
 */
export function runBlock(task: BlockTask, trialCounts?: Float64Array): BlockResult {
  const { kind, n, depth, p, t, seed, block, trials } = task;
  const residual = kind === 'residual';
  const keepBelow = p * 4294967296;

  const vStream = streamState(seed, block, 0);
  const layerStreams = Array.from({ length: depth }, (_, d) => streamState(seed, block, d + 1));

  const matrixBytes = 8 * n * n;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((4 * matrixBytes) / 65536) || 1 });
  const product = (
    new WebAssembly.Instance(PRODUCT_MODULE, { env: { memory } }).exports as ProductExports
  ).product;
  const matrix = (slot: number) => new Float64Array(memory.buffer, slot * matrixBytes, n * n);

  const state: ChainState = {
    n,
    t: residual ? t : 1,
    residual,
    a: new Float64Array(n * n),
    keep: new Uint8Array(n),
    columns: new Int32Array(n),
    columnOf: new Int32Array(n),
    width: 0,
    q: matrix(0),
    next: matrix(1),
    rowSums: new Float64Array(n),
    keptRows: new Int32Array(n),
    keptQ: matrix(2),
    weights: matrix(3),
    product,
  };
  const v = new Float64Array(n);
  const maskWords = new Float64Array(n);
  const counts = new Float64Array(depth);
  const squares = new Float64Array(depth);

  for (let trial = 0; trial < trials; trial++) {
    fillNormals(vStream, v, n);

    for (let d = 0; d < depth; d++) {
      fillNormals(layerStreams[d], state.a, n * n);
      fillUint32(layerStreams[d], maskWords, n);
      for (let i = 0; i < n; i++) state.keep[i] = maskWords[i] < keepBelow ? 1 : 0;

      let dominant: number;
      if (d === 0) {
        topFactor(state, v);
        dominant = countTop(state);
      } else {
        const kept = gatherKeptRows(state);
        dominant = countNext(state, kept);
        if (d + 1 < depth) applyFactor(state, kept);
      }
      counts[d] += dominant;
      squares[d] += dominant * dominant;
      if (trialCounts) trialCounts[trial * depth + d] = dominant;
    }
  }

  return { block, trials, counts, squares };
}

/**
 * Working state of one trial's product chain. Q is stored compactly: only the `width` columns
 * listed in `columns` (those the top mask keeps) are held, row-major with row stride `width`;
 * columnOf[j] is the compact index of column j, or -1 when it is closed.
 */
interface ChainState {
  n: number;
  /** eps * sigmaA for residual factors, 1 for plain ones (their scale does not matter). */
  t: number;
  residual: boolean;
  /** This level's unit-variance A, row-major. */
  a: Float64Array;
  /** This level's mask: 1 where the unit is kept. */
  keep: Uint8Array;
  columns: Int32Array;
  columnOf: Int32Array;
  width: number;
  q: Float64Array;
  next: Float64Array;
  rowSums: Float64Array;
  /** Scratch list of the rows this level's mask keeps. */
  keptRows: Int32Array;
  /** The kept rows of Q, compacted, row stride `width`. */
  keptQ: Float64Array;
  /** weights[i * kept + m] = A[keptRows[m]][i]. */
  weights: Float64Array;
  /** The WebAssembly product over q, next, keptQ and weights, which share its memory. */
  product: ProductExports['product'];
}

/** Exports of sim/product.wat. */
interface ProductExports {
  /**
   * out[i][c] = t * sum_m weights[i][m] * rows[m][c] for i < n, c < width (row strides kept,
   * width, width), with byte offsets into the instance's memory; 128-bit SIMD, 2 x 4 blocks.
   */
  product(
    weights: number,
    rows: number,
    out: number,
    n: number,
    kept: number,
    width: number,
    t: number,
  ): void;
}

/** The compiled product kernel, shared by every block this thread runs. */
const PRODUCT_MODULE = new WebAssembly.Module(
  readFileSync(fileURLToPath(new URL('./product.wasm', import.meta.url))),
);

/** Q[i][j] = K[j][i] s_j v_j over the kept columns j: the top factor applied to diag(V). */
function topFactor(state: ChainState, v: Float64Array): void {
  const { n, t, residual, a, keep, columns, columnOf, q } = state;
  let width = 0;
  for (let j = 0; j < n; j++) {
    columnOf[j] = keep[j] ? width : -1;
    if (keep[j]) columns[width++] = j;
  }
  state.width = width;

  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let c = 0; c < width; c++) {
      const j = columns[c];
      q[row + c] = t * a[j * n + i] * v[j];
    }
    if (residual && keep[i]) q[row + columnOf[i]] += v[i];
  }
}

/** Dominant rows of Theta = Q itself (the top level), summing the off-diagonal directly. */
function countTop(state: ChainState): number {
  const { n, width, columns, q } = state;
  let dominant = 0;
  for (let i = 0; i < n; i++) {
    const row = i * width;
    let diagonal = 0;
    let offDiagonal = 0;
    for (let c = 0; c < width; c++) {
      if (columns[c] === i) diagonal = q[row + c];
      else offDiagonal += q[row + c];
    }
    if (Math.abs(diagonal) > Math.abs(offDiagonal)) dominant++;
  }
  return dominant;
}

/**
 * Gathers this level's kept rows r: their indices, the rows of Q (compacted to `kept` rows) and
 * the columns of A transposed, weights[i * kept + m] = A[r_m][i], so that the loops below run
 * over contiguous memory.
 */
function gatherKeptRows(state: ChainState): number {
  const { n, a, keep, width, q, keptRows, keptQ, weights } = state;
  let kept = 0;
  for (let r = 0; r < n; r++) {
    if (!keep[r]) continue;
    keptRows[kept] = r;
    keptQ.set(q.subarray(r * width, (r + 1) * width), kept * width);
    kept++;
  }
  for (let i = 0; i < n; i++) {
    const target = i * kept;
    for (let m = 0; m < kept; m++) weights[target + m] = a[keptRows[m] * n + i];
  }
  return kept;
}

/**
 * Dominant rows of Theta = F Q (F = K^T S, this level's factor) in O(n^2), without forming the
 * product. With R[r] the row sums of Q and D[i] = sum_r A[r][i] s_r Q[r][i],
 *
 *     Theta_ii               = s_i Q[i][i]          + t D[i]
 *     sum_{j != i} Theta_ij  = s_i (R[i] - Q[i][i]) + t (sum_r A[r][i] s_r R[r] - D[i])
 *
 * (the identity terms only for residual nets). The subtractions lose nothing that matters: near
 * a tie |Theta_ii| ~ |off-diagonal sum|, their absolute rounding error is a few ulps of either.
 */
function countNext(state: ChainState, kept: number): number {
  const { n, t, residual, keep, columnOf, width, q, keptQ, weights, rowSums } = state;
  for (let m = 0; m < kept; m++) {
    const row = m * width;
    let sum = 0;
    for (let c = 0; c < width; c++) sum += keptQ[row + c];
    rowSums[m] = sum;
  }

  let dominant = 0;
  let keptIndex = 0;
  for (let i = 0; i < n; i++) {
    const ci = columnOf[i];
    const w = i * kept;
    let total = 0;
    let ownColumn = 0;
    for (let m = 0; m < kept; m++) total += weights[w + m] * rowSums[m];
    if (ci >= 0) {
      for (let m = 0; m < kept; m++) ownColumn += weights[w + m] * keptQ[m * width + ci];
    }
    let diagonal = t * ownColumn;
    let offDiagonal = t * (total - ownColumn);
    if (residual && keep[i]) {
      // Row i is kept, so it is gathered row keptIndex and its sum is already in rowSums.
      const own = ci >= 0 ? q[i * width + ci] : 0;
      diagonal += own;
      offDiagonal += rowSums[keptIndex] - own;
    }
    if (keep[i]) keptIndex++;
    if (Math.abs(diagonal) > Math.abs(offDiagonal)) dominant++;
  }
  return dominant;
}

/**
 * Q <- K^T S Q, with K = I + t A (residual) or A (plain), over the kept columns: the WebAssembly
 * product forms t A^T S Q from the gathered operands, and the identity adds the kept rows of Q.
 */
function applyFactor(state: ChainState, kept: number): void {
  const { n, t, residual, width, q, next, keptRows, keptQ, weights } = state;
  state.product(weights.byteOffset, keptQ.byteOffset, next.byteOffset, n, kept, width, t);

  if (residual) {
    for (let m = 0; m < kept; m++) {
      const row = keptRows[m] * width;
      for (let c = 0; c < width; c++) next[row + c] += q[row + c];
    }
  }
  state.next = q;
  state.q = next;
}
