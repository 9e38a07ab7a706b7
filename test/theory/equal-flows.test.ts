import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { binomialWindow, equalFlowDominanceTable } from '../../theory/equal-flows.js';
import { integrate } from '../../theory/quadrature.js';

const close = (got: number, want: number, tol: number, what = '') =>
  assert.ok(Math.abs(got - want) <= tol, `${what} got ${got}, want ${want} +- ${tol}`);

/** h(m) straight from its definition: the mean of (2/pi) theta under density cos^(m-1). */
function shareByQuadrature(m: number): number {
  const edges = [0, 0.1, 0.3, 0.6, 1, Math.PI / 2];
  const mass = integrate((t) => Math.pow(Math.cos(t), m - 1), edges).value;
  const moment = integrate((t) => t * Math.pow(Math.cos(t), m - 1), edges).value;
  return ((2 / Math.PI) * moment) / mass;
}

test('h(0) = 1, h(1) = 1/2 and h(2) = 1 - 2/pi exactly', () => {
  const table = equalFlowDominanceTable(2);
  assert.is(table[0], 1);
  close(table[1], 0.5, 1e-16);
  close(table[2], 1 - 2 / Math.PI, 1e-16);
});

test('the recursion agrees with quadrature of the angle density up to m = 2000', () => {
  const table = equalFlowDominanceTable(2000);
  for (const m of [3, 4, 7, 19, 99, 500, 2000]) {
    close(table[m], shareByQuadrature(m), 1e-13, `m = ${m}`);
  }
});

test('h(m) approaches (2/pi) sqrt(2 / (pi m)) for large m', () => {
  const m = 100_000;
  const table = equalFlowDominanceTable(m);
  const asymptote = (2 / Math.PI) * Math.sqrt(2 / (Math.PI * m));
  close(table[m] / asymptote, 1, 1e-4);
});

test('binomial windows match the exact pmf and sum to 1', () => {
  const { first, mass } = binomialWindow(4, 0.3);
  assert.is(first, 0);
  const exact = [0.2401, 0.4116, 0.2646, 0.0756, 0.0081];
  exact.forEach((want, x) => close(mass[x], want, 1e-15, `x = ${x}`));

  for (const [trials, p] of [
    [99, 0.9],
    [10_000, 0.5],
    [1_000_000, 0.001],
  ] as const) {
    const window = binomialWindow(trials, p);
    const total = window.mass.reduce((sum, v) => sum + v, 0);
    close(total, 1, 1e-12, `Bin(${trials}, ${p})`);
    assert.ok(window.first > 0 || trials * p < 100, 'the window leaves out the negligible head');
  }
});

test('binomial windows at p = 0, p = 1 and no trials are point masses', () => {
  assert.equal(binomialWindow(5, 0), { first: 0, mass: Float64Array.of(1) });
  assert.equal(binomialWindow(5, 1), { first: 5, mass: Float64Array.of(1) });
  assert.equal(binomialWindow(0, 0.4), { first: 0, mass: Float64Array.of(1) });
});

test.run();
