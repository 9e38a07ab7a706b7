/**
 * A training run of one net, or of a residual net and its plain twin side by side, writing its
 * results as it goes: a JSON line of metrics per net and epoch (metrics.jsonl), for twins a JSON
 * line per step with both losses and their gap (twins.jsonl), and a checkpoint per epoch
 * (checkpoint.bin) from which --resume continues.
 *
 * Twins: the residual net r starts at Hardt-Ma weights r0 with decay ||r||^2; the plain twin p
 * starts at T(r0) with decay ||T^-1(p)||^2; both see the same mini-batches in the same order.
 * Each step records their mini-batch losses, the gap between them, and max |T(r) - p| over all
 * weights, so the growth of the float32 discrepancy can be read step by step.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';

import type { BackendInfo } from './backend.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { channelStats, makeBatch, type ChannelStats, type ImageDataset } from './data.js';
import { InputError } from './errors.js';
import { createOutFolder } from './flags.js';
import { identityKernel, isBlockLayer, toPlain } from './map.js';
import { buildNet, type NetKind } from './net.js';
import { createRng, permutation } from './random.js';
import {
  evaluateNet,
  learningRateAt,
  warmupFactor,
  SgdTrainer,
  type DecayCentre,
  type Evaluation,
  type SgdOptions,
} from './train.js';
import { initWeights, type WeightSet } from './weights.js';

/** What a run trains: one plain net, one residual net, or a residual net and its plain twin. */
export type RunKind = NetKind | 'twins';

/** Everything that defines a run. */
export interface TrainConfig {
  kind: RunKind;
  depth: number;
  epochs: number;
  batchSize: number;
  seed: number;
  sgd: SgdOptions;
  /** Steps of linear learning-rate warm-up at the start of the run; 0 for none. */
  warmupSteps: number;
  /** Folder of the run's files; created when missing. */
  out: string;
  /** Continue from the checkpoint in `out` instead of starting afresh. */
  resume: boolean;
  /** Mini-batch size of evaluations (no effect on results, only on memory and speed). */
  evalBatchSize: number;
}

/** Metrics of one net after one epoch, as written to metrics.jsonl. */
export interface EpochRecord {
  epoch: number;
  net: string;
  kind: NetKind;
  /** The learning rate of the epoch's last step. */
  learningRate: number;
  /** Mean loss over the training images, after the epoch. */
  trainLoss: number;
  /** trainLoss plus the decay term (lambda / 2) ||w - c||^2. */
  trainCost: number;
  trainError: number;
  testLoss: number;
  testError: number;
  /** Mean of the mini-batch losses seen during the epoch. */
  batchLossMean: number;
  /** Mean seconds per SGD step of this net. */
  stepSeconds: number;
  backend: string;
}

/** One step of twins, as written to twins.jsonl. */
export interface TwinStepRecord {
  epoch: number;
  step: number;
  residualLoss: number;
  plainLoss: number;
  /** plainLoss - residualLoss. */
  gap: number;
  /** max |T(r) - p| over all weights after the step. */
  weightGap: number;
}

/** Progress of a run, for a progress bar. */
export interface StepProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  losses: Record<string, number>;
}

/** Callbacks of a run; all optional. */
export interface RunHooks {
  onStep?(progress: StepProgress): void;
  onTwinStep?(record: TwinStepRecord): void;
  onEpoch?(records: EpochRecord[]): void;
  onEpochStart?(epoch: number, stepsPerEpoch: number): void;
}

/** The outcome of a run. */
export interface RunSummary {
  /** Epochs completed, counting those of earlier sessions. */
  epochs: number;
  records: EpochRecord[];
  weights: Record<string, WeightSet>;
}

interface RunNet {
  name: string;
  trainer: SgdTrainer;
  lossSum: number;
  steps: number;
  seconds: number;
}

/** The files of a run inside its folder. */
export const RUN_FILES = {
  config: 'run.json',
  metrics: 'metrics.jsonl',
  twins: 'twins.jsonl',
  checkpoint: 'checkpoint.bin',
} as const;

function orderSeed(seed: number, epoch: number): number {
  return (seed + 1) * 65536 + epoch;
}

function describeNets(kind: RunKind): { name: string; kind: NetKind; centre: DecayCentre }[] {
  if (kind === 'twins') {
    return [
      { name: 'residual', kind: 'residual', centre: 'zero' },
      { name: 'plain-twin', kind: 'plain', centre: 'identity' },
    ];
  }
  return [{ name: kind, kind, centre: 'zero' }];
}

