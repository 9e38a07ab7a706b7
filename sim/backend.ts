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

/**
 * Runs blocks on a pool of worker threads, each kept busy by handing it the next pending block
 * as soon as it posts a result.
 */
export class CpuWorkerPool implements SimulationBackend {
  readonly name = 'cpu-workers';
  private readonly workers: Worker[];

  constructor(readonly size: number = defaultWorkerCount()) {
    this.workers = Array.from(
      { length: size },
      () => new Worker(new URL('./worker.js', import.meta.url), { execArgv: workerExecArgv() }),
    );
  }

  run(
    tasks: readonly BlockTask[],
    onBlock?: (result: BlockResult) => void,
  ): Promise<BlockResult[]> {
    return new Promise((resolve, reject) => {
      const results: BlockResult[] = [];
      let nextTask = 0;
      let failed = false;
      if (tasks.length === 0) {
        resolve(results);
        return;
      }

      const cleanups: (() => void)[] = [];
      const finish = (error?: Error): void => {
        for (const cleanup of cleanups) cleanup();
        if (error) reject(error);
        else resolve(results);
      };

      for (const worker of this.workers) {
        const onMessage = (result: BlockResult): void => {
          if (failed) return;
          results.push(result);
          onBlock?.(result);
          if (nextTask < tasks.length) worker.postMessage(tasks[nextTask++]);
          if (results.length === tasks.length) finish();
        };
        const onError = (error: Error): void => {
          failed = true;
          finish(error);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        cleanups.push(() => {
          worker.off('message', onMessage);
          worker.off('error', onError);
        });
        if (nextTask < tasks.length) worker.postMessage(tasks[nextTask++]);
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
