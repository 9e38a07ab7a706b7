/**
 * Worker-thread entry of the CPU backend: runs the blocks it is sent with the CPU kernel and
 * posts each result back, its typed arrays transferred rather than copied.
 */
import { parentPort } from 'node:worker_threads';

import { type BlockTask, runBlock } from './kernel.js';

parentPort?.on('message', (task: BlockTask) => {
  const result = runBlock(task);
  parentPort?.postMessage(result, [
    result.counts.buffer as ArrayBuffer,
    result.squares.buffer as ArrayBuffer,
  ]);
});
