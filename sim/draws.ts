/**
 * Host-side random draws for array kernels (the gpu.js backend): the very numbers the CPU kernel
 * draws, from the same (seed, block, stream) streams in the same order, laid out per chunk of
 * trials as float32 arrays that a kernel can read.
 *
 * A chunk is a list of consecutive blocks of one run, packed trial after trial into `capacity`
 * slots; slots past the last trial stay 0 (a zero mask closes every unit, so such a trial counts
 * nothing). Level d (0 = the top factor) reads stream d + 1 of each block, which holds per trial
 * n^2 normals of A and then n mask words, exactly as runBlock consumes them; level 0 also reads
 * stream 0, the n normals of V per trial. Levels draw independently, so they can be drawn in
 * parallel and ahead of the kernels that use them.
 *
 * Rounding: A and V are rounded once to float32 (relative error <= 2^-24); masks are exact.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import type { BlockTask } from './kernel.js';
import { fillNormals, fillUint32, streamState } from './random.js';
import { workerExecArgv } from './backend.js';

/** The draws of one level of one chunk. */
export interface LevelDraws {
  /** Unit-variance A per trial slot, [capacity][n][n], row-major as in the CPU kernel. */
  a: Float32Array;
  /** The mask per trial slot, [capacity][n]: 1 where the unit is kept, else 0. */
  keep: Float32Array;
  /** Level 0 only: the diagonal of V per trial slot, [capacity][n] (unit variance). */
  v?: Float32Array;
}

/** One request for draws: the blocks of a chunk (sharing n, p and seed) and a level. */
export interface DrawRequest {
  tasks: readonly BlockTask[];
  level: number;
  capacity: number;
}

/** Draws level `level` of a chunk on this thread. */
export function drawLevel({ tasks, level, capacity }: DrawRequest): LevelDraws {
  const { n, p, seed } = tasks[0];
  const keepBelow = p * 4294967296;
  const a = new Float32Array(capacity * n * n);
  const keep = new Float32Array(capacity * n);
  const v = level === 0 ? new Float32Array(capacity * n) : undefined;
  const normals = new Float64Array(n * n);
  const words = new Float64Array(n);

  let slot = 0;
  for (const task of tasks) {
    const layerStream = streamState(seed, task.block, level + 1);
    const vStream = v ? streamState(seed, task.block, 0) : undefined;
    for (let trial = 0; trial < task.trials; trial++, slot++) {
      fillNormals(layerStream, normals, n * n);
      a.set(normals, slot * n * n);
      fillUint32(layerStream, words, n);
      for (let i = 0; i < n; i++) keep[slot * n + i] = words[i] < keepBelow ? 1 : 0;
      if (v && vStream) {
        fillNormals(vStream, normals, n);
        v.set(normals.subarray(0, n), slot * n);
      }
    }
  }
  return { a, keep, v };
}

/**
 * Draws on a pool of worker threads, so that the next chunks are drawn while a kernel runs;
 * with size 0 it draws on the calling thread.
 */
export class DrawPool {
  private readonly workers: Worker[];
  private readonly idle: Worker[];
  private readonly queue: {
    request: DrawRequest;
    resolve: (draws: LevelDraws) => void;
    reject: (error: Error) => void;
  }[] = [];

  constructor(readonly size: number = availableParallelism()) {
    this.workers = Array.from(
      { length: size },
      () =>
        new Worker(new URL('./draw-worker.js', import.meta.url), { execArgv: workerExecArgv() }),
    );
    this.idle = [...this.workers];
  }

  /** Resolves with the draws of `request`, drawn by the next free worker. */
  draw(request: DrawRequest): Promise<LevelDraws> {
    if (this.size === 0) return Promise.resolve(drawLevel(request));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as (typeof this.queue)[number];
      const onMessage = (draws: LevelDraws): void => {
        worker.off('error', onError);
        this.idle.push(worker);
        job.resolve(draws);
        this.dispatch();
      };
      const onError = (error: Error): void => {
        worker.off('message', onMessage);
        job.reject(error);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(job.request);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
