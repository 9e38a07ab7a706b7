import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { simulate } from '../../sim/simulate.js';
import { expectedSigmaPlain } from '../../theory/plain-sigma.js';
import { NUMPY_PLAIN } from './numpy-reference.js';

const close = (got: number, want: number, tol: number, what = '') =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want} +- ${tol}`);

test('n = 2 by hand: the other unit is closed (share 1) or open (share 1/2)', () => {
  for (const [p, l] of [
    [0.9, 5],
    [0.3, 9],
    [0.5, 0],
  ]) {
    const k = 10 - l;
    const want = Math.pow(1 - (1 - p) ** 2, k - 1) * p * (1 - p + p / 2);
    close(expectedSigmaPlain({ n: 2, p, l }), want, 1e-15, `p = ${p}, l = ${l}`);
  }
});

test('p = 1 gives h(n - 1): 1 - 2/pi at n = 3, and the large-n asymptote', () => {
  close(expectedSigmaPlain({ n: 3, p: 1 }), 1 - 2 / Math.PI, 1e-15);
  const n = 40_001;
  const asymptote = (2 / Math.PI) * Math.sqrt(2 / (Math.PI * (n - 1)));
  close(expectedSigmaPlain({ n, p: 1 }) / asymptote, 1, 1e-4);
});

test('p -> 0 vanishes like n^(k-1) p^k, and p = 0 gives 0', () => {
  assert.is(expectedSigmaPlain({ p: 0 }), 0);
  const p = 1e-7;
  close(expectedSigmaPlain({ p }) / (20 ** 4 * p ** 5), 1, 1e-4);
});

test('sigmaA, eps and sigmaV have no effect', () => {
  const base = expectedSigmaPlain();
  assert.is(expectedSigmaPlain({ sigmaA: 3, eps: 0, sigmaV: 0.001 }), base);
});

test('agrees with the NumPy reference at all 45 grid points within 0.004', () => {
  // 0.004 is about three standard errors of a 20K-trial run at the noisiest point (n = 2).
  for (const [name, value, mean] of NUMPY_PLAIN) {
    close(expectedSigmaPlain({ [name]: value }), mean, 0.004, `${name} = ${value}`);
  }
});

test("agrees with the package's engine at fixed seeds within 3 standard errors", async () => {
  for (const params of [
    { n: 3, p: 0.4 },
    { n: 5, l: 8 },
    { n: 10, p: 0.2 },
  ]) {
    const run = await simulate(params, { kind: 'plain', trials: 20_000, seed: 7, workers: 2 });
    close(expectedSigmaPlain(params), run.mean, 3 * run.stdError, JSON.stringify(params));
  }
});

test('bad parameters are named in the error', () => {
  assert.throws(() => expectedSigmaPlain({ p: -0.1 }), /p must be in \[0, 1\], got -0.1/);
  assert.throws(() => expectedSigmaPlain({ n: 1 }), /n must be an integer >= 2, got 1/);
});

test.run();
