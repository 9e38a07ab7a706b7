/**
 * The reproduction report: trains a plain net, a residual net and two dominant-path nets T' on
 * the same mini-batches, runs every measurement of the package on them, and writes one Markdown
 * report whose every number stands beside the paper's CIFAR-10 value, with whether the direction
 * of the paper's claim holds here.
 *
 * `npm run reproduce -- --quick` runs at a small scale on Fashion-MNIST (the CPU, well under an
 * hour); without --quick it runs at the paper's scale on CIFAR-10 (200 epochs of all 50000
 * images, for a machine with a native tfjs backend). Results are written as they come: a JSON line
 * per net and epoch (metrics.jsonl), results.json and report.md rewritten after every stage, and
 * the figures as SVG, all in --out.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import type { TopLevelSpec } from 'vega-lite';

import {
  compareLayerCushions,
  cushionFigure,
  firstImages,
  measureInterlayer,
  measureLayerCushions,
  sigmaFigure,
  weightFigures,
  withParams,
  type CushionComparison,
  type InterlayerSummary,
  type WeightSets,
} from './analysis.js';
import { BACKEND_CHOICES, initBackend, type BackendInfo } from './backend.js';
import {
  channelStats,
  DEBIAN_FASHION_MNIST_DIR,
  loadCifar10,
  loadIdx,
  makeBatch,
  takeFirst,
  type ChannelStats,
  type ImageDataset,
  type ImageSplit,
} from './data.js';
import { dominantFlowFraction, type DominantFlow } from './dominant-flow.js';
import { DominantPathTrainer, dominantPathWeights } from './dominant-path.js';
import { InputError } from './errors.js';
import { choiceFlag, createOutFolder, depthFlag, integerFlag, runProgram } from './flags.js';
import { toPlain } from './map.js';
import { buildNet, type LayerTensors, type NetSpec } from './net.js';
import { renderSvg } from './plots.js';
import { createRng, permutation } from './random.js';
import { evaluateNet, learningRateAt, PAPER_SGD, SgdTrainer, type SgdOptions } from './train.js';
import { weightStatistics, type WeightStatistics } from './weight-stats.js';
import { initWeights, type WeightSet } from './weights.js';

/** The scale of a reproduction. */
export interface ReproduceConfig {
  quick: boolean;
  depth: number;
  epochs: number;
  /** Training and test images used (the first ones of each split). */
  trainImages: number;
  testImages: number;
  batchSize: number;
  seed: number;
  sgd: SgdOptions;
  /** Images of the mini-batch on which sigma(l) is measured. */
  sigmaBatch: number;
  /** Test images whose layer cushions are measured. */
  cushionImages: number;
  /** Test images whose interlayer cushions are measured, and projections per image. */
  interlayerImages: number;
  projections: number;
  out: string;
}

/**
 * --quick: depth 20, 3000 training images, 5 epochs (120 steps a net, 72 of them at the initial
 * learning rate). Measured: 17 minutes end to end on one wasm thread of a shared 2-core machine
 * (1.5 to 3.6 s a step as the load varied); the measurements take under 20 s of it.
 */
export const QUICK_SCALE = {
  depth: 20,
  epochs: 5,
  trainImages: 3000,
  testImages: 1000,
  sigmaBatch: 16,
  cushionImages: 256,
  interlayerImages: 8,
  projections: 64,
} as const;

/** The paper's scale: 200 epochs of every image, sigma on a mini-batch of 128. */
export const PAPER_SCALE = {
  depth: 20,
  epochs: 200,
  trainImages: Number.MAX_SAFE_INTEGER,
  testImages: Number.MAX_SAFE_INTEGER,
  sigmaBatch: 128,
  cushionImages: 1000,
  interlayerImages: 100,
  projections: 256,
} as const;

/** Train and test metrics of one net after one epoch; train metrics after the last only. */
export interface EpochMetrics {
  net: string;
  epoch: number;
  learningRate: number;
  trainLoss?: number;
  trainError?: number;
  testLoss: number;
  testError: number;
  stepSeconds: number;
}

