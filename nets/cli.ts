/**
 * Command line of the nets: `npm run nets -- train [flags]` (see nets/README.md).
 *
 * Results go to stdout (epoch summaries, and for twins their losses side by side) and to files
 * in --out; the backend line, notes and the progress bar go to stderr, the bar only on a
 * terminal. Bad flags and bad data end the run with one line on stderr and exit status 2.
 */
import { pathToFileURL } from 'node:url';

import { SingleBar } from 'cli-progress';
import { Command, CommanderError } from 'commander';

import { initBackend, BACKEND_CHOICES } from './backend.js';
import {
  DEBIAN_FASHION_MNIST_DIR,
  loadCifar10,
  loadIdx,
  takeFirst,
  type ImageDataset,
} from './data.js';
import { registerAnalyse } from './analyse-cli.js';
import { InputError } from './errors.js';
import { readCheckpoint } from './checkpoint.js';
import { channelStats } from './data.js';
import { twinAgreement, type EquivalenceReport } from './equivalence.js';
import { toPlain, toResidual } from './map.js';
import { buildNet, type NetSpec } from './net.js';
import {
  RUN_FILES,
  runTraining,
  type EpochRecord,
  type TrainConfig,
  type TwinStepRecord,
} from './run.js';
import { PAPER_SGD } from './train.js';
import { initWeights, parameterCount, type WeightSet } from './weights.js';

/** Where the command writes; tests pass their own. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (a progress bar is shown only then). */
  isTTY: boolean;
}

const DATA_SETS = ['fashion-mnist', 'cifar10'] as const;
const KINDS = ['plain', 'residual', 'twins'] as const;

/** Exit status for bad input. */
export const EXIT_BAD_INPUT = 2;

/** Twins' steps printed side by side: the first ten, then every tenth. */
function printsTwinStep(step: number): boolean {
  return step <= 10 || step % 10 === 0;
}

function integerFlag(
  flag: string,
  raw: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new InputError(`${flag} must be an integer ${range}, got '${raw}'`);
  }
  return value;
}

function numberFlag(flag: string, raw: string, min: number, max: number, minOpen = false): number {
  const value = Number(raw);
  if (
    raw.trim() === '' ||
    !Number.isFinite(value) ||
    value > max ||
    value < min ||
    (minOpen && value === min)
  ) {
    throw new InputError(
      `${flag} must be a number in ${minOpen ? '(' : '['}${min}, ${max}], got '${raw}'`,
    );
  }
  return value;
}

