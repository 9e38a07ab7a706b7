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
export type { ExpectedSigmaOptions, SigmaForm } from '../theory/expected-sigma.js';
export { initBackend, BACKEND_CHOICES } from '../nets/backend.js';
export type { BackendChoice, BackendInfo } from '../nets/backend.js';
export { registerWasmConvGradients } from '../nets/wasm-kernels.js';
export {
  CONV_PADDING,
  GROUP_WIDTHS,
  KERNEL_SIZE,
  blockIdentity,
  buildNet,
  crossEntropy,
  forward,
} from '../nets/net.js';
export type {
  ConvLayerSpec,
  LayerTensors,
  LayerTrace,
  NetKind,
  NetOptions,
  NetSpec,
} from '../nets/net.js';
export {
  cloneWeights,
  fromTensors,
  initWeights,
  kernelShapes,
  parameterCount,
  toTensors,
} from '../nets/weights.js';
export type { LayerWeights, WeightSet } from '../nets/weights.js';
export { idEntryIndices, identityKernel, isBlockLayer, toPlain, toResidual } from '../nets/map.js';
export { twinAgreement } from '../nets/equivalence.js';
export type { EquivalenceReport } from '../nets/equivalence.js';
export { channelStats, loadCifar10, loadIdx, makeBatch, takeFirst } from '../nets/data.js';
export type { ChannelStats, ImageDataset, ImageSplit } from '../nets/data.js';
export { PAPER_SGD, SgdTrainer, evaluateNet, learningRateAt, warmupFactor } from '../nets/train.js';
export type { DecayCentre, Evaluation, SgdOptions } from '../nets/train.js';
export { runTraining } from '../nets/run.js';
export type {
  EpochRecord,
  RunHooks,
  RunKind,
  RunSummary,
  TrainConfig,
  TwinStepRecord,
} from '../nets/run.js';
export { readCheckpoint, writeCheckpoint } from '../nets/checkpoint.js';
export type { Checkpoint, CheckpointNet } from '../nets/checkpoint.js';
