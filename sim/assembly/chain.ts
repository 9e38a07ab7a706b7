/**
 * The product chain of one trial in WebAssembly (AssemblyScript): everything the CPU kernel does
 * after drawing its random numbers. See sim/kernel.ts for the mathematics; this file is the same
 * arithmetic, in the same order, so its counts are bit-identical to a plain-JavaScript rendering
 * of those formulas (the kernel's tests check them against a dense reference product).
 *
 * Memory is imported from the caller, which draws A, V and the mask straight into the regions
 * that {@link aPointer}, {@link vPointer} and {@link keepPointer} return. The memory never
 * grows, so views on it stay valid. All pointers are byte offsets; matrices are row-major f64.
 *
 * Per level the caller calls {@link top} (the top factor, d = 0) or {@link next} (every further
 * factor), each of which returns the number of dominant rows of Theta with that many factors.
 */

import { ZIGGURAT_BYTES } from './draws';

export { fillNormals, useZiggurat } from './draws';

/** Width n of the layers, set by {@link setup}. */
let n: i32 = 0;
/**
 * A factor is K = u I + t A. sigma does not change when a factor is scaled, so residual factors
 * I + (eps sA) A use u = 1, t = eps sA while eps sA <= 1, and u = 1 / (eps sA), t = 1 beyond
 * (so that large eps sA cannot overflow); plain factors use t = 1 (their scale does not matter).
 */
let t: f64 = 1;
let u: f64 = 1;
let residual: bool = false;
/** Number of columns of Q that the top mask keeps (Q is stored with only those columns). */
let width: i32 = 0;

/** This level's unit-variance A. */
let a: usize = 0;
/** The chain's current product Q (n rows, `width` columns). */
let q: usize = 0;
/** Scratch for the next product; swapped with q after each factor. */
let spare: usize = 0;
/** The kept rows of Q, compacted (row stride `width`). */
let keptQ: usize = 0;
/** weights[i * kept + m] = A[keptRows[m]][i]: the columns of A over the kept rows. */
let weights: usize = 0;
/** The diagonal of V. */
let v: usize = 0;
/** Row sums of keptQ. */
let rowSums: usize = 0;
/** This level's mask, i32: 1 where the unit is kept. */
let keep: usize = 0;
/** i32 indices of the rows this level keeps. */
let keptRows: usize = 0;
/** i32 indices of the columns the top mask keeps. */
let columns: usize = 0;
/** i32 compact index of column j, or -1 where the top mask closes it. */
let columnOf: usize = 0;
/** Four u32 words: the generator state that draws.ts's fillNormals advances. */
let generator: usize = 0;
/** The ziggurat tables of random.ts, for draws.ts's useZiggurat. */
let tables: usize = 0;
/** Room for n^2 pairs (index, word) of i32: the rare ziggurat cases of one fillNormals call. */
let slow: usize = 0;

/** Bytes of memory, from offset 0, that the chain needs at width n; kernel.ts sizes by it. */
export function bytesNeeded(width: i32): usize {
  const size = <usize>width;
  return START + 48 * size * size + 32 * size + 16 + ZIGGURAT_BYTES;
}

/** First byte the chain uses: above this module's own static data. */
const START: usize = (__heap_base + 63) & ~(<usize>63);

/**
 * Lays out the regions for width `size` and sets the factor's scale; traps when the imported
 * memory is too small.
 */
export function setup(size: i32, scale: f64, isResidual: bool): void {
  if ((<usize>memory.size()) << 16 < bytesNeeded(size)) unreachable();
  n = size;
  residual = isResidual;
  t = isResidual && scale <= 1 ? scale : 1;
  u = isResidual && scale > 1 ? 1 / scale : 1;
  const matrix = <usize>(8 * size * size);
  const vector = <usize>(8 * size);
  a = START;
  q = a + matrix;
  spare = q + matrix;
  keptQ = spare + matrix;
  weights = keptQ + matrix;
  v = weights + matrix;
  rowSums = v + vector;
  keep = rowSums + vector;
  keptRows = keep + (vector >> 1);
  columns = keptRows + (vector >> 1);
  columnOf = columns + (vector >> 1);
  generator = columnOf + (vector >> 1);
  tables = generator + 16;
  slow = tables + ZIGGURAT_BYTES;
}

export function aPointer(): usize {
  return a;
}

export function vPointer(): usize {
  return v;
}

export function keepPointer(): usize {
  return keep;
}

export function generatorPointer(): usize {
  return generator;
}