function choiceFlag<T extends string>(flag: string, raw: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(raw)) {
    throw new InputError(`${flag} must be one of ${choices.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

interface TrainFlags {
  data: string;
  dataDir?: string;
  kind: string;
  depth: string;
  epochs: string;
  batch: string;
  limit?: string;
  testLimit?: string;
  seed: string;
  lr: string;
  warmup: string;
  momentum: string;
  weightDecay: string;
  out?: string;
  resume?: boolean;
  backend: string;
  evalBatch: string;
  progress: boolean;
  logEvery?: string;
}

function formatEpoch(r: EpochRecord): string {
  return (
    `epoch ${r.epoch} ${r.net.padEnd(10)}  lr ${r.learningRate.toExponential(0)}  ` +
    `train loss ${r.trainLoss.toFixed(4)} cost ${r.trainCost.toFixed(4)} ` +
    `error ${r.trainError.toFixed(4)}  test loss ${r.testLoss.toFixed(4)} ` +
    `error ${r.testError.toFixed(4)}  ${r.stepSeconds.toFixed(2)} s/step`
  );
}

function formatTwinStep(r: TwinStepRecord): string {
  return (
    `${String(r.step).padStart(6)}  ${r.residualLoss.toFixed(7).padStart(11)}  ` +
    `${r.plainLoss.toFixed(7).padStart(11)}  ${r.gap.toExponential(2).padStart(10)}  ` +
    `${r.weightGap.toExponential(2).padStart(10)}`
  );
}

function loadData(name: (typeof DATA_SETS)[number], dir: string | undefined): ImageDataset {
  if (name === 'cifar10') {
    if (dir === undefined) {
      throw new InputError('--data-dir is required for cifar10 (CIFAR-10 binary version folder)');
    }
    return loadCifar10(dir);
  }
  return loadIdx(dir ?? DEBIAN_FASHION_MNIST_DIR);
}

async function train(flags: TrainFlags, io: CliIO): Promise<void> {
  const data = choiceFlag('--data', flags.data, DATA_SETS);
  const kind = choiceFlag('--kind', flags.kind, KINDS);
  const depth = integerFlag('--depth', flags.depth, 5, 299);
  if ((depth - 2) % 3 !== 0) {
    throw new InputError(`--depth must be 3N + 2 (5, 8, ..., 20, 32, 44), got '${flags.depth}'`);
  }
  const epochs = integerFlag('--epochs', flags.epochs, 1, 100000);
  const batchSize = integerFlag('--batch', flags.batch, 1, 65536);
  const limit = flags.limit === undefined ? undefined : integerFlag('--limit', flags.limit, 1);
  const testLimit =
    flags.testLimit === undefined ? undefined : integerFlag('--test-limit', flags.testLimit, 1);
  const seed = integerFlag('--seed', flags.seed, 0, 2 ** 31 - 1);
  const sgd = {
    learningRate: numberFlag('--lr', flags.lr, 0, 10, true),
    momentum: numberFlag('--momentum', flags.momentum, 0, 0.999),
    weightDecay: numberFlag('--weight-decay', flags.weightDecay, 0, 1),
  };
  const warmupSteps = integerFlag('--warmup', flags.warmup, 0);
  const backendChoice = choiceFlag('--backend', flags.backend, BACKEND_CHOICES);
  const evalBatchSize = integerFlag('--eval-batch', flags.evalBatch, 1, 65536);
  const logEvery = flags.logEvery === undefined ? 0 : integerFlag('--log-every', flags.logEvery, 1);
  const out = flags.out ?? `runs/${kind}-d${depth}-${data}-s${seed}`;

  const dataset = loadData(data, flags.dataDir);
  if (limit !== undefined && limit > dataset.train.count) {
    io.stderr(
      `note: --limit ${limit} exceeds the ${dataset.train.count} training images; using all\n`,
    );
  }
  const cut: ImageDataset = {
    ...dataset,
    train: takeFirst(dataset.train, limit ?? dataset.train.count),
    test: takeFirst(dataset.test, testLimit ?? dataset.test.count),
  };
  buildNet({ kind: 'plain', depth, inputShape: cut.shape, classes: cut.classes });

  const backend = await initBackend(backendChoice);
  io.stderr(`backend: ${backend.description}\n`);
  io.stderr(
    `training ${kind} depth ${depth} on ${cut.train.count} ${data} images ` +
      `(${cut.test.count} test), ${epochs} epoch(s) of batch ${batchSize}; results in ${out}\n`,
  );

  const config: TrainConfig = {
    kind,
    depth,
    epochs,
    batchSize,
    seed,
    sgd,
    warmupSteps,
    out,
    resume: flags.resume === true,
    evalBatchSize,
  };
  const bar =
    flags.progress && io.isTTY
      ? new SingleBar({
          format: 'epoch {epoch} [{bar}] {value}/{total} steps  loss {loss}  eta {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
        })
      : undefined;
  if (kind === 'twins') {
    io.stdout('  step  residual loss  plain-twin loss  gap (p - r)  max|T(r)-p|\n');
  }
  await runTraining(config, cut, backend, {
    onEpochStart: (epoch, steps) => bar?.start(steps, 0, { epoch, loss: '-' }),
    onStep: (p) => {
      const loss = Object.values(p.losses)
        .map((l) => l.toFixed(4))
        .join(' / ');
      bar?.update(p.step, { epoch: p.epoch, loss });
      if (logEvery > 0 && p.step % logEvery === 0) {
        io.stderr(`epoch ${p.epoch} step ${p.step}/${p.stepsPerEpoch} loss ${loss}\n`);
      }
    },
    onTwinStep: (r) => {
      if (printsTwinStep(r.step)) io.stdout(`${formatTwinStep(r)}\n`);
    },
    onEpoch: (records) => {
      bar?.stop();
      for (const r of records) io.stdout(`${formatEpoch(r)}\n`);
    },
  });
  bar?.stop();
}

interface MapFlags {
  data: string;
  dataDir?: string;
  depth: string;
  images: string;
  seed: string;
  run?: string;
  backend: string;
}

/** How many weights come back unchanged (as numbers) through T and T^-1. */
function roundTrips(weights: WeightSet): { same: number; total: number } {
  const back =
    weights.kind === 'residual' ? toResidual(toPlain(weights)) : toPlain(toResidual(weights));
  let same = 0;
  back.layers.forEach((layer, l) => {
    layer.kernel.forEach((v, i) => (same += v === weights.layers[l].kernel[i] ? 1 : 0));
    layer.bias.forEach((v, i) => (same += v === weights.layers[l].bias[i] ? 1 : 0));
  });
  return { same, total: parameterCount(weights) };
}

function formatAgreement(
  label: string,
  r: EquivalenceReport,
  trips: { same: number; total: number },
): string {
  const twin = label.startsWith('residual') ? 'T(r)' : 'T^-1(p)';
  return (
    `${label}: ${twin} on ${r.images} test images: max |dz| ${r.maxAbsolute.toExponential(2)}, ` +
    `relative ${r.maxRelative.toExponential(2)}, per image ${r.maxPerImage.toExponential(2)}, ` +
    `same prediction ${r.samePrediction}/${r.images}; ` +
    `round trip exact for ${trips.same}/${trips.total} weights`
  );
}

async function mapCheck(flags: MapFlags, io: CliIO): Promise<void> {
  const images = integerFlag('--images', flags.images, 1);
  const seed = integerFlag('--seed', flags.seed, 0, 2 ** 31 - 1);
  const backendChoice = choiceFlag('--backend', flags.backend, BACKEND_CHOICES);
  let data = choiceFlag('--data', flags.data, DATA_SETS);
  let depth = integerFlag('--depth', flags.depth, 5, 299);
  const checkpoint =
    flags.run === undefined ? undefined : readCheckpoint(`${flags.run}/${RUN_FILES.checkpoint}`);
  if (checkpoint) {
    data = choiceFlag('--data', String(checkpoint.meta.data), DATA_SETS);
    depth = Number(checkpoint.meta.depth);
  }
  if ((depth - 2) % 3 !== 0) {
    throw new InputError(`--depth must be 3N + 2 (5, 8, ..., 20, 32, 44), got '${flags.depth}'`);
  }
  const dataset = loadData(data, flags.dataDir);
  const stats = checkpoint
    ? { mean: checkpoint.meta.channelMean as number[], std: checkpoint.meta.channelStd as number[] }
    : channelStats(dataset.train, dataset.shape[2]);
  const backend = await initBackend(backendChoice);
  io.stderr(`backend: ${backend.description}\n`);

  const nets: { label: string; weights: WeightSet }[] = checkpoint
    ? checkpoint.nets.map((n) => ({
        label: `${n.name} (epoch ${checkpoint.epoch})`,
        weights: n.weights,
      }))
    : (['residual', 'plain'] as const).map((kind) => ({
        label: `${kind} (seed ${seed}, initial)`,
        weights: initWeights(
          buildNet({ kind, depth, inputShape: dataset.shape, classes: dataset.classes }),
          seed,
        ),
      }));
  for (const { label, weights } of nets) {
    const spec: NetSpec = buildNet({
      kind: weights.kind,
      depth,
      inputShape: dataset.shape,
      classes: dataset.classes,
    });
    const report = twinAgreement(spec, weights, dataset.test, stats, images);
    io.stdout(`${formatAgreement(label, report, roundTrips(weights))}\n`);
  }
}

/**
 * Runs the command line on `argv` (without the node and script paths) and returns the exit
 * status: 0 on success, 2 on bad input, 1 on any other failure.
 */
export async function main(
  argv: string[],
  io: CliIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: process.stderr.isTTY === true,
  },
): Promise<number> {
  const program = new Command('nets')
    .description('plain and residual conv nets: training, twins and the map T')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program
    .command('train')
    .description('train a plain net, a residual net, or a residual net and its plain twin')
    .option('--data <name>', `data set: ${DATA_SETS.join(' | ')}`, 'fashion-mnist')
    .option(
      '--data-dir <dir>',
      `folder of the data files (fashion-mnist: ${DEBIAN_FASHION_MNIST_DIR})`,
    )
    .option('--kind <kind>', `what to train: ${KINDS.join(' | ')}`, 'residual')
    .option('--depth <L>', 'trainable layers, 3N + 2', '20')
    .option('--epochs <E>', 'epochs; the learning rate drops 10x at 60% and 80% of them', '1')
    .option('--batch <B>', 'mini-batch size', '128')
    .option('--limit <N>', 'train on the first N training images only')
    .option('--test-limit <N>', 'evaluate on the first N test images only')
    .option('--seed <s>', 'seed of initial weights and batch order', '1')
    .option('--lr <eta>', 'initial learning rate', String(PAPER_SGD.learningRate))
    .option('--warmup <steps>', 'linear learning-rate warm-up over the first steps', '0')
    .option('--momentum <mu>', 'SGD momentum', String(PAPER_SGD.momentum))
    .option('--weight-decay <lambda>', 'weight decay', String(PAPER_SGD.weightDecay))
    .option('--out <dir>', 'folder for metrics.jsonl, twins.jsonl, checkpoint.bin')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(' | ')}`, 'auto')
    .option('--eval-batch <B>', 'mini-batch size of evaluations', '500')
    .option('--no-progress', 'no progress bar even on a terminal')
    .option(
      '--log-every <N>',
      'also log the loss to stderr every N steps (for runs off a terminal)',
    )
    .action(async (flags: TrainFlags) => train(flags, io));
  program
    .command('map')
    .description('compare nets with their twins under T on real test images (float32 rounding)')
    .option('--data <name>', `data set: ${DATA_SETS.join(' | ')}`, 'fashion-mnist')
    .option(
      '--data-dir <dir>',
      `folder of the data files (fashion-mnist: ${DEBIAN_FASHION_MNIST_DIR})`,
    )
    .option('--depth <L>', 'trainable layers, 3N + 2', '20')
    .option('--images <N>', 'test images to compare on', '1000')
    .option('--seed <s>', 'seed of the initial weights', '1')
    .option('--run <dir>', "compare the nets of this run's checkpoint instead of initial weights")
    .option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(' | ')}`, 'auto')
    .action(async (flags: MapFlags) => mapCheck(flags, io));
  registerAnalyse(program, io);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    if (error instanceof InputError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
