import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { initBackend } from '../../nets/backend.js';
import { makeBatch } from '../../nets/data.js';
import { twinAgreement } from '../../nets/equivalence.js';
import { toPlain, toResidual } from '../../nets/map.js';
import { buildNet, forward } from '../../nets/net.js';
import { initWeights, toTensors } from '../../nets/weights.js';

test.before(async () => {
  await initBackend('wasm');
});

const split = {
  count: 7,
  images: Uint8Array.from({ length: 7 * 100 }, (_, i) => (i * 97 + 13) % 256),
  labels: Uint8Array.from([0, 1, 2, 3, 4, 5, 6]),
};
const stats = { mean: [120], std: [70] };

test('twinAgreement reports the logit differences that a direct computation gives', () => {
  const residual = buildNet({ kind: 'residual', depth: 8, inputShape: [10, 10, 1], classes: 7 });
  const plain = buildNet({ kind: 'plain', depth: 8, inputShape: [10, 10, 1], classes: 7 });
  const r = initWeights(residual, 21);
  const report = twinAgreement(residual, r, split, stats, 6, 4);

  const batch = makeBatch(split, [0, 1, 2, 3, 4, 5], stats);
  const x = tf.tensor4d(batch.x, [6, 10, 10, 1]);
  const za = forward(residual, toTensors(r), x).arraySync();
  const zb = forward(plain, toTensors(toPlain(r)), x).arraySync();
  let maxAbsolute = 0;
  let maxLogit = 0;
  za.forEach((row, i) =>
    row.forEach((v, k) => {
      maxAbsolute = Math.max(maxAbsolute, Math.abs(v - zb[i][k]));
      maxLogit = Math.max(maxLogit, Math.abs(v));
    }),
  );
  assert.is(report.images, 6);
  assert.is(report.maxAbsolute, maxAbsolute);
  assert.is(report.maxRelative, maxAbsolute / maxLogit);
  assert.ok(report.maxRelative < 1e-5, `relative ${report.maxRelative}`);
  assert.ok(report.maxPerImage < 1e-5);
  assert.is(report.samePrediction, 6);
});

test('twinAgreement maps plain weights through T^-1 and caps the count at the split size', () => {
  const plain = buildNet({ kind: 'plain', depth: 5, inputShape: [10, 10, 1], classes: 7 });
  const p = initWeights(plain, 22);
  const report = twinAgreement(plain, p, split, stats, 100);
  assert.is(report.images, 7);
  assert.ok(report.maxRelative < 1e-5, `relative ${report.maxRelative}`);
  assert.is(toResidual(p).kind, 'residual');
});

test.run();
