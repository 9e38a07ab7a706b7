import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  binomialWindow,
  dawson,
  dominanceRatio,
  effectivePathCount,
  equalFlowDominanceTable,
  expectedSigma,
  fitLogisticExponent,
  gaussianDawsonMean,
  halfNormalDawsonMean,
  integrate,
  phi,
  phiLogistic,
  simulate,
  sweep,
} from '../../src/index.js';
import { checkCallback, checkFinite, checkOptions, describeValue } from '../../src/validate.js';
import { rejectsWith } from '../rejects.js';

/** Asserts that `run` throws an error of `kind` whose message matches `pattern`. */
function throwsNamed(run: () => unknown, kind: typeof TypeError, pattern: RegExp): void {
  assert.throws(run, (error: Error) => error instanceof kind && pattern.test(error.message));
}

test('describeValue shows each kind of value with its type where it matters', () => {
  assert.is(describeValue('2'), 'string "2"');
  assert.is(describeValue(10n), 'bigint 10n');
  assert.is(describeValue(Symbol('s')), 'symbol Symbol(s)');
  assert.is(describeValue(undefined), 'undefined');
  assert.is(describeValue(NaN), 'NaN');
  assert.is(describeValue([1, 2]), '[1,2]');
  assert.is(describeValue(null), 'null');
  assert.is(describeValue({ n: 10n }), '{"n":"10n"}');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.is(describeValue(cyclic), '[object Object]');
});

test('the shared checks: finite numbers, known options, callbacks', () => {
  assert.is(checkFinite('x', 2.5), 2.5);
  throwsNamed(() => checkFinite('x', '1'), TypeError, /^x must be a number, got string "1"$/);
  throwsNamed(() => checkFinite('x', Infinity), RangeError, /^x must be finite, got Infinity$/);
  const options = { a: 1 };
  assert.is(checkOptions(options, ['a', 'b']), options);
  throwsNamed(
    () => checkOptions({ c: 1 }, ['a', 'b']),
    TypeError,
    /^unknown option c; known: a, b$/,
  );
  throwsNamed(() => checkOptions([] as never, ['a']), TypeError, /options must be an object, got/);
  checkCallback('f', undefined);
  checkCallback('f', () => 0);
  throwsNamed(() => checkCallback('f', 5), TypeError, /^f must be a function, got 5$/);
});

test('theory functions refuse misspelt options, wrong types and values outside the domain', () => {
  throwsNamed(() => phi(2n as never), TypeError, /^r must be a number, got bigint 2n$/);
  throwsNamed(() => phiLogistic(2, '1.2' as never), TypeError, /^c must be a number, got string/);
  throwsNamed(() => fitLogisticExponent({ mesure: 'max' } as never), TypeError, /option mesure/);
  throwsNamed(() => expectedSigma({}, { from: 'corrected' } as never), TypeError, /option from/);
  throwsNamed(() => expectedSigma({}, 'corrected' as never), TypeError, /options must be an/);
  throwsNamed(() => expectedSigma({}, null as never), TypeError, /options must be an object/);
  throwsNamed(() => expectedSigma({ n: Symbol() as never }), TypeError, /n must be .* symbol/);
  throwsNamed(() => dominanceRatio({ p: 5 }, 'paper'), RangeError, /p must be in \[0, 1\], got 5/);
  throwsNamed(() => dominanceRatio({}, 'x' as never), RangeError, /form must be .*string "x"/);
  assert.is(dominanceRatio({}, 'paper'), dominanceRatio({ p: 0.9 }, 'paper'));
  throwsNamed(() => effectivePathCount(NaN, 5), RangeError, /^p must be finite, got NaN$/);
  throwsNamed(() => effectivePathCount(0.5, 0), RangeError, /^k must be an integer >= 1/);
  throwsNamed(() => equalFlowDominanceTable(-1), RangeError, /^maxM must be an integer >= 0/);
  throwsNamed(() => equalFlowDominanceTable('5' as never), TypeError, /^maxM must be a number/);
  throwsNamed(() => binomialWindow(10, 2), RangeError, /^p must be in \[0, 1\], got 2$/);
  throwsNamed(() => binomialWindow(-1, 0.5), RangeError, /^trials must be an integer >= 0/);
  throwsNamed(() => dawson('1' as never), TypeError, /^x must be a number, got string "1"$/);
  throwsNamed(() => halfNormalDawsonMean('1' as never), TypeError, /^b must be a number/);
  throwsNamed(() => gaussianDawsonMean(0, '1' as never), TypeError, /^s must be a number/);
  assert.ok(Number.isNaN(dawson(NaN)), 'NaN in, NaN out, as Math functions do');
});

test('integrate refuses a bad integrand, bad panel edges and a non-finite integral', () => {
  throwsNamed(() => integrate(5 as never, [0, 1]), TypeError, /^f must be a function, got 5$/);
  const identity = (x: number) => x;
  throwsNamed(() => integrate(identity, 0 as never), TypeError, /^points must be an array/);
  throwsNamed(() => integrate(identity, [0]), TypeError, /at least two numbers, got \[0\]$/);
  throwsNamed(() => integrate(identity, [0, NaN]), RangeError, /^points\[1\] must be finite/);
  throwsNamed(() => integrate(identity, [1, 0]), RangeError, /^points must not decrease/);
  throwsNamed(() => integrate(() => NaN, [0, 1]), RangeError, /integral came out NaN$/);
  throwsNamed(() => integrate(identity, [0, 1], { tol: 1 } as never), TypeError, /option tol/);
  assert.ok(Math.abs(integrate(identity, [0, 1]).value - 0.5) < 1e-15);
});

test('simulate and sweep refuse callbacks that are not functions before any work', async () => {
  await rejectsWith(
    simulate({}, { trials: 100, onProgress: 5 as never }),
    TypeError,
    /^onProgress must be a function, got 5$/,
  );
  await rejectsWith(
    sweep('p', [0.5], {}, { onPoint: 1 as never }),
    TypeError,
    /^onPoint must be a function, got 1$/,
  );
  await rejectsWith(sweep('p', [0.5], {}, { skip: 'x' as never }), TypeError, /^skip must be/);
});

test.run();
