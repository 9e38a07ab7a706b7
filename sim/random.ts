/**
 * Seeded random streams for the Monte-Carlo engine: xoshiro128** for uniform 32-bit words, the
 * Marsaglia-Tsang ziggurat for standard normals, and a seeding scheme that gives every
 * (seed, block, stream) triple its own independent-looking generator state.
 *
 * Seeding: the 64-bit key seed * 2^20 + block (mixed) and the stream index are fed through
 * SplitMix64, whose first two outputs are split into the four 32-bit words of the state. So the
 * draws of a block depend only on (seed, block, stream), never on which worker ran it or when.
 */

/** The four 32-bit words of a xoshiro128** state. */
export type StreamState = Uint32Array;

const MASK64 = (1n << 64n) - 1n;

/** One SplitMix64 step: returns [next state, output]. */
export function splitMix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

/**
 * The generator state of stream `stream` of block `block` under `seed`. Each of the three
 * integers passes through a SplitMix64 output before the next is added, so nearby seeds,
 * blocks and streams give unrelated states.
 *
 * @param seed - integer in [0, 2^53)
 * @param block - integer in [0, 2^53)
 * @param stream - integer in [0, 2^53)
 */
export function streamState(seed: number, block: number, stream: number): StreamState {
  let key = splitMix64(BigInt(seed))[1];
  key = splitMix64(key ^ BigInt(block))[1];
  let state = key ^ BigInt(stream);
  const words = new Uint32Array(4);
  for (let half = 0; half < 2; half++) {
    const [next, output] = splitMix64(state);
    state = next;
    words[2 * half] = Number(output & 0xffffffffn);
    words[2 * half + 1] = Number(output >> 32n);
  }
  if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
  return words;
}

/**
 * Fills `out` with uniform 32-bit words from xoshiro128** (period 2^128 - 1), advancing the
 * state in place. Each word is exposed as a float64 holding an integer in [0, 2^32).
 */
export function fillUint32(state: StreamState, out: Float64Array, count = out.length): void {
  if (unsignedScratch.length < count) unsignedScratch = new Int32Array(count);
  fillInt32(state, unsignedScratch, count);
  for (let i = 0; i < count; i++) out[i] = unsignedScratch[i] >>> 0;
}

/** Scratch words for {@link fillUint32}, grown on demand. */
let unsignedScratch = new Int32Array(64);

/** Number of ziggurat layers. */
const LAYERS = 128;

/** Right edge of the base layer: the ziggurat's tail starts here. */
const TAIL_START = 3.442619855899;

/** Area of each layer of the 128-layer ziggurat for the unnormalised density exp(-x^2/2). */
const LAYER_AREA = 9.91256303526217e-3;

/** Scale of the 25-bit signed integer that carries a normal's magnitude and sign. */
const VALUE_SCALE = 2 ** 24;

/** Ziggurat tables: acceptance bounds (integers), widths per integer step, density at edges. */
const zigBound = new Float64Array(LAYERS);
const zigWidth = new Float64Array(LAYERS);
const zigDensity = new Float64Array(LAYERS);
{
  let x = TAIL_START;
  const q = LAYER_AREA / Math.exp(-0.5 * x * x);
  zigBound[0] = (x / q) * VALUE_SCALE;
  zigBound[1] = 0;
  zigWidth[0] = q / VALUE_SCALE;
  zigWidth[LAYERS - 1] = x / VALUE_SCALE;
  zigDensity[0] = 1;
  zigDensity[LAYERS - 1] = Math.exp(-0.5 * x * x);
  for (let i = LAYERS - 2; i >= 1; i--) {
    const inner = Math.sqrt(-2 * Math.log(LAYER_AREA / x + Math.exp(-0.5 * x * x)));
    zigBound[i + 1] = (inner / x) * VALUE_SCALE;
    x = inner;
    zigDensity[i] = Math.exp(-0.5 * x * x);
    zigWidth[i] = x / VALUE_SCALE;
  }
}

/**
 * Fast-path bounds on the integer magnitude m = |signed + 1/2| - 1/2 (m in [0, 2^24)):
 * the point (m + 1/2) * width lies inside the next layer exactly when m < ceil(bound - 1/2).
 */
const zigBoundInt = Int32Array.from(zigBound, (bound) => Math.ceil(bound - 0.5));