/** Everything measured; absent parts were not reached (yet). */
export interface ReproduceResults {
  config: ReproduceConfig;
  data: { name: string; shape: number[]; trainImages: number; testImages: number };
  backend: string;
  training: EpochMetrics[];
  weights?: Record<keyof WeightSets, WeightStatistics>;
  cushions?: CushionComparison;
  interlayer?: { plain: InterlayerSummary[]; residual: InterlayerSummary[] };
  sigma?: {
    plainFirst: DominantFlow;
    plainLast: DominantFlow;
    residualFirst: DominantFlow;
    residualLast: DominantFlow;
  };
  /** Wall-clock seconds of each stage. */
  seconds: Record<string, number>;
}

/** What the trainers of train.ts and dominant-path.ts have in common. */
interface Trainer {
  readonly spec: NetSpec;
  readonly params: LayerTensors[];
  step(x: tf.Tensor4D, y: tf.Tensor1D, learningRate: number): number | Promise<number>;
  weightSet(): Promise<WeightSet>;
  dispose(): void;
}

/** The figures of a report, by file name. */
export const FIGURES = {
  weights: 'weights-all.svg',
  idEntries: 'weights-id.svg',
  cushions: 'layer-cushions.svg',
  sigma: 'sigma.svg',
} as const;

/** The paper's CIFAR-10 values used in the report. */
export const PAPER = {
  /** Table 3, depth 32: p0, p200, t0, t200. */
  table3: {
    mean: [0.000062, -0.0061, 0.0023, -0.0056],
    std: [0.07, 0.071, 0.048, 0.071],
    massAll: [25000, 25000, 1900, 20000],
    massLarge: [420, 700, 1100, 1300],
    massId: [67, 72, 1100, 1000],
  },
  /** Figure 3: test errors of the depth-20 nets; layers where residual cushions lie right. */
  figure3: { plainError: 0.1263, residualError: 0.1122, layersNotRight: 2 },
  /** Fully-fledged depth-20 nets, 5th of 9 blocks: mean interlayer cushion. */
  interlayer: { residual: 0.2, plain: 2.7e-7 },
  /** Figure 12 (simplified depth-20 nets): sigma ratio residual / plain at l = 1 and l = 18. */
  figure12: { ratioFirstLayer: 1.24, ratioLastLayer: 4.06 },
  /** Table 5, depth 20: training loss and test error, and the dense-lower T' variant's error. */
  table5: {
    residualLoss: 0.04132,
    residualError: 0.1121,
    pathLoss: 0.9385,
    pathError: 0.3152,
    denseLowerError: 0.2131,
  },
} as const;

function orderSeed(seed: number, epoch: number): number {
  return (seed + 1) * 65536 + epoch;
}

/**
 * Trains one net with the paper's schedule on the same seeded mini-batches as the others,
 * appending its epoch metrics to metrics.jsonl as it goes.
 */
async function trainNet(
  name: string,
  trainer: Trainer,
  data: ImageDataset,
  stats: ChannelStats,
  config: ReproduceConfig,
  log: (line: string) => void,
  afterFirstStep?: () => Promise<void>,
): Promise<EpochMetrics[]> {
  const records: EpochMetrics[] = [];
  const steps = Math.ceil(data.train.count / config.batchSize);
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const learningRate = learningRateAt(epoch, config.epochs, config.sgd.learningRate);
    const order = permutation(data.train.count, createRng(orderSeed(config.seed, epoch)));
    const started = performance.now();
    for (let b = 0; b < steps; b++) {
      const indices = order.subarray(b * config.batchSize, (b + 1) * config.batchSize);
      const batch = makeBatch(data.train, indices, stats);
      const x = tf.tensor4d(batch.x, [indices.length, ...data.shape]);
      const y = tf.tensor1d(batch.y, 'int32');
      await trainer.step(x, y, learningRate);
      tf.dispose([x, y]);
      if (epoch === 0 && b === 0) await afterFirstStep?.();
    }
    const stepSeconds = (performance.now() - started) / 1000 / steps;
    const last = epoch === config.epochs - 1;
    const measure = (split: ImageSplit) =>
      evaluateNet(trainer.spec, trainer.params, split, stats, 500);
    const train = last ? measure(data.train) : undefined;
    const test = measure(data.test);
    const record: EpochMetrics = {
      net: name,
      epoch: epoch + 1,
      learningRate,
      trainLoss: train?.loss,
      trainError: train?.error,
      testLoss: test.loss,
      testError: test.error,
      stepSeconds,
    };
    appendFileSync(join(config.out, 'metrics.jsonl'), `${JSON.stringify(record)}\n`);
    log(
      `${name} epoch ${epoch + 1}: test loss ${test.loss.toFixed(4)}, ` +
        `test error ${test.error.toFixed(4)}, ${stepSeconds.toFixed(2)} s/step`,
    );
    records.push(record);
  }
  return records;
}

