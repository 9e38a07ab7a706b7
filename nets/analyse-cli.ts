/**
 * `nets analyse --run DIR`: the measurements of this package on the nets of a training run (the
 * folder `nets train` writes: run.json and checkpoint.bin), written as JSON and SVG into
 * DIR/analysis (or --out).
 *
 * For each net of the run's last checkpoint: weight statistics before (the run's seeded initial
 * weights, rebuilt) and after training, of the weights and, for a residual net r, of T(r); per-
 * sample layer cushions of every conv layer; interlayer cushions over one middle block, the first
 * group and all blocks; sigma(l) on the first mini-batch of training images. The images are
 * normalised with the run's own channel statistics. --measure picks one of them.
 *
 * {@link registerAnalyse} adds the subcommand to a commander program (the nets command line);
 * running this file directly gives the same command on its own.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';

import { firstImages, measureInterlayer, measureLayerCushions, withParams } from './analysis.js';
import { BACKEND_CHOICES, initBackend } from './backend.js';
import { readCheckpoint, type Checkpoint } from './checkpoint.js';
import {
  DEBIAN_FASHION_MNIST_DIR,
  loadCifar10,
  loadIdx,
  takeFirst,
  type ChannelStats,
  type ImageDataset,
} from './data.js';
import { dominantFlowFraction } from './dominant-flow.js';
import { InputError } from './errors.js';
import { choiceFlag, createOutFolder, integerFlag, runProgram } from './flags.js';
import { toPlain } from './map.js';
import { buildNet, type NetKind, type NetSpec } from './net.js';
import { histogramFigure, lineFigure, renderSvg } from './plots.js';
import { interlayerSpans } from './report.js';
import { weightStatistics } from './weight-stats.js';
import { initWeights, type WeightSet } from './weights.js';

/** What --measure accepts. */
export const MEASURES = ['all', 'weights', 'layer-cushion', 'interlayer', 'sigma'] as const;

type Measure = (typeof MEASURES)[number];

/** The parts of run.json that the analysis needs. */
export interface RunInfo {
  data: 'fashion-mnist' | 'cifar10';
  shape: [number, number, number];
  trainImages: number;
  testImages: number;
  kind: NetKind | 'twins';
  depth: number;
  seed: number;
  channelMean: number[];
  channelStd: number[];
}

interface AnalyseFlags {
  run: string;
  measure: string;
  dataDir?: string;
  out?: string;
  images: string;
  projections: string;
  sigmaBatch: string;
  seed: string;
  backend: string;
}

function numberList(value: unknown, length: number): boolean {
  return Array.isArray(value) && value.length === length && value.every((v) => Number.isFinite(v));
}

/**
 * Reads run.json and the last checkpoint of a run folder.
 *
 * @throws InputError naming --run and the folder or file when it is missing or malformed
 */
export function readRun(dir: string): { info: RunInfo; checkpoint: Checkpoint } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`--run ${dir}: no such folder`);
  }
  const path = join(dir, 'run.json');
  if (!existsSync(path)) throw new InputError(`--run ${dir}: no run.json (not a training run)`);
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as RunInfo;
  } catch {
    throw new InputError(`--run ${dir}: run.json is not valid JSON`);
  }
  const valid =
    (info.data === 'fashion-mnist' || info.data === 'cifar10') &&
    numberList(info.shape, 3) &&
    ['plain', 'residual', 'twins'].includes(info.kind) &&
    Number.isInteger(info.depth) &&
    Number.isInteger(info.seed) &&
    Number.isInteger(info.trainImages) &&
    Number.isInteger(info.testImages) &&
    numberList(info.channelMean, info.shape[2]) &&
    numberList(info.channelStd, info.shape[2]);
  if (!valid) {
    throw new InputError(
      `--run ${dir}: run.json lacks data, shape, kind, depth, seed, image ` +
        'counts or channel statistics',
    );
  }
  return { info, checkpoint: readCheckpoint(join(dir, 'checkpoint.bin')) };
}

