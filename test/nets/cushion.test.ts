import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';

import {
  convFrobeniusNorm,
  frobeniusFromProjections,
  interlayerCushions,
  layerCushions,
} from '../../nets/cushion.js';
import { toPlain } from '../../nets/map.js';
import {
  blockIdentity,
  buildNet,
  CONV_PADDING,
  forward,
  type ConvLayerSpec,
} from '../../nets/net.js';
import { createRng } from '../../nets/random.js';
import { toTensors } from '../../nets/weights.js';
import { disposeTiny, tinyNet } from './tiny.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

/** ||A||_F of a padded conv by applying it to every basis vector of its input space. */
function frobeniusByBasis(kernel: Float64Array, layer: ConvLayerSpec): number {
  const [H, W] = layer.inSize;
  const n = H * W * layer.inChannels;
  return tf.tidy(() => {
    const basis = tf.reshape(tf.eye(n), [n, H, W, layer.inChannels]) as tf.Tensor4D;
    const k = tf.tensor4d(Float32Array.from(kernel), [3, 3, layer.inChannels, layer.outChannels]);
    const image = tf.conv2d(basis, k, layer.stride, CONV_PADDING).dataSync() as Float32Array;
    return Math.sqrt(Float64Array.from(image).reduce((s, v) => s + v * v, 0));
  });
}

test('convFrobeniusNorm equals the norm of the map applied to basis vectors', () => {
  const spec = buildNet({ kind: 'plain', depth: 5, inputShape: [7, 6, 3], classes: 2 });
  const rng = createRng(5);
  for (const layer of spec.convs) {
    const kernel = Float64Array.from({ length: 9 * layer.inChannels * layer.outChannels }, () =>
      Math.fround(rng.normal()),
    );
    const exact = frobeniusByBasis(kernel, layer);
    const norm = convFrobeniusNorm(kernel, layer);
    assert.ok(Math.abs(norm - exact) / exact < 1e-5, `layer ${layer.index}: ${norm} vs ${exact}`);
    const kernelNorm = Math.sqrt(kernel.reduce((s, v) => s + v * v, 0));
    assert.ok(norm < kernelNorm * Math.sqrt(layer.outSize[0] * layer.outSize[1]));
  }
});

test('layer cushions of a residual net use T(r) above and r below', () => {
  const net = tinyNet('residual', 3, 11);
  const kernels = net.weights.layers.map((l) => l.kernel);
  const cushions = layerCushions(net.spec, net.params, kernels, net.x);
  const plainParams = toTensors(toPlain(net.weights));
  const inputs: tf.Tensor4D[] = [];
  tf.tidy(() => forward(net.spec, net.params, net.x, (_l, t) => inputs.push(tf.keep(t.input))));
  for (const layer of net.spec.convs) {
    const x = inputs[layer.index];
    const top = tf.tidy(() => {
      const kernel = plainParams[layer.index].kernel as tf.Tensor4D;
      const ax = tf.conv2d(x, kernel, layer.stride, CONV_PADDING);
      return tf.sqrt(tf.sum(tf.square(ax), [1, 2, 3])).arraySync() as number[];
    });
    const bottom = tf.tidy(() => tf.sqrt(tf.sum(tf.square(x), [1, 2, 3])).arraySync() as number[]);
    const norm = frobeniusByBasis(net.weights.layers[layer.index].kernel, layer);
    top.forEach((t, b) => {
      const expected = t / (norm * bottom[b]);
      const got = cushions[layer.index][b];
      assert.ok(Math.abs(got - expected) / expected < 1e-4, `${layer.index}: ${got} ${expected}`);
    });
  }
  tf.dispose([...inputs, ...plainParams.flatMap((p) => [p.kernel, p.bias])]);
  disposeTiny(net);
});

