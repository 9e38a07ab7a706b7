/**
 * The gpu.js backend: the product chain of sim/kernel.ts as array kernels, on a GPU through
 * gpu.js's GL kernels where a GL context exists, else on gpu.js's WebAssembly or CPU kernels.
 *
 * Method. The host draws the same random numbers as the CPU kernel (sim/draws.ts, on worker
 * threads, ahead of the kernels), and per chunk of trials the device runs, for each level
 * d = 0..depth-1 of the chain Q_0 = F_L V, Q_d = F_{L-d} Q_{d-1}:
 *
 *   top or step:  one thread per (trial, i, j) computes Q_d[i][j]; for a residual factor
 *                 Q_d[i][j] = t sum_r s_r A[r][i] Q_{d-1}[r][j] + s_i Q_{d-1}[i][j]
 *   count:        one thread per trial counts the rows i with |Q_d[i][i]| > |sum_{j!=i} Q_d[i][j]|
 *
 * The counts come back to the host, which forms the same exact integer sums per block as the CPU
 * kernel. On GL the matrices Q stay on the device between levels (gpu.js pipeline textures).
 *
 * Accuracy. Kernels compute in float32 (gpu.js's CPU kernels compute in float64 but store Q as
 * float32 between levels), the CPU kernel in float64, on the same draws. So a trial's count can
 * differ only where a row is within float32 rounding of the threshold, |Q_ii| ~ |off_i| (a flip).
 * Measured at the paper's defaults, seed 1, all 5 levels: WebAssembly kernels over 100K trials
 * flipped 0 of 500K trial-levels for residual nets and 2 for plain ones, and the means were
 * equal; GL (Mesa llvmpipe) over 10K trials flipped 0 and 1 of 50K (sim/GPU.md has the table).
 *
 * gpu.js is an optional dependency, loaded at run time; without it this module still loads and
 * {@link GpuBackend.create} throws a one-line Error saying how to install it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { DrawPool, type DrawRequest, type LevelDraws } from './draws.js';
import type { SimulationBackend } from './backend.js';
import type { BlockResult, BlockTask } from './kernel.js';

/** The gpu.js modes this backend drives: its best kernels ('gpu'), WebAssembly, or CPU. */
export type GpuMode = 'gpu' | 'webasm' | 'cpu';

export const GPU_MODES: readonly GpuMode[] = ['gpu', 'webasm', 'cpu'];

/** Which kind of gpu.js kernel ran, from the kernel's class (gpu.js's own mode may not say). */
export type KernelKind = 'gl' | 'webassembly' | 'cpu' | 'other';

/** Trials per kernel launch unless asked otherwise (see sim/GPU.md for the measurement). */
export const DEFAULT_CHUNK_TRIALS = 8000;

/**
 * Threads of one launch (trials * n^2) stay below 2^24, where float32 thread indices of GL
 * kernels are still exact integers.
 */
export const MAX_LAUNCH_THREADS = 2 ** 24;

/** Options of {@link GpuBackend.create}. */
export interface GpuBackendOptions {
  /** gpu.js mode (default 'gpu': GL where a context exists, else gpu.js's own fallback). */
  mode?: GpuMode;
  /** Trials per launch (default DEFAULT_CHUNK_TRIALS), lowered to keep trials * n^2 < 2^24. */
  chunkTrials?: number;
  /** Worker threads that draw random numbers (default one per core; 0 draws in line). */
  drawWorkers?: number;
  /** Receives each block's per-trial counts, [trial * depth + d - 1] for d factors. */
  onTrialCounts?: (block: number, counts: Float64Array) => void;
}

/** The parts of gpu.js this module uses (typed here so that builds never need gpu.js). */
export interface GpuJsModule {
  GPU: new (settings: { mode: string }) => GpuJs;
  Input: new (data: Float32Array, size: number[]) => unknown;
  HeadlessGLKernel: { readonly isSupported: boolean; readonly testContext: GlContext | null };
}

/** A WebGL context (gpu.js's test context tells whether one could be made). */
type GlContext = object;

interface GpuJs {
  createKernel(source: (...args: never[]) => number, settings: object): KernelRun;
  destroy(): Promise<void> | void;
}

interface KernelRun {
  (...args: unknown[]): unknown;
  /** The kernel instance that ran last (gpu.js swaps in a CPU kernel when GL compiling fails). */
  kernel: { constructor: { name: string } };
}

