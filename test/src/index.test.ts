import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('the package imports by its name and exposes the theory', async () => {
  const pkg = await import('resnet-noise-stability');
  assert.ok(Math.abs(pkg.phi(2) - (2 / Math.PI) * Math.atan(2)) < 1e-15);
  assert.ok(Math.abs(pkg.expectedSigma({}) - 0.5882) < 5e-5);
  assert.type(pkg.fitLogisticExponent, 'function');
});

test.run();
