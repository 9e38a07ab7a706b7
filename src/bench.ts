/**
 * `npm run bench`: speed of the Monte-Carlo engine, measured side by side with its baselines in
 * one run, printed as ratios (never asserted in a test).
 *
 * - seconds per 100K trials at the paper's defaults, residual and plain, on the CPU workers;
 * - the cost of a full l-sweep (l = 0..L-1, one product chain) relative to one point;
 * - the NumPy reference simulation (../shared/peers/numpy_peer.py, or --peer PATH) on the same
 *   points, when python3 with NumPy is present, and the speedup over it;
 * - normal deviates per second: the engine's ziggurat against @stdlib/random-base-normal.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

import normal from '@stdlib/random-base-normal';
import Table from 'cli-table3';
import { Command } from 'commander';

import { fillNormals, streamState } from '../sim/random.js';
import { type NetKind, simulate, sweep } from '../sim/simulate.js';

interface BenchFlags {
  trials: number;
  workers: number;
  peer: string;
}

const defaultPeer = fileURLToPath(new URL('../../../shared/peers/numpy_peer.py', import.meta.url));

function hasNumpy(peer: string): boolean {
  if (!existsSync(peer)) return false;
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function peerSeconds(peer: string, kind: NetKind, trials: number): number {
  const output = execFileSync('python3', [
    peer,
    '--trials',
    String(trials),
    '--kind',
    kind === 'residual' ? 'res' : 'plain',
  ]);
  return JSON.parse(output.toString()).seconds as number;
}

function normalRates(count: number): { ziggurat: number; stdlib: number } {
  const out = new Float64Array(count);
  const state = streamState(1, 0, 0);
  fillNormals(state, out);
  let started = performance.now();
  for (let repeat = 0; repeat < 10; repeat++) fillNormals(state, out);
  const ziggurat = (10 * count) / ((performance.now() - started) / 1000);

  const draw = normal.factory(0, 1, { seed: 1 });
  started = performance.now();
  for (let i = 0; i < count; i++) out[i] = draw();
  const stdlib = count / ((performance.now() - started) / 1000);
  return { ziggurat, stdlib };
}

async function bench(flags: BenchFlags): Promise<void> {
  const per100k = 100_000 / flags.trials;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const withPeer = hasNumpy(flags.peer);
  if (!withPeer) log(`note: python3 with NumPy or ${flags.peer} not found; no NumPy column`);

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
      withPeer ? (peer * per100k).toFixed(2) : 'n/a',
      withPeer ? `${(peer / ours).toFixed(1)}x` : 'n/a',
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
  table.push([
    'residual l-sweep (10 values) / one point at l = 5',
    `${(sweepSeconds / onePoint).toFixed(2)}x`,
    withPeer ? '10 runs' : 'n/a',
    '',
  ]);

  const rates = normalRates(2_000_000);
  table.push([
    'normal deviates per second, one core (millions)',
    (rates.ziggurat / 1e6).toFixed(0),
    `@stdlib: ${(rates.stdlib / 1e6).toFixed(0)}`,
    `${(rates.ziggurat / rates.stdlib).toFixed(1)}x`,
  ]);
  process.stdout.write(`${table.toString()}\n`);
}

const program = new Command('bench')
  .description('time the Monte-Carlo engine against the NumPy reference, side by side')
  .option('--trials <int>', 'trials per timed point', (text) => Number.parseInt(text, 10), 100_000)
  .option(
    '--workers <int>',
    'worker threads',
    (text) => Number.parseInt(text, 10),
    availableParallelism(),
  )
  .option('--peer <path>', 'the NumPy reference script', defaultPeer)
  .action(async (flags: BenchFlags) => {
    for (const name of ['trials', 'workers'] as const) {
      if (!Number.isInteger(flags[name]) || flags[name] < 1) {
        process.stderr.write(`error: --${name} must be an integer >= 1, got ${flags[name]}\n`);
        process.exit(2);
      }
    }
    await bench(flags);
  });

await program.parseAsync(process.argv);
