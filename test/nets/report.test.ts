import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { buildNet } from '../../nets/net.js';
import {
  configFromFlags,
  FIGURES,
  interlayerSpans,
  loadData,
  main,
  QUICK_SCALE,
  renderReport,
  type ReproduceResults,
} from '../../nets/report.js';
import { weightStatistics } from '../../nets/weight-stats.js';
import { initWeights } from '../../nets/weights.js';
import { tempDir, writeIdxSet } from './fixtures.js';

function flow(sigma: number[]) {
  return { layers: sigma.map((_, l) => l + 1), sigma, medianRatio: sigma };
}

function results(): ReproduceResults {
  const stats = { count: 100, mean: 0, std: 0.1, massAll: 10, massLarge: 4, massId: 3, idCount: 3 };
  const metrics = (net: string, trainLoss: number, testError: number) => ({
    net,
    epoch: 1,
    learningRate: 0.01,
    trainLoss,
    trainError: 0.1,
    testLoss: 1,
    testError,
    stepSeconds: 1,
  });
  const inter = (mean: number) => ({
    from: 1,
    to: 2,
    samples: 4,
    projections: 8,
    mean,
    sd: 0.1,
    relativeHalfWidth: 0.05,
    values: [],
  });
  return {
    config: { ...configFromFlags({ quick: true, seed: '1', backend: 'cpu' }), depth: 5 },
    data: { name: 'fashion-mnist', shape: [8, 8, 1], trainImages: 32, testImages: 16 },
    backend: 'cpu',
    training: [
      metrics('plain', 1, 0.3),
      metrics('residual', 0.5, 0.2),
      metrics("T' diagonal", 1.5, 0.6),
      metrics("T' dense-lower", 1.2, 0.4),
    ],
    weights: { p0: stats, pE: stats, t0: stats, tE: { ...stats, massId: 2 } },
    cushions: {
      rightShifted: 3,
      layers: [1, 2, 3, 4].map((layer) => ({
        layer,
        plainMedian: 0.1,
        residualMedian: layer === 1 ? 0.05 : 0.2,
      })),
    },
    interlayer: { plain: [inter(1)], residual: [inter(0.5)] },
    sigma: {
      plainFirst: flow([0.1, 0.1, 0.1]),
      plainLast: flow([0.1, 0.1, 0.1]),
      residualFirst: flow([0.5, 0.6, 0.9]),
      residualLast: flow([0.4, 0.5, 0.05]),
    },
    seconds: { train: 1 },
  };
}

test("the report says beside each number whether the paper's direction holds", () => {
  const md = renderReport(results());
  const row = (start: string) => md.split('\n').find((l) => l.startsWith(start)) ?? '';
  assert.match(
    row('| test error: residual below plain'),
    /0\.2 vs 0\.3 \| 0\.1122 vs 0\.1263 \| holds/,
  );
  assert.match(row('| ID entries carry most'), /0\.5 \| 0\.769 \| \*\*does not hold/);
  assert.match(row("| training moves t's ID mass"), /0\.667 .*does not hold/);
  assert.match(row('| residual cushions lie'), /3 of 4 layers \| 17 of 19 \| holds/);
  assert.match(row('| same, last iteration'), /2 of 3 \| all \| \*\*does not hold\*\*/);
  assert.match(row('| ratio residual / plain at l = 1'), /\| 4\.5 \| 1\.24 \| holds/);
  assert.match(row('| sigma falls with training'), /does not hold/);
  assert.match(row('| 2..3'), /\*\*does not hold\*\* \| 5%/);
  assert.match(row("| T' keeps"), /50% \| 77\.1% \| \*\*does not hold\*\*/);
  assert.match(row('| a dense lower half lowers the error'), /0\.4 vs 0\.6 .* holds/);
  for (const f of Object.values(FIGURES)) assert.ok(md.includes(`](${f})`));
});

test('a partial report marks what is not measured yet', () => {
  const partial: ReproduceResults = {
    ...results(),
    training: [],
    weights: undefined,
    cushions: undefined,
    interlayer: undefined,
    sigma: undefined,
    seconds: {},
  };
  const md = renderReport(partial);
  assert.is(md.split('Not measured yet.').length - 1, 5);
  assert.ok(md.includes('Stage times: none yet.'));
});

