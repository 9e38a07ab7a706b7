/**
 * The Monte-Carlo engine: E[sigma], the expected fraction of dominant gradient flows, estimated
 * from independent draws of the random-matrix model (see src/params.ts and sim/kernel.ts).
 *
 * Trials run in blocks of BLOCK_TRIALS; block b holds trials [b * BLOCK_TRIALS, ...) and draws
 * only from its own streams, seeded from (seed, b, stream). Per-block sums are exact integers, so
 * a result depends on (params, kind, trials, seed) alone: the same for any number of workers, any
 * order of completion and any backend that implements the kernel exactly.
 */
import { type ModelParams, resolveParams } from '../src/params.js';
import { checkCallback, checkNumberType, checkOptions, describeValue } from '../src/validate.js';
import { SIGMA_FORMS, expectedSigma } from '../theory/expected-sigma.js';
import { expectedSigmaPlain } from '../theory/plain-sigma.js';
import type { SimulationBackend } from './backend.js';
import { BACKEND_NAMES, type BackendName, createBackend } from './create-backend.js';
import type { BlockResult, BlockTask, NetKind } from './kernel.js';

export type { NetKind } from './kernel.js';

/** Trials per block: the unit of scheduling and of random streams. */
export const BLOCK_TRIALS = 1000;

/** The fewest trials of a run: one trial has no sample variance, so no standard error. */
export const MIN_TRIALS = 2;

/** Default number of trials per point, as in the source paper's experiments. */
export const DEFAULT_TRIALS = 100_000;

export const NET_KINDS: readonly NetKind[] = ['residual', 'plain'];

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** Architecture (default 'residual'). */
  kind?: NetKind;
  /** Number of independent trials, at least 2 for a standard error (default 100000). */
  trials?: number;
  /** Seed, an integer in [0, 2^53) (default 0). */
  seed?: number;
  /**
   * Worker threads of the CPU backend, or drawing threads of the GPU backend (default: one per
   * core). Ignored when `backend` is a backend object.
   */
  workers?: number;
  /**
   * Where to run (default 'cpu'): a name ('cpu', 'gpu' or 'auto', see sim/create-backend.ts),
   * for a backend created and closed by the call, or a backend object that the caller closes.
   */
  backend?: SimulationBackend | BackendName;
  /** Called after each block with the trials done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** One estimate of E[sigma]. */
export interface SimulationResult {
  kind: NetKind;
  /** Mean of sigma over the trials. */
  mean: number;
  /** Standard error of the mean (sample standard deviation / sqrt(trials)). */
  stdError: number;
  trials: number;
  seed: number;
  params: ModelParams;
  /** Name of the backend that ran the kernel. */
  backend: string;
  /** Wall-clock seconds of the whole estimate. */
  seconds: number;
}

interface RunSettings {
  kind: NetKind;
  trials: number;
  seed: number;
  workers?: number;
  backend: SimulationBackend | BackendName;
}

