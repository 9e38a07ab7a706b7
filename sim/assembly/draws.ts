/**
 * The engine's normal draws in WebAssembly: xoshiro128** words turned into standard normals by
 * the 128-layer ziggurat of sim/random.ts, which stays the reference. The tables are computed
 * there and copied into memory, exp and log are imported from JavaScript's Math, and the words
 * are consumed in the same order (the whole batch first, then the rare cases in order), so the
 * numbers are bit-identical to random.ts's fillNormals on the same state; the package's tests
 * check this on a million deviates. Measured here at 250 to 300 million deviates a second on one
 * core, against about 235 million for the JavaScript version; drawing with it makes a block of
 * the kernel about 12% faster at the defaults, as the draws stay in WebAssembly memory.
 *
 * A generator state is four u32 words in memory, advanced in place.
 */

/** Math.exp of the host, so that wedge tests decide exactly as random.ts does. */
declare function exp(x: f64): f64;
/** Math.log of the host. */
declare function log(x: f64): f64;

/** Per layer: f64 width of one integer step. */
let widths: usize = 0;
/** Per layer: f64 density at the layer's outer edge. */
let densities: usize = 0;
/** Per layer: i32 fast-path bound on the integer magnitude. */
let bounds: usize = 0;
/** Where the tail beyond the base layer starts. */
let tailStart: f64 = 0;

/** Bytes of the ziggurat tables at {@link useZiggurat}'s pointer. */
export const ZIGGURAT_BYTES: usize = 128 * 20;

/** Reads the tables at `tables`: 128 f64 widths, 128 f64 densities, then 128 i32 bounds. */
export function useZiggurat(tables: usize, tail: f64): void {
  widths = tables;
  densities = tables + 128 * 8;
  bounds = tables + 128 * 16;
  tailStart = tail;
}

/**
 * Fills out[0..count) with standard normals from the generator at `state`. The rare cases are
 * noted at `slow` (room for count pairs of i32: index, word) while the batch is drawn, and
 * finished after it.
 */
export function fillNormals(state: usize, out: usize, count: i32, slow: usize): void {
  let s0 = load<u32>(state);
  let s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8);
  let s3 = load<u32>(state, 12);
  let slowCount = 0;
  for (let i = 0; i < count; i++) {
    const word = <i32>(rotl<u32>(s1 * 5, 7) * 9);
    const shifted = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= shifted;
    s3 = rotl<u32>(s3, 11);

    const layer = word & 127;
    const signed = word >> 7;
    store<f64>(out + ((<usize>i) << 3), (<f64>signed + 0.5) * f64At(widths, layer));
    if ((signed ^ (signed >> 31)) >= i32At(bounds, layer)) {
      const record = slow + ((<usize>slowCount) << 3);
      store<i32>(record, i);
      store<i32>(record, word, 4);
      slowCount++;
    }
  }
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);

  for (let k = 0; k < slowCount; k++) {
    const record = slow + ((<usize>k) << 3);
    const word = load<i32>(record, 4);
    store<f64>(out + ((<usize>load<i32>(record)) << 3), slowNormal(state, word & 127, word >> 7));
  }
}

/** The ziggurat's rare path: a wedge test, or the tail; as random.ts's slowNormal. */
function slowNormal(state: usize, firstLayer: i32, firstSigned: i32): f64 {
  let layer = firstLayer;
  let signed = firstSigned;
  while (true) {
    if (layer == 0) {
      let x: f64;
      let y: f64;
      do {
        x = -log(openUniform(state)) / tailStart;
        y = -log(openUniform(state));
      } while (y + y < x * x);
      return signed >= 0 ? tailStart + x : -tailStart - x;
    }

    const x = (<f64>signed + 0.5) * f64At(widths, layer);
    const u = openUniform(state);
    const inner = f64At(densities, layer);
    if (inner + u * (f64At(densities, layer - 1) - inner) < exp(-0.5 * x * x)) return x;

    const word = <i32>nextWord(state);
    layer = word & 127;
    signed = word >> 7;
    if ((signed ^ (signed >> 31)) < i32At(bounds, layer)) {
      return (<f64>signed + 0.5) * f64At(widths, layer);
    }
  }
}

/** A uniform in (0, 1) from two words with 53 random bits, never 0; as random.ts's. */
function openUniform(state: usize): f64 {
  const high = nextWord(state) >>> 5;
  const low = nextWord(state) >>> 6;
  return (<f64>high * 67108864 + <f64>low + 0.5) / 9007199254740992;
}

/**
 * One xoshiro128** word from the state in memory, for the rare path. fillNormals repeats this
 * step inline on locals: with the state in globals instead, the batch ran 40% slower.
 */
function nextWord(state: usize): u32 {
  let s0 = load<u32>(state);
  let s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8);
  let s3 = load<u32>(state, 12);
  const word = rotl<u32>(s1 * 5, 7) * 9;
  const shifted = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= shifted;
  s3 = rotl<u32>(s3, 11);
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
  return word;
}

function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + ((<usize>index) << 3));
}

function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + ((<usize>index) << 2));
}