function sigmaOf(spec: NetSpec, weights: WeightSet, x: tf.Tensor4D, y: tf.Tensor1D): DominantFlow {
  return withParams({ spec, weights }, (params) => dominantFlowFraction(spec, params, x, y));
}

/** Interlayer spans measured: one middle block, the first group, and all blocks. */
export function interlayerSpans(spec: NetSpec): { from: number; to: number }[] {
  const N = spec.blocksPerGroup;
  const middle = 1 + N + Math.floor(N / 2);
  return [
    { from: middle, to: middle },
    { from: 1, to: N },
    { from: 1, to: 3 * N },
  ];
}

async function writeFigure(out: string, file: string, spec: TopLevelSpec): Promise<void> {
  writeFileSync(join(out, file), await renderSvg(spec));
}

/**
 * Runs the whole reproduction into config.out and returns what it measured.
 *
 * @param config - the scale (see QUICK_SCALE and PAPER_SCALE)
 * @param dataset - the images, whole; the first trainImages and testImages are used
 * @param backend - the backend that runs, named in the report
 * @param log - progress lines (stderr on the command line)
 */
export async function reproduce(
  config: ReproduceConfig,
  dataset: ImageDataset,
  backend: BackendInfo,
  log: (line: string) => void = () => {},
): Promise<ReproduceResults> {
  createOutFolder(config.out);
  writeFileSync(join(config.out, 'metrics.jsonl'), '');
  const data: ImageDataset = {
    ...dataset,
    train: takeFirst(dataset.train, config.trainImages),
    test: takeFirst(dataset.test, config.testImages),
  };
  const stats = channelStats(data.train, data.shape[2]);
  const results: ReproduceResults = {
    config,
    data: {
      name: data.name,
      shape: data.shape,
      trainImages: data.train.count,
      testImages: data.test.count,
    },
    backend: backend.description,
    training: [],
    seconds: {},
  };
  const save = (stage: string, started: number) => {
    results.seconds[stage] = (performance.now() - started) / 1000;
    writeFileSync(join(config.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(config.out, 'report.md'), renderReport(results));
  };
  const netOptions = { depth: config.depth, inputShape: data.shape, classes: data.classes };
  const plainSpec = buildNet({ kind: 'plain', ...netOptions });
  const residualSpec = buildNet({ kind: 'residual', ...netOptions });
  const sigmaBatch = firstImages(data.train, stats, data.shape, config.sigmaBatch);

  let started = performance.now();
  const p0 = initWeights(plainSpec, config.seed);
  const r0 = initWeights(residualSpec, config.seed);
  const first: Record<string, DominantFlow> = {};
  const trained: Record<string, WeightSet> = {};
  const pair = [
    ['plain', plainSpec, p0],
    ['residual', residualSpec, r0],
  ] as const;
  for (const [name, spec, start] of pair) {
    const trainer = new SgdTrainer(spec, start, config.sgd);
    results.training.push(
      ...(await trainNet(name, trainer, data, stats, config, log, async () => {
        first[name] = sigmaOf(spec, await trainer.weightSet(), sigmaBatch.x, sigmaBatch.y);
      })),
    );
    trained[name] = await trainer.weightSet();
    trainer.dispose();
  }
  save('train plain and residual', started);

  started = performance.now();
  const sets: WeightSets = {
    p0,
    pE: trained.plain,
    t0: toPlain(r0),
    tE: toPlain(trained.residual),
  };
  results.weights = {
    p0: weightStatistics(sets.p0),
    pE: weightStatistics(sets.pE),
    t0: weightStatistics(sets.t0),
    tE: weightStatistics(sets.tE),
  };
  const figures = weightFigures(sets);
  await writeFigure(config.out, FIGURES.weights, figures.all);
  await writeFigure(config.out, FIGURES.idEntries, figures.id);
  save('weight statistics', started);

  started = performance.now();
  results.sigma = {
    plainFirst: first.plain,
    plainLast: sigmaOf(plainSpec, trained.plain, sigmaBatch.x, sigmaBatch.y),
    residualFirst: first.residual,
    residualLast: sigmaOf(residualSpec, trained.residual, sigmaBatch.x, sigmaBatch.y),
  };
  tf.dispose([sigmaBatch.x, sigmaBatch.y]);
  await writeFigure(
    config.out,
    FIGURES.sigma,
    sigmaFigure([
      { series: 'plain', last: false, flow: results.sigma.plainFirst },
      { series: 'residual', last: false, flow: results.sigma.residualFirst },
      { series: 'plain', last: true, flow: results.sigma.plainLast },
      { series: 'residual', last: true, flow: results.sigma.residualLast },
    ]),
  );
  save('sigma', started);

  started = performance.now();
  const cushionBatch = firstImages(data.test, stats, data.shape, config.cushionImages);
  const plainNet = { spec: plainSpec, weights: trained.plain };
  const residualNet = { spec: residualSpec, weights: trained.residual };
  const plainCushions = measureLayerCushions(plainNet, cushionBatch.x);
  const residualCushions = measureLayerCushions(residualNet, cushionBatch.x);
  tf.dispose([cushionBatch.x, cushionBatch.y]);
  results.cushions = compareLayerCushions(plainCushions, residualCushions);
  await writeFigure(
    config.out,
    FIGURES.cushions,
    cushionFigure(
      plainCushions,
      residualCushions,
      `Per-sample layer cushions after training, depth ${config.depth}`,
    ),
  );
  save('layer cushions', started);

  started = performance.now();
  const interBatch = firstImages(data.test, stats, data.shape, config.interlayerImages);
  const spans = interlayerSpans(plainSpec);
  results.interlayer = {
    plain: spans.map((s) => measureInterlayer(plainNet, interBatch.x, s, config.projections, 1)),
    residual: spans.map((s) =>
      measureInterlayer(residualNet, interBatch.x, s, config.projections, 1),
    ),
  };
  tf.dispose([interBatch.x, interBatch.y]);
  save('interlayer cushions', started);

  started = performance.now();
  for (const variant of ['diagonal', 'dense-lower'] as const) {
    const trainer = new DominantPathTrainer(
      residualSpec,
      dominantPathWeights(residualSpec, config.seed, variant),
      config.sgd,
      variant,
    );
    results.training.push(...(await trainNet(`T' ${variant}`, trainer, data, stats, config, log)));
    trainer.dispose();
  }
  save("train T'", started);
  return results;
}

/** Formats a number with three significant digits, or 'n/a'. */
function num(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}

function verdict(holds: boolean): string {
  return holds ? 'holds' : '**does not hold**';
}

function finalMetrics(results: ReproduceResults, net: string): EpochMetrics | undefined {
  return results.training.filter((r) => r.net === net).at(-1);
}

function trainingSection(results: ReproduceResults): string[] {
  const lines = [
    '## Training',
    '',
    'Train loss and error are measured after the last epoch.',
    '',
    '| net | epoch | train loss | train error | test error | s/step |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results.training) {
    lines.push(
      `| ${r.net} | ${r.epoch} | ${num(r.trainLoss)} | ${num(r.trainError)} | ` +
        `${num(r.testError)} | ${num(r.stepSeconds)} |`,
    );
  }
  const plain = finalMetrics(results, 'plain');
  const residual = finalMetrics(results, 'residual');
  if (plain && residual) {
    const p = PAPER.figure3;
    lines.push(
      '',
      '| claim | here | paper (CIFAR-10, depth 20, 200 epochs) | direction |',
      '| --- | --- | --- | --- |',
      `| test error: residual below plain | ${num(residual.testError)} vs ` +
        `${num(plain.testError)} | ${p.residualError} vs ${p.plainError} | ` +
        `${verdict(residual.testError < plain.testError)} |`,
    );
  }
  return lines;
}

function weightsSection(results: ReproduceResults): string[] {
  const w = results.weights;
  if (!w) return ['## Weight statistics (Table 3, Figure 7)', '', 'Not measured yet.'];
  const sets = [w.p0, w.pE, w.t0, w.tE];
  const t3 = PAPER.table3;
  const row = (label: string, key: keyof typeof t3) =>
    `| ${label} | ${sets.map((s, i) => `${num(s[key])} (${t3[key][i]})`).join(' | ')} |`;
  const idShareT = w.tE.massId / w.tE.massLarge;
  const idShareP = w.pE.massId / Math.max(w.pE.massLarge, Number.MIN_VALUE);
  const idKept = w.tE.massId / w.t0.massId;
  return [
    '## Weight statistics (Table 3, Figure 7)',
    '',
    `p: the plain net; t = T(r): the plain twin of the residual net r. Here depth ` +
      `${results.config.depth} after ${results.config.epochs} epoch(s); in parentheses the ` +
      "paper's values for depth 32 after 200 epochs (masses scale with the number of " +
      'weights).',
    '',
    '| statistic | p0 | pE | t0 | tE |',
    '| --- | --- | --- | --- | --- |',
    row('mean', 'mean'),
    row('standard deviation', 'std'),
    row('L1 mass, all weights', 'massAll'),
    row('L1 mass, abs(w) >= 0.25', 'massLarge'),
    row('L1 mass, ID entries', 'massId'),
    '',
    '| claim | here | paper | direction |',
    '| --- | --- | --- | --- |',
    `| ID entries carry most of t's large-weight mass after training | ${num(idShareT)} | ` +
      `${num(1000 / 1300)} | ${verdict(idShareT > 0.5)} |`,
    `| ID entries carry little of p's large-weight mass | ${num(idShareP)} | ${num(72 / 700)} | ` +
      `${verdict(idShareP < 0.5)} |`,
    `| training moves t's ID mass little (tE / t0 near 1) | ${num(idKept)} | ` +
      `${num(1000 / 1100)} | ` +
      `${verdict(idKept > 0.8 && idKept < 1.25)} |`,
    '',
    `![All weights of p and t](${FIGURES.weights})`,
    '',
    `![ID entries of t](${FIGURES.idEntries})`,
  ];
}

function cushionSection(results: ReproduceResults): string[] {
  const c = results.cushions;
  if (!c) return ['## Layer cushions (Figure 3)', '', 'Not measured yet.'];
  const total = c.layers.length;
  const tenth = c.layers[Math.min(9, total - 1)];
  return [
    '## Layer cushions (Figure 3)',
    '',
    `Per-sample cushion ||A x|| / (||A||_F ||x||) of every conv layer on ` +
      `${Math.min(results.config.cushionImages, results.data.testImages)} test images; for ` +
      'the residual net ||A||_F is taken without ' +
      'the identity. A layer counts when the residual median lies above the plain median.',
    '',
    '| claim | here | paper (CIFAR-10, depth 20) | direction |',
    '| --- | --- | --- | --- |',
    `| residual cushions lie to the right in all but about 2 layers | ${c.rightShifted} of ` +
      `${total} layers | ${19 - PAPER.figure3.layersNotRight} of 19 | ` +
      `${verdict(c.rightShifted >= total - PAPER.figure3.layersNotRight)} |`,
    `| layer ${tenth.layer} medians, residual vs plain | ${num(tenth.residualMedian)} vs ` +
      `${num(tenth.plainMedian)} | red right of blue | ` +
      `${verdict(tenth.residualMedian > tenth.plainMedian)} |`,
    '',
    '| layer | plain median | residual median |',
    '| --- | --- | --- |',
    ...c.layers.map((l) => `| ${l.layer} | ${num(l.plainMedian)} | ${num(l.residualMedian)} |`),
    '',
    `![Layer cushions per layer](${FIGURES.cushions})`,
  ];
}

function interlayerSection(results: ReproduceResults): string[] {
  const ic = results.interlayer;
  if (!ic) return ['## Interlayer cushions', '', 'Not measured yet.'];
  const lines = [
    '## Interlayer cushions',
    '',
    `sqrt(n_i) ||J x|| / (||J||_F ||x||) on ${ic.plain[0].samples} test images, ` +
      `||J||_F estimated from ${results.config.projections} random projections per image ` +
      '(half-width of its 95% interval in the last column). The paper gives only a fully-fledged ' +
      `net's value (block 5 of 9, with batch norm): ${PAPER.interlayer.residual} residual ` +
      'against ' +
      `${PAPER.interlayer.plain} plain.`,
    '',
    '| conv layers | plain mean (sd) | residual mean (sd) | paper | residual above plain | ' +
      'interval |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  ic.plain.forEach((p, k) => {
    const r = ic.residual[k];
    lines.push(
      `| ${p.from + 1}..${p.to + 1} | ${num(p.mean)} (${num(p.sd)}) | ${num(r.mean)} ` +
        `(${num(r.sd)}) | ${PAPER.interlayer.residual} vs ${PAPER.interlayer.plain} | ` +
        `${verdict(r.mean > p.mean)} | ${num(
          100 * Math.max(p.relativeHalfWidth, r.relativeHalfWidth),
        )}% |`,
    );
  });
  return lines;
}

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : Infinity;
}