/** What a kernel body sees as `this`. */
interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: { n: number };
}

type Grid2 = ArrayLike<ArrayLike<number>>;
type Grid3 = ArrayLike<ArrayLike<ArrayLike<number>>>;

/**
 * Loads gpu.js, or throws an Error whose message says it is missing and how to get it.
 *
 * @param requireFrom - where to resolve it from (tests point this at a folder without it)
 */
export function loadGpuJs(requireFrom: string = import.meta.url): GpuJsModule {
  try {
    return createRequire(requireFrom)('gpu.js') as GpuJsModule;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new Error(
      `gpu.js is not installed (${reason}); it is an optional dependency: npm install gpu.js`,
    );
  }
}

/** Whether gpu.js can run GL kernels here, on which renderer, or what is missing. */
export interface GlStatus {
  available: boolean;
  /** The GL driver libraries loaded, e.g. 'libGLX_nvidia.so.0' or 'swrast_dri.so'. */
  renderer?: string;
  /** True unless a hardware driver is loaded (Mesa's swrast/llvmpipe is software): no GPU. */
  software?: boolean;
  /** Without GL: one sentence saying what is missing and how to get it. */
  missing?: string;
}

/** Libraries of GL drivers, software or hardware, as named in /proc/<pid>/maps. */
const GL_DRIVER = /GLX_|_dri\.so|gallium|nvidia-glcore|swiftshader/;

/** Those of them that drive a GPU. */
const HARDWARE_DRIVER = /nvidia|radeonsi|iris|i965|crocus|nouveau/;

/**
 * The GL driver libraries that a process has loaded, from its /proc/<pid>/maps text, and whether
 * none of them drives hardware. headless-gl's WebGL context reports its renderer only as
 * 'ANGLE', so the loaded driver is what tells Mesa's software rasteriser from a GPU.
 */
export function glDriver(maps: string): { renderer: string; software: boolean } {
  const libraries = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.trim().split(/\s+/)[5];
    if (path && GL_DRIVER.test(path)) libraries.add(path.slice(path.lastIndexOf('/') + 1));
  }
  const names = [...libraries];
  return {
    renderer: names.length > 0 ? names.join(', ') : 'unknown',
    software: !names.some((name) => HARDWARE_DRIVER.test(name)),
  };
}

/**
 * Asks gpu.js for a headless GL context and reads its renderer. gpu.js loads the optional
 * package gl, whose native build needs X11 headers, and whose contexts need an X display.
 *
 * @param requireFrom - where to resolve gl from (by default gpu.js's own folder)
 */
export function glStatus(gpuJs: GpuJsModule, requireFrom?: string): GlStatus {
  try {
    const from = requireFrom ?? createRequire(import.meta.url).resolve('gpu.js');
    createRequire(from).resolve('gl');
  } catch {
    return {
      available: false,
      missing:
        'the optional package gl did not build (Debian: apt-get install libxi-dev libgl-dev ' +
        'xvfb, then npm ci; see sim/GPU.md)',
    };
  }
  const context = gpuJs.HeadlessGLKernel.isSupported ? gpuJs.HeadlessGLKernel.testContext : null;
  if (!context) {
    return {
      available: false,
      missing: 'gl found no display for a GL context (run under xvfb-run -a; see sim/GPU.md)',
    };
  }
  /* c8 ignore start: needs a GL context, which CI machines do not have */
  let maps = '';
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    // Not Linux: the driver stays unknown, and counts as software.
  }
  return { available: true, ...glDriver(maps) };
}
/* c8 ignore stop */

/** The kind of kernel a gpu.js kernel class is. */
export function kernelKind(className: string): KernelKind {
  if (/GL/.test(className)) return 'gl';
  if (className === 'WebAssemblyKernel') return 'webassembly';
  if (className === 'CPUKernel') return 'cpu';
  return 'other';
}

/**
 * The weights of a factor K = identity I + noise A as the kernels apply it. sigma does not change
 * when a factor is scaled, so each factor is scaled to keep Q within float32's range (2^+-128)
 * in deep chains: residual factors with eps sA > 1 become (1 / (eps sA)) I + A, and every factor
 * is multiplied by the power of 2 nearest to 1 / g, g = sqrt(p (identity^2 + n noise^2)) the
 * root-mean-square growth of a row of Q per factor (sqrt(p n) = 4.2 for plain nets at the
 * defaults, which would pass 2^128 near k = 60). A power of 2 is exact, so counts are those of
 * the unscaled kernels wherever those stay in range; at the defaults residual factors keep
 * weight 1. Q still drifts as a random walk in log scale, so chains of some thousands of factors
 * (fewer at small n) can leave float32's range; the CPU backend rescales exactly per trial.
 */
