import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { initBackend, NATIVE_PACKAGES } from '../../nets/backend.js';
import { InputError } from '../../nets/errors.js';

const missing = async (name: string): Promise<never> => {
  throw new Error(`Cannot find package '${name}'\nstack line`);
};

test('auto falls back to wasm with the package kernels when no native package loads', async () => {
  const tried: string[] = [];
  const info = await initBackend('auto', (name) => {
    tried.push(name);
    return missing(name);
  });
  assert.equal(tried, [...NATIVE_PACKAGES]);
  assert.is(info.name, 'wasm');
  assert.is(tf.getBackend(), 'wasm');
  assert.match(info.description, /tfjs-backend-wasm 4\.\d+\.\d+, SIMD, 1 thread/);
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined);
});

test('a native package that loads and registers tensorflow is used', async () => {
  const info = await initBackend('auto', async (name) => {
    if (name === '@tensorflow/tfjs-node-gpu') return missing(name);
    tf.registerBackend('tensorflow', tf.findBackendFactory('cpu'));
    return {};
  });
  assert.equal(info, { name: 'tensorflow', description: 'tensorflow (@tensorflow/tfjs-node)' });
  assert.is(tf.getBackend(), 'tensorflow');
  tf.removeBackend('tensorflow');
});

test('a native package that loads without a working backend counts as missing', async () => {
  const info = await initBackend('auto', async () => ({}));
  assert.is(info.name, 'wasm');
});

test('--backend tensorflow with no native package, or an unknown backend: bad input', async () => {
  try {
    await initBackend('tensorflow', missing);
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, InputError);
    assert.match(
      (error as Error).message,
      /--backend tensorflow: no native package loads \(@tensorflow\/tfjs-node-gpu: Cannot find/,
    );
    assert.not.match((error as Error).message, /\n/);
  }
  try {
    await initBackend('gpu');
    assert.unreachable('should fail');
  } catch (error) {
    assert.match(
      (error as Error).message,
      /--backend must be one of auto, tensorflow, wasm, cpu, got 'gpu'/,
    );
  }
  const cpu = await initBackend('cpu');
  assert.is(cpu.name, 'cpu');
  assert.is(tf.getBackend(), 'cpu');
});

test.run();
