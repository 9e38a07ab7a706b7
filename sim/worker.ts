/**
 * Worker-thread entry of the CPU backend: runs the blocks it is sent with the CPU kernel and
 * posts each result back.
 *
 * The result's typed arrays are copied, not transferred: they hold only a few numbers, and
 * detaching any ArrayBuffer in a thread makes V8 check for detached buffers on every
 * typed-array access from then on. Measured here, transferring slowed the kernel by 20%.
 */
import { parentPort } from 'node:worker_threads';

import { type BlockTask, runBlock } from './kernel.js';

parentPort?.on('message', (task: BlockTask) => {
  parentPort?.postMessage(runBlock(task));
});
