import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { simulate } from '../../sim/simulate.js';
import { correctedSigmaTerms } from '../../theory/corrected-sigma.js';
import { expectedSigma } from '../../theory/expected-sigma.js';
import { expectedSigmaPlain } from '../../theory/plain-sigma.js';
import { phiExact } from '../../theory/phi.js';
import { NUMPY_RESIDUAL } from './numpy-reference.js';

const close = (got: number, want: number, tol: number, what = '') =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want} +- ${tol}`);

/** The accuracy the doc comment states over the default grids. */
const STATED_ERROR = 0.005;

test('eps = 0 is exactly p^k: a closed mask on the diagonal leaves the row 0 forever', () => {
  const terms = correctedSigmaTerms({ eps: 0, p: 0.6, l: 7 });
  close(terms.total, 0.216, 1e-16);
  assert.equal([terms.intactPath, terms.brokenTrailing, terms.brokenReset], [terms.total, 0, 0]);
});

test('eps -> 0+ tends to p^k plus the reset term, which is p^2 (1 - p)^2 for n = 2, k = 2', () => {
  // n = 2, k = 2: unit i closes at step 1, the other unit j opens at step 1 and closes at
  // step 2 while i reopens: i is then the only nonzero flow and dominates.
  for (const p of [0.3, 0.5, 0.8]) {
    const terms = correctedSigmaTerms({ n: 2, L: 2, l: 0, p, eps: 1e-9 });
    close(terms.brokenReset, p * p * (1 - p) * (1 - p), 1e-15, `p = ${p}`);
    close(terms.total, p * p + p * p * (1 - p) * (1 - p), 1e-8, `p = ${p}`);
  }
  assert.is(correctedSigmaTerms({ L: 1, l: 0, p: 0.3 }).brokenReset, 0);
});

test('n -> infinity, p = 1, n delta^2 = g fixed: (2/pi) atan(1 / sqrt((1+g)^k - 1))', () => {
  // |x|^2 grows by exactly 1 + n delta^2 per step in the limit, while x_i stays 1.
  for (const g of [0.01, 0.2]) {
    const n = 1_000_000;
    const sigmaA = Math.sqrt(g / n) / 0.1;
    const limit = phiExact(1 / Math.sqrt((1 + g) ** 5 - 1));
    close(correctedSigmaTerms({ n, p: 1, sigmaA }).total, limit, 2e-4, `g = ${g}`);
  }
});

test("p -> 1 joins the paper's p = 1 ratio with the exact phi, continuously", () => {
  const params = { n: 10_000, eps: 0.1, sigmaA: 0.001 };
  const k = 5;
  const delta = 1e-4;
  const rPaper = Math.sqrt(1 + k * delta * delta) / (delta * Math.sqrt(k * (params.n - 1)));
  const atOne = correctedSigmaTerms({ ...params, p: 1 }).total;
  close(atOne, phiExact(rPaper), 1e-4);
  close(correctedSigmaTerms({ ...params, p: 1 - 1e-9 }).total, atOne, 1e-7);
});

test('agrees with the NumPy reference at all 45 grid points within 0.005 + 3 SE', () => {
  for (const [name, value, mean, stdError] of NUMPY_RESIDUAL) {
    const tol = STATED_ERROR + 3 * stdError;
    close(correctedSigmaTerms({ [name]: value }).total, mean, tol, `${name} = ${value}`);
  }
});

test("agrees with the package's engine at fixed seeds where each term matters", async () => {
  for (const params of [{ p: 0.2 }, { n: 2 }, { sigmaA: 1 }]) {
    const run = await simulate(params, { kind: 'residual', trials: 20_000, seed: 3, workers: 2 });
    const tol = STATED_ERROR + 3 * run.stdError;
    close(correctedSigmaTerms(params).total, run.mean, tol, JSON.stringify(params));
  }
});

test("expectedSigma's 'corrected' form is the total; sigmaV has no effect, only eps sA", () => {
  const terms = correctedSigmaTerms({ p: 0.4 });
  assert.is(expectedSigma({ p: 0.4 }, { form: 'corrected' }), terms.total);
  close(terms.total, terms.intactPath + terms.brokenTrailing + terms.brokenReset, 1e-16);
  assert.is(correctedSigmaTerms({ sigmaV: 7 }).total, correctedSigmaTerms().total);
  close(
    correctedSigmaTerms({ eps: 0.5, sigmaA: 0.02 }).total,
    correctedSigmaTerms({ eps: 0.1, sigmaA: 0.1 }).total,
    1e-12,
  );
});

test('p = 0 gives 0 and bad parameters are named in the error', () => {
  assert.is(correctedSigmaTerms({ p: 0 }).total, 0);
  assert.throws(() => correctedSigmaTerms({ eps: -1 }), /eps must be >= 0, got -1/);
  assert.throws(() => correctedSigmaTerms({ l: 10 }), /l must be < L \(= 10\), got 10/);
});

test('extreme eps sA: the limits are reached without overflow or NaN', () => {
  // eps sA -> infinity: the identity no longer matters and the residual net is the plain net,
  // whose exact E[sigma] is an independent closed form.
  for (const sigmaA of [1e6, 1e30, 1e200]) {
    close(correctedSigmaTerms({ sigmaA }).total, expectedSigmaPlain({}), 1e-9, `sA = ${sigmaA}`);
  }
  // eps sA -> 0+: the intact path p^k plus the reset term, which does not depend on delta.
  const limit = Math.pow(0.9, 5) + correctedSigmaTerms({ sigmaA: 1e-9 }).brokenReset;
  for (const sigmaA of [1e-14, 1e-300]) {
    close(correctedSigmaTerms({ sigmaA }).total, limit, 1e-12, `sA = ${sigmaA}`);
  }
  // Deep chains with large delta grow like (1 + n delta^2)^k, far past 2^1024.
  const deep = correctedSigmaTerms({ L: 300, l: 0, sigmaA: 100 }).total;
  close(deep, correctedSigmaTerms({ L: 1000, l: 0 }).total, 1e-9, 'k = 300, delta = 1');
  // The paper's forms stay finite and reach their own limits.
  for (const form of ['paper', 'general-p'] as const) {
    const far = expectedSigma({ sigmaA: 1e200 }, { form });
    close(far, expectedSigma({ sigmaA: 1e30 }, { form }), 1e-15, form);
    close(expectedSigma({ sigmaA: 1e-300 }, { form }), Math.pow(0.9, 5), 1e-15, form);
  }
});

test('deep nets: finite at any depth, stationary once every unit has closed often', async () => {
  // With n = 20 and p = 0.9 all units close together with probability 1e-20 a step, so the
  // reset chain reaches its stationary law long before k = 1000 and E[sigma] stops changing.
  const stationary = correctedSigmaTerms({ L: 1000, l: 0 });
  for (const L of [3000, 10_000]) {
    const terms = correctedSigmaTerms({ L, l: 0 });
    assert.ok(Number.isFinite(terms.total), `L = ${L}`);
    close(terms.total, stationary.total, 1e-12, `L = ${L}`);
    assert.is(terms.intactPath < 1e-40, true);
  }
  // Against simulation at k = 200, where the reset chain carries nearly all of E[sigma].
  const deep = { n: 5, L: 200, l: 0 };
  const run = await simulate(deep, { trials: 20_000, seed: 3 });
  close(correctedSigmaTerms(deep).total, run.mean, 0.003, 'n = 5, k = 200');
  // With n = 2 all units close together with probability 0.01 a step: E[sigma] -> 0.
  const collapsing = correctedSigmaTerms({ n: 2, L: 20_000, l: 0 }).total;
  assert.ok(collapsing >= 0 && collapsing < 1e-60, String(collapsing));
});

test.run();