function sigmaSection(results: ReproduceResults): string[] {
  const s = results.sigma;
  if (!s) return ['## Dominant gradient flows (Figure 12)', '', 'Not measured yet.'];
  const n = s.plainFirst.sigma.length;
  const meanOf = (f: DominantFlow) => f.sigma.reduce((a, b) => a + b, 0) / f.sigma.length;
  const above = (r: DominantFlow, p: DominantFlow) =>
    r.sigma.filter((v, l) => v > p.sigma[l]).length;
  const at = (l: number) =>
    (ratio(s.residualFirst.sigma[l], s.plainFirst.sigma[l]) +
      ratio(s.residualLast.sigma[l], s.plainLast.sigma[l])) /
    2;
  const rises = s.residualFirst.sigma[n - 1] > s.residualFirst.sigma[0];
  const falls =
    meanOf(s.residualLast) < meanOf(s.residualFirst) && meanOf(s.plainLast) < meanOf(s.plainFirst);
  const aboveFirst = above(s.residualFirst, s.plainFirst);
  const aboveLast = above(s.residualLast, s.plainLast);
  return [
    '## Dominant gradient flows (Figure 12)',
    '',
    `sigma(l) on a mini-batch of ` +
      `${Math.min(results.config.sigmaBatch, results.data.trainImages)} ` +
      'training images, after the first ' +
      'and the last iteration. Ratios are averaged over the two.',
    '',
    '| claim | here | paper (CIFAR-10, depth 20) | direction |',
    '| --- | --- | --- | --- |',
    `| residual sigma above plain at every layer, first iteration | ${aboveFirst} of ${n} | all ` +
      `| ${verdict(aboveFirst === n)} |`,
    `| same, last iteration | ${aboveLast} of ${n} | all | ${verdict(aboveLast === n)} |`,
    `| ratio residual / plain at l = 1 | ${num(at(0))} | ${PAPER.figure12.ratioFirstLayer} | ` +
      `${verdict(at(0) > 1)} |`,
    `| ratio residual / plain at l = ${n} | ${num(at(n - 1))} | ${PAPER.figure12.ratioLastLayer} ` +
      `| ${verdict(at(n - 1) > at(0))} (larger than at l = 1) |`,
    '| residual sigma rises with l (first iteration) | ' +
      `${num(s.residualFirst.sigma[0])} at l = 1, ` +
      `${num(s.residualFirst.sigma[n - 1])} at l = ${n} | rises | ${verdict(rises)} |`,
    '| sigma falls with training (mean over layers) | ' +
      `residual ${num(meanOf(s.residualFirst))} -> ` +
      `${num(meanOf(s.residualLast))}, plain ${num(meanOf(s.plainFirst))} -> ` +
      `${num(meanOf(s.plainLast))} | falls | ${verdict(falls)} |`,
    '',
    `![sigma(l)](${FIGURES.sigma})`,
  ];
}

