import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { dominanceRatio, effectivePathCount, expectedSigma } from '../../theory/expected-sigma.js';
import { resolveParams } from '../../src/params.js';

const close = (got: number, want: number, tol: number) =>
  assert.ok(Math.abs(got - want) <= tol, `got ${got}, want ${want} +- ${tol}`);

test('defaults: hand-computed values of both forms', () => {
  // k = 5, n - 1 = 19, eps sA = 1e-3: r^2 = (1 + 5e-6) / (5 * 19 * 1e-6) = 10526.3684...
  const rPaper = Math.sqrt((1 + 5e-6) / 95e-6);
  close(expectedSigma(), Math.pow(0.9, 5) / (1 + Math.pow(rPaper, -1.2)), 1e-15);
  close(expectedSigma(), 0.5882, 5e-5);
  close(expectedSigma({}, { form: 'general-p' }), 0.5889, 5e-5);
});

test('two other points, computed by hand', () => {
  // n = 5, L = 3, l = 1, p = 1, eps = 1, sA = 0.5: k = 2, r^2 = (1 + 0.5) / (2 * 4 * 0.25) = 0.75
  const r = Math.sqrt(0.75);
  close(expectedSigma({ n: 5, L: 3, l: 1, p: 1, eps: 1, sigmaA: 0.5 }), 1 / (1 + r ** -1.2), 1e-15);
  // p = 0.5, k = 2: p' = 0.25 * (1 + 0.25) = 0.3125; r^2 = 1 / (4 * 0.3125 * 0.25) + 2 / 1.25
  const params = { n: 5, L: 3, l: 1, p: 0.5, eps: 1, sigmaA: 0.5 };
  const rGeneral = Math.sqrt(1 / (4 * 0.3125 * 0.25) + 2 / (4 * 0.3125));
  close(expectedSigma(params, { form: 'general-p', c: 2 }), 0.25 / (1 + rGeneral ** -2), 1e-15);
});

test("p' is p^2 (1 - p^2k) / (1 - p^2) and tends to k at p = 1 without dividing by zero", () => {
  close(effectivePathCount(0.9, 5), (0.81 * (1 - 0.9 ** 10)) / (1 - 0.81), 1e-14);
  assert.is(effectivePathCount(1, 7), 7);
  assert.is(effectivePathCount(0, 3), 0);
  close(effectivePathCount(1 - 1e-9, 5), 5, 1e-7);
});

test('at p = 1 both forms agree, and general-p is continuous as p -> 1', () => {
  const params = { p: 1 };
  close(expectedSigma(params, { form: 'general-p' }), expectedSigma(params), 1e-15);
  close(expectedSigma({ p: 1 - 1e-9 }, { form: 'general-p' }), expectedSigma(params), 1e-8);
});

test('eps = 0 or p = 0 give the exact limits p^k and 0', () => {
  close(expectedSigma({ eps: 0 }), 0.9 ** 5, 1e-15);
  close(expectedSigma({ eps: 0 }, { form: 'general-p' }), 0.9 ** 5, 1e-15);
  assert.is(expectedSigma({ p: 0 }, { form: 'general-p' }), 0);
  assert.is(dominanceRatio(resolveParams({ p: 0 }), 'general-p'), Infinity);
});

test('E[sigma] decreases as eps or n grows, as the derivation says', () => {
  for (const form of ['paper', 'general-p'] as const) {
    let previous = Infinity;
    for (const eps of [0.01, 0.03, 0.1, 0.3, 1, 3]) {
      const value = expectedSigma({ eps }, { form });
      assert.ok(value < previous, `${form}: eps = ${eps}`);
      previous = value;
    }
    previous = Infinity;
    for (const n of [2, 5, 10, 20, 50, 100]) {
      const value = expectedSigma({ n }, { form });
      assert.ok(value < previous, `${form}: n = ${n}`);
      previous = value;
    }
  }
});

test('sigmaV has no effect and only eps * sigmaA matters', () => {
  assert.is(expectedSigma({ sigmaV: 5 }), expectedSigma({ sigmaV: 0.001 }));
  close(
    expectedSigma({ eps: 0.2, sigmaA: 0.005 }),
    expectedSigma({ eps: 0.1, sigmaA: 0.01 }),
    1e-15,
  );
});

test('bad options are RangeErrors naming the option', () => {
  assert.throws(() => expectedSigma({}, { form: 'exact' as never }), /form must be/);
  assert.throws(() => expectedSigma({}, { c: -1 }), /c must be/);
  assert.throws(() => expectedSigma({ p: 2 }), /p must be in \[0, 1\], got 2/);
});

test.run();