function runMeta(config: TrainConfig, data: ImageDataset, stats: ChannelStats) {
  return {
    data: data.name,
    shape: data.shape,
    trainImages: data.train.count,
    testImages: data.test.count,
    kind: config.kind,
    depth: config.depth,
    batchSize: config.batchSize,
    seed: config.seed,
    sgd: config.sgd,
    warmupSteps: config.warmupSteps,
    channelMean: stats.mean,
    channelStd: stats.std,
  };
}

function checkResumable(saved: Record<string, unknown>, wanted: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(wanted)) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(value)) {
      throw new InputError(
        `--resume: the checkpoint was made with ${key}=${JSON.stringify(saved[key])}, ` +
          `this run asks for ${JSON.stringify(value)}`,
      );
    }
  }
}

/** Keeps the JSON lines of a results file whose epoch is at most `epoch`. */
function truncateLines(path: string, epoch: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && (JSON.parse(line) as { epoch: number }).epoch <= epoch);
  writeFileSync(path, kept.map((line) => `${line}\n`).join(''));
}

/** The ID-entry kernels rho of each layer (null where T leaves the layer alone). */
function identityTensors(trainer: SgdTrainer): (tf.Tensor | null)[] {
  const params = trainer.params;
  return params.map((p, index) =>
    isBlockLayer(index, params.length)
      ? tf.tensor(identityKernel(p.kernel.shape), p.kernel.shape)
      : null,
  );
}

/** max |T(r) - p| over all weights of a residual net r and its plain twin p, T in float32. */
function maxWeightGap(residual: SgdTrainer, plain: SgdTrainer, rho: (tf.Tensor | null)[]): number {
  const gap = tf.tidy(() => {
    const r = residual.params;
    const gaps = plain.params.flatMap((p, i) => {
      const shift = rho[i];
      const kernel = shift ? tf.add(r[i].kernel, shift) : r[i].kernel;
      return [tf.max(tf.abs(tf.sub(p.kernel, kernel))), tf.max(tf.abs(tf.sub(p.bias, r[i].bias)))];
    });
    return tf.max(tf.stack(gaps));
  });
  const value = gap.dataSync()[0];
  gap.dispose();
  return value;
}

/**
 * Trains the nets of a run on a data set, writing results into `config.out` as it goes.
 *
 * @param config - the run; validated by the caller (the command line)
 * @param data - the images, already cut to the wanted sizes
 * @param backend - the backend that runs, recorded in every metrics line
 * @param hooks - progress callbacks
 * @throws InputError when `out` holds a run and resume is off, or the checkpoint does not match
 */
