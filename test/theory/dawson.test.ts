import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { dawson, gaussianDawsonMean, halfNormalDawsonMean } from '../../theory/dawson.js';
import { integrate } from '../../theory/quadrature.js';

const closeRelative = (got: number, want: number, tol: number, what = '') =>
  assert.ok(Math.abs(got / want - 1) <= tol, `${what} got ${got}, want ${want} (rel ${tol})`);

/** Values of Dawson's integral from SciPy's independent implementation (special.dawsn). */
const TABLE: readonly [number, number][] = [
  [0.5, 0.4244363835020223],
  [1, 0.5380795069127684],
  [2, 0.301340388923792],
  [5, 0.10213407442427686],
  [10, 0.05025384718759854],
  [49.9, 0.010022053341611789],
  [50.1, 0.009982029157256812],
];

test('dawson matches tabulated values on both sides of the asymptotic switch', () => {
  for (const [x, want] of TABLE) closeRelative(dawson(x), want, 1e-14, `x = ${x}`);
});

test('dawson is odd, ~x near 0, ~1/(2x) far out, and passes NaN through', () => {
  assert.is(dawson(0), 0);
  assert.is(dawson(-2), -dawson(2));
  closeRelative(dawson(1e-9), 1e-9, 1e-15);
  closeRelative(dawson(1e8), 0.5e-8, 1e-15);
  assert.ok(Number.isNaN(dawson(NaN)));
});

test('halfNormalDawsonMean equals E[F(b|z|)] computed by quadrature over z', () => {
  const density = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  for (const b of [1e-3, 0.3, 1, 4, 30]) {
    const edges = [0, 0.5, 1, 2, 4, 8, 38];
    const byQuadrature = 2 * integrate((z) => density(z) * dawson(b * z), edges).value;
    closeRelative(halfNormalDawsonMean(b), byQuadrature, 1e-12, `b = ${b}`);
  }
  closeRelative(halfNormalDawsonMean(1e-12), 1e-12 * Math.sqrt(2 / Math.PI), 1e-12);
});

test('gaussianDawsonMean: closed at m = 0, dawson as s -> 0, quadrature over Y in between', () => {
  for (const s of [0.01, 0.7, 20]) {
    closeRelative(gaussianDawsonMean(0, s), halfNormalDawsonMean(s), 1e-11, `s = ${s}`);
  }
  for (const m of [0.3, 2, 300]) {
    closeRelative(gaussianDawsonMean(m, 1e-6), dawson(m), 1e-9, `m = ${m}`);
  }
  for (const [m, s] of [
    [1, 0.5],
    [4, 3],
    [-2, 1],
  ]) {
    const density = (y: number) =>
      Math.exp(-0.5 * ((y - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
    const edges = [-12, -6, -3, -1, 0, 1, 3, 6, 12].map((z) => m + s * z);
    const byQuadrature = integrate((y) => density(y) * dawson(Math.abs(y)), edges).value;
    closeRelative(gaussianDawsonMean(m, s), byQuadrature, 1e-10, `m = ${m}, s = ${s}`);
  }
});

test.run();
