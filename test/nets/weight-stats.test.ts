import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { toPlain } from '../../nets/map.js';
import type { WeightSet } from '../../nets/weights.js';
import { allWeights, histogram, idEntries, weightStatistics } from '../../nets/weight-stats.js';

/** A stem [3, 3, 1, 2], one block [3, 3, 2, 3] and a dense [3, 2], filled with k / 100 - 0.3. */
function handSet(): WeightSet {
  let k = 0;
  const fill = (n: number) => Float64Array.from({ length: n }, () => k++ / 100 - 0.3);
  const layer = (kernelShape: number[]) => ({
    kernelShape,
    kernel: fill(kernelShape.reduce((a, b) => a * b, 1)),
    bias: fill(kernelShape[kernelShape.length - 1]),
  });
  return { kind: 'residual', layers: [layer([3, 3, 1, 2]), layer([3, 3, 2, 3]), layer([3, 2])] };
}

test('statistics match a direct computation over the hand-made set', () => {
  const set = handSet();
  const values: number[] = [];
  for (const l of set.layers) values.push(...l.kernel, ...l.bias);
  const block = set.layers[1];
  const ids = [0, 1].map((c) => block.kernel[((1 * 3 + 1) * 2 + c) * 3 + c]);

  const s = weightStatistics(set);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.is(s.count, 18 + 2 + 54 + 3 + 6 + 2);
  assert.ok(Math.abs(s.mean - mean) < 1e-12);
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  assert.ok(Math.abs(s.std - Math.sqrt(variance)) < 1e-12);
  assert.ok(Math.abs(s.massAll - values.reduce((a, v) => a + Math.abs(v), 0)) < 1e-9);
  const large = values.filter((v) => Math.abs(v) >= 0.25);
  assert.ok(Math.abs(s.massLarge - large.reduce((a, v) => a + Math.abs(v), 0)) < 1e-9);
  assert.is(s.idCount, 2);
  assert.ok(Math.abs(s.massId - Math.abs(ids[0]) - Math.abs(ids[1])) < 1e-12);
  assert.equal(Array.from(idEntries(set)), ids);
  assert.is(allWeights(set).length, s.count);
});

test('T adds exactly the ID count to the ID mass when the ID entries are positive', () => {
  const set = handSet();
  const before = weightStatistics(set);
  const after = weightStatistics(toPlain(set));
  const positive = Array.from(idEntries(set)).every((w) => w >= 0);
  assert.ok(positive);
  assert.ok(Math.abs(after.massId - before.massId - before.idCount) < 1e-12);
  assert.ok(Math.abs(after.mean - before.mean - before.idCount / before.count) < 1e-12);
});

test('histogram counts every value in range once and reports the rest', () => {
  const h = histogram([0, 0.1, 0.5, 0.99, 1, -1, 2, Number.NaN], 4, 0, 1);
  assert.equal(h.counts, [2, 0, 1, 2]);
  assert.is(h.outside, 3);
  assert.throws(() => histogram([1], 0, 0, 1), /bins must be a positive integer, got 0/);
  assert.throws(() => histogram([1], 2, 1, 1), /min must be below max, got \[1, 1\]/);
});

test.run();
