import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { initBackend } from '../../nets/backend.js';
import { makeBatch } from '../../nets/data.js';
import { identityKernel, isBlockLayer, toPlain } from '../../nets/map.js';
import { buildNet, crossEntropy, forward, type LayerTensors } from '../../nets/net.js';
import {
  evaluateNet,
  learningRateAt,
  PAPER_SGD,
  SgdTrainer,
  warmupFactor,
} from '../../nets/train.js';
import { initWeights, toTensors, type WeightSet } from '../../nets/weights.js';

test.before(async () => {
  await initBackend('wasm');
});

const residual = buildNet({ kind: 'residual', depth: 5, inputShape: [6, 6, 1], classes: 3 });
const plain = buildNet({ kind: 'plain', depth: 5, inputShape: [6, 6, 1], classes: 3 });

function batch(seed: number): [tf.Tensor4D, tf.Tensor1D] {
  const x = tf.randomNormal([4, 6, 6, 1], 0, 1, 'float32', seed) as tf.Tensor4D;
  return [x, tf.tensor1d([0, 1, 2, seed % 3], 'int32')];
}

function maxGap(a: WeightSet, b: WeightSet): number {
  let gap = 0;
  a.layers.forEach((l, i) => {
    l.kernel.forEach((v, j) => (gap = Math.max(gap, Math.abs(v - b.layers[i].kernel[j]))));
    l.bias.forEach((v, j) => (gap = Math.max(gap, Math.abs(v - b.layers[i].bias[j]))));
  });
  return gap;
}

test('the learning rate drops tenfold at 60% and 80% of the epochs', () => {
  assert.equal(
    [0, 119, 120, 159, 160, 199].map((e) => learningRateAt(e, 200, 0.01)),
    [0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001],
  );
  assert.equal(
    [0, 1, 2, 3, 4].map((e) => learningRateAt(e, 5, 1)),
    [1, 1, 1, 0.1, 0.01],
  );
  assert.equal(PAPER_SGD, { learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  assert.equal(
    [0, 1, 3, 4, 100].map((s) => warmupFactor(s, 4)),
    [0.25, 0.5, 1, 1, 1],
  );
  assert.is(warmupFactor(0, 0), 1);
});

test('two steps follow v <- mu v + g + lambda w, w <- w - eta v, computed by hand', async () => {
  const options = { learningRate: 0.05, momentum: 0.9, weightDecay: 0.01 };
  const w0 = initWeights(plain, 2);
  const trainer = new SgdTrainer(plain, w0, options);
  const batches = [batch(1), batch(2)];

  const params = toTensors(w0).flatMap((p) => [p.kernel, p.bias]);
  let velocity = params.map((p) => tf.zerosLike(p));
  let weights = params;
  for (const [x, y] of batches) {
    const loss = (...flat: tf.Tensor[]) => {
      const layers: LayerTensors[] = [];
      for (let i = 0; i < flat.length; i += 2)
        layers.push({ kernel: flat[i], bias: flat[i + 1] as tf.Tensor1D });
      return crossEntropy(forward(plain, layers, x), y);
    };
    const { value, grads } = tf.valueAndGrads(loss)(weights);
    velocity = velocity.map((v, i) => v.mul(0.9).add(grads[i]).add(weights[i].mul(0.01)));
    weights = weights.map((w, i) => w.sub(velocity[i].mul(0.05)));
    const stepLoss = trainer.step(x, y, options.learningRate);
    assert.ok(Math.abs(stepLoss - value.dataSync()[0]) < 1e-6);
  }
  const got = (await trainer.weightSet()).layers.flatMap((l) => [l.kernel, l.bias]);
  const expected = await Promise.all(weights.map((w) => w.data()));
  let gap = 0;
  got.forEach((g, i) => g.forEach((v, j) => (gap = Math.max(gap, Math.abs(v - expected[i][j])))));
  assert.ok(gap < 1e-6, `gap ${gap}`);
  const v = (await trainer.velocitySet()).layers[1].kernel;
  const vExpected = await velocity[2].data();
  assert.ok(v.every((value, j) => Math.abs(value - vExpected[j]) < 1e-6));
  trainer.dispose();
});

test('a residual net and its plain twin with decay ||T^-1(p)||^2 stay twins', async () => {
  const options = { learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 };
  const r0 = initWeights(residual, 3);
  const r = new SgdTrainer(residual, r0, options);
  const p = new SgdTrainer(plain, toPlain(r0), options, 'identity');
  const wrongDecay = new SgdTrainer(plain, toPlain(r0), options, 'zero');
  for (let s = 0; s < 5; s++) {
    const [x, y] = batch(10 + s);
    const [lr, lp] = [r.step(x, y, 0.1), p.step(x, y, 0.1)];
    wrongDecay.step(x, y, 0.1);
    assert.ok(Math.abs(lr - lp) < 1e-5 * lr, `step ${s}: ${lr} vs ${lp}`);
  }
  const twinGap = maxGap(toPlain(await r.weightSet()), await p.weightSet());
  const wrongGap = maxGap(toPlain(await r.weightSet()), await wrongDecay.weightSet());
  assert.ok(twinGap < 1e-5, `twin gap ${twinGap}`);
  assert.ok(wrongGap > 1e-3, `decay towards 0 pulls the ID entries away: ${wrongGap}`);

  const weights = await p.weightSet();
  let sum = 0;
  weights.layers.forEach((l, i) => {
    const rho = isBlockLayer(i, weights.layers.length) ? identityKernel(l.kernelShape) : undefined;
    l.kernel.forEach((v, j) => (sum += (v - (rho ? rho[j] : 0)) ** 2));
    l.bias.forEach((v) => (sum += v * v));
  });
  assert.ok(Math.abs(p.decayTerm() - 0.005 * sum) < 1e-5 * 0.005 * sum);
  assert.ok(Math.abs(r.decayTerm() - p.decayTerm()) < 1e-4 * r.decayTerm());
  [r, p, wrongDecay].forEach((t) => t.dispose());
});

test('evaluateNet counts misclassified images and averages the loss over the split', () => {
  const split = {
    count: 5,
    images: Uint8Array.from({ length: 5 * 36 }, (_, i) => (i * 53) % 256),
    labels: Uint8Array.from([0, 1, 2, 0, 1]),
  };
  const stats = { mean: [128], std: [64] };
  const params = toTensors(initWeights(plain, 8));
  const result = evaluateNet(plain, params, split, stats, 2);

  const all = makeBatch(split, [0, 1, 2, 3, 4], stats);
  const logits = forward(plain, params, tf.tensor4d(all.x, [5, 6, 6, 1])).arraySync();
  let wrong = 0;
  let loss = 0;
  logits.forEach((row, n) => {
    const best = row.indexOf(Math.max(...row));
    if (best !== all.y[n]) wrong++;
    const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    loss += logSum - row[all.y[n]];
  });
  assert.is(result.error, wrong / 5);
  assert.ok(Math.abs(result.loss - loss / 5) < 1e-6);
});

test.run();
