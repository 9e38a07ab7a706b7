/**
 * Worker-thread entry of the draw pool: draws the level it is asked for and posts the arrays
 * back, transferred rather than copied.
 */
import { parentPort } from 'node:worker_threads';

import { type DrawRequest, drawLevel } from './draws.js';

parentPort?.on('message', (request: DrawRequest) => {
  const draws = drawLevel(request);
  const buffers = [draws.a.buffer, draws.keep.buffer];
  if (draws.v) buffers.push(draws.v.buffer);
  parentPort?.postMessage(draws, buffers as ArrayBuffer[]);
});
