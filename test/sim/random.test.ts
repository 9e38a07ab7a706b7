import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kstest from '@stdlib/stats-kstest';

import { fillNormals, fillUint32, splitMix64, streamState } from '../../sim/random.js';

test('xoshiro128** matches the reference algorithm from state (1, 2, 3, 4)', () => {
  // Computed by an independent Python transcription of the published xoshiro128** algorithm.
  const expected = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849];
  const out = new Float64Array(8);
  fillUint32(Uint32Array.from([1, 2, 3, 4]), out);
  assert.equal(Array.from(out), expected);
});

test('SplitMix64 matches its reference output for state 0', () => {
  assert.is(splitMix64(0n)[1], 0xe220a8397b1dcdafn);
});

test('stream states are deterministic and differ between seeds, blocks and streams', () => {
  assert.equal(streamState(3, 5, 7), streamState(3, 5, 7));
  const keys = new Set<string>();
  for (const seed of [0, 1]) {
    for (const block of [0, 1, 2]) {
      for (const stream of [0, 1, 2]) keys.add(streamState(seed, block, stream).join(','));
    }
  }
  assert.is(keys.size, 18);
});

test('ziggurat normals: moments, tails and a Kolmogorov-Smirnov test', () => {
  const count = 1_000_000;
  const x = new Float64Array(count);
  fillNormals(streamState(11, 0, 0), x);

  let sum = 0;
  let squares = 0;
  let fourth = 0;
  let beyond = 0;
  let negative = 0;
  for (const value of x) {
    sum += value;
    squares += value * value;
    fourth += value ** 4;
    if (Math.abs(value) > 3.5) beyond++;
    if (value < 0) negative++;
  }
  const mean = sum / count;
  const variance = squares / count - mean * mean;
  // Standard errors: mean 0.001, variance 0.0014, fourth moment 0.0098, tail count 21.6.
  assert.ok(Math.abs(mean) < 0.004, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.006, `variance ${variance}`);
  assert.ok(Math.abs(fourth / count - 3) < 0.04, `fourth moment ${fourth / count}`);
  assert.ok(Math.abs(beyond - 465.3) < 90, `beyond 3.5: ${beyond}`);
  assert.ok(Math.abs(negative - count / 2) < 2000, `negative: ${negative}`);

  for (const start of [0, 500_000]) {
    const ks = kstest(Array.from(x.subarray(start, start + 20_000)), 'normal', 0, 1);
    assert.ok(ks.pValue > 0.001, `KS p-value ${ks.pValue} for the slice from ${start}`);
  }
});

test('uniform words: mean and the fraction below a threshold', () => {
  const out = new Float64Array(400_000);
  fillUint32(streamState(2, 0, 1), out);
  let mean = 0;
  let below = 0;
  for (const word of out) {
    mean += word / 2 ** 32;
    if (word < 0.9 * 2 ** 32) below++;
  }
  assert.ok(Math.abs(mean / out.length - 0.5) < 0.002);
  assert.ok(Math.abs(below / out.length - 0.9) < 0.002);
  assert.ok(out.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32));
});

test.run();
