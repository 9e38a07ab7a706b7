import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { initBackend } from '../../nets/backend.js';
import { blockIdentity, buildNet, crossEntropy, forward, type LayerTrace } from '../../nets/net.js';
import { initWeights, toTensors } from '../../nets/weights.js';

test.before(async () => {
  await initBackend('wasm');
});

test('buildNet lays out depth 20 on CIFAR-10 as stem, 3 x 6 blocks, dense', () => {
  const net = buildNet({ kind: 'residual', depth: 20, inputShape: [32, 32, 3], classes: 10 });
  assert.is(net.blocksPerGroup, 6);
  assert.is(net.convs.length, 19);
  assert.equal(
    net.convs.map((c) => c.outChannels),
    [16, ...Array(6).fill(16), ...Array(6).fill(32), ...Array(6).fill(64)],
  );
  assert.equal(
    net.convs.filter((c) => c.stride === 2).map((c) => [c.index, c.inChannels, c.outChannels]),
    [
      [7, 16, 32],
      [13, 32, 64],
    ],
  );
  assert.equal(net.convs[18].outSize, [8, 8]);
  assert.equal(
    net.convs.map((c) => c.identity),
    [false, ...Array(18).fill(true)],
  );
  assert.is(net.features, 64);
});

test('buildNet halves 28 x 28 Fashion-MNIST images to 14 and 7, and odd sides upwards', () => {
  const fm = buildNet({ kind: 'plain', depth: 8, inputShape: [28, 28, 1], classes: 10 });
  assert.equal(
    fm.convs.map((c) => c.outSize[0]),
    [28, 28, 28, 14, 14, 7, 7],
  );
  assert.ok(fm.convs.every((c) => !c.identity));
  const odd = buildNet({ kind: 'plain', depth: 5, inputShape: [7, 9, 1], classes: 2 });
  assert.equal(
    odd.convs.map((c) => c.outSize),
    [
      [7, 9],
      [7, 9],
      [4, 5],
      [2, 3],
    ],
  );
});

test('buildNet rejects bad options, naming the option and the value', () => {
  const base = { kind: 'plain' as const, depth: 20, inputShape: [8, 8, 1] as const, classes: 10 };
  assert.throws(() => buildNet({ ...base, depth: 21 }), /depth must be 3N \+ 2 .*got 21/);
  assert.throws(() => buildNet({ ...base, depth: 2 }), /depth must be an integer >= 5, got 2/);
  assert.throws(() => buildNet({ ...base, kind: 'dense' as 'plain' }), /kind must be .*"dense"/);
  assert.throws(() => buildNet({ ...base, classes: 1 }), /classes must be an integer >= 2, got 1/);
  assert.throws(
    () => buildNet({ ...base, inputShape: [8, 0, 1] }),
    /inputShape\[1\] must be an integer >= 1, got 0/,
  );
  assert.throws(
    () => buildNet({ ...base, inputShape: [8, 8] as unknown as [number, number, number] }),
    /inputShape must be \[height, width, channels\]/,
  );
});

test('blockIdentity passes channel c at pixel (2i, 2j) and zeros in the new channels', () => {
  const net = buildNet({ kind: 'residual', depth: 5, inputShape: [5, 5, 2], classes: 2 });
  const widening = net.convs[2];
  const values = Float32Array.from({ length: 5 * 5 * 16 }, (_, i) => i + 1);
  const x = tf.tensor4d(values, [1, 5, 5, 16]);
  const y = blockIdentity(x, widening).arraySync()[0];
  assert.equal([y.length, y[0].length, y[0][0].length], [3, 3, 32]);
  for (const [i, j, c] of [
    [0, 0, 0],
    [1, 2, 5],
    [2, 1, 15],
    [2, 2, 7],
  ]) {
    assert.is(y[i][j][c], values[(2 * i * 5 + 2 * j) * 16 + c]);
  }
  assert.is(y[1][1][16], 0);
  assert.is(y[2][0][31], 0);
  const same = net.convs[1];
  assert.is(blockIdentity(x, same), x);
  x.dispose();
});

test('a residual block equals a plain conv whose kernel has 1 added at the ID entries', () => {
  const net = buildNet({ kind: 'residual', depth: 5, inputShape: [6, 6, 2], classes: 3 });
  const params = toTensors(initWeights(net, 3));
  const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
  const traces: LayerTrace[] = [];
  const logits = forward(net, params, x, (_, trace) => traces.push(trace));
  assert.equal(logits.shape, [2, 3]);
  assert.is(traces.length, 4);

  const layer = net.convs[2];
  const { input, output } = traces[2];
  const [, , C, D] = params[2].kernel.shape;
  const eye = tf.pad(tf.eye(C, D).reshape([1, 1, C, D]), [
    [1, 1],
    [1, 1],
    [0, 0],
    [0, 0],
  ]);
  const plain = tf.relu(
    tf.add(
      tf.conv2d(input, tf.add(params[2].kernel, eye) as tf.Tensor4D, layer.stride, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]),
      params[2].bias,
    ),
  );
  const gap = tf.max(tf.abs(tf.sub(plain, output))).dataSync()[0];
  assert.ok(gap < 1e-6, `gap ${gap}`);
  tf.dispose([x, logits, eye, plain, ...params.flatMap((p) => [p.kernel, p.bias])]);
});

test('crossEntropy equals the hand-computed mean of -log softmax', () => {
  const logits = tf.tensor2d([
    [1, 2, 3],
    [0, 0, 0],
  ]);
  const labels = tf.tensor1d([2, 0], 'int32');
  const expected =
    (-Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))) + Math.log(3)) / 2;
  const value = crossEntropy(logits, labels).dataSync()[0];
  assert.ok(Math.abs(value - expected) < 1e-6, `${value} vs ${expected}`);
});

test.run();