export function factorWeights(task: BlockTask): { noise: number; identity: number } {
  const residual = task.kind === 'residual';
  const t = residual ? task.t : 1;
  const noise = t <= 1 ? t : 1;
  const identity = residual ? (t <= 1 ? 1 : 1 / t) : 0;
  const growth = Math.sqrt(task.p * (identity * identity + task.n * noise * noise));
  const scale = growth > 0 ? Math.pow(2, -Math.round(Math.log2(growth))) : 1;
  return { noise: scale * noise, identity: scale * identity };
}

/* c8 ignore start: gpu.js compiles these bodies from their source text into GLSL, WebAssembly
   or a new JavaScript function, so they never run as written; the tests run them through gpu.js
   and compare with the CPU kernel. */
/** Q_0[i][j] = s_j (t A[j][i] v_j + u [i = j] v_j), u = 0 for plain factors. */
function topEntry(this: KernelThis, v: Grid2, a: Grid3, keep: Grid2, t: number, u: number): number {
  const j = this.thread.x;
  const i = this.thread.y;
  const z = this.thread.z;
  let entry = t * a[z][j][i] * v[z][j];
  if (u > 0 && i === j) entry += u * v[z][j];
  return keep[z][j] * entry;
}

/** Q_d[i][j] = t sum_r s_r A[r][i] Q[r][j] + u s_i Q[i][j], u = 0 for plain factors. */
function stepEntry(
  this: KernelThis,
  q: Grid3,
  a: Grid3,
  keep: Grid2,
  t: number,
  u: number,
): number {
  const j = this.thread.x;
  const i = this.thread.y;
  const z = this.thread.z;
  let sum = 0;
  for (let r = 0; r < this.constants.n; r++) sum += keep[z][r] * a[z][r][i] * q[z][r][j];
  let entry = t * sum;
  if (u > 0) entry += u * keep[z][i] * q[z][i][j];
  return entry;
}

/** The number of rows i of trial z's Q with |Q[i][i]| > |sum_{j != i} Q[i][j]|. */
function countEntry(this: KernelThis, q: Grid3): number {
  const z = this.thread.x;
  let dominant = 0;
  for (let i = 0; i < this.constants.n; i++) {
    let diagonal = 0;
    let offDiagonal = 0;
    for (let j = 0; j < this.constants.n; j++) {
      if (j === i) diagonal = q[z][i][j];
      else offDiagonal += q[z][i][j];
    }
    if (Math.abs(diagonal) > Math.abs(offDiagonal)) dominant += 1;
  }
  return dominant;
}
/* c8 ignore stop */

/** The four kernels for one width n and one launch size. */
interface KernelSet {
  top: KernelRun;
  /** Two step kernels used in turn, so that no launch reads the texture it writes. */
  steps: [KernelRun, KernelRun];
  count: KernelRun;
}

