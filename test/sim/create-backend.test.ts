import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  BACKEND_NAMES,
  checkBackendName,
  createBackend,
  gpuStatus,
} from '../../sim/create-backend.js';
import { loadGpuJs } from '../../sim/gpu-backend.js';

/** A gpu.js loader as on a machine where the optional install failed. */
const withoutGpuJs = () => loadGpuJs('/nowhere/here.js');

const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};

test('names are cpu, gpu, auto; others get a one-line RangeError naming the option', () => {
  assert.equal([...BACKEND_NAMES], ['cpu', 'gpu', 'auto']);
  for (const name of BACKEND_NAMES) assert.is(checkBackendName(name), name);
  assert.throws(
    () => checkBackendName('cuda'),
    (error: Error) =>
      error instanceof RangeError &&
      error.message === 'backend must be one of cpu, gpu, auto, got "cuda"',
  );
  assert.throws(() => checkBackendName(undefined), /got undefined/);
});

test('cpu is the worker pool', async () => {
  const backend = await createBackend('cpu', 1);
  assert.is(backend.name, 'cpu-workers');
  await backend.close();
  const error = await rejection(createBackend('tpu' as 'cpu'));
  assert.instance(error, RangeError);
});

test('gpu without gpu.js fails in one line naming the backend and how to install it', async () => {
  assert.is(gpuStatus(withoutGpuJs).available, false);
  const error = await rejection(createBackend('gpu', 1, withoutGpuJs));
  assert.match(error.message, /^backend gpu cannot run here: gpu\.js is not installed/);
  assert.match(error.message, /npm install gpu\.js; use backend cpu or auto$/);
  assert.not.match(error.message, /\n/);
});

test('gpu runs GL kernels where GL exists, else fails saying what is missing', async () => {
  const status = gpuStatus();
  if (status.available) {
    const backend = await createBackend('gpu', 1);
    assert.match(backend.name, /^gpu\.js-gl/);
    await backend.close();
  } else {
    const error = await rejection(createBackend('gpu', 1));
    const advice = 'use backend cpu or auto';
    assert.is(error.message, `backend gpu cannot run here: ${status.missing}; ${advice}`);
  }
});

test('auto falls back to the CPU pool without gpu.js, and without a GPU renderer', async () => {
  const fallback = await createBackend('auto', 1, withoutGpuJs);
  assert.is(fallback.name, 'cpu-workers');
  await fallback.close();

  const status = gpuStatus();
  const backend = await createBackend('auto', 1);
  assert.is(backend.name, status.available && !status.software ? 'gpu.js-gl' : 'cpu-workers');
  await backend.close();
});

test.run();