test('flags: quick and paper scales, overrides, and one-line errors naming the flag', () => {
  const quick = configFromFlags({ quick: true, seed: '1', backend: 'auto' });
  assert.is(quick.epochs, QUICK_SCALE.epochs);
  assert.is(quick.out, join('results', 'reproduce-quick'));
  const full = configFromFlags({
    seed: '2',
    backend: 'auto',
    depth: '32',
    epochs: '3',
    limit: '10',
    testLimit: '5',
    out: 'x',
  });
  assert.equal(
    [full.depth, full.epochs, full.trainImages, full.testImages, full.seed, full.out],
    [32, 3, 10, 5, 2, 'x'],
  );
  assert.throws(
    () => configFromFlags({ seed: '1', backend: 'auto', depth: '21' }),
    /--depth must be 3N \+ 2 \(20, 32, 44\), got '21'/,
  );
  assert.throws(() => configFromFlags({ seed: 'x', backend: 'auto' }), /--seed must be an integer/);
  assert.throws(
    () => loadData({ seed: '1', backend: 'auto' }),
    /--data-dir is required for cifar10/,
  );
  assert.throws(
    () => loadData({ seed: '1', backend: 'auto', data: 'mnist' }),
    /--data must be one of fashion-mnist, cifar10, got 'mnist'/,
  );
});

test('end to end on tiny IDX files: every stage writes its results and figures', async () => {
  const data = writeIdxSet(tempDir('reproduce-data'), { train: 40, test: 20, side: 8 });
  const out = tempDir('reproduce-out');
  const lines: string[] = [];
  const status = await main(
    [
      '--quick',
      '--data-dir',
      data,
      '--depth',
      '5',
      '--limit',
      '32',
      '--test-limit',
      '16',
      '--epochs',
      '1',
      '--out',
      out,
      '--backend',
      'cpu',
      '--sigma-batch',
      '4',
      '--cushion-images',
      '8',
      '--interlayer-images',
      '2',
      '--projections',
      '4',
    ],
    (t) => lines.push(t),
    (t) => lines.push(t),
  );
  assert.is(status, 0);
  const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ReproduceResults;
  const spec = buildNet({ kind: 'plain', depth: 5, inputShape: [8, 8, 1], classes: 10 });
  assert.equal(saved.weights?.p0, weightStatistics(initWeights(spec, 1)));
  assert.is(saved.training.length, 4);
  assert.is(saved.cushions?.layers.length, 4);
  assert.is(saved.sigma?.residualLast.sigma.length, 3);
  assert.is(saved.interlayer?.residual[0].samples, 2);
  for (const f of Object.values(FIGURES)) {
    assert.ok(readFileSync(join(out, f), 'utf8').startsWith('<svg'), f);
  }
  assert.is(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 4);
  assert.ok(!readFileSync(join(out, 'report.md'), 'utf8').includes('Not measured yet.'));
  assert.ok(lines.some((l) => l.startsWith('report: ')));
  assert.equal(interlayerSpans(spec), [
    { from: 2, to: 2 },
    { from: 1, to: 1 },
    { from: 1, to: 3 },
  ]);
});

test('bad input ends with one line naming the argument, and status 2', async () => {
  const lines: string[] = [];
  const missing = join(tempDir('reproduce-missing'), 'nothing');
  const status = await main(
    ['--quick', '--data-dir', missing],
    () => {},
    (t) => lines.push(t),
  );
  assert.is(status, 2);
  assert.is(lines.length, 1);
  assert.ok(lines[0].includes(missing));
  assert.is(
    await main(
      ['--epochs', '0'],
      () => {},
      () => {},
    ),
    2,
  );
  assert.is(
    await main(
      ['--wrong'],
      () => {},
      () => {},
    ),
    2,
  );
  assert.is(
    await main(
      ['--projections', '1'],
      () => {},
      () => {},
    ),
    2,
  );
});

test.run();
