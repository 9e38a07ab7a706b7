/**
 * Timing of the backends side by side, for `npm run bench -- --backend gpu`: seconds per 100K
 * trials on the CPU worker pool and on each gpu.js mode asked for, the speedup over the pool,
 * and how far each mean lies from the pool's with the same seed (float32 rounding only).
 *
 * Each backend is created once and warmed up with one block, so kernel compilation is not
 * timed; the draws of the random numbers are (they run on the host, overlapped with kernels).
 */
import type { ModelParams } from '../src/params.js';
import { CpuWorkerPool, type SimulationBackend } from './backend.js';
import { GpuBackend, type GpuMode } from './gpu-backend.js';
import { BLOCK_TRIALS, type NetKind, simulate } from './simulate.js';

/** One row of the comparison. */
export interface BackendTiming {
  /** The backend's name after the run, e.g. 'gpu.js-gl'. */
  backend: string;
  kind: NetKind;
  /** Trials per launch of a gpu.js backend; absent for the CPU pool. */
  chunkTrials?: number;
  secondsPer100k: number;
  /** CPU pool seconds over this backend's seconds. */
  speedup: number;
  /** This backend's mean minus the CPU pool's, same seed. */
  meanDifference: number;
}

/** Options of {@link benchBackends}. */
export interface BenchBackendsOptions {
  /** Trials per timed run (default 100000). */
  trials?: number;
  /** Threads of the CPU pool, and drawing threads of the gpu.js backends (default: cores). */
  workers?: number;
  /** gpu.js modes to time (default ['gpu']). */
  modes?: readonly GpuMode[];
  /** Launch sizes to time each mode at (default: the backend's default only). */
  chunkTrials?: readonly (number | undefined)[];
  /** Model parameters (default: the paper's). */
  params?: Partial<ModelParams>;
  /** Kinds to time (default both). */
  kinds?: readonly NetKind[];
  /** Called with each row as it is measured. */
  onRow?: (row: BackendTiming) => void;
}

async function timed(
  backend: SimulationBackend,
  params: Partial<ModelParams>,
  kind: NetKind,
  trials: number,
): Promise<{ seconds: number; mean: number }> {
  await simulate(params, { kind, trials: Math.min(trials, BLOCK_TRIALS), backend });
  const result = await simulate(params, { kind, trials, seed: 1, backend });
  return { seconds: result.seconds, mean: result.mean };
}

/** Times the CPU pool and each gpu.js mode at each launch size; see the module comment. */
export async function benchBackends(options: BenchBackendsOptions = {}): Promise<BackendTiming[]> {
  const trials = options.trials ?? 100_000;
  const params = options.params ?? {};
  const per100k = 100_000 / trials;
  const rows: BackendTiming[] = [];
  const add = (row: BackendTiming): void => {
    rows.push(row);
    options.onRow?.(row);
  };

  for (const kind of options.kinds ?? (['residual', 'plain'] as const)) {
    const pool = new CpuWorkerPool(options.workers);
    const cpu = await timed(pool, params, kind, trials).finally(() => pool.close());
    const secondsPer100k = cpu.seconds * per100k;
    add({ backend: pool.name, kind, secondsPer100k, speedup: 1, meanDifference: 0 });

    for (const mode of options.modes ?? ['gpu']) {
      for (const chunkTrials of options.chunkTrials ?? [undefined]) {
        const gpu = await GpuBackend.create({ mode, chunkTrials, drawWorkers: options.workers });
        const run = await timed(gpu, params, kind, trials).finally(() => gpu.close());
        add({
          backend: gpu.name,
          kind,
          chunkTrials: gpu.launchTrials,
          secondsPer100k: run.seconds * per100k,
          speedup: cpu.seconds / run.seconds,
          meanDifference: run.mean - cpu.mean,
        });
      }
    }
  }
  return rows;
}
