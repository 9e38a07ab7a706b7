import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createRng, permutation } from '../../nets/random.js';

test('the same seed repeats the stream and another seed does not', () => {
  const a = createRng(42);
  const b = createRng(42);
  const c = createRng(43);
  const big = createRng(2 ** 40 + 42);
  const drawsA = Array.from({ length: 5 }, () => a.uniform());
  assert.equal(
    drawsA,
    Array.from({ length: 5 }, () => b.uniform()),
  );
  assert.not.equal(
    drawsA,
    Array.from({ length: 5 }, () => c.uniform()),
  );
  assert.not.equal(
    drawsA,
    Array.from({ length: 5 }, () => big.uniform()),
  );
});

test('uniforms lie in [0, 1) with mean 1/2 and normals have mean 0 and variance 1', () => {
  const rng = createRng(7);
  const n = 200000;
  let sum = 0;
  let sumNormal = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    const z = rng.normal();
    sumNormal += z;
    sumSquares += z * z;
  }
  // Five standard errors: 1/sqrt(12 n), 1/sqrt(n) and sqrt(2/n).
  assert.ok(Math.abs(sum / n - 0.5) < 5 / Math.sqrt(12 * n));
  assert.ok(Math.abs(sumNormal / n) < 5 / Math.sqrt(n));
  assert.ok(Math.abs(sumSquares / n - 1) < 5 * Math.sqrt(2 / n));
});

test('permutation holds every index once and integer stays below n', () => {
  const rng = createRng(1);
  const order = permutation(1000, rng);
  assert.equal(
    Array.from(order).sort((x, y) => x - y),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.not.equal(Array.from(order.subarray(0, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (let i = 0; i < 1000; i++) assert.ok(rng.integer(3) < 3);
});

test.run();
