import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { integrate } from '../../theory/quadrature.js';

test('a single panel integrates a degree-29 polynomial exactly', () => {
  const { value } = integrate((x) => 30 * Math.pow(x, 29), [0, 1]);
  assert.ok(Math.abs(value - 1) < 1e-14, `got ${value}`);
});

test('exp over [0, 3] matches e^3 - 1 to rounding', () => {
  const { value, errorEstimate } = integrate(Math.exp, [0, 1.5, 3]);
  assert.ok(Math.abs(value - (Math.exp(3) - 1)) < 1e-13, `got ${value}`);
  assert.ok(errorEstimate < 1e-12);
});

test('the Gaussian density integrates to 1/2 over the half line', () => {
  const density = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  const { value } = integrate(density, [0, 2, 5, 40]);
  assert.ok(Math.abs(value - 0.5) < 1e-16, `got ${value}`);
});

test('a kink at an unknown place is resolved by bisection', () => {
  const { value, evaluations } = integrate((x) => Math.abs(x - 1 / 3), [0, 1]);
  const exact = (1 / 9 + 4 / 9) / 2;
  assert.ok(Math.abs(value - exact) < 1e-13, `got ${value}`);
  assert.ok(evaluations > 15);
});

test('the panel budget stops a hopeless integrand and returns an estimate', () => {
  const { evaluations, errorEstimate } = integrate((x) => Math.sin(1 / x), [1e-9, 1], {
    maxPanels: 10,
  });
  assert.is(evaluations, 150);
  assert.ok(Number.isFinite(errorEstimate));
});

test.run();
