import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('the package imports by its name and exposes the theory', async () => {
  const pkg = await import('resnet-noise-stability');
  assert.ok(Math.abs(pkg.phi(2) - (2 / Math.PI) * Math.atan(2)) < 1e-15);
  assert.ok(Math.abs(pkg.expectedSigma({}) - 0.5882) < 5e-5);
  assert.type(pkg.fitLogisticExponent, 'function');
});

test('the package exposes the corrected and plain forms', async () => {
  const pkg = await import('resnet-noise-stability');
  assert.ok(pkg.SIGMA_FORMS.includes('corrected'));
  const terms = pkg.correctedSigmaTerms({ p: 0.2 });
  assert.is(pkg.expectedSigma({ p: 0.2 }, { form: 'corrected' }), terms.total);
  assert.ok(Math.abs(pkg.expectedSigmaPlain({ n: 3, p: 1 }) - (1 - 2 / Math.PI)) < 1e-15);
  assert.is(pkg.equalFlowDominanceTable(1)[1], 0.5);
  assert.ok(Math.abs(pkg.dawson(1) - 0.5380795069127684) < 1e-15);
});

test('the package exposes the simulation engine', async () => {
  const pkg = await import('resnet-noise-stability');
  const result = await pkg.simulate({ n: 4 }, { trials: 200, workers: 1 });
  assert.is(result.trials, 200);
  assert.ok(pkg.SWEEP_PARAMS.includes('sigmaA'));
  assert.type(pkg.sweep, 'function');
  assert.type(pkg.createBackend, 'function');
});

test.run();