/**
 * Fills `out[0..count)` with standard normal deviates by the Marsaglia-Tsang ziggurat
 * (128 layers, exact exponential tail method beyond 3.4426), drawing from xoshiro128**.
 *
 * Each deviate takes one 32-bit word: its low 7 bits pick the layer and the other 25 bits, read
 * as a signed integer s, place the point (s + 1/2) * width, symmetric about 0 and never 0.
 * Layer and value use disjoint bits, so the classic ziggurat's layer/value correlation does not
 * arise. Resolution within a layer is 2^-24 of its width. 97.2% of deviates take the fast path
 * (the mean of the layers' bounds; 2.75% were slow in 2M draws): the words are drawn in one
 * tight loop and turned into deviates in a second, and the rare slow cases are finished after
 * the batch (so the draws depend on the batch size). Measured here at about 235 million
 * deviates a second on one core; the engine's kernel draws the same numbers a little faster in
 * WebAssembly (sim/assembly/draws.ts, fillNormalsWasm in kernel.ts). The package's tests check
 * mean, variance, kurtosis, the tail mass beyond 3.5 and Kolmogorov-Smirnov tests against the
 * normal CDF.
 */
export function fillNormals(state: StreamState, out: Float64Array, count = out.length): void {
  if (words.length < count) {
    words = new Int32Array(count);
    slow = new Int32Array(count);
  }
  fillInt32(state, words, count);

  let slowCount = 0;
  for (let i = 0; i < count; i++) {
    const word = words[i];
    const layer = word & 127;
    const signed = word >> 7;
    out[i] = (signed + 0.5) * zigWidth[layer];
    if ((signed ^ (signed >> 31)) >= zigBoundInt[layer]) slow[slowCount++] = i;
  }

  for (let s = 0; s < slowCount; s++) {
    const i = slow[s];
    out[i] = slowNormal(state, words[i] & 127, words[i] >> 7);
  }
}

/** Scratch words for {@link fillNormals}, grown on demand. */
let words = new Int32Array(1024);
let slow = new Int32Array(1024);

/** xoshiro128** words as signed 32-bit integers. */
function fillInt32(state: StreamState, out: Int32Array, count: number): void {
  let s0 = state[0];
  let s1 = state[1];
  let s2 = state[2];
  let s3 = state[3];
  for (let i = 0; i < count; i++) {
    const m = Math.imul(s1, 5);
    out[i] = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
}

const scratch = new Float64Array(2);

/** A uniform in (0, 1) with 53 random bits, never 0 (safe under log). */
function openUniform(state: StreamState): number {
  fillUint32(state, scratch, 2);
  return ((scratch[0] >>> 5) * 67108864 + (scratch[1] >>> 6) + 0.5) / 9007199254740992;
}

/** The ziggurat's tables and constants (see {@link zigguratTables}). */
export interface ZigguratTables {
  /** Per layer, the width of one integer step of the 25-bit signed value. */
  widths: Float64Array;
  /** Per layer, the density exp(-x^2/2) at the layer's outer edge. */
  densities: Float64Array;
  /** Per layer, the fast-path bound on the integer magnitude. */
  bounds: Int32Array;
  /** Where the tail beyond the base layer starts. */
  tailStart: number;
}

/**
 * Copies of the ziggurat's tables, for a generator elsewhere (sim/assembly/draws.ts) that must
 * draw exactly what {@link fillNormals} draws.
 */
export function zigguratTables(): ZigguratTables {
  return {
    widths: zigWidth.slice(),
    densities: zigDensity.slice(),
    bounds: zigBoundInt.slice(),
    tailStart: TAIL_START,
  };
}

/** The ziggurat's rare path: a wedge test, or the tail beyond TAIL_START. */
function slowNormal(state: StreamState, firstLayer: number, firstSigned: number): number {
  let layer = firstLayer;
  let signed = firstSigned;
  for (;;) {
    if (layer === 0) {
      let x: number;
      let y: number;
      do {
        x = -Math.log(openUniform(state)) / TAIL_START;
        y = -Math.log(openUniform(state));
      } while (y + y < x * x);
      return signed >= 0 ? TAIL_START + x : -TAIL_START - x;
    }

    const x = (signed + 0.5) * zigWidth[layer];
    const u = openUniform(state);
    if (
      zigDensity[layer] + u * (zigDensity[layer - 1] - zigDensity[layer]) <
      Math.exp(-0.5 * x * x)
    ) {
      return x;
    }

    fillUint32(state, scratch, 1);
    const word = scratch[0] | 0;
    layer = word & 127;
    signed = word >> 7;
    if ((signed ^ (signed >> 31)) < zigBoundInt[layer]) return (signed + 0.5) * zigWidth[layer];
  }
}
