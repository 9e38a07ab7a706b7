import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_PARAMS } from '../../src/params.js';
import {
  type SweepSettings,
  curveAbscissae,
  renderPlot,
  sweepFiles,
  theoryCurves,
  writeSummaries,
} from '../../src/sweep-output.js';
import type { SweepPoint } from '../../sim/simulate.js';

test('curve abscissae span the values evenly on a linear axis and keep each value', () => {
  const xs = curveAbscissae('p', [0.1, 0.35, 1]);
  assert.is(xs[0], 0.1);
  assert.is(xs[xs.length - 1], 1);
  assert.ok(xs.includes(0.35));
  assert.is(xs.length, 102);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1]);
  const evenly = xs.filter((x) => x !== 0.35);
  for (let i = 1; i < evenly.length; i++) {
    assert.ok(Math.abs(evenly[i] - evenly[i - 1] - 0.009) < 1e-12, String(evenly[i]));
  }
});

test('curve abscissae are geometric on a log axis, and linear where a value is 0', () => {
  const xs = curveAbscissae('eps', [0.01, 1]);
  assert.is(xs.length, 101);
  const ratio = 100 ** (1 / 100);
  for (let i = 1; i < xs.length; i++) assert.ok(Math.abs(xs[i] / xs[i - 1] / ratio - 1) < 1e-12);

  const withZero = curveAbscissae('eps', [0, 1]);
  assert.is(withZero[0], 0);
  assert.ok(Math.abs(withZero[1] - 0.01) < 1e-15);
});

test('curve abscissae of n and l are distinct integers from the smallest to the largest', () => {
  const n = curveAbscissae('n', [2, 100]);
  assert.is(n[0], 2);
  assert.is(n[n.length - 1], 100);
  assert.ok(n.every(Number.isInteger));
  assert.is(new Set(n).size, n.length);
  assert.equal(curveAbscissae('l', [0, 9]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(curveAbscissae('l', [4]), [4]);
});

test('the paper curve at p = 1 equals 1 / (1 + r^-1.2) with the p = 1 ratio r', () => {
  const { n, L, l, sigmaA: sA } = DEFAULT_PARAMS;
  const k = L - l;
  const curve = theoryCurves('eps', [0.01, 1], { ...DEFAULT_PARAMS, p: 1 }).filter(
    (d) => d.series === 'paper (theory)',
  );
  assert.is(curve.length, 101);
  for (const { x, y } of [curve[0], curve[50], curve[100]]) {
    const r = Math.sqrt(1 + k * x ** 2 * sA ** 2) / (x * Math.sqrt(k * (n - 1)) * sA);
    assert.ok(Math.abs(y - 1 / (1 + r ** -1.2)) < 1e-13, `eps ${x}: ${y}`);
  }
});

test('every curve of a sigma-v sweep is flat, as sigma does not depend on V', () => {
  const curves = theoryCurves('sigmaV', [0.001, 10], DEFAULT_PARAMS);
  const forms = new Set(curves.map((d) => d.series));
  assert.equal(
    [...forms],
    ['paper (theory)', 'general-p (theory)', 'corrected (theory)', 'plain (theory)'],
  );
  for (const form of forms) {
    const ys = curves.filter((d) => d.series === form).map((d) => d.y);
    assert.is(ys.length, 101);
    assert.ok(
      ys.every((y) => y === ys[0]),
      form,
    );
  }
});

test('the plot draws each simulated kind and each curve, without NaN', async () => {
  const settings: SweepSettings = {
    vary: 'eps',
    params: DEFAULT_PARAMS,
    trials: 1000,
    seed: 0,
    kinds: ['residual', 'plain'],
  };
  const result = { mean: 0.5, stdError: 0.01, trials: 1000 };
  const points = [0, 0.5].map(
    (value) =>
      ({
        param: 'eps',
        value,
        params: { ...DEFAULT_PARAMS, eps: value },
        residual: result,
        plain: result,
        theory: {},
      }) as unknown as SweepPoint,
  );
  const svg = await renderPlot(points, settings, theoryCurves('eps', [0, 0.5], DEFAULT_PARAMS));
  assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
  assert.not.match(svg, /NaN/);
  for (const label of ['residual (sim)', 'plain (sim)', 'paper (theory)', 'plain (theory)']) {
    assert.ok(svg.includes(label), label);
  }
});

test('values no axis can hold (subnormal) give a reason, no plot and the CSV', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rns-plot-'));
  const settings: SweepSettings = {
    vary: 'sigmaV',
    params: DEFAULT_PARAMS,
    trials: 1000,
    seed: 0,
    kinds: ['residual'],
  };
  const values = [1e-320, 1e-319];
  const points = values.map(
    (value) =>
      ({
        param: 'sigmaV',
        value,
        params: { ...DEFAULT_PARAMS, sigmaV: value },
        residual: { mean: 0.5, stdError: 0.01, trials: 1000 },
        theory: {},
      }) as unknown as SweepPoint,
  );
  const files = sweepFiles(dir, 'sigmaV');
  const curves = theoryCurves('sigmaV', values, DEFAULT_PARAMS);
  const failure = await writeSummaries(dir, points, settings, curves);
  assert.type(failure, 'string');
  assert.not.ok(existsSync(files.svg));
  assert.is(readFileSync(files.csv, 'utf8').trim().split('\n').length, 3);

  const ordinary = points.map((point, i) => ({ ...point, value: [0.1, 1][i] }));
  const ordinaryCurves = theoryCurves('sigmaV', [0.1, 1], DEFAULT_PARAMS);
  assert.is(await writeSummaries(dir, ordinary, settings, ordinaryCurves), undefined);
  assert.match(readFileSync(files.svg, 'utf8'), /^<svg/);
  rmSync(dir, { recursive: true });
});

test.run();
