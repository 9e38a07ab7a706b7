/**
 * E[sigma] for plain nets in closed form: exact for the random-matrix model of src/params.ts.
 */
import { type ModelParams, resolveParams } from '../src/params.js';
import { binomialWindow, equalFlowDominanceTable } from './equal-flows.js';

/**
 * Exact E[sigma] for plain nets, K = A with A's entries i.i.d. N(0, sA^2).
 *
 * Derivation. Row i of Theta is x_k V, where x_0 = e_i and x_m = x_(m-1) A_m^T S_m. Given x_(m-1),
 * the vector x_(m-1) A_m^T has i.i.d. N(0, sA^2 |x_(m-1)|^2) entries, so
 *   x_m = sA |x_(m-1)| (s_m * g_m),     g_m i.i.d. N(0, 1), s_m the mask's diagonal,
 * whenever x_(m-1) != 0, and x_m = 0 forever once a mask closes every unit. So x_k is a scaled
 * copy of s_k * g_k if the first k - 1 masks each keep some unit (probability
 * (1 - (1 - p)^n)^(k-1)), and 0 otherwise. Given x_k, the flows x_k[j] V_j are independent
 * Gaussians, and the diagonal one beats the sum of the others with probability
 * (2/pi) atan(|x_k[i]| / |x_k[-i]|). Unit i must be open (probability p) and competes with the
 * M ~ Bin(n - 1, p) other open units on equal terms, which is h(M) of equalFlowDominanceTable:
 *
 *   E[sigma] = (1 - (1 - p)^n)^(k-1) * p * sum_M Bin(M; n - 1, p) h(M),     k = L - l.
 *
 * Neither sA, eps nor sigmaV enters (sigma is scale-invariant). Limits: p = 1 gives h(n - 1),
 * about (2/pi) sqrt(2 / (pi (n - 1))) for large n; as p -> 0 it vanishes like n^(k-1) p^k.
 *
 * Accuracy: exact up to rounding (below 1e-13); against 100K-trial simulations on the default
 * sweep grids the largest difference is within 3 standard errors of the simulation (see
 * theory/README.md).
 *
 * @param params - model parameters; missing ones take the defaults of DEFAULT_PARAMS
 * @throws RangeError or TypeError naming the parameter when a value is invalid
 */
export function expectedSigmaPlain(params: Partial<ModelParams> = {}): number {
  const { n, L, l, p } = resolveParams(params);
  const k = L - l;
  if (p === 0) return 0;

  const share = equalFlowDominanceTable(n - 1);
  const others = binomialWindow(n - 1, p);
  let lastLayer = 0;
  for (let j = 0; j < others.mass.length; j++) {
    lastLayer += others.mass[j] * share[others.first + j];
  }

  const chainAlive = Math.pow(-Math.expm1(n * Math.log1p(-p)), k - 1);
  return chainAlive * p * lastLayer;
}
