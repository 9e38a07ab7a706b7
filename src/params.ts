/**
 * The parameters of the random-matrix model of dominant gradient flows, their defaults, and the
 * one validation that every public entry point (theory, simulation, command line) goes through.
 *
 * Model: a depth-L net looked at from layer L back to layer l, k = L - l factors, each an n x n
 * matrix. Residual factors are I + eps * A, plain factors are A, with A's entries i.i.d.
 * N(0, sigmaA^2); ReLU masks keep each unit with probability p; the loss gradient at layer L is
 * diagonal with i.i.d. N(0, sigmaV^2) entries.
 */

import { checkFinite, checkInteger, checkProbability, describeValue } from './validate.js';

/** Parameters of the random-matrix model. */
export interface ModelParams {
  /** Width of every layer (matrices are n x n); an integer >= 2. */
  n: number;
  /** Total number of layers; an integer > l. */
  L: number;
  /** Index of the layer looked back to; an integer with 0 <= l < L. */
  l: number;
  /** Probability that a ReLU mask keeps a unit; in [0, 1]. */
  p: number;
  /** Scale of the residual branch in K = I + eps * A; >= 0. */
  eps: number;
  /** Standard deviation of the entries of A; > 0. */
  sigmaA: number;
  /** Standard deviation of the loss gradient at layer L; > 0. */
  sigmaV: number;
}

/** The defaults used throughout the source paper's random-matrix experiments. */
export const DEFAULT_PARAMS: Readonly<ModelParams> = Object.freeze({
  n: 20,
  L: 10,
  l: 5,
  p: 0.9,
  eps: 0.1,
  sigmaA: 0.01,
  sigmaV: 0.1,
});

/** Names of the model parameters, in a fixed order. */
export const PARAM_NAMES = ['n', 'L', 'l', 'p', 'eps', 'sigmaA', 'sigmaV'] as const;

export type ParamName = (typeof PARAM_NAMES)[number];

/**
 * Fills the defaults into a partial parameter set and validates every value.
 *
 * @throws TypeError when a value is not a number or an unknown key is given
 * @throws RangeError when a value is outside its domain; the message names the parameter
 */
export function resolveParams(partial: Partial<ModelParams> = {}): ModelParams {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new TypeError(`params must be an object, got ${describeValue(partial)}`);
  }
  for (const key of Object.keys(partial)) {
    if (!(PARAM_NAMES as readonly string[]).includes(key)) {
      throw new TypeError(`unknown parameter ${key}; known: ${PARAM_NAMES.join(', ')}`);
    }
  }
  const merged = { ...DEFAULT_PARAMS, ...partial };

  const n = checkInteger('n', merged.n, 2);
  const L = checkInteger('L', merged.L, 1);
  const l = checkInteger('l', merged.l, 0);
  if (l >= L) {
    throw new RangeError(`l must be < L (= ${L}), got ${l}`);
  }
  const p = checkProbability('p', merged.p);
  const eps = checkFinite('eps', merged.eps);
  if (eps < 0) {
    throw new RangeError(`eps must be >= 0, got ${eps}`);
  }
  const sigmaA = checkFinite('sigmaA', merged.sigmaA);
  if (sigmaA <= 0) {
    throw new RangeError(`sigmaA must be > 0, got ${sigmaA}`);
  }
  const sigmaV = checkFinite('sigmaV', merged.sigmaV);
  if (sigmaV <= 0) {
    throw new RangeError(`sigmaV must be > 0, got ${sigmaV}`);
  }
  return { n, L, l, p, eps, sigmaA, sigmaV };
}
