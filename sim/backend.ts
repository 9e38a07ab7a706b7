/**
 * Backends that run blocks of trials. A backend takes a list of block tasks and returns their
 * results in any order; the engine adds them up exactly, so the answer does not depend on the
 * backend's scheduling.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import type { BlockResult, BlockTask } from './kernel.js';

/** What the engine needs from a backend. */
export interface SimulationBackend {
  /** Short name shown in results, e.g. 'cpu-workers'. */
  readonly name: string;
  /** Runs the tasks, calling onBlock as each finishes, and resolves with every result. */
  run(tasks: readonly BlockTask[], onBlock?: (result: BlockResult) => void): Promise<BlockResult[]>;
  /** Releases threads or devices; the backend cannot be used afterwards. */
  close(): Promise<void>;
}

/**
 * Node flags for worker threads: the parent's, less --input-type, which Node refuses for a
 * worker's file (it is set when the package is used from `node --input-type=module -e`).
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
}

/** The number of worker threads used when none is asked for: one per core. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/** What a worker thread posts: a block's result, or the message of the error it threw. */
export type WorkerReply = BlockResult | { failure: string };

/**
 * Runs blocks on a pool of worker threads, each kept busy by handing it the next pending block
 * as soon as it posts a result. A block that throws rejects the run with its message; the
 * workers stay usable. A worker that dies (out of memory, say) rejects this run and every later
 * one with its error, which is never left unhandled.
 */
export class CpuWorkerPool implements SimulationBackend {
  readonly name = 'cpu-workers';
  private readonly workers: Worker[];
  private deadWorkerError: Error | undefined;

  constructor(readonly size: number = defaultWorkerCount()) {
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        execArgv: workerExecArgv(),
      });
      worker.on('error', (error: Error) => {
        this.deadWorkerError ??= error;
      });
      return worker;
    });
  }

  run(
    tasks: readonly BlockTask[],
    onBlock?: (result: BlockResult) => void,
  ): Promise<BlockResult[]> {
    return new Promise((resolve, reject) => {
      const results: BlockResult[] = [];
      let nextTask = 0;
      let failure: Error | undefined;
      if (this.deadWorkerError) {
        reject(this.deadWorkerError);
        return;
      }
      if (tasks.length === 0) {
        resolve(results);
        return;
      }

      // A run settles only once no worker holds one of its blocks, so that a block still in
      // flight when another failed cannot post its result into the next run.
      const busy = new Set<Worker>();
      const cleanups: (() => void)[] = [];
      const settleWhenIdle = (): void => {
        if (busy.size > 0) return;
        for (const cleanup of cleanups) cleanup();
        if (failure) reject(failure);
        else resolve(results);
      };
      const dispatch = (worker: Worker): void => {
        if (failure || nextTask >= tasks.length) return;
        busy.add(worker);
        worker.postMessage(tasks[nextTask++]);
      };

      for (const worker of this.workers) {
        const onMessage = (reply: WorkerReply): void => {
          busy.delete(worker);
          if ('failure' in reply) failure ??= new Error(reply.failure);
          else if (!failure) {
            results.push(reply);
            onBlock?.(reply);
          }
          dispatch(worker);
          if (failure || results.length === tasks.length) settleWhenIdle();
        };
        const onError = (error: Error): void => {
          busy.delete(worker);
          failure ??= error;
          settleWhenIdle();
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        cleanups.push(() => {
          worker.off('message', onMessage);
          worker.off('error', onError);
        });
        dispatch(worker);
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