function pathSection(results: ReproduceResults): string[] {
  const residual = finalMetrics(results, 'residual');
  const diagonal = finalMetrics(results, "T' diagonal");
  const dense = finalMetrics(results, "T' dense-lower");
  if (!residual || !diagonal || !dense) {
    return ["## Dominant-path nets T' (Table 5)", '', 'Not measured yet.'];
  }
  const t5 = PAPER.table5;
  const relative = (1 - diagonal.testError) / (1 - residual.testError);
  const paperRelative = (1 - t5.pathError) / (1 - t5.residualError);
  return [
    "## Dominant-path nets T' (Table 5)",
    '',
    '| net | train loss | test error | paper train loss | paper test error |',
    '| --- | --- | --- | --- | --- |',
    `| residual | ${num(residual.trainLoss)} | ${num(residual.testError)} | ${t5.residualLoss} | ` +
      `${t5.residualError} |`,
    `| T' (diagonal) | ${num(diagonal.trainLoss)} | ${num(diagonal.testError)} | ` +
      `${t5.pathLoss} | ` +
      `${t5.pathError} |`,
    `| T' (dense lower half) | ${num(dense.trainLoss)} | ${num(dense.testError)} | n/a | ` +
      `${t5.denseLowerError} |`,
    '',
    '| claim | here | paper | direction |',
    '| --- | --- | --- | --- |',
    `| T' learns: test error below 0.5 (chance: 0.9) | ${num(diagonal.testError)} | ` +
      `${t5.pathError} | ${verdict(diagonal.testError < 0.5)} |`,
    `| T' keeps >= 76% of the residual net's accuracy | ${num(100 * relative)}% | ` +
      `${num(100 * paperRelative)}% | ${verdict(relative >= 0.76)} |`,
    `| a dense lower half lowers the error of T' | ${num(dense.testError)} vs ` +
      `${num(diagonal.testError)} | ${t5.denseLowerError} vs ${t5.pathError} | ` +
      `${verdict(dense.testError < diagonal.testError)} |`,
  ];
}

