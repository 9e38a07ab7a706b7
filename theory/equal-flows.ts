/**
 * Two exact building blocks of the E[sigma] forms for plain nets and for residual nets whose
 * diagonal path a mask has broken: the dominance probability of one among m + 1 exchangeable
 * Gaussian flows, and the binomial law of how many units a mask keeps.
 */
import { checkInteger, checkProbability } from '../src/validate.js';

/**
 * h(m) for m = 0..maxM, where h(m) is the probability that g0 v0 beats the sum of m other flows,
 * |g0 v0| > |sum_{j=1..m} g_j v_j|, with all g and v i.i.d. N(0, 1); h(0) = 1 (nothing to beat).
 *
 * Method: given g, the sum is N(0, |g|^2), so h(m) = E[(2/pi) atan(|g0| / |g|)] with g in R^m.
 * The angle theta = atan(|g0| / |g|) of an isotropic vector in R^(m+1) has density proportional
 * to cos^(m-1)(theta) on [0, pi/2], so h(m) = (2/pi) I_(m-1) / J_(m-1) with
 *   J_j = Integral_0^(pi/2) cos^j,         J_j = (j - 1)/j J_(j-2),  J_0 = pi/2, J_1 = 1,
 *   I_j = Integral_0^(pi/2) theta cos^j,   I_j = (j - 1)/j I_(j-2) - 1/j^2,
 *                                          I_0 = pi^2/8, I_1 = pi/2 - 1
 * (integration by parts). Closed values: h(1) = 1/2, h(2) = 1 - 2/pi; h(m) ~ (2/pi) sqrt(2/(pi m)).
 *
 * Accuracy: the forward recursion loses at most a factor sqrt(m) of relative precision; against
 * quadrature of the angle density the error is below 1e-14 for m <= 10^4.
 */
export function equalFlowDominanceTable(maxM: number): Float64Array {
  checkInteger('maxM', maxM, 0);
  const table = new Float64Array(maxM + 1);
  table[0] = 1;
  let iPrev = (Math.PI * Math.PI) / 8;
  let iCur = Math.PI / 2 - 1;
  let jPrev = Math.PI / 2;
  let jCur = 1;
  for (let m = 1; m <= maxM; m++) {
    const j = m - 1;
    if (j >= 2) {
      const iNext = ((j - 1) / j) * iPrev - 1 / (j * j);
      const jNext = ((j - 1) / j) * jPrev;
      iPrev = iCur;
      iCur = iNext;
      jPrev = jCur;
      jCur = jNext;
    }
    const [iJ, jJ] = j === 0 ? [iPrev, jPrev] : [iCur, jCur];
    table[m] = ((2 / Math.PI) * iJ) / jJ;
  }
  return table;
}

/**
 * A binomial law Bin(trials, p) as a window of its probability mass: `mass[j]` is
 * P[X = first + j]. Terms outside the window are below 1e-30 of the total and left out.
 */
export interface BinomialWindow {
  first: number;
  mass: Float64Array;
}

/** Half-width of the kept window, in standard deviations, beyond a fixed margin. */
const WINDOW_SDS = 13;

/**
 * Bin(trials, p) by its log-probabilities, log C(N, x) + x ln p + (N - x) ln(1 - p), summed term
 * by term from the window's first point so that large N neither overflows nor underflows, then
 * scaled to sum to 1 (the summed logs drift by up to 1e-12 relative at N = 10^4).
 */
export function binomialWindow(trials: number, p: number): BinomialWindow {
  checkInteger('trials', trials, 0);
  checkProbability('p', p);
  if (p <= 0 || trials === 0) return { first: 0, mass: Float64Array.of(1) };
  if (p >= 1) return { first: trials, mass: Float64Array.of(1) };

  const mean = trials * p;
  const halfWidth = WINDOW_SDS * Math.sqrt(mean * (1 - p)) + WINDOW_SDS;
  const first = Math.max(0, Math.floor(mean - halfWidth));
  const last = Math.min(trials, Math.ceil(mean + halfWidth));

  let logChoose = 0;
  for (let x = 0; x < first; x++) logChoose += Math.log((trials - x) / (x + 1));
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const mass = new Float64Array(last - first + 1);
  let total = 0;
  for (let x = first; x <= last; x++) {
    mass[x - first] = Math.exp(logChoose + x * logP + (trials - x) * logQ);
    total += mass[x - first];
    logChoose += Math.log((trials - x) / (x + 1));
  }
  for (let j = 0; j < mass.length; j++) mass[j] /= total;
  return { first, mass };
}
