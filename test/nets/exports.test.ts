import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('the nets entry exports the nets: structure, weights, the map T, data, training', async () => {
  const pkg = await import('resnet-noise-stability/nets');
  const spec = pkg.buildNet({ kind: 'residual', depth: 5, inputShape: [8, 8, 1], classes: 10 });
  const r = pkg.initWeights(spec, 1);
  assert.equal(pkg.toResidual(pkg.toPlain(r)), r);
  // stem 9*16+16, blocks 144*16+16, 144*32+32, 288*64+64, dense 64*10+10
  assert.is(pkg.parameterCount(r), 160 + 2320 + 4640 + 18496 + 650);
  for (const name of [
    'initBackend',
    'registerWasmConvGradients',
    'forward',
    'twinAgreement',
    'loadIdx',
    'loadCifar10',
    'SgdTrainer',
    'evaluateNet',
    'runTraining',
    'readCheckpoint',
  ]) {
    assert.type((pkg as Record<string, unknown>)[name], 'function', name);
  }
});

test.run();