/** The Markdown report of a (possibly partial) reproduction. */
export function renderReport(results: ReproduceResults): string {
  const c = results.config;
  const d = results.data;
  const seconds = Object.entries(results.seconds)
    .map(([stage, s]) => `${stage} ${num(s)} s`)
    .join(', ');
  return [
    '# Reproduction report: identity connections and noise stability',
    '',
    `Data: ${d.name}, ${d.trainImages} training and ${d.testImages} test images of ` +
      `${d.shape.join('x')}. Nets of depth ${c.depth}; epochs: ${c.epochs}; ` +
      `batch ${c.batchSize}; ` +
      `SGD (learning rate ${c.sgd.learningRate}, momentum ${c.sgd.momentum}, weight decay ` +
      `${c.sgd.weightDecay}, divided by 10 at 60% and 80% of the epochs), seed ${c.seed}. ` +
      `Backend: ${results.backend}.${
        c.quick
          ? " Quick scale: far from the paper's 200 epochs on CIFAR-10, so the trained " +
            'nets are near their initial state and the comparisons below say how the claims ' +
            'look there, not what full training gives.'
          : ''
      }`,
    '',
    'Each claim is the direction the paper reports on CIFAR-10; "holds" means the same direction ' +
      'is measured here.',
    '',
    `Stage times: ${seconds || 'none yet'}.`,
    '',
    ...trainingSection(results),
    '',
    ...weightsSection(results),
    '',
    ...sigmaSection(results),
    '',
    ...cushionSection(results),
    '',
    ...interlayerSection(results),
    '',
    ...pathSection(results),
    '',
  ].join('\n');
}