export function tablesPointer(): usize {
  return tables;
}

export function slowPointer(): usize {
  return slow;
}

function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + ((<usize>index) << 3));
}

function setF64(base: usize, index: i32, value: f64): void {
  store<f64>(base + ((<usize>index) << 3), value);
}

function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + ((<usize>index) << 2));
}

function setI32(base: usize, index: i32, value: i32): void {
  store<i32>(base + ((<usize>index) << 2), value);
}

/**
 * The top factor: Q[i][c] = K[j][i] s_j v_j over the kept columns j = columns[c], and the number
 * of dominant rows of Theta = Q (the diagonal against the sum of the rest of its row).
 */
export function top(): i32 {
  width = 0;
  for (let j = 0; j < n; j++) {
    const kept = i32At(keep, j) != 0;
    setI32(columnOf, j, kept ? width : -1);
    if (kept) setI32(columns, width++, j);
  }

  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let c = 0; c < width; c++) {
      const j = i32At(columns, c);
      setF64(q, row + c, t * f64At(a, j * n + i) * f64At(v, j));
    }
    if (residual && i32At(keep, i) != 0) {
      const own = row + i32At(columnOf, i);
      setF64(q, own, f64At(q, own) + u * f64At(v, i));
    }
  }

  let dominant = 0;
  for (let i = 0; i < n; i++) {
    const row = i * width;
    let diagonal = 0.0;
    let offDiagonal = 0.0;
    for (let c = 0; c < width; c++) {
      if (i32At(columns, c) == i) diagonal = f64At(q, row + c);
      else offDiagonal += f64At(q, row + c);
    }
    if (Math.abs(diagonal) > Math.abs(offDiagonal)) dominant++;
  }
  return dominant;
}

/**
 * A further factor F = K^T S: counts the dominant rows of Theta = F Q in O(n^2) without forming
 * the product (formulas in sim/kernel.ts), then, when `apply` is set, replaces Q by F Q.
 */
export function next(apply: bool): i32 {
  const kept = gatherKeptRows();
  const dominant = countDominant(kept);
  if (apply) applyFactor(kept);
  return dominant;
}

/** Fills keptRows, keptQ, weights and rowSums for this level's mask; returns the kept count. */
function gatherKeptRows(): i32 {
  let kept = 0;
  for (let r = 0; r < n; r++) {
    if (i32At(keep, r) == 0) continue;
    setI32(keptRows, kept, r);
    const from = r * width;
    const to = kept * width;
    let sum = 0.0;
    for (let c = 0; c < width; c++) {
      const value = f64At(q, from + c);
      setF64(keptQ, to + c, value);
      sum += value;
    }
    setF64(rowSums, kept, sum);
    kept++;
  }
  for (let m = 0; m < kept; m++) {
    const column = a + ((<usize>(i32At(keptRows, m) * n)) << 3);
    for (let i = 0; i < n; i++) setF64(weights, i * kept + m, f64At(column, i));
  }
  return kept;
}

/**
 * Dominant rows of F Q: with R the row sums of Q and D[i] = sum_r A[r][i] s_r Q[r][i],
 * Theta_ii = u s_i Q[i][i] + t D[i] and the rest of row i sums to
 * u s_i (R[i] - Q[i][i]) + t (sum_r A[r][i] s_r R[r] - D[i]), the u terms for residual nets only.
 */
function countDominant(kept: i32): i32 {
  let dominant = 0;
  let keptIndex = 0;
  for (let i = 0; i < n; i++) {
    const ci = i32At(columnOf, i);
    const w = weights + ((<usize>(i * kept)) << 3);
    let total = 0.0;
    for (let m = 0; m < kept; m++) total += f64At(w, m) * f64At(rowSums, m);
    let ownColumn = 0.0;
    if (ci >= 0) {
      for (let m = 0; m < kept; m++) ownColumn += f64At(w, m) * f64At(keptQ, m * width + ci);
    }
    let diagonal = t * ownColumn;
    let offDiagonal = t * (total - ownColumn);
    const rowKept = i32At(keep, i) != 0;
    if (residual && rowKept) {
      const own = ci >= 0 ? f64At(q, i * width + ci) : 0.0;
      diagonal += u * own;
      offDiagonal += u * (f64At(rowSums, keptIndex) - own);
    }
    if (rowKept) keptIndex++;
    if (Math.abs(diagonal) > Math.abs(offDiagonal)) dominant++;
  }
  return dominant;
}

