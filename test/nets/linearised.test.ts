import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../nets/backend.js';
import {
  disposeRecord,
  jacobianVector,
  recordForward,
  vectorJacobian,
} from '../../nets/linearised.js';
import { createRng } from '../../nets/random.js';
import { disposeTiny, relativeDifference, tinyNet } from './tiny.js';

function gaussian(shape: number[], seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, () => rng.normal());
  return tf.tensor4d(values, shape as [number, number, number, number]);
}

/** <u, J v> and <J^T u, v> for the part from layer 0 to the last conv layer, and J^T u. */
function products(kind: 'plain' | 'residual') {
  const net = tinyNet(kind, 2, 61);
  const record = recordForward(net.spec, net.params, net.x);
  const last = net.spec.convs.length - 1;
  const v = gaussian(net.x.shape, 1);
  const jv = jacobianVector(net.spec, net.params, record, 0, last, v);
  const u = gaussian(jv.shape, 2);
  const ju = vectorJacobian(net.spec, net.params, record, 0, last, u);
  const left = tf.sum(tf.mul(u, jv)).dataSync()[0];
  const right = tf.sum(tf.mul(ju, v)).dataSync()[0];
  const back = Float32Array.from(ju.dataSync());
  tf.dispose([v, jv, u, ju]);
  disposeRecord(record);
  disposeTiny(net);
  return { left, right, back };
}

for (const kind of ['plain', 'residual'] as const) {
  test(`${kind}: the backward is the transpose of the forward, on cpu and wasm`, async () => {
    await initBackend('cpu');
    const cpu = products(kind);
    assert.ok(Math.abs(cpu.left - cpu.right) / Math.abs(cpu.left) < 1e-5);
    await initBackend('wasm');
    const wasm = products(kind);
    assert.ok(relativeDifference(wasm.back, cpu.back) < 1e-5);
    await tf.setBackend('cpu');
  });
}

test.run();