/** Splits a run's tasks into chunks of consecutive blocks that share one launch. */
function chunksOf(tasks: readonly BlockTask[], capacity: (n: number) => number): BlockTask[][] {
  const chunks: BlockTask[][] = [];
  let chunk: BlockTask[] = [];
  let filled = 0;
  for (const task of tasks) {
    const first = chunk[0];
    const fits =
      first !== undefined &&
      first.kind === task.kind &&
      first.n === task.n &&
      first.depth === task.depth &&
      first.p === task.p &&
      first.t === task.t &&
      first.seed === task.seed &&
      filled + task.trials <= capacity(task.n);
    if (!fits && chunk.length > 0) {
      chunks.push(chunk);
      chunk = [];
      filled = 0;
    }
    chunk.push(task);
    filled += task.trials;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/**
 * Runs blocks of trials with gpu.js kernels. Create it with {@link GpuBackend.create}; its name
 * says which kernel class ran last, e.g. 'gpu.js-gl' or 'gpu.js-webassembly'.
 */
export class GpuBackend implements SimulationBackend {
  /**
   * Class names of the gpu.js kernels that ran the last chunk, e.g. 'HeadlessGLKernel' (joined by
   * '+' when gpu.js fell back to another class for some of them).
   */
  kernelClass: string;
  /** The most trials per launch in the last run (see {@link GpuBackend.capacity}). */
  launchTrials = 0;
  /** The GL driver libraries, where the kernels are GL kernels (see {@link glDriver}). */
  renderer?: string;
  /** Whether that driver is a software one. */
  software = false;
  private readonly kernels = new Map<string, KernelSet>();

  private constructor(
    private readonly gpuJs: GpuJsModule,
    private readonly gpu: GpuJs,
    readonly mode: GpuMode,
    private readonly chunkTrials: number,
    private readonly pool: DrawPool,
    private readonly onTrialCounts?: (block: number, counts: Float64Array) => void,
  ) {
    this.kernelClass = this.probe();
    /* c8 ignore next 5: needs a GL context, which CI machines do not have */
    if (kernelKind(this.kernelClass) === 'gl') {
      const status = glStatus(gpuJs);
      this.renderer = status.renderer;
      this.software = status.software === true;
    }
  }

  /**
   * Loads gpu.js and builds a backend in the given mode. Options are checked here, at the public
   * edge, with messages that name the option and the value.
   *
   * @throws Error when gpu.js is not installed; RangeError for a bad option
   */
  static async create(options: GpuBackendOptions = {}): Promise<GpuBackend> {
    const mode = options.mode ?? 'gpu';
    if (!GPU_MODES.includes(mode)) {
      throw new RangeError(`mode must be one of ${GPU_MODES.join(', ')}, got ${String(mode)}`);
    }
    const chunkTrials = options.chunkTrials ?? DEFAULT_CHUNK_TRIALS;
    if (!Number.isInteger(chunkTrials) || chunkTrials < 1) {
      throw new RangeError(`chunkTrials must be an integer >= 1, got ${String(chunkTrials)}`);
    }
    const drawWorkers = options.drawWorkers;
    if (drawWorkers !== undefined && (!Number.isInteger(drawWorkers) || drawWorkers < 0)) {
      throw new RangeError(`drawWorkers must be an integer >= 0, got ${String(drawWorkers)}`);
    }

    const gpuJs = loadGpuJs();
    const gpu = new gpuJs.GPU({ mode });
    const pool = new DrawPool(drawWorkers);
    return new GpuBackend(gpuJs, gpu, mode, chunkTrials, pool, options.onTrialCounts);
  }

  /** 'gpu.js-' and the kinds of kernel that ran, '-software' added on a software GL renderer. */
  get name(): string {
    const kinds = this.kernelClass.split('+').map(kernelKind).join('+');
    return `gpu.js-${kinds}${this.software ? '-software' : ''}`;
  }

  /** Trials per launch at width n; a launch holds at least one whole block all the same. */
  capacity(n: number): number {
    return Math.max(1, Math.min(this.chunkTrials, Math.floor((MAX_LAUNCH_THREADS - 1) / (n * n))));
  }

  /**
   * Trials of the launches of a chunk: its capacity, or its one block where that is larger.
   *
   * @throws RangeError where such a block is too large for GL kernels' exact thread indices
   */
  private launchSize(chunk: readonly BlockTask[]): number {
    const { n } = chunk[0];
    const size = Math.max(this.capacity(n), chunk[0].trials);
    if (size * n * n >= MAX_LAUNCH_THREADS && kernelKind(this.kernelClass) === 'gl') {
      const limit = Math.floor(Math.sqrt((MAX_LAUNCH_THREADS - 1) / size));
      throw new RangeError(
        `n must be <= ${limit} on GL kernels (blocks of ${size} trials), got ${n}; use the CPU`,
      );
    }
    return size;
  }

  async run(
    tasks: readonly BlockTask[],
    onBlock?: (result: BlockResult) => void,
  ): Promise<BlockResult[]> {
    const chunks = chunksOf(tasks, (n) => this.capacity(n));
    const sizes = chunks.map((chunk) => this.launchSize(chunk));
    this.launchTrials = Math.max(0, ...sizes);
    const requests: DrawRequest[] = chunks.flatMap((chunk, c) =>
      Array.from({ length: chunk[0].depth }, (_, level) => ({
        tasks: chunk,
        level,
        capacity: sizes[c],
      })),
    );
    const lookahead = this.pool.size + 2;
    const pending: (Promise<LevelDraws> | undefined)[] = [];
    let requested = 0;
    let next = 0;

    const results: BlockResult[] = [];
    try {
      for (const [c, chunk] of chunks.entries()) {
        const { n, depth } = chunk[0];
        const capacity = sizes[c];
        const kernels = this.launch(n, capacity);
        const levelCounts: Float32Array[] = [];
        const classes = new Set<string>();
        let q: unknown;
        for (let level = 0; level < depth; level++, next++) {
          for (; requested < requests.length && requested <= next + lookahead; requested++) {
            pending[requested] = this.pool.draw(requests[requested]);
          }
          const draws = await (pending[next] as Promise<LevelDraws>);
          pending[next] = undefined;
          q = this.runLevel(chunk[0], capacity, level, draws, q, classes);
          levelCounts.push(kernels.count(q) as Float32Array);
          classes.add(kernels.count.kernel.constructor.name);
        }
        this.kernelClass = [...classes].join('+');

        let slot = 0;
        for (const task of chunk) {
          const result = blockResult(task, levelCounts, slot, this.onTrialCounts);
          slot += task.trials;
          results.push(result);
          onBlock?.(result);
        }
      }
    } catch (error) {
      for (const draw of pending) draw?.catch(() => undefined);
      throw error;
    }
    return results;
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.gpu.destroy();
  }

  /** Runs the top factor (level 0) or one more factor on Q, recording the kernel class. */
  private runLevel(
    task: BlockTask,
    capacity: number,
    level: number,
    draws: LevelDraws,
    q: unknown,
    classes: Set<string>,
  ): unknown {
    const { n } = task;
    const kernels = this.launch(n, capacity);
    const { Input } = this.gpuJs;
    const a = new Input(draws.a, [n, n, capacity]);
    const keep = new Input(draws.keep, [n, capacity]);
    const { noise, identity } = factorWeights(task);

    const kernel = level === 0 ? kernels.top : kernels.steps[level % 2];
    const first = level === 0 ? new Input(draws.v as Float32Array, [n, capacity]) : q;
    const out = kernel(first, a, keep, noise, identity);
    classes.add(kernel.kernel.constructor.name);
    return out;
  }

  /** The kernels for width n and `capacity` trials per launch, built on first use. */
  private launch(n: number, capacity: number): KernelSet {
    const key = `${n}x${capacity}`;
    let set = this.kernels.get(key);
    if (!set) {
      const chain = {
        output: [n, n, capacity],
        constants: { n },
        loopMaxIterations: n,
        precision: 'single',
        tactic: 'precision',
        pipeline: true,
      };
      set = {
        top: this.gpu.createKernel(topEntry, chain),
        steps: [this.gpu.createKernel(stepEntry, chain), this.gpu.createKernel(stepEntry, chain)],
        count: this.gpu.createKernel(countEntry, {
          output: [capacity],
          constants: { n },
          loopMaxIterations: n,
          precision: 'single',
          tactic: 'precision',
        }),
      };
      this.kernels.set(key, set);
    }
    return set;
  }

  /** Runs a one-trial chain at n = 2 and returns the class of the kernel that ran. */
  private probe(): string {
    const task: BlockTask = {
      kind: 'residual',
      n: 2,
      depth: 1,
      p: 1,
      t: 0.1,
      seed: 0,
      block: 0,
      trials: 1,
    };
    const draws: LevelDraws = {
      a: new Float32Array(4),
      keep: new Float32Array(2).fill(1),
      v: new Float32Array(2).fill(1),
    };
    const classes = new Set<string>();
    this.runLevel(task, 1, 0, draws, undefined, classes);
    return [...classes].join('+');
  }
}

/** A block's exact sums (and, if asked, its per-trial counts) from per-level trial counts. */
function blockResult(
  task: BlockTask,
  levelCounts: readonly Float32Array[],
  slot: number,
  onTrialCounts?: (block: number, counts: Float64Array) => void,
): BlockResult {
  const { depth, trials } = task;
  const counts = new Float64Array(depth);
  const squares = new Float64Array(depth);
  const perTrial = onTrialCounts ? new Float64Array(trials * depth) : undefined;
  for (let d = 0; d < depth; d++) {
    const level = levelCounts[d];
    for (let trial = 0; trial < trials; trial++) {
      const dominant = level[slot + trial];
      counts[d] += dominant;
      squares[d] += dominant * dominant;
      if (perTrial) perTrial[trial * depth + d] = dominant;
    }
  }
  if (perTrial) onTrialCounts?.(task.block, perTrial);
  return { block: task.block, trials, counts, squares };
}
