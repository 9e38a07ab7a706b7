/**
 * Forms for E[sigma], the expected fraction of dominant gradient flows of a residual net in the
 * random-matrix model (see src/params.ts): the source paper's closed forms, first order in eps,
 * and the corrected form of theory/corrected-sigma.ts. Plain nets: theory/plain-sigma.ts.
 */
import { type ModelParams, resolveParams } from '../src/params.js';
import {
  checkInteger,
  checkOptions,
  checkPositive,
  checkProbability,
  describeValue,
} from '../src/validate.js';
import { correctedSigmaTerms } from './corrected-sigma.js';

/**
 * Named forms:
 * - 'paper': the source paper's final formula, which uses the p = 1 dominance ratio for every p;
 * - 'general-p': the same derivation kept at general p, with the effective path count p';
 * - 'corrected': correctedSigmaTerms(params).total, which adds the paths that masks break and
 *   goes beyond first order in eps sA; it uses the exact phi, so the option c does not apply.
 */
export type SigmaForm = 'paper' | 'general-p' | 'corrected';

export const SIGMA_FORMS: readonly SigmaForm[] = ['paper', 'general-p', 'corrected'];

/** The forms built on a single dominance ratio r. */
export type RatioForm = Exclude<SigmaForm, 'corrected'>;

/** Options of {@link expectedSigma}. */
export interface ExpectedSigmaOptions {
  /** Which closed form (default 'paper'). */
  form?: SigmaForm;
  /** Exponent of the logistic approximation of phi (default 1.2). */
  c?: number;
}

/**
 * p' = p^2 (1 - p^(2k)) / (1 - p^2), written as the finite sum p^2 * sum_{j<k} p^(2j) so that
 * p = 1 (where it equals k) needs no limit.
 */
export function effectivePathCount(p: number, k: number): number {
  checkProbability('p', p);
  checkInteger('k', k, 1);
  let sum = 0;
  let power = 1;
  for (let j = 0; j < k; j++) {
    sum += power;
    power *= p * p;
  }
  return p * p * sum;
}

/**
 * The dominance ratio r = sd(diagonal flow) / sd(sum of off-diagonal flows) of the chosen form.
 *
 * - 'paper':     r = sqrt(1 + k eps^2 sA^2) / (eps sqrt(k (n - 1)) sA)
 * - 'general-p': r = sqrt(1 / (eps^2 (n - 1) p' sA^2) + k / ((n - 1) p'))
 *
 * Both are Infinity when eps = 0 (no noise: the identity path always dominates) and agree at
 * p = 1, where p' = k.
 */
export function dominanceRatio(params: Partial<ModelParams>, form: RatioForm): number {
  if (form !== 'paper' && form !== 'general-p') {
    throw new RangeError(`form must be 'paper' or 'general-p', got ${describeValue(form)}`);
  }
  const { n, L, l, p, eps, sigmaA: sA } = resolveParams(params);
  const k = L - l;
  if (eps === 0) return Infinity;
  // delta = eps sA first, and r in forms that neither overflow nor underflow for huge or tiny
  // delta: the paper's sqrt(1 + k delta^2) / (delta sqrt(k (n - 1))) is sqrt(1 / (k delta^2) + 1)
  // / sqrt(n - 1).
  const delta = eps * sA;
  if (form === 'paper') return Math.sqrt(1 / (k * delta * delta) + 1) / Math.sqrt(n - 1);
  const pPrime = effectivePathCount(p, k);
  if (pPrime === 0) return Infinity;
  return Math.sqrt(1 / (delta * delta * (n - 1) * pPrime) + k / ((n - 1) * pPrime));
}

/**
 * E[sigma] for residual nets by the chosen form. The paper's forms ('paper', 'general-p') are
 * E[sigma] ~ p^k / (1 + r^-c) with k = L - l: the probability p^k that every mask on the
 * diagonal path is open, times the logistic approximation of phi(r) that the diagonal flow beats
 * the sum of the others. 'corrected' is correctedSigmaTerms(params).total.
 *
 * Accuracy against 100K-trial simulation: the paper's forms are within 0.002 at the defaults and
 * at p = 1; they ignore paths that a closed mask breaks, so they underestimate E[sigma] at small
 * p (by about 0.05 at p = 0.2). The corrected form's accuracy is in theory/README.md. sigmaV has
 * no effect: sigma is invariant to scaling V.
 *
 * @param params - model parameters; missing ones take the defaults of DEFAULT_PARAMS
 * @throws RangeError or TypeError naming the parameter when a value is invalid
 */
export function expectedSigma(
  params: Partial<ModelParams> = {},
  options: ExpectedSigmaOptions = {},
): number {
  const resolved = resolveParams(params);
  checkOptions(options, ['form', 'c']);
  const form = options.form ?? 'paper';
  const c = options.c ?? 1.2;
  if (!SIGMA_FORMS.includes(form)) {
    const got = describeValue(form);
    throw new RangeError(`form must be one of ${SIGMA_FORMS.join(', ')}, got ${got}`);
  }
  checkPositive('c', c);

  if (form === 'corrected') return correctedSigmaTerms(resolved).total;

  const k = resolved.L - resolved.l;
  const pathOpen = Math.pow(resolved.p, k);
  const r = dominanceRatio(resolved, form);
  return pathOpen / (1 + Math.pow(r, -c));
}
