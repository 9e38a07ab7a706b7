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

/** The forward pass written with plain tfjs ops only: the oracle for the gradients below. */
function referenceLogits(
  spec: ReturnType<typeof buildNet>,
  params: { kernel: tf.Tensor; bias: tf.Tensor }[],
  x: tf.Tensor4D,
): tf.Tensor2D {
  let h = x;
  for (const layer of spec.convs) {
    const { kernel, bias } = params[layer.index];
    const pad = [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ] as [[0, 0], [1, 1], [1, 1], [0, 0]];
    let y = tf.add(tf.conv2d(h, kernel as tf.Tensor4D, layer.stride, pad), bias) as tf.Tensor4D;
    if (layer.identity) {
      const s = layer.stride;
      // The identity as a 1x1 conv with stride s whose kernel is I[C, D]: pixel (s i, s j).
      const eye = tf
        .eye(layer.inChannels, layer.outChannels)
        .reshape([1, 1, layer.inChannels, layer.outChannels]);
      const id = tf.conv2d(h, eye as tf.Tensor4D, layer.stride, 'valid');
      y = tf.add(y, id);
    }
    h = tf.relu(y);
  }
  const dense = params[spec.convs.length];
  return tf.add(
    tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, dense.kernel as tf.Tensor2D),
    dense.bias,
  );
}

test('the gradients of the loss agree with plain tfjs ops on the cpu backend', async () => {
  for (const kind of ['residual', 'plain'] as const) {
    const spec = buildNet({ kind, depth: 8, inputShape: [9, 9, 2], classes: 4 });
    const weights = initWeights(spec, 7);
    const images = Float32Array.from({ length: 3 * 81 * 2 }, (_, i) => Math.sin(i * 0.7));
    const labels = [0, 3, 1];
    const gradients = async (backend: string, reference: boolean) => {
      await initBackend(backend);
      const flat = toTensors(weights).flatMap((p) => [p.kernel, p.bias]);
      const x = tf.tensor4d(images, [3, 9, 9, 2]);
      const y = tf.tensor1d(labels, 'int32');
      const loss = (...f: tf.Tensor[]) => {
        const params = [];
        for (let i = 0; i < f.length; i += 2)
          params.push({ kernel: f[i], bias: f[i + 1] as tf.Tensor1D });
        return crossEntropy(
          reference ? referenceLogits(spec, params, x) : forward(spec, params, x),
          y,
        );
      };
      const { grads } = tf.valueAndGrads(loss)(flat);
      return Promise.all(grads.map((g) => g.data()));
    };
    const ours = await gradients('wasm', false);
    const oracle = await gradients('cpu', true);
    ours.forEach((g, i) => {
      const scale = Math.max(...oracle[i].map(Math.abs), 1e-12);
      const gap = Math.max(...g.map((v, j) => Math.abs(v - oracle[i][j])));
      assert.ok(gap <= 1e-4 * scale, `${kind} tensor ${i}: gap ${gap}, scale ${scale}`);
    });
  }
  await initBackend('wasm');
});

test.run();
