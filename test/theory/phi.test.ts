import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { all, create } from 'mathjs';

import {
  fitLogisticExponent,
  logisticFitError,
  phi,
  phiExact,
  phiLogistic,
} from '../../theory/phi.js';

const big = create(all, { number: 'BigNumber', precision: 40 });

function logGrid(from: number, to: number, points: number): number[] {
  const step = Math.log(to / from) / (points - 1);
  return Array.from({ length: points }, (_, i) => from * Math.exp(i * step));
}

test('phi agrees with (2/pi) atan(r) within 1e-12 on a dense log grid over [1e-8, 1e8]', () => {
  let worst = 0;
  for (const r of logGrid(1e-8, 1e8, 801)) {
    worst = Math.max(worst, Math.abs(phi(r) - phiExact(r)));
  }
  assert.ok(worst < 1e-12, `max error ${worst}`);
});

test('phi keeps relative accuracy for tiny r, where it behaves like 2r/pi', () => {
  for (const r of [1e-300, 1e-12, 1e-8]) {
    const relative = Math.abs(phi(r) / ((2 / Math.PI) * r) - 1);
    assert.ok(relative < 1e-12, `r = ${r}: relative error ${relative}`);
  }
});

test('phi has the exact values and limits at 0, 1 and Infinity', () => {
  assert.is(phi(0), 0);
  assert.is(phi(Infinity), 1);
  assert.ok(Math.abs(phi(1) - 0.5) < 1e-15);
  assert.ok(Math.abs(phi(1e300) - 1) < 1e-15);
  assert.is(phiExact(0), 0);
  assert.is(phiExact(Infinity), 1);
});

test('phi(r) + phi(1/r) = 1 (swapping X and Y)', () => {
  for (const r of [0.01, 0.3, 0.77, 2.5, 40]) {
    assert.ok(Math.abs(phi(r) + phi(1 / r) - 1) < 1e-15);
  }
});

test('phiExact matches a 40-digit evaluation of (2/pi) atan(r) by mathjs', () => {
  for (const r of ['0.001', '0.5', '2', '7.25', '12345.678']) {
    const reference = big.multiply(big.divide(2, big.pi), big.atan(big.bignumber(r)));
    const expected = Number(reference.toString());
    const got = phiExact(Number(r));
    assert.ok(Math.abs(got - expected) <= 2 * Number.EPSILON * expected, `r = ${r}`);
    assert.ok(Math.abs(phi(Number(r)) - expected) < 1e-15, `phi at r = ${r}`);
  }
});

test('negative or NaN r is a RangeError naming r', () => {
  assert.throws(
    () => phi(-1),
    (e: Error) => e instanceof RangeError && /r .*-1/.test(e.message),
  );
  assert.throws(
    () => phiExact(NaN),
    (e: Error) => e instanceof RangeError && /NaN/.test(e.message),
  );
  assert.throws(() => phiLogistic(-2), /r must be/);
});

test('a non-number r is a TypeError naming r and its type', () => {
  for (const f of [phi, phiExact, phiLogistic]) {
    assert.throws(
      () => f('2' as never),
      (e: Error) => e instanceof TypeError && /r must be a number, got string "2"/.test(e.message),
    );
    assert.throws(() => (f as () => number)(), /^r must be a number, got undefined$/);
  }
  assert.throws(
    () => fitLogisticExponent(null as never),
    (e: Error) => e instanceof TypeError && /options must be an object, got null/.test(e.message),
  );
});

test('phiLogistic is 1/2 at r = 1, symmetric under r -> 1/r and bad c is rejected', () => {
  assert.is(phiLogistic(1), 0.5);
  assert.is(phiLogistic(0), 0);
  assert.ok(Math.abs(phiLogistic(3, 1.5) + phiLogistic(1 / 3, 1.5) - 1) < 1e-15);
  assert.ok(Math.abs(phiLogistic(4, 2) - 16 / 17) < 1e-15);
  assert.throws(() => phiLogistic(1, 0), /c must be/);
});

test('the L2 fit over [1e-3, 1e3] gives c close to 1.206 and beats c = 1.2', () => {
  const fit = fitLogisticExponent();
  assert.ok(Math.abs(fit.c - 1.206) < 0.001, `c = ${fit.c}`);
  const grid = logGrid(1e-3, 1e3, 241);
  const target = grid.map(phiExact);
  assert.ok(Math.abs(fit.error - logisticFitError(fit.c, grid, target, 'l2')) < 1e-12);
  assert.ok(fit.error < logisticFitError(1.2, grid, target, 'l2'));
  for (const dc of [-1e-3, 1e-3]) {
    assert.ok(fit.error < logisticFitError(fit.c + dc, grid, target, 'l2'));
  }
});

test('the minimax fit gives c close to 1.213 and the smallest max residual', () => {
  const fit = fitLogisticExponent({ measure: 'max' });
  assert.ok(Math.abs(fit.c - 1.213) < 0.001, `c = ${fit.c}`);
  const grid = logGrid(1e-3, 1e3, 241);
  const target = grid.map(phiExact);
  assert.ok(fit.error < logisticFitError(1.2, grid, target, 'max'));
  assert.ok(fit.error < logisticFitError(fit.c + 1e-3, grid, target, 'max'));
  assert.ok(fit.error < logisticFitError(fit.c - 1e-3, grid, target, 'max'));
  assert.equal(
    { measure: fit.measure, rMin: fit.rMin, rMax: fit.rMax, points: fit.points },
    { measure: 'max', rMin: 1e-3, rMax: 1e3, points: 241 },
  );
});

test('fit options are validated with the option named', () => {
  assert.throws(() => fitLogisticExponent({ rMin: 0 }), /rMin/);
  assert.throws(() => fitLogisticExponent({ rMin: 2, rMax: 1 }), /rMax/);
  assert.throws(() => fitLogisticExponent({ points: 1 }), /points/);
  assert.throws(() => fitLogisticExponent({ measure: 'l1' as never }), /measure/);
});

test.run();