/** The initial weights of a run's net, rebuilt from its seed as the run drew them. */
export function initialWeights(info: RunInfo, spec: NetSpec, name: string): WeightSet {
  if (info.kind !== 'twins') return initWeights(spec, info.seed);
  const residual = initWeights(buildNet({ ...spec, kind: 'residual' }), info.seed);
  return name === 'residual' ? residual : toPlain(residual);
}

function loadRunData(info: RunInfo, dataDir: string | undefined): ImageDataset {
  if (info.data === 'fashion-mnist') return loadIdx(dataDir ?? DEBIAN_FASHION_MNIST_DIR);
  if (dataDir === undefined) throw new InputError('--data-dir is required for a cifar10 run');
  return loadCifar10(dataDir);
}

function writeJson(out: string, file: string, value: unknown): void {
  writeFileSync(join(out, file), `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Runs the analysis a command line asks for; returns the files written.
 *
 * @throws InputError on a bad flag, run folder or data folder
 */
export async function analyse(flags: AnalyseFlags, log: (line: string) => void): Promise<string[]> {
  const measure: Measure = choiceFlag('--measure', flags.measure, MEASURES);
  const images = integerFlag('--images', flags.images, 1);
  const projections = integerFlag('--projections', flags.projections, 2);
  const sigmaBatch = integerFlag('--sigma-batch', flags.sigmaBatch, 1);
  const seed = integerFlag('--seed', flags.seed, 0);
  const { info, checkpoint } = readRun(flags.run);
  const data = loadRunData(info, flags.dataDir);
  if (data.shape.join('x') !== info.shape.join('x')) {
    throw new InputError(
      `--data-dir: images of ${data.shape.join('x')}, the run used ` + `${info.shape.join('x')}`,
    );
  }
  const backend = await initBackend(flags.backend);
  log(`backend: ${backend.description}`);
  const out = flags.out ?? join(flags.run, 'analysis');
  createOutFolder(out);

  const stats: ChannelStats = { mean: info.channelMean, std: info.channelStd };
  const train = takeFirst(data.train, info.trainImages);
  const nets = checkpoint.nets.map((n) => {
    const spec = buildNet({
      kind: n.weights.kind,
      depth: info.depth,
      inputShape: info.shape,
      classes: data.classes,
    });
    return { name: n.name, spec, weights: n.weights, start: initialWeights(info, spec, n.name) };
  });
  const wants = (m: Measure) => measure === 'all' || measure === m;
  const written: string[] = [];
  const save = async (file: string, value: unknown) => {
    if (typeof value === 'string') writeFileSync(join(out, file), value);
    else writeJson(out, file, value);
    written.push(join(out, file));
  };

  if (wants('weights')) {
    const sets = nets.flatMap((n) => {
      const rows = [
        { name: `${n.name} before`, weights: n.start },
        { name: `${n.name} after`, weights: n.weights },
      ];
      if (n.spec.kind !== 'residual') return rows;
      return [
        ...rows,
        { name: `T(${n.name}) before`, weights: toPlain(n.start) },
        { name: `T(${n.name}) after`, weights: toPlain(n.weights) },
      ];
    });
    await save(
      'weights.json',
      Object.fromEntries(sets.map((s) => [s.name, weightStatistics(s.weights)])),
    );
    const allValues = (w: WeightSet) => w.layers.flatMap((l) => [...l.kernel, ...l.bias]);
    await save(
      'weights.svg',
      await renderSvg(
        histogramFigure(
          sets.map((s) => ({
            name: s.name.split(' ')[0],
            values: allValues(s.weights),
            panel: s.name.split(' ')[1],
          })),
          {
            title: `Weights of run ${flags.run}, epoch ${checkpoint.epoch}`,
            xTitle: 'weight',
            bins: 60,
            min: -1,
            max: 1.5,
            columns: 2,
            yMax: 800,
          },
        ),
      ),
    );
    log('weight statistics written');
  }

  const test = firstImages(data.test, stats, info.shape, Math.min(images, info.testImages));
  if (wants('layer-cushion')) {
    const cushions = nets.map((n) => ({ name: n.name, values: measureLayerCushions(n, test.x) }));
    await save(
      'layer-cushions.json',
      Object.fromEntries(cushions.map((c) => [c.name, c.values.map((v) => Array.from(v))])),
    );
    const series = cushions.flatMap((c) =>
      c.values.map((v, l) => ({
        name: c.name,
        values: Array.from(v, Math.log10),
        panel: `layer ${l + 1}`,
      })),
    );
    const all = series.flatMap((s) => s.values).filter(Number.isFinite);
    await save(
      'layer-cushions.svg',
      await renderSvg(
        histogramFigure(series, {
          title: 'Per-sample layer cushions',
          xTitle: 'log10 layer cushion',
          bins: 40,
          min: Math.floor(Math.min(...all)),
          max: Math.ceil(Math.max(...all)) + 0.25,
          columns: 5,
        }),
      ),
    );
    log('layer cushions written');
  }
  if (wants('interlayer')) {
    await save(
      'interlayer.json',
      Object.fromEntries(
        nets.map((n) => [
          n.name,
          interlayerSpans(n.spec).map((s) => measureInterlayer(n, test.x, s, projections, seed)),
        ]),
      ),
    );
    log('interlayer cushions written');
  }
  tf.dispose([test.x, test.y]);

  if (wants('sigma')) {
    const batch = firstImages(train, stats, info.shape, sigmaBatch);
    const flows = nets.map((n) => ({
      name: n.name,
      flow: withParams(n, (params) => dominantFlowFraction(n.spec, params, batch.x, batch.y)),
    }));
    tf.dispose([batch.x, batch.y]);
    await save('sigma.json', Object.fromEntries(flows.map((f) => [f.name, f.flow])));
    await save(
      'sigma.svg',
      await renderSvg(
        lineFigure(
          flows.map((f) => ({
            series: f.name,
            variant: `epoch ${checkpoint.epoch}`,
            x: f.flow.layers,
            y: f.flow.sigma,
          })),
          { title: `sigma(l) at epoch ${checkpoint.epoch}`, xTitle: 'layer l', yTitle: 'sigma(l)' },
        ),
      ),
    );
    log('sigma written');
  }
  return written;
}

/** Adds `analyse` to a commander program; its output goes through the given writers. */
export function registerAnalyse(
  program: Command,
  io: { stdout: (t: string) => void; stderr: (t: string) => void },
): Command {
  program
    .command('analyse')
    .description('measure the nets of a training run: weights, cushions, sigma(l)')
    .requiredOption('--run <dir>', 'folder of a run of `nets train`')
    .option('--measure <what>', MEASURES.join(' | '), 'all')
    .option(
      '--data-dir <dir>',
      `folder of the run's data (fashion-mnist: ${DEBIAN_FASHION_MNIST_DIR})`,
    )
    .option('--out <dir>', "folder of the results (default: the run folder's analysis/)")
    .option('--images <N>', 'test images whose cushions are measured', '256')
    .option('--projections <M>', 'random projections per image for ||J||_F', '64')
    .option('--sigma-batch <B>', 'training images of the sigma(l) mini-batch', '16')
    .option('--seed <s>', 'seed of the random projections', '1')
    .option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(' | ')}`, 'auto')
    .action(async (flags: AnalyseFlags) => {
      const files = await analyse(flags, (line) => io.stderr(`${line}\n`));
      for (const f of files) io.stdout(`${f}\n`);
    });
  return program;
}

/** The analyse command on its own; returns the exit status (2 on bad input). */
export async function main(
  argv: string[],
  stdout: (t: string) => void = (t) => process.stdout.write(t),
  stderr: (t: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  const program = new Command('nets').configureOutput({ writeOut: stdout, writeErr: stderr });
  registerAnalyse(program, { stdout, stderr });
  return runProgram(program, argv, stderr);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
