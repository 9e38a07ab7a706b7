import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';

import {
  dominantPathMask,
  dominantPathWeights,
  DominantPathTrainer,
  keptParameterCount,
} from '../../nets/dominant-path.js';
import {
  buildNet,
  CONV_PADDING,
  crossEntropy,
  forward,
  type LayerTensors,
} from '../../nets/net.js';
import { toTensors } from '../../nets/weights.js';
import { disposeTiny, relativeDifference, tinyNet } from './tiny.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

test('masks keep the diagonal, and the lower half of a widening kernel as asked', () => {
  const square = dominantPathMask([3, 3, 2, 2], 'diagonal');
  assert.is(
    square.reduce((s, m) => s + m, 0),
    18,
  );
  assert.is(square[(4 * 2 + 1) * 2 + 1], 1);
  assert.is(square[(4 * 2 + 0) * 2 + 1], 0);
  const wide = dominantPathMask([3, 3, 2, 4], 'diagonal');
  assert.is(
    wide.reduce((s, m) => s + m, 0),
    36,
  );
  assert.is(wide[(0 * 2 + 1) * 4 + 3], 1);
  assert.is(wide[(0 * 2 + 0) * 4 + 3], 0);
  const dense = dominantPathMask([3, 3, 2, 4], 'dense-lower');
  assert.is(
    dense.reduce((s, m) => s + m, 0),
    54,
  );
  assert.is(dense[(0 * 2 + 0) * 4 + 3], 1);
});

test("a T' block is a depthwise conv: each channel reads only its own path", () => {
  const spec = buildNet({ kind: 'residual', depth: 5, inputShape: [5, 5, 2], classes: 3 });
  const weights = dominantPathWeights(spec, 7, 'diagonal');
  const block = weights.layers[1];
  const x = tf.randomNormal([2, 5, 5, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
  const kernel = tf.tensor4d(Float32Array.from(block.kernel), [3, 3, 16, 16]);
  const diagonal = new Float32Array(9 * 16);
  for (let tap = 0; tap < 9; tap++) {
    for (let c = 0; c < 16; c++) diagonal[tap * 16 + c] = block.kernel[(tap * 16 + c) * 16 + c];
  }
  const depthwise = tf.depthwiseConv2d(x, tf.tensor4d(diagonal, [3, 3, 16, 1]), 1, CONV_PADDING);
  const full = tf.conv2d(x, kernel, 1, CONV_PADDING);
  assert.ok(relativeDifference(full.dataSync(), depthwise.dataSync()) < 1e-6);
  assert.is(
    keptParameterCount(weights, 'diagonal') < keptParameterCount(weights, 'dense-lower'),
    true,
  );
  assert.throws(
    () => dominantPathWeights(buildNet({ ...spec, kind: 'plain' }), 1, 'diagonal'),
    /a dominant-path net is a residual net, got a plain spec/,
  );
  tf.dispose([x, kernel, depthwise, full]);
});

test('projected SGD equals SGD on the restricted net, step by step', async () => {
  const net = tinyNet('residual', 4, 71);
  const options = { learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3 };
  const start = dominantPathWeights(net.spec, 71, 'dense-lower');
  const trainer = new DominantPathTrainer(net.spec, start, options, 'dense-lower');

  const masks = start.layers.map((l, i) =>
    i > 0 && i < start.layers.length - 1
      ? tf.tensor(Float32Array.from(dominantPathMask(l.kernelShape, 'dense-lower')), l.kernelShape)
      : null,
  );
  let w = toTensors(start).flatMap((p) => [p.kernel, p.bias]);
  let v = w.map((t) => tf.zerosLike(t));
  const pairs = (flat: tf.Tensor[]): LayerTensors[] =>
    masks.map((m, i) => ({
      kernel: m ? tf.mul(flat[2 * i], m) : flat[2 * i],
      bias: flat[2 * i + 1] as tf.Tensor1D,
    }));
  for (let step = 0; step < 2; step++) {
    const loss = await trainer.step(net.x, net.labels, options.learningRate);
    const { value, grads } = tf.valueAndGrads((...flat: tf.Tensor[]) =>
      crossEntropy(forward(net.spec, pairs(flat), net.x), net.labels),
    )(w);
    assert.ok(Math.abs(value.dataSync()[0] - loss) < 1e-5);
    v = v.map((vi, i) =>
      tf.add(tf.mul(vi, options.momentum), tf.add(grads[i], tf.mul(w[i], options.weightDecay))),
    );
    w = w.map((wi, i) => tf.sub(wi, tf.mul(v[i], options.learningRate)));
  }
  const got = await trainer.weightSet();
  got.layers.forEach((layer, i) => {
    const expected = (masks[i] ? tf.mul(w[2 * i], masks[i] as tf.Tensor) : w[2 * i]).dataSync();
    assert.ok(relativeDifference(layer.kernel, expected) < 1e-5, `layer ${i}`);
    if (masks[i]) {
      const m = masks[i]?.dataSync() as Float32Array;
      layer.kernel.forEach((k, j) => assert.ok(m[j] === 1 || k === 0));
    }
  });
  assert.ok(trainer.decayTerm() > 0);
  assert.is(trainer.params.length, 5);
  trainer.dispose();
  disposeTiny(net);
});

test.run();
