/**
 * Dawson's integral and one Gaussian average of it: the kernels of the Laplace-transform
 * representation of E[(2/pi) atan(|X| / sqrt(Q))] used by the corrected E[sigma] form.
 */
import erf from '@stdlib/math-base-special-erf';

import { checkNumberType } from '../src/validate.js';
import { integrate } from './quadrature.js';

/** Past this x the five-term asymptotic series is accurate to double precision. */
const ASYMPTOTIC_FROM = 50;

/**
 * Dawson's integral F(x) = exp(-x^2) Integral_0^x exp(t^2) dt, an odd function with F(x) ~ x
 * near 0, a maximum 0.5410 at x = 0.9241, and F(x) ~ 1/(2x) for large x.
 *
 * Method: with w = x - t, F(x) = Integral_0^x exp(-w (2x - w)) dw, a positive integrand that
 * decays on the scale 1/(2x); adaptive Gauss-Kronrod with panel edges at multiples of 1/x. For
 * x > 50 the asymptotic series (1/(2x)) sum_(j<5) (2j - 1)!! / (2x^2)^j is used; its truncation
 * error is below 4e-16 relative there.
 *
 * Accuracy: within 1e-14 relative of tabulated values (x = 0.5, 1, 2, 5, 10; see the tests).
 *
 * @returns F(x); NaN for NaN, as Math's functions do
 * @throws TypeError when x is not a number
 */
export function dawson(x: number): number {
  checkNumberType('x', x);
  if (x < 0) return -dawson(-x);
  if (x === 0 || Number.isNaN(x)) return x;
  if (x > ASYMPTOTIC_FROM) {
    const u = 1 / (2 * x * x);
    return (1 + u * (1 + u * (3 + u * (15 + u * 105)))) / (2 * x);
  }
  const edges = [0];
  for (const multiple of [1, 4, 16, 40]) {
    if (multiple / x < x) edges.push(multiple / x);
  }
  edges.push(x);
  const integrand = (w: number): number => Math.exp(-w * (2 * x - w));
  return integrate(integrand, edges, { absTol: 1e-17, relTol: 1e-15 }).value;
}

/**
 * E[F(b |z|)] for z ~ N(0, 1), in closed form:
 *
 *   E[F(b |z|)] = atanh(y) / (sqrt(pi) sqrt(1 + 2 b^2)),     y = sqrt(2 b^2 / (1 + 2 b^2)).
 *
 * Derivation: F(x) = Integral_0^1 x exp(-x^2 (1 - u^2)) du, and for z ~ N(0, 1)
 * E[|z| exp(-c z^2)] = sqrt(2/pi) / (1 + 2c), so E[F(b|z|)] = sqrt(2/pi) b Integral_0^1
 * du / (1 + 2 b^2 (1 - u^2)), an elementary integral. atanh(y) is evaluated as
 * log1p(y) + log1p(2 b^2) / 2, which avoids the cancellation in 1 - y for large b.
 * Near 0 it is b sqrt(2/pi); for large b it grows like ln(b) / b.
 */
export function halfNormalDawsonMean(b: number): number {
  checkNumberType('b', b);
  const twoB2 = 2 * b * b;
  const y = Math.sqrt(twoB2 / (1 + twoB2));
  const atanhY = Math.log1p(y) + 0.5 * Math.log1p(twoB2);
  return atanhY / (Math.sqrt(Math.PI) * Math.sqrt(1 + twoB2));
}

/**
 * E[F(|Y|)] for Y ~ N(m, s^2), s > 0: Dawson's integral averaged over a Gaussian, sign removed.
 *
 * Method: F(y) = Integral_0^1 |y| exp(-y^2 (1 - u^2)) du, and with beta = 1 - u^2 the Gaussian
 * average of |Y| exp(-beta Y^2) is closed: exp(-beta m^2 / c) / sqrt(c) times E|Y'|, where
 * Y' ~ N(m / c, s^2 / c), c = 1 + 2 beta s^2, and
 * E|Y'| = s' sqrt(2/pi) exp(-m'^2 / (2 s'^2)) + m' erf(m' / (s' sqrt 2)). The remaining integral
 * over u is adaptive Gauss-Kronrod, with panel edges where beta (m^2 + s^2) is 1, 3, 10, 40, 200
 * and 1000 (for large |m| the integrand is a spike of width 1 / m^2 at u = 1, and a panel that
 * holds only its tail could otherwise pass with a zero error estimate).
 *
 * Accuracy: equals halfNormalDawsonMean(s) at m = 0 and dawson(m) as s -> 0, within 1e-11.
 */
export function gaussianDawsonMean(m: number, s: number): number {
  checkNumberType('m', m);
  checkNumberType('s', s);
  const integrand = (u: number): number => {
    const beta = 1 - u * u;
    const c = 1 + 2 * beta * s * s;
    const mean = m / c;
    const sd = s / Math.sqrt(c);
    const absMean =
      sd * Math.sqrt(2 / Math.PI) * Math.exp((-0.5 * mean * mean) / (sd * sd)) +
      mean * erf(mean / (sd * Math.SQRT2));
    return (Math.exp((-beta * m * m) / c) / Math.sqrt(c)) * absMean;
  };
  const spread = m * m + s * s;
  const edges = [0];
  for (const level of [1000, 200, 40, 10, 3, 1]) {
    if (level < spread) edges.push(Math.sqrt(1 - level / spread));
  }
  edges.push(1);
  return integrate(integrand, edges, { absTol: 1e-14, relTol: 1e-11 }).value;
}