function checkInteger(name: string, value: unknown, min: number, max: number): number {
  checkNumberType(name, value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** Option names of {@link simulate} and of {@link sweep}. */
const SIMULATE_OPTIONS = ['kind', 'trials', 'seed', 'workers', 'backend', 'onProgress'];
const SWEEP_OPTIONS = [
  'kinds',
  'trials',
  'seed',
  'workers',
  'backend',
  'skip',
  'onPoint',
  'onProgress',
];

/** Validates the run options shared by simulate and sweep; messages name the option. */
function resolveRunSettings(options: SimulateOptions): RunSettings {
  const kind = options.kind ?? 'residual';
  if (!NET_KINDS.includes(kind)) {
    throw new RangeError(`kind must be 'residual' or 'plain', got ${describeValue(kind)}`);
  }
  const trials = checkInteger('trials', options.trials ?? DEFAULT_TRIALS, MIN_TRIALS, 1e12);
  const seed = checkInteger('seed', options.seed ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const workers =
    options.workers === undefined ? undefined : checkInteger('workers', options.workers, 1, 256);
  return { kind, trials, seed, workers, backend: checkBackend(options.backend ?? 'cpu') };
}

function checkBackend(backend: unknown): SimulationBackend | BackendName {
  if (BACKEND_NAMES.includes(backend as BackendName)) return backend as BackendName;
  const object = backend as SimulationBackend | null;
  if (typeof object?.run === 'function' && typeof object.close === 'function') return object;
  throw new RangeError(
    `backend must be one of ${BACKEND_NAMES.join(', ')} or a SimulationBackend, ` +
      `got ${describeValue(backend)}`,
  );
}

/** The backend of a run, and whether the run created it (and so closes it). */
async function openBackend(
  settings: RunSettings,
): Promise<{ backend: SimulationBackend; owned: boolean }> {
  if (typeof settings.backend !== 'string') return { backend: settings.backend, owned: false };
  return { backend: await createBackend(settings.backend, settings.workers), owned: true };
}

/** Blocks handed to a backend at once, so that memory does not grow with the trial count. */
const BLOCKS_PER_BATCH = 10_000;

/**
 * The largest n the simulation takes: the CPU kernel holds 48 n^2 bytes in WebAssembly memory,
 * which cannot pass 4 GiB.
 */
export const MAX_SIMULATED_N = 8192;

/**
 * Checks what the simulation needs beyond valid parameters.
 *
 * @throws RangeError naming the parameter when n is above MAX_SIMULATED_N
 */
export function checkSimulatable(params: ModelParams): void {
  if (params.n > MAX_SIMULATED_N) {
    throw new RangeError(
      `n must be at most ${MAX_SIMULATED_N} to simulate (the kernel holds 48 n^2 bytes in ` +
        `WebAssembly memory), got ${params.n}`,
    );
  }
}

/**
 * The block tasks of one run that reports every l from L - 1 down to params.l: blocks
 * [firstBlock, firstBlock + count), cut short at the run's last trial.
 */
function blockTasks(
  params: ModelParams,
  settings: RunSettings,
  firstBlock: number,
  count: number,
): BlockTask[] {
  const tasks: BlockTask[] = [];
  for (let block = firstBlock; block < firstBlock + count; block++) {
    const start = block * BLOCK_TRIALS;
    if (start >= settings.trials) break;
    tasks.push({
      kind: settings.kind,
      n: params.n,
      depth: params.L - params.l,
      p: params.p,
      t: params.eps * params.sigmaA,
      seed: settings.seed,
      block,
      trials: Math.min(BLOCK_TRIALS, settings.trials - start),
    });
  }
  return tasks;
}

/** Mean and standard error of sigma = count / n from exact per-level sums. */
function summarise(
  count: number,
  square: number,
  trials: number,
  n: number,
): { mean: number; stdError: number } {
  const meanCount = count / trials;
  const variance = Math.max(0, (square - count * meanCount) / (trials - 1));
  return { mean: meanCount / n, stdError: Math.sqrt(variance / trials) / n };
}

/**
 * One run that yields E[sigma] at every l from L - 1 down to params.l, from a single product
 * chain per trial. The result for l equals that of simulate() with that l and the same seed.
 */
async function runLevels(
  params: ModelParams,
  settings: RunSettings,
  onBlock?: (trials: number) => void,
): Promise<Map<number, SimulationResult>> {
  checkSimulatable(params);
  const started = performance.now();
  const { backend, owned } = await openBackend(settings);
  try {
    const depth = params.L - params.l;
    const totals = new Float64Array(depth);
    const squares = new Float64Array(depth);
    const blocks = Math.ceil(settings.trials / BLOCK_TRIALS);
    for (let first = 0; first < blocks; first += BLOCKS_PER_BATCH) {
      const tasks = blockTasks(params, settings, first, BLOCKS_PER_BATCH);
      const results = await backend.run(tasks, (block: BlockResult) => onBlock?.(block.trials));
      for (const block of results) {
        for (let d = 0; d < depth; d++) {
          totals[d] += block.counts[d];
          squares[d] += block.squares[d];
        }
      }
    }

    const seconds = (performance.now() - started) / 1000;
    const byLevel = new Map<number, SimulationResult>();
    for (let d = 0; d < depth; d++) {
      const l = params.L - 1 - d;
      byLevel.set(l, {
        kind: settings.kind,
        ...summarise(totals[d], squares[d], settings.trials, params.n),
        trials: settings.trials,
        seed: settings.seed,
        params: { ...params, l },
        backend: backend.name,
        seconds,
      });
    }
    return byLevel;
  } finally {
    if (owned) await backend.close();
  }
}

/**
 * Estimates E[sigma] by Monte Carlo for a residual or plain net.
 *
 * Accuracy: the standard error is reported; at the defaults and 100K trials it is about 0.0006
 * for residual nets. Against the NumPy reference simulation the means agree within 2 standard
 * errors (tested at fixed seeds).
 *
 * @example
 * const { mean, stdError } = await simulate({ p: 0.5 }, { kind: 'plain', trials: 20000 });
 */
export async function simulate(
  params: Partial<ModelParams> = {},
  options: SimulateOptions = {},
): Promise<SimulationResult> {
  checkOptions(options, SIMULATE_OPTIONS);
  checkCallback('onProgress', options.onProgress);
  const resolved = resolveParams(params);
  const settings = resolveRunSettings(options);
  let done = 0;
  const levels = await runLevels(resolved, settings, (trials) => {
    done += trials;
    options.onProgress?.(done, settings.trials);
  });
  return levels.get(resolved.l) as SimulationResult;
}

/** Parameters that a sweep can vary (L is fixed: vary l instead). */
export type SweepParam = 'n' | 'l' | 'p' | 'eps' | 'sigmaA' | 'sigmaV';

export const SWEEP_PARAMS: readonly SweepParam[] = ['n', 'l', 'p', 'eps', 'sigmaA', 'sigmaV'];

/** One point of a sweep: simulations for the requested kinds and every closed form. */
export interface SweepPoint {
  param: SweepParam;
  value: number;
  params: ModelParams;
  residual?: SimulationResult;
  plain?: SimulationResult;
  /** Closed forms by name: the residual forms of SIGMA_FORMS, and plain for plain nets. */
  theory: Record<string, number>;
}

/** Options of {@link sweep}. */
export interface SweepOptions extends Omit<SimulateOptions, 'kind' | 'onProgress'> {
  /** Kinds to simulate (default both). */
  kinds?: readonly NetKind[];
  /** Values to leave out, e.g. those a resumed run already has. */
  skip?: (value: number) => boolean;
  /** Called as each point finishes, in the order of `values` (l-sweeps: all at once). */
  onPoint?: (point: SweepPoint) => void | Promise<void>;
  /** Called after each block with trials done so far and the total of the sweep. */
  onProgress?: (done: number, total: number) => void;
}

/** Closed forms at one parameter set, keyed by form name. */
export function closedForms(params: ModelParams): Record<string, number> {
  const theory: Record<string, number> = {};
  for (const form of SIGMA_FORMS) theory[form] = expectedSigma(params, { form });
  theory.plain = expectedSigmaPlain(params);
  return theory;
}

/**
 * Runs one parameter over its values for each kind, with the same seed at every point (common
 * random numbers: every point reuses the same draws where the model allows, so curves are
 * smooth). An l-sweep runs one product chain per kind that yields every l at once, so it costs
 * about as much as its deepest point.
 *
 * @throws RangeError naming the parameter and the value when a value is invalid or repeated
 */
export async function sweep(
  vary: SweepParam,
  values: readonly number[],
  params: Partial<ModelParams> = {},
  options: SweepOptions = {},
): Promise<SweepPoint[]> {
  if (!SWEEP_PARAMS.includes(vary)) {
    throw new RangeError(
      `vary must be one of ${SWEEP_PARAMS.join(', ')}, got ${describeValue(vary)}`,
    );
  }
  checkOptions(options, SWEEP_OPTIONS);
  for (const name of ['skip', 'onPoint', 'onProgress'] as const) checkCallback(name, options[name]);
  if (!Array.isArray(values) || values.length === 0) {
    throw new RangeError(
      `values must be a non-empty array of numbers, got ${describeValue(values)}`,
    );
  }
  const seen = new Set<number>();
  for (const value of values) {
    if (seen.has(value)) throw new RangeError(`values must not repeat a value, got ${value} twice`);
    seen.add(value);
  }
  const base = resolveParams(params);
  const pointParams = values.map((value) => resolveParams({ ...base, [vary]: value }));
  pointParams.forEach(checkSimulatable);
  const kinds = options.kinds ?? NET_KINDS;
  if (kinds.length === 0) throw new RangeError('kinds must not be empty');
  const settings = kinds.map((kind) => resolveRunSettings({ ...options, kind }));
  const todo = values.map((_, i) => i).filter((i) => !options.skip?.(values[i]));

  const runs = vary === 'l' ? (todo.length > 0 ? 1 : 0) : todo.length;
  const total = runs * kinds.length * settings[0].trials;
  let done = 0;
  const progress = (trials: number): void => {
    done += trials;
    options.onProgress?.(done, total);
  };

  const { backend, owned } = await openBackend(settings[0]);
  const shared = settings.map((s) => ({ ...s, backend }));
  const points: SweepPoint[] = [];
  try {
    if (vary === 'l' && todo.length > 0) {
      const deepest = Math.min(...todo.map((i) => values[i]));
      const levelsByKind: Map<number, SimulationResult>[] = [];
      for (const s of shared) {
        levelsByKind.push(await runLevels({ ...base, l: deepest }, s, progress));
      }
      for (const i of todo) {
        const point = makePoint(vary, values[i], pointParams[i]);
        kinds.forEach((kind, k) => {
          point[kind] = levelsByKind[k].get(values[i]);
        });
        points.push(point);
        await options.onPoint?.(point);
      }
    } else {
      for (const i of todo) {
        const point = makePoint(vary, values[i], pointParams[i]);
        for (let k = 0; k < kinds.length; k++) {
          const levels = await runLevels(pointParams[i], shared[k], progress);
          point[kinds[k]] = levels.get(pointParams[i].l);
        }
        points.push(point);
        await options.onPoint?.(point);
      }
    }
  } finally {
    if (owned) await backend.close();
  }
  return points;
}

function makePoint(vary: SweepParam, value: number, params: ModelParams): SweepPoint {
  return { param: vary, value, params, theory: closedForms(params) };
}
