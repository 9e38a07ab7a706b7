import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { initBackend } from '../../nets/backend.js';
import { buildNet } from '../../nets/net.js';
import {
  cloneWeights,
  fromTensors,
  initWeights,
  kernelShapes,
  parameterCount,
  toTensors,
} from '../../nets/weights.js';

test.before(async () => {
  await initBackend('wasm');
});

function std(values: Float64Array): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

test('Kaiming draws have std sqrt(2/S) and Hardt-Ma draws std 1/S, biases zero', () => {
  for (const kind of ['plain', 'residual'] as const) {
    const spec = buildNet({ kind, depth: 20, inputShape: [32, 32, 3], classes: 10 });
    const w = initWeights(spec, 9);
    for (const index of [0, 10, 18, 19]) {
      const layer = w.layers[index];
      const fanIn = layer.kernelShape.slice(0, -1).reduce((a, b) => a * b, 1);
      const expected = kind === 'plain' ? Math.sqrt(2 / fanIn) : 1 / fanIn;
      const n = layer.kernel.length;
      // The sample std of n Gaussians has relative standard error 1 / sqrt(2n); allow 5 of them.
      const relative = Math.abs(std(layer.kernel) / expected - 1);
      assert.ok(relative < 5 / Math.sqrt(2 * n), `${kind} layer ${index}: ${relative}`);
      assert.ok(layer.bias.every((b) => b === 0));
      assert.ok(
        layer.kernel.every((v) => Math.fround(v) === v),
        'float32 values',
      );
    }
  }
});

test('weights repeat with the seed and the layer shapes follow the spec', () => {
  const spec = buildNet({ kind: 'residual', depth: 5, inputShape: [8, 8, 1], classes: 10 });
  assert.equal(kernelShapes(spec), [
    [3, 3, 1, 16],
    [3, 3, 16, 16],
    [3, 3, 16, 32],
    [3, 3, 32, 64],
    [64, 10],
  ]);
  assert.equal(initWeights(spec, 1), initWeights(spec, 1));
  assert.not.equal(initWeights(spec, 1).layers[1].kernel, initWeights(spec, 2).layers[1].kernel);
  const w = initWeights(spec, 1);
  assert.is(parameterCount(w), 144 + 16 + 2304 + 16 + 4608 + 32 + 18432 + 64 + 640 + 10);
  const copy = cloneWeights(w, 'plain');
  assert.is(copy.kind, 'plain');
  copy.layers[0].kernel[0] += 1;
  assert.is.not(copy.layers[0].kernel[0], w.layers[0].kernel[0]);
});

test('weights go to tensors and back unchanged', async () => {
  const spec = buildNet({ kind: 'plain', depth: 5, inputShape: [8, 8, 1], classes: 3 });
  const w = initWeights(spec, 4);
  const tensors = toTensors(w);
  assert.equal(tensors[2].kernel.shape, [3, 3, 16, 32]);
  const back = await fromTensors(tensors, 'plain');
  assert.equal(back, w);
  tf.dispose(tensors.flatMap((t) => [t.kernel, t.bias]));
});

test.run();