/** The exact Jacobian from the input of conv layer `from` to the output of `to`, by autodiff. */
function exactJacobian(net: ReturnType<typeof tinyNet>, from: number, to: number, b: number) {
  const inputs: tf.Tensor4D[] = [];
  const sample = tf.slice(net.x, [b, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
  tf.tidy(() => forward(net.spec, net.params, sample, (_l, t) => inputs.push(tf.keep(t.input))));
  const xi = inputs[from];
  const part = (h0: tf.Tensor) => {
    let h = h0 as tf.Tensor4D;
    for (let m = from; m <= to; m++) {
      const layer = net.spec.convs[m];
      const { kernel, bias } = net.params[m];
      const conv = tf.conv2d(h, kernel as tf.Tensor4D, layer.stride, CONV_PADDING);
      let z = tf.add(conv, bias) as tf.Tensor4D;
      if (layer.identity) z = tf.add(z, blockIdentity(h, layer));
      h = tf.relu(z);
    }
    return h;
  };
  const outSize = tf.tidy(() => part(xi).size);
  const rows: Float32Array[] = [];
  for (let k = 0; k < outSize; k++) {
    const row = tf.tidy(() => {
      const f = (h: tf.Tensor) => tf.sum(tf.mul(tf.reshape(part(h), [-1]), tf.oneHot(k, outSize)));
      return tf.grad(f)(xi);
    });
    rows.push(row.dataSync() as Float32Array);
    row.dispose();
  }
  const x = xi.dataSync() as Float32Array;
  tf.dispose([...inputs, sample]);
  return { rows, x };
}

test('interlayer cushion: the estimator brackets the exact ||J||_F and J x is exact', () => {
  const net = tinyNet('residual', 2, 21);
  for (const [from, to] of [
    [1, 3],
    [2, 2],
  ]) {
    const estimates = interlayerCushions(net.spec, net.params, net.x, {
      from,
      to,
      projections: 256,
      seed: 3,
    });
    estimates.forEach((e, b) => {
      const { rows, x } = exactJacobian(net, from, to, b);
      let frob = 0;
      let jx = 0;
      for (const row of rows) {
        let dot = 0;
        for (let i = 0; i < row.length; i++) {
          frob += row[i] ** 2;
          dot += row[i] * x[i];
        }
        jx += dot * dot;
      }
      frob = Math.sqrt(frob);
      const xNorm = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
      const exact = (Math.sqrt(x.length) * Math.sqrt(jx)) / (frob * xNorm);
      assert.ok(Math.abs(e.gain - Math.sqrt(jx) / xNorm) / e.gain < 1e-4);
      assert.ok(e.frobenius.low <= frob && frob <= e.frobenius.high, `${from}-${to}: ${frob}`);
      assert.ok(e.cushion.low <= exact && exact <= e.cushion.high);
      assert.ok(Math.abs(e.frobenius.value - frob) / frob < 0.1);
      assert.is(e.inputSize, x.length);
    });
  }
  disposeTiny(net);
});

test('the Frobenius estimator is unbiased: many small estimates average to the exact value', () => {
  const net = tinyNet('plain', 1, 31);
  const { rows } = exactJacobian(net, 1, 2, 0);
  const exactSquare = rows.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0);
  let mean = 0;
  const repeats = 40;
  for (let seed = 0; seed < repeats; seed++) {
    const options = { from: 1, to: 2, projections: 4, seed };
    const [e] = interlayerCushions(net.spec, net.params, net.x, options);
    mean += e.frobenius.value ** 2 / repeats;
  }
  assert.ok(Math.abs(mean - exactSquare) / exactSquare < 0.05, `${mean} vs ${exactSquare}`);
  disposeTiny(net);
});

test('bad options are named in the error', () => {
  const net = tinyNet('plain', 1, 1);
  const run = (o: object) =>
    interlayerCushions(net.spec, net.params, net.x, {
      from: 1,
      to: 2,
      projections: 4,
      seed: 1,
      ...o,
    });
  assert.throws(() => run({ from: 3, to: 2 }), /from and to must be conv layers .* got 3 and 2/);
  assert.throws(() => run({ to: 9 }), /got 1 and 9/);
  assert.throws(() => run({ projections: 1 }), /projections must be an integer >= 2, got 1/);
  assert.throws(() => run({ level: 0.5 }), /level must be 0.9, 0.95 or 0.99, got 0.5/);
  const interval = frobeniusFromProjections([4, 4, 4], 0.99);
  assert.equal(interval, { value: 2, low: 2, high: 2 });
  disposeTiny(net);
});

test.run();