interface ReproduceFlags {
  quick?: boolean;
  data?: string;
  dataDir?: string;
  out?: string;
  depth?: string;
  epochs?: string;
  limit?: string;
  testLimit?: string;
  sigmaBatch?: string;
  cushionImages?: string;
  interlayerImages?: string;
  projections?: string;
  seed: string;
  backend: string;
}

/** The configuration a command line asks for. */
export function configFromFlags(flags: ReproduceFlags): ReproduceConfig {
  const scale = flags.quick ? QUICK_SCALE : PAPER_SCALE;
  const count = (flag: string, raw: string | undefined, fallback: number, min = 1) =>
    raw === undefined ? fallback : integerFlag(flag, raw, min);
  return {
    ...scale,
    quick: flags.quick === true,
    depth: flags.depth === undefined ? scale.depth : depthFlag(flags.depth),
    epochs: flags.epochs === undefined ? scale.epochs : integerFlag('--epochs', flags.epochs, 1),
    trainImages: count('--limit', flags.limit, scale.trainImages),
    testImages: count('--test-limit', flags.testLimit, scale.testImages),
    sigmaBatch: count('--sigma-batch', flags.sigmaBatch, scale.sigmaBatch),
    cushionImages: count('--cushion-images', flags.cushionImages, scale.cushionImages),
    interlayerImages: count('--interlayer-images', flags.interlayerImages, scale.interlayerImages),
    projections: count('--projections', flags.projections, scale.projections, 2),
    batchSize: 128,
    seed: integerFlag('--seed', flags.seed, 0),
    sgd: { ...PAPER_SGD },
    out: flags.out ?? join('results', flags.quick ? 'reproduce-quick' : 'reproduce'),
  };
}

