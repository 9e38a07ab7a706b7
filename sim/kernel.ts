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

import { type StreamState, fillUint32, streamState, zigguratTables } from './random.js';

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
 * Everything per level runs in WebAssembly (sim/assembly/): the normals are drawn straight into
 * the chain's memory by a generator that reproduces random.ts bit for bit, the mask words come
 * from random.ts, and the chain does the arithmetic of each level in one call. Work per
 * trial: one O(n^2) top factor, then per further level an O(n^2) count and, except at the deepest
 * level, one product costing p^2 n^3 multiply-adds (masked rows of the factor and masked columns
 * of V are skipped: a column that the top mask closes stays zero all the way). At the defaults
 * the draws take about 40% of the time: 14 to 15 ms per 1000 trials on one core here.
 *
 * @param trialCounts - optional, of length trials * depth: receives each trial's count with
 *   d factors (d = 1..depth) at [trial * depth + d - 1], to compare backends trial by trial
 */
export function runBlock(task: BlockTask, trialCounts?: Float64Array): BlockResult {
  const { kind, n, depth, p, t, seed, block, trials } = task;
  const keepBelow = p * 4294967296;

  const vStream = streamState(seed, block, 0);
  const layerStreams = Array.from({ length: depth }, (_, d) => streamState(seed, block, d + 1));
  const chain = chainFor(n);
  chain.exports.setup(n, t, kind === 'residual');
  const { a, v, keep } = chain;
  const maskWords = new Float64Array(n);
  const counts = new Float64Array(depth);
  const squares = new Float64Array(depth);

  for (let trial = 0; trial < trials; trial++) {
    drawNormals(chain, vStream, v, n);

    for (let d = 0; d < depth; d++) {
      drawNormals(chain, layerStreams[d], a, n * n);
      fillUint32(layerStreams[d], maskWords, n);
      for (let i = 0; i < n; i++) keep[i] = maskWords[i] < keepBelow ? 1 : 0;

      const dominant = d === 0 ? chain.exports.top() : chain.exports.next(d + 1 < depth ? 1 : 0);
      counts[d] += dominant;
      squares[d] += dominant * dominant;
      if (trialCounts) trialCounts[trial * depth + d] = dominant;
    }
  }

  return { block, trials, counts, squares };
}

/**
 * Exports of sim/assembly/chain.ts (booleans are passed as 0 or 1). Pointers come back as i32,
 * negative above 2 GiB, so they are read with >>> 0.
 */
interface ChainExports {
  /** Bytes of memory, from offset 0, that the chain needs at width n. */
  bytesNeeded(n: number): number;
  setup(n: number, t: number, residual: boolean): void;
  aPointer(): number;
  vPointer(): number;
  keepPointer(): number;
  generatorPointer(): number;
  tablesPointer(): number;
  slowPointer(): number;
  /** Points the generator at the ziggurat tables (see sim/assembly/draws.ts). */
  useZiggurat(tables: number, tailStart: number): void;
  /** random.ts's fillNormals on the state at `state`, writing count f64 at `out`. */
  fillNormals(state: number, out: number, count: number, slow: number): void;
  /** Builds Q from the top factor and returns its count of dominant rows. */
  top(): number;
  /** Counts the dominant rows after one more factor, and applies it when `apply` is 1. */
  next(apply: number): number;
}

/** A chain instance for one width n, with views on the regions that the draws fill. */
interface Chain {
  n: number;
  exports: ChainExports;
  /** A of the current level, row-major. */
  a: Float64Array;
  /** The diagonal of V. */
  v: Float64Array;
  /** The current level's mask: 1 where the unit is kept. */
  keep: Int32Array;
  /** The generator state that the chain's fillNormals advances, and its byte offset. */
  generator: StreamState;
  generatorAt: number;
  /** Byte offset of the scratch for the rare ziggurat cases. */
  slowAt: number;
}

/** The compiled chain module, shared by every block this thread runs. */
const CHAIN_MODULE = new WebAssembly.Module(
  readFileSync(fileURLToPath(new URL('./chain.wasm', import.meta.url))),
);

/** The chain of this thread for width n, reused while n stays the same. */
let cachedChain: Chain | undefined;

/**
 * A chain instance for width n. Its memory starts at one page and is grown, before any view on
 * it is taken, to what the module's own bytesNeeded(n) says (its regions lie above its static
 * data, whose size only the compiled module knows); setup traps if the memory is smaller.
 */
function chainFor(n: number): Chain {
  if (cachedChain?.n === n) return cachedChain;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const imports = { env: { memory }, draws: { exp: Math.exp, log: Math.log } };
  const exports = new WebAssembly.Instance(CHAIN_MODULE, imports)
    .exports as unknown as ChainExports;
  const pages = Math.ceil((exports.bytesNeeded(n) >>> 0) / 65536);
  if (pages > 1) memory.grow(pages - 1);
  exports.setup(n, 1, false);
  const tables = zigguratTables();
  const at = exports.tablesPointer() >>> 0;
  new Float64Array(memory.buffer, at, 128).set(tables.widths);
  new Float64Array(memory.buffer, at + 1024, 128).set(tables.densities);
  new Int32Array(memory.buffer, at + 2048, 128).set(tables.bounds);
  exports.useZiggurat(at, tables.tailStart);
  cachedChain = {
    n,
    exports,
    a: new Float64Array(memory.buffer, exports.aPointer() >>> 0, n * n),
    v: new Float64Array(memory.buffer, exports.vPointer() >>> 0, n),
    keep: new Int32Array(memory.buffer, exports.keepPointer() >>> 0, n),
    generator: new Uint32Array(memory.buffer, exports.generatorPointer() >>> 0, 4),
    generatorAt: exports.generatorPointer() >>> 0,
    slowAt: exports.slowPointer() >>> 0,
  };
  return cachedChain;
}

/**
 * random.ts's fillNormals computed by the engine's WebAssembly generator: the same deviates, bit
 * for bit, and the same state afterwards (about 1.1x the speed in batches of 10000; the kernel
 * gains more, as its draws need no copying). It runs on the chain of the
 * smallest width n with n^2 >= count, so counts far above the kernel's n^2 cost memory.
 */
export function fillNormalsWasm(state: StreamState, out: Float64Array, count = out.length): void {
  const chain = chainFor(Math.max(2, Math.ceil(Math.sqrt(count))));
  const { a } = chain;
  drawNormals(chain, state, a, count);
  for (let i = 0; i < count; i++) out[i] = a[i];
}

/**
 * Fills out[0..count) (a view on the chain's memory) with exactly the normals that random.ts's
 * fillNormals would draw from `stream`, and advances `stream` the same way.
 */
function drawNormals(chain: Chain, stream: StreamState, out: Float64Array, count: number): void {
  const { exports, generator } = chain;
  for (let word = 0; word < 4; word++) generator[word] = stream[word];
  exports.fillNormals(chain.generatorAt, out.byteOffset, count, chain.slowAt);
  for (let word = 0; word < 4; word++) stream[word] = generator[word];
}
