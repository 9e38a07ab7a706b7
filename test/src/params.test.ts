import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_PARAMS, resolveParams } from '../../src/params.js';
import { describeValue } from '../../src/validate.js';

test('defaults are the paper values and partial sets are merged', () => {
  assert.equal(resolveParams(), { ...DEFAULT_PARAMS });
  assert.equal(resolveParams({ n: 3, p: 1 }), { ...DEFAULT_PARAMS, n: 3, p: 1 });
  assert.equal(DEFAULT_PARAMS, { n: 20, L: 10, l: 5, p: 0.9, eps: 0.1, sigmaA: 0.01, sigmaV: 0.1 });
});

const cases: [Record<string, unknown>, RegExp, typeof RangeError | typeof TypeError][] = [
  [{ n: 1 }, /n must be an integer >= 2, got 1/, RangeError],
  [{ n: 2.5 }, /n must be an integer >= 2, got 2.5/, RangeError],
  [{ n: '20' }, /n must be a number, got string "20"/, TypeError],
  [{ n: 10n }, /n must be a number, got bigint 10n/, TypeError],
  [{ L: 0 }, /L must be an integer >= 1, got 0/, RangeError],
  [{ l: -1 }, /l must be an integer >= 0, got -1/, RangeError],
  [{ l: 10 }, /l must be < L \(= 10\), got 10/, RangeError],
  [{ p: -0.1 }, /p must be in \[0, 1\], got -0.1/, RangeError],
  [{ p: NaN }, /p must be finite, got NaN/, RangeError],
  [{ eps: -1 }, /eps must be >= 0, got -1/, RangeError],
  [{ sigmaA: 0 }, /sigmaA must be > 0, got 0/, RangeError],
  [{ sigmaV: Infinity }, /sigmaV must be finite, got Infinity/, RangeError],
  [{ sigmav: 1 }, /unknown parameter sigmav/, TypeError],
];

for (const [params, message, kind] of cases) {
  test(`rejects ${describeValue(params)} with a message naming it`, () => {
    assert.throws(
      () => resolveParams(params as never),
      (e: Error) => e instanceof kind && message.test(e.message),
    );
  });
}

test('a non-object is a TypeError', () => {
  assert.throws(() => resolveParams(null as never), /params must be an object/);
});

test.run();