/** Loads the data set a command line names. */
export function loadData(flags: ReproduceFlags): ImageDataset {
  const name = choiceFlag('--data', flags.data ?? (flags.quick ? 'fashion-mnist' : 'cifar10'), [
    'fashion-mnist',
    'cifar10',
  ] as const);
  if (name === 'fashion-mnist') return loadIdx(flags.dataDir ?? DEBIAN_FASHION_MNIST_DIR);
  if (flags.dataDir === undefined) {
    throw new InputError('--data-dir is required for cifar10 (the folder of its binary batches)');
  }
  return loadCifar10(flags.dataDir);
}

/**
 * The command line `npm run reproduce -- [--quick] [flags]`; returns the exit status: 0 on
 * success, 2 on bad input (one line on stderr), 1 on any other failure.
 */
export async function main(
  argv: string[],
  stdout: (t: string) => void = (t) => process.stdout.write(t),
  stderr: (t: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  const program = new Command('reproduce')
    .description('train the nets, measure them, and write the reproduction report')
    .option('--quick', 'small scale on Fashion-MNIST (about 15 minutes on a CPU)')
    .option(
      '--data <name>',
      'fashion-mnist | cifar10 (default: cifar10, or fashion-mnist with --quick)',
    )
    .option('--data-dir <dir>', `folder of the data (fashion-mnist: ${DEBIAN_FASHION_MNIST_DIR})`)
    .option('--out <dir>', 'folder of the report, figures and results')
    .option('--depth <L>', 'depth 3N + 2 of the nets')
    .option('--epochs <E>', 'training epochs')
    .option('--limit <N>', 'training images used')
    .option('--test-limit <N>', 'test images used')
    .option('--sigma-batch <B>', 'training images of the sigma(l) mini-batch')
    .option('--cushion-images <N>', 'test images whose layer cushions are measured')
    .option('--interlayer-images <N>', 'test images whose interlayer cushions are measured')
    .option('--projections <M>', 'random projections per image for ||J||_F')
    .option('--seed <s>', 'seed of weights and batch order', '1')
    .option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(' | ')}`, 'auto')
    .configureOutput({ writeOut: stdout, writeErr: stderr })
    .action(async (flags: ReproduceFlags) => {
      const config = configFromFlags(flags);
      const data = loadData(flags);
      const backend = await initBackend(flags.backend);
      stderr(`backend: ${backend.description}\n`);
      await reproduce(config, data, backend, (line) => stderr(`${line}\n`));
      stdout(`report: ${join(config.out, 'report.md')}\n`);
    });
  return runProgram(program, argv, stderr);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
