/**
 * Worker-thread entry of the CPU backend: runs the blocks it is sent with the CPU kernel and
 * posts each result back, or the message of the error a block threw.
 *
 * The result's typed arrays are copied, not transferred: they hold only a few numbers, and
 * detaching any ArrayBuffer in a thread makes V8 check for detached buffers on every
 * typed-array access from then on. Measured here, transferring slowed the kernel by 20%.
 */
import { parentPort } from 'node:worker_threads';

import type { WorkerReply } from './backend.js';
import { type BlockTask, runBlock } from './kernel.js';

parentPort?.on('message', (task: BlockTask) => {
  let reply: WorkerReply;
  try {
    reply = runBlock(task);
  } catch (error) {
    reply = { failure: (error as Error).message };
  }
  parentPort?.postMessage(reply);
});
