/**
 * `npm run bench`: speed of the Monte-Carlo engine, measured side by side with its baselines in
 * one run, printed as ratios (never asserted in a test).
 *
 * - seconds per 100K trials at the paper's defaults, residual and plain, on the CPU workers;
 * - the cost of a full l-sweep (l = 0..L-1, one product chain) relative to one point at the
 *   default l = 5 and to its deepest point, l = 0, whose chain it shares;
 * - the NumPy reference simulation (--peer PATH, else $NUMPY_PEER, else
 *   ../shared/peers/numpy_peer.py beside the checkout) on the same points, when python3 with
 *   NumPy is present, and the speedup over it;
 * - normal deviates per second: the engine's WebAssembly ziggurat and its JavaScript reference
 *   (the same numbers), against @stdlib/random-base-normal.
 *
 * With --backend gpu (or auto) it times the backends side by side instead: the CPU workers and
 * gpu.js's kernels (GL where a context exists, else its WebAssembly kernels, with a note), in
 * seconds per 100K trials, the speedup over the CPU workers and the difference of the means
 * (see sim/bench-backends.ts and sim/GPU.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import normal from '@stdlib/random-base-normal';
import Table from 'cli-table3';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { ownMessage } from './cli.js';
import { benchBackends } from '../sim/bench-backends.js';
import { BACKEND_NAMES, type BackendName, gpuStatus } from '../sim/create-backend.js';
import { GPU_MODES, type GpuMode } from '../sim/gpu-backend.js';
import { fillNormalsWasm } from '../sim/kernel.js';
import { type StreamState, fillNormals, streamState } from '../sim/random.js';
import { type NetKind, simulate, sweep } from '../sim/simulate.js';

interface BenchFlags {
  trials: number;
  workers: number;
  peer: string;
  /** Whether --peer was given on the command line (then a missing script is an error). */
  peerNamed?: boolean;
  backend: BackendName;
  gpuModes?: GpuMode[];
  chunks?: number[];
}

/** The peer script: $NUMPY_PEER, else ../shared/peers/numpy_peer.py beside the checkout. */
const defaultPeer =
  process.env.NUMPY_PEER ??
  fileURLToPath(new URL('../../../shared/peers/numpy_peer.py', import.meta.url));

