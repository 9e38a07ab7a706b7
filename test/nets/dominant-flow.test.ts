import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';

import { dominantFlowFraction } from '../../nets/dominant-flow.js';
import { blockIdentity, CONV_PADDING, crossEntropy, forward } from '../../nets/net.js';
import { disposeTiny, tinyNet, type TinyNet } from './tiny.js';

test.before(async () => {
  await tf.setBackend('cpu');
});

/**
 * sigma(l) from tfjs's gradient function: for each layer l and final feature j, the gradient of
 * sum_b g_bj a_bj^(L) with respect to a^(l), the net from layer l + 1 on written with tfjs ops.
 */
function sigmaByAutodiff(net: TinyNet): number[] {
  const { spec, params } = net;
  const outputs: tf.Tensor4D[] = [];
  let pooled: tf.Tensor2D | undefined;
  tf.tidy(() => forward(spec, params, net.x, (_l, t) => outputs.push(tf.keep(t.output))));
  const dense = params[spec.convs.length];
  const g = tf.tidy(() => {
    const feats = (p: tf.Tensor) =>
      crossEntropy(
        tf.add(tf.matMul(p as tf.Tensor2D, dense.kernel as tf.Tensor2D), dense.bias),
        net.labels,
      );
    pooled = tf.mean(outputs[outputs.length - 1], [1, 2]) as tf.Tensor2D;
    return tf.mul(tf.grad(feats)(pooled), net.x.shape[0]);
  });
  const tail = (l: number) => (a: tf.Tensor) => {
    let h = a as tf.Tensor4D;
    for (let m = l + 1; m < spec.convs.length; m++) {
      const layer = spec.convs[m];
      let z = tf.add(
        tf.conv2d(h, params[m].kernel as tf.Tensor4D, layer.stride, CONV_PADDING),
        params[m].bias,
      ) as tf.Tensor4D;
      if (layer.identity) z = tf.add(z, blockIdentity(h, layer));
      h = tf.relu(z);
    }
    return tf.mean(h, [1, 2]);
  };
  const sigma: number[] = [];
  for (let l = 0; l < spec.convs.length - 1; l++) {
    const channels = spec.convs[l].outChannels;
    const theta: Float32Array[] = [];
    for (let j = 0; j < 64; j++) {
      const grad = tf.tidy(() => {
        const mask = tf.mul(g, tf.oneHot(tf.fill([g.shape[0]], j, 'int32'), 64));
        return tf.grad((a) => tf.sum(tf.mul(tail(l)(a), mask)))(outputs[l]);
      });
      theta.push(grad.dataSync() as Float32Array);
      grad.dispose();
    }
    const size = theta[0].length;
    let dominant = 0;
    for (let b = 0; b < net.x.shape[0]; b++) {
      for (let i = 0; i < channels; i++) {
        let sum = 0;
        let used = 0;
        for (let k = i; k < size / net.x.shape[0]; k += channels) {
          const at = b * (size / net.x.shape[0]) + k;
          let off = 0;
          for (let j = 0; j < 64; j++) if (j !== i) off += theta[j][at];
          const top = Math.abs(theta[i][at]);
          if (top === 0 && off === 0) continue;
          sum += top / Math.abs(off);
          used++;
        }
        if (used > 0 && sum / used > 1) dominant++;
      }
    }
    sigma.push(dominant / (channels * net.x.shape[0]));
  }
  tf.dispose([...outputs, g, pooled as tf.Tensor]);
  return sigma;
}

for (const kind of ['plain', 'residual'] as const) {
  test(`${kind}: the hand-written sigma(l) equals the one from tfjs gradients`, () => {
    const net = tinyNet(kind, 2, kind === 'plain' ? 41 : 43);
    const fast = dominantFlowFraction(net.spec, net.params, net.x, net.labels);
    const slow = sigmaByAutodiff(net);
    assert.equal(fast.layers, [1, 2, 3]);
    assert.equal(fast.sigma, slow);
    assert.is(fast.medianRatio.length, 3);
    disposeTiny(net);
  });
}

test('at initialisation a residual net has several times the dominant flows of a plain one', () => {
  const plain = tinyNet('plain', 4, 51, 0);
  const residual = tinyNet('residual', 4, 51, 0);
  const p = dominantFlowFraction(plain.spec, plain.params, plain.x, plain.labels);
  const r = dominantFlowFraction(residual.spec, residual.params, residual.x, residual.labels);
  r.sigma.forEach((s, l) => assert.ok(s > p.sigma[l], `layer ${l + 1}: ${s} vs ${p.sigma[l]}`));
  r.sigma.forEach((s, l) => assert.ok(s > 0.5 && s > 3 * p.sigma[l]));
  disposeTiny(plain);
  disposeTiny(residual);
});

test.run();
