/**
 * resnet-noise-stability: theory and Monte-Carlo checks of why identity connections make residual
 * nets more noise-stable than plain nets.
 */
export { DEFAULT_PARAMS, PARAM_NAMES, resolveParams } from './params.js';
export type { ModelParams, ParamName } from './params.js';
export { integrate } from '../theory/quadrature.js';
export type { QuadratureOptions, QuadratureResult } from '../theory/quadrature.js';
export { fitLogisticExponent, phi, phiExact, phiLogistic } from '../theory/phi.js';
export type { FitMeasure, FitOptions, FitResult } from '../theory/phi.js';
export {
  SIGMA_FORMS,
  dominanceRatio,
  effectivePathCount,
  expectedSigma,
} from '../theory/expected-sigma.js';
export type { ExpectedSigmaOptions, RatioForm, SigmaForm } from '../theory/expected-sigma.js';
export { correctedSigmaTerms } from '../theory/corrected-sigma.js';
export type { CorrectedSigmaTerms } from '../theory/corrected-sigma.js';
export { expectedSigmaPlain } from '../theory/plain-sigma.js';
export { binomialWindow, equalFlowDominanceTable } from '../theory/equal-flows.js';
export type { BinomialWindow } from '../theory/equal-flows.js';
export { dawson, gaussianDawsonMean, halfNormalDawsonMean } from '../theory/dawson.js';
export {
  BLOCK_TRIALS,
  DEFAULT_TRIALS,
  NET_KINDS,
  MAX_SIMULATED_N,
  checkSimulatable,
  SWEEP_PARAMS,
  closedForms,
  simulate,
  sweep,
} from '../sim/simulate.js';
export type {
  NetKind,
  SimulateOptions,
  SimulationResult,
  SweepOptions,
  SweepParam,
  SweepPoint,
} from '../sim/simulate.js';
export { CpuWorkerPool, defaultWorkerCount } from '../sim/backend.js';
export type { SimulationBackend } from '../sim/backend.js';
export { BACKEND_NAMES, createBackend } from '../sim/create-backend.js';
export type { BackendName } from '../sim/create-backend.js';
export { runBlock } from '../sim/kernel.js';
export type { BlockResult, BlockTask } from '../sim/kernel.js';
