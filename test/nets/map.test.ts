import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { initBackend } from '../../nets/backend.js';
import {
  idEntryIndices,
  identityKernel,
  isBlockLayer,
  toPlain,
  toResidual,
} from '../../nets/map.js';
import { buildNet, forward } from '../../nets/net.js';
import { initWeights, toTensors, type WeightSet } from '../../nets/weights.js';

test.before(async () => {
  await initBackend('wasm');
});

/** Equal as numbers, entry by entry (so -0 equals +0). */
function sameValues(a: WeightSet, b: WeightSet): boolean {
  return a.layers.every(
    (l, i) =>
      l.kernel.every((v, j) => v === b.layers[i].kernel[j]) &&
      l.bias.every((v, j) => v === b.layers[i].bias[j]),
  );
}

test('ID entries sit at the kernel centre, (c, c) for c < min(C, D)', () => {
  assert.equal(idEntryIndices([3, 3, 2, 2]), [4 * 4, 4 * 4 + 3]);
  assert.equal(idEntryIndices([3, 3, 2, 4]), [4 * 8, 4 * 8 + 5]);
  const rho = identityKernel([3, 3, 3, 2]);
  assert.is(
    rho.reduce((a, b) => a + b, 0),
    2,
  );
  assert.is(rho[(4 * 3 + 1) * 2 + 1], 1);
  assert.equal(
    [0, 1, 5, 6].map((i) => isBlockLayer(i, 7)),
    [false, true, true, false],
  );
});

test('T adds 1 to the ID entries of the blocks only, and T^-1(T(w)) === w', () => {
  const spec = buildNet({ kind: 'residual', depth: 8, inputShape: [8, 8, 3], classes: 10 });
  const r = initWeights(spec, 11);
  const p = toPlain(r);
  assert.is(p.kind, 'plain');
  let changed = 0;
  p.layers.forEach((layer, l) => {
    const ids = new Set(isBlockLayer(l, p.layers.length) ? idEntryIndices(layer.kernelShape) : []);
    layer.kernel.forEach((v, i) => {
      if (ids.has(i)) {
        assert.is(v, r.layers[l].kernel[i] + 1);
        changed++;
      } else assert.ok(Object.is(v, r.layers[l].kernel[i]));
    });
    assert.equal(layer.bias, r.layers[l].bias);
  });
  assert.is(changed, 2 * 16 + 2 * 32 + 2 * 64 - 16 - 32);
  assert.ok(sameValues(toResidual(p), r), 'T^-1(T(r)) == r');

  const plain = initWeights({ ...spec, kind: 'plain' }, 12);
  assert.ok(sameValues(toPlain(toResidual(plain)), plain), 'T(T^-1(p)) == p');
});

test('T is exact for edge values and refuses the wrong kind of weight set', () => {
  const edges = [0, -0, 2 ** -29, -(2 ** -29), 1, -1, 0.5, Math.fround(1e-3), 3.4e38];
  const kernel = new Float64Array(3 * 3 * 9 * 9);
  idEntryIndices([3, 3, 9, 9]).forEach((i, c) => (kernel[i] = edges[c]));
  const layer = { kernelShape: [3, 3, 9, 9], kernel, bias: new Float64Array(9) };
  const stem = {
    kernelShape: [3, 3, 1, 9],
    kernel: new Float64Array(81),
    bias: new Float64Array(9),
  };
  const dense = { kernelShape: [9, 2], kernel: new Float64Array(18), bias: new Float64Array(2) };
  const r: WeightSet = { kind: 'residual', layers: [stem, layer, dense] };
  assert.ok(sameValues(toResidual(toPlain(r)), r));
  assert.throws(() => toResidual(r), /weights must be a plain weight set, got a residual one/);
  assert.throws(() => toPlain(toPlain(r)), /must be a residual weight set/);
  const odd: WeightSet = { kind: 'residual', layers: [stem, { ...dense }, dense] };
  assert.throws(() => toPlain(odd), /layer 1 must hold a 3x3 conv kernel/);
});

test('a residual net and its T-twin give the same logits to float32 rounding', () => {
  let worst = 0;
  for (const [shape, depth] of [
    [[28, 28, 1], 20],
    [[32, 32, 3], 8],
  ] as const) {
    const residual = buildNet({ kind: 'residual', depth, inputShape: shape, classes: 10 });
    const plain = buildNet({ kind: 'plain', depth, inputShape: shape, classes: 10 });
    const r = initWeights(residual, 5);
    const rt = toTensors(r);
    const pt = toTensors(toPlain(r));
    const x = tf.randomNormal([6, ...shape], 0, 1, 'float32', 6) as tf.Tensor4D;
    const [a, b] = [forward(residual, rt, x), forward(plain, pt, x)];
    const gap = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0];
    worst = Math.max(worst, gap);
    assert.ok(gap < 1e-5, `relative gap ${gap}`);
    tf.dispose([
      x,
      a,
      b,
      ...rt.flatMap((p) => [p.kernel, p.bias]),
      ...pt.flatMap((p) => [p.kernel, p.bias]),
    ]);
  }
  console.error(`T twins: max relative difference of logits ${worst.toExponential(2)}`);
});

test.run();
