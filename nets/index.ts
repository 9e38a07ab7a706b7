/**
 * resnet-noise-stability/nets: the simplified plain and residual conv nets in TensorFlow.js, the
 * exact map between them, data loaders and training. A separate entry point, so that importing
 * the theory and the simulation does not load TensorFlow.js.
 */
export { initBackend, BACKEND_CHOICES } from './backend.js';
export type { BackendChoice, BackendInfo } from './backend.js';
export { registerWasmConvGradients } from './wasm-kernels.js';
export {
  CONV_PADDING,
  GROUP_WIDTHS,
  KERNEL_SIZE,
  blockIdentity,
  buildNet,
  crossEntropy,
  forward,
} from './net.js';
export type {
  ConvLayerSpec,
  LayerTensors,
  LayerTrace,
  NetKind,
  NetOptions,
  NetSpec,
} from './net.js';
export {
  cloneWeights,
  fromTensors,
  initWeights,
  kernelShapes,
  parameterCount,
  toTensors,
} from './weights.js';
export type { LayerWeights, WeightSet } from './weights.js';
export { idEntryIndices, identityKernel, isBlockLayer, toPlain, toResidual } from './map.js';
export { twinAgreement } from './equivalence.js';
export type { EquivalenceReport } from './equivalence.js';
export { channelStats, loadCifar10, loadIdx, makeBatch, takeFirst } from './data.js';
export type { ChannelStats, ImageDataset, ImageSplit } from './data.js';
export { PAPER_SGD, SgdTrainer, evaluateNet, learningRateAt, warmupFactor } from './train.js';
export type { DecayCentre, Evaluation, SgdOptions } from './train.js';
export { runTraining } from './run.js';
export type {
  EpochRecord,
  RunHooks,
  RunKind,
  RunSummary,
  TrainConfig,
  TwinStepRecord,
} from './run.js';
export { readCheckpoint, writeCheckpoint } from './checkpoint.js';
export type { Checkpoint, CheckpointNet } from './checkpoint.js';