export async function runTraining(
  config: TrainConfig,
  data: ImageDataset,
  backend: BackendInfo,
  hooks: RunHooks = {},
): Promise<RunSummary> {
  const stats = channelStats(data.train, data.shape[2]);
  const meta = runMeta(config, data, stats);
  const paths = {
    config: join(config.out, RUN_FILES.config),
    metrics: join(config.out, RUN_FILES.metrics),
    twins: join(config.out, RUN_FILES.twins),
    checkpoint: join(config.out, RUN_FILES.checkpoint),
  };
  createOutFolder(config.out);

  let checkpoint: Checkpoint | undefined;
  if (config.resume) {
    checkpoint = readCheckpoint(paths.checkpoint);
    checkResumable(checkpoint.meta, meta);
    truncateLines(paths.metrics, checkpoint.epoch);
    truncateLines(paths.twins, checkpoint.epoch);
  } else if (existsSync(paths.checkpoint)) {
    throw new InputError(
      `--out ${config.out}: holds a run already (${RUN_FILES.checkpoint}); pass --resume ` +
        'to continue it or choose another folder',
    );
  } else {
    writeFileSync(paths.metrics, '');
    if (config.kind === 'twins') writeFileSync(paths.twins, '');
  }
  writeFileSync(
    paths.config,
    `${JSON.stringify({ ...meta, epochs: config.epochs, backend: backend.description }, null, 2)}` +
      '\n',
  );

  const shape = data.shape;
  const described = describeNets(config.kind);
  const starts: WeightSet[] = [];
  const nets: RunNet[] = described.map((d, i) => {
    const spec = buildNet({
      kind: d.kind,
      depth: config.depth,
      inputShape: shape,
      classes: data.classes,
    });
    const saved = checkpoint?.nets[i];
    const start =
      saved?.weights ??
      (d.centre === 'identity' ? toPlain(starts[0]) : initWeights(spec, config.seed));
    starts.push(start);
    return {
      name: d.name,
      trainer: new SgdTrainer(spec, start, config.sgd, d.centre, saved?.velocity),
      lossSum: 0,
      steps: 0,
      seconds: 0,
    };
  });

  const rho = config.kind === 'twins' ? identityTensors(nets[0].trainer) : [];
  const records: EpochRecord[] = [];
  const stepsPerEpoch = Math.ceil(data.train.count / config.batchSize);
  let step = checkpoint?.step ?? 0;
  for (let epoch = checkpoint?.epoch ?? 0; epoch < config.epochs; epoch++) {
    const epochRate = learningRateAt(epoch, config.epochs, config.sgd.learningRate);
    let learningRate = epochRate;
    const order = permutation(data.train.count, createRng(orderSeed(config.seed, epoch)));
    hooks.onEpochStart?.(epoch + 1, stepsPerEpoch);
    for (const net of nets) Object.assign(net, { lossSum: 0, steps: 0, seconds: 0 });

    for (let b = 0; b < stepsPerEpoch; b++) {
      const indices = order.subarray(b * config.batchSize, (b + 1) * config.batchSize);
      const batch = makeBatch(data.train, indices, stats);
      const x = tf.tensor4d(batch.x, [indices.length, ...shape]);
      const y = tf.tensor1d(batch.y, 'int32');
      const losses: Record<string, number> = {};
      learningRate = epochRate * warmupFactor(step, config.warmupSteps);
      for (const net of nets) {
        const started = performance.now();
        const loss = net.trainer.step(x, y, learningRate);
        net.seconds += (performance.now() - started) / 1000;
        net.lossSum += loss;
        net.steps++;
        losses[net.name] = loss;
      }
      tf.dispose([x, y]);
      step++;

      if (config.kind === 'twins') {
        const record: TwinStepRecord = {
          epoch: epoch + 1,
          step,
          residualLoss: losses.residual,
          plainLoss: losses['plain-twin'],
          gap: losses['plain-twin'] - losses.residual,
          weightGap: maxWeightGap(nets[0].trainer, nets[1].trainer, rho),
        };
        appendFileSync(paths.twins, `${JSON.stringify(record)}\n`);
        hooks.onTwinStep?.(record);
      }
      hooks.onStep?.({ epoch: epoch + 1, step: b + 1, stepsPerEpoch, losses });
    }

    const epochRecords = nets.map((net): EpochRecord => {
      const spec = net.trainer.spec;
      const train: Evaluation = evaluateNet(
        spec,
        net.trainer.params,
        data.train,
        stats,
        config.evalBatchSize,
      );
      const test: Evaluation = evaluateNet(
        spec,
        net.trainer.params,
        data.test,
        stats,
        config.evalBatchSize,
      );
      return {
        epoch: epoch + 1,
        net: net.name,
        kind: spec.kind,
        learningRate,
        trainLoss: train.loss,
        trainCost: train.loss + net.trainer.decayTerm(),
        trainError: train.error,
        testLoss: test.loss,
        testError: test.error,
        batchLossMean: net.lossSum / net.steps,
        stepSeconds: net.seconds / net.steps,
        backend: backend.name,
      };
    });
    for (const r of epochRecords) appendFileSync(paths.metrics, `${JSON.stringify(r)}\n`);
    records.push(...epochRecords);

    const saved = [];
    for (const net of nets) {
      saved.push({
        name: net.name,
        weights: await net.trainer.weightSet(),
        velocity: await net.trainer.velocitySet(),
      });
    }
    writeCheckpoint(paths.checkpoint, { epoch: epoch + 1, step, meta, nets: saved });
    hooks.onEpoch?.(epochRecords);
  }

  tf.dispose(rho.filter((t): t is tf.Tensor => t !== null));
  const weights: Record<string, WeightSet> = {};
  for (const net of nets) {
    weights[net.name] = await net.trainer.weightSet();
    net.trainer.dispose();
  }
  return { epochs: Math.max(config.epochs, checkpoint?.epoch ?? 0), records, weights };
}