function hasNumpy(peer: string): boolean {
  if (!existsSync(peer)) return false;
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The NumPy peer failed or printed something other than its JSON line. */
class PeerError extends Error {}

function peerSeconds(peer: string, kind: NetKind, trials: number): number {
  const args = [peer, '--trials', String(trials), '--kind', kind === 'residual' ? 'res' : 'plain'];
  let seconds: unknown;
  try {
    const output = execFileSync('python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    seconds = JSON.parse(output.toString()).seconds;
  } catch (error) {
    const why = (error as Error).message.split('\n')[0];
    throw new PeerError(`--peer ${peer}: the NumPy reference did not run (${why})`);
  }
  if (typeof seconds !== 'number' || !(seconds > 0)) {
    throw new PeerError(`--peer ${peer}: the NumPy reference printed no time in seconds`);
  }
  return seconds;
}

function normalRates(count: number): { wasm: number; javascript: number; stdlib: number } {
  const batch = 10_000;
  const out = new Float64Array(batch);
  const rate = (fill: (state: StreamState, out: Float64Array) => void): number => {
    const state = streamState(1, 0, 0);
    for (let i = 0; i < 1000; i++) fill(state, out);
    const started = performance.now();
    for (let drawn = 0; drawn < count; drawn += batch) fill(state, out);
    return count / ((performance.now() - started) / 1000);
  };
  const wasm = rate(fillNormalsWasm);
  const javascript = rate(fillNormals);

  const draw = normal.factory(0, 1, { seed: 1 });
  const started = performance.now();
  for (let i = 0; i < count; i++) out[i % batch] = draw();
  const stdlib = count / ((performance.now() - started) / 1000);
  return { wasm, javascript, stdlib };
}

async function bench(flags: BenchFlags): Promise<void> {
  const per100k = 100_000 / flags.trials;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (flags.peerNamed && !existsSync(flags.peer)) {
    throw new PeerError(`--peer ${flags.peer}: no such file`);
  }
  const withPeer = hasNumpy(flags.peer);
  const noPeer = 'no NumPy';
  if (!withPeer) {
    log(`note: python3 with NumPy or ${flags.peer} not found; NumPy cells read '${noPeer}'`);
  }

  const table = new Table({
    head: ['measure', 'this package', 'NumPy peer', 'speedup'],
    style: { head: [], border: [], compact: true },
  });
  for (const kind of ['residual', 'plain'] as const) {
    log(`timing ${kind} nets, ${flags.trials} trials on ${flags.workers} workers...`);
    const ours = (await simulate({}, { kind, trials: flags.trials, workers: flags.workers }))
      .seconds;
    const peer = withPeer ? peerSeconds(flags.peer, kind, flags.trials) : NaN;
    table.push([
      `${kind}: s per 100K trials`,
      (ours * per100k).toFixed(2),
      withPeer ? (peer * per100k).toFixed(2) : noPeer,
      withPeer ? `${(peer / ours).toFixed(1)}x` : noPeer,
    ]);
  }

  log('timing one point against a full l-sweep...');
  const onePoint = (await simulate({}, { trials: flags.trials, workers: flags.workers })).seconds;
  const started = performance.now();
  const levels = Array.from({ length: 10 }, (_, l) => l);
  await sweep(
    'l',
    levels,
    {},
    { trials: flags.trials, workers: flags.workers, kinds: ['residual'] },
  );
  const sweepSeconds = (performance.now() - started) / 1000;
  const deepestPoint = (await simulate({ l: 0 }, { trials: flags.trials, workers: flags.workers }))
    .seconds;
  table.push([
    'residual l-sweep (10 values) / one point at l = 5',
    `${(sweepSeconds / onePoint).toFixed(2)}x`,
    withPeer ? '10 runs' : noPeer,
    '',
  ]);
  table.push([
    'residual l-sweep (10 values) / its deepest point, l = 0',
    `${(sweepSeconds / deepestPoint).toFixed(2)}x`,
    withPeer ? '10 runs' : noPeer,
    '',
  ]);

  const rates = normalRates(20_000_000);
  for (const [label, rate] of [
    ['WebAssembly (the engine)', rates.wasm],
    ['JavaScript (reference)', rates.javascript],
  ] as const) {
    table.push([
      `normals per second, one core, ${label}, millions`,
      (rate / 1e6).toFixed(0),
      `@stdlib: ${(rates.stdlib / 1e6).toFixed(0)}`,
      `${(rate / rates.stdlib).toFixed(1)}x`,
    ]);
  }
  process.stdout.write(`${table.toString()}\n`);
}

/** The backends side by side: CPU workers against gpu.js's kernels. */
async function benchGpu(flags: BenchFlags): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const status = gpuStatus();
  let modes = flags.gpuModes;
  if (!modes && status.available) modes = ['gpu'];
  if (!modes && status.missing?.startsWith('gpu.js is not installed')) {
    throw new Error(`--backend ${flags.backend} cannot run here: ${status.missing}`);
  }
  if (!modes) {
    log(`note: no GL: ${status.missing}; timing gpu.js's WebAssembly kernels instead`);
    modes = ['webasm'];
  }
  if (status.available) log(`GL driver: ${status.renderer}`);

  const table = new Table({
    head: ['backend', 'kind', 'trials/launch', 's per 100K', 'speedup', 'mean - CPU mean'],
    style: { head: [], border: [], compact: true },
  });
  await benchBackends({
    trials: flags.trials,
    workers: flags.workers,
    modes,
    chunkTrials: flags.chunks,
    onRow: (row) => {
      log(`  ${row.backend} ${row.kind}: ${row.secondsPer100k.toFixed(2)} s per 100K`);
      table.push([
        row.backend,
        row.kind,
        row.chunkTrials === undefined ? '' : String(row.chunkTrials),
        row.secondsPer100k.toFixed(2),
        `${row.speedup.toFixed(2)}x`,
        row.meanDifference.toExponential(1),
      ]);
    },
  });
  process.stdout.write(`${table.toString()}\n`);
}

function listParser<T>(flag: string, parse: (item: string) => T | undefined) {
  return (text: string): T[] =>
    text.split(',').map((item) => {
      const value = parse(item.trim());
      if (value === undefined) {
        process.stderr.write(`error: --${flag} has a bad item ${JSON.stringify(item)}\n`);
        process.exit(2);
      }
      return value;
    });
}

function integerIn(flag: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(
        `--${flag} must be an integer in [${min}, ${max}], got '${text}'`,
      );
    }
    return value;
  };
}

const program = new Command('bench')
  .description('time the Monte-Carlo engine against the NumPy reference, side by side')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`${ownMessage(text.trimEnd())}\n`) })
  .option(
    '--trials <int>',
    'trials per timed point (at least one block of 1000, so that the timings mean something)',
    integerIn('trials', 1000, 1e9),
    100_000,
  )
  .option('--workers <int>', 'worker threads', integerIn('workers', 1, 256), availableParallelism())
  .option('--peer <path>', 'the NumPy reference script', defaultPeer)
  .addOption(
    new Option('--backend <name>', 'cpu: the engine table; gpu or auto: backends side by side')
      .choices([...BACKEND_NAMES])
      .default('cpu'),
  )
  .option(
    '--gpu-modes <list>',
    `gpu.js modes to time with --backend gpu (of ${GPU_MODES.join(', ')})`,
    listParser('gpu-modes', (item) => GPU_MODES.find((mode) => mode === item)),
  )
  .option(
    '--chunks <list>',
    'trials per gpu.js launch to time, e.g. 2000,8000,32000',
    listParser('chunks', (item) => {
      const value = Number(item);
      return Number.isInteger(value) && value >= 1 ? value : undefined;
    }),
  )
  .action(async (flags: BenchFlags, command: Command) => {
    flags.peerNamed = command.getOptionValueSource('peer') === 'cli';
    if (flags.backend === 'cpu') await bench(flags);
    else await benchGpu(flags);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof PeerError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${(error as Error).message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}