/**
 * Q <- K^T S Q over the kept columns: spare = t A^T S Q by a 2 x 4 register-blocked f64x2 product
 * of weights and keptQ, plus the kept rows of Q for residual nets; then spare and q swap.
 */
function applyFactor(kept: i32): void {
  const stride = (<usize>width) << 3;
  const tt = f64x2.splat(t);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const w0 = weights + ((<usize>(i * kept)) << 3);
    const w1 = w0 + ((<usize>kept) << 3);
    const o0 = spare + <usize>i * stride;
    const o1 = o0 + stride;
    let c = 0;
    for (; c + 4 <= width; c += 4) {
      let x00 = f64x2.splat(0);
      let x01 = f64x2.splat(0);
      let x10 = f64x2.splat(0);
      let x11 = f64x2.splat(0);
      let row = keptQ + ((<usize>c) << 3);
      for (let m = 0; m < kept; m++) {
        const a0 = f64x2.splat(f64At(w0, m));
        const a1 = f64x2.splat(f64At(w1, m));
        const q0 = v128.load(row);
        const q1 = v128.load(row, 16);
        x00 = f64x2.add(x00, f64x2.mul(a0, q0));
        x01 = f64x2.add(x01, f64x2.mul(a0, q1));
        x10 = f64x2.add(x10, f64x2.mul(a1, q0));
        x11 = f64x2.add(x11, f64x2.mul(a1, q1));
        row += stride;
      }
      const at = (<usize>c) << 3;
      v128.store(o0 + at, f64x2.mul(tt, x00));
      v128.store(o0 + at, f64x2.mul(tt, x01), 16);
      v128.store(o1 + at, f64x2.mul(tt, x10));
      v128.store(o1 + at, f64x2.mul(tt, x11), 16);
    }
    for (; c < width; c++) {
      setF64(o0, c, t * dot(w0, c, kept));
      setF64(o1, c, t * dot(w1, c, kept));
    }
  }
  if (i < n) {
    const w0 = weights + ((<usize>(i * kept)) << 3);
    const o0 = spare + <usize>i * stride;
    for (let c = 0; c < width; c++) setF64(o0, c, t * dot(w0, c, kept));
  }

  if (residual) {
    for (let m = 0; m < kept; m++) {
      const row = i32At(keptRows, m) * width;
      for (let c = 0; c < width; c++)
        setF64(spare, row + c, f64At(spare, row + c) + u * f64At(q, row + c));
    }
  }
  const previous = q;
  q = spare;
  spare = previous;
  keepInRange();
}

/** Q is rescaled when its largest entry leaves [2^-RANGE_BITS, 2^RANGE_BITS]. */
const RANGE_BITS = 256;

/**
 * Deep chains grow or shrink geometrically (plain nets by about sqrt(p n) a factor, so past
 * 2^1024 within some 500 layers at the defaults). Counts depend only on ratios within Theta, and
 * multiplying Q by a power of 2 is exact, so Q is scaled by 2^-e (e the exponent of its largest
 * entry) when that entry leaves the range: every later count is then bit-identical to the
 * unscaled chain's wherever that one neither overflows nor underflows.
 */
function keepInRange(): void {
  const entries = n * width;
  let pairs = f64x2.splat(0);
  let index = 0;
  for (; index + 2 <= entries; index += 2) {
    pairs = f64x2.pmax(pairs, f64x2.abs(v128.load(q + ((<usize>index) << 3))));
  }
  let largest = Math.max(f64x2.extract_lane(pairs, 0), f64x2.extract_lane(pairs, 1));
  if (index < entries) largest = Math.max(largest, Math.abs(f64At(q, index)));

  if (largest == 0 || (largest <= RANGE_HIGH && largest >= RANGE_LOW)) return;
  const exponent = <i64>((reinterpret<u64>(largest) >> 52) & 0x7ff) - 1023;
  const factor = reinterpret<f64>((<u64>(1023 - exponent)) << 52);
  for (let index = 0; index < entries; index++) setF64(q, index, f64At(q, index) * factor);
}

const RANGE_HIGH: f64 = Math.pow(2, RANGE_BITS);
const RANGE_LOW: f64 = Math.pow(2, -RANGE_BITS);

/** sum_m w[m] * keptQ[m][c], in order of m. */
function dot(w: usize, c: i32, kept: i32): f64 {
  let sum = 0.0;
  for (let m = 0; m < kept; m++) sum += f64At(w, m) * f64At(keptQ, m * width + c);
  return sum;
}
