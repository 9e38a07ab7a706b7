import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Command } from 'commander';

import { initialWeights, main, readRun, registerAnalyse } from '../../nets/analyse-cli.js';
import { initBackend } from '../../nets/backend.js';
import { loadIdx } from '../../nets/data.js';
import { toPlain } from '../../nets/map.js';
import { buildNet } from '../../nets/net.js';
import { runTraining } from '../../nets/run.js';
import { weightStatistics } from '../../nets/weight-stats.js';
import { initWeights } from '../../nets/weights.js';
import { tempDir, writeIdxSet } from './fixtures.js';

const dataDir = writeIdxSet(tempDir('analyse-data'), { train: 24, test: 12, side: 8 });
const runDir = join(tempDir('analyse-run'), 'twins');

test.before(async () => {
  const backend = await initBackend('cpu');
  await runTraining(
    {
      kind: 'twins',
      depth: 5,
      epochs: 1,
      batchSize: 12,
      seed: 4,
      warmupSteps: 0,
      sgd: { learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4 },
      out: runDir,
      resume: false,
      evalBatchSize: 12,
    },
    loadIdx(dataDir),
    backend,
  );
});

function quiet(argv: string[]): Promise<{ status: number; err: string[]; out: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const done = main(
    argv,
    (t) => out.push(t),
    (t) => err.push(t),
  );
  return done.then((status) => ({ status, err, out }));
}

test('analyse writes every measurement of a twins run, consistent with direct ones', async () => {
  const { status, out } = await quiet([
    'analyse',
    '--run',
    runDir,
    '--data-dir',
    dataDir,
    '--images',
    '4',
    '--projections',
    '4',
    '--sigma-batch',
    '3',
    '--backend',
    'cpu',
  ]);
  assert.is(status, 0);
  assert.is(out.length, 7);
  const dir = join(runDir, 'analysis');
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));

  const spec = buildNet({ kind: 'residual', depth: 5, inputShape: [8, 8, 1], classes: 10 });
  const r0 = initWeights(spec, 4);
  const weights = read('weights.json');
  assert.equal(weights['residual before'], JSON.parse(JSON.stringify(weightStatistics(r0))));
  assert.equal(weights['T(residual) before'], weights['plain-twin before']);
  assert.ok(
    Math.abs(weights['plain-twin after'].massId - weights['T(residual) after'].massId) <
      1e-4 * weights['plain-twin after'].massId,
  );

  const cushions = read('layer-cushions.json');
  assert.is(cushions.residual.length, 4);
  assert.is(cushions.residual[0].length, 4);

  const sigma = read('sigma.json');
  assert.equal(sigma.residual.layers, [1, 2, 3]);
  assert.equal(sigma.residual.sigma, sigma['plain-twin'].sigma);

  const inter = read('interlayer.json');
  assert.is(inter.residual.length, 3);
  inter.residual.forEach((s: { mean: number }, k: number) =>
    assert.ok(Math.abs(s.mean - inter['plain-twin'][k].mean) < 1e-3 * s.mean),
  );
  for (const f of ['weights.svg', 'layer-cushions.svg', 'sigma.svg']) {
    assert.ok(readFileSync(join(dir, f), 'utf8').startsWith('<svg'));
  }
});

test('one measurement at a time, into another folder', async () => {
  const other = tempDir('analyse-out');
  const { status, out } = await quiet([
    'analyse',
    '--run',
    runDir,
    '--data-dir',
    dataDir,
    '--measure',
    'interlayer',
    '--images',
    '2',
    '--projections',
    '2',
    '--out',
    other,
    '--backend',
    'cpu',
  ]);
  assert.is(status, 0);
  assert.equal(out, [`${join(other, 'interlayer.json')}\n`]);
});

test('initial weights are rebuilt as the run drew them', () => {
  const { info } = readRun(runDir);
  const plainSpec = buildNet({ kind: 'plain', depth: 5, inputShape: [8, 8, 1], classes: 10 });
  const r0 = initWeights(buildNet({ ...plainSpec, kind: 'residual' }), 4);
  assert.equal(initialWeights(info, plainSpec, 'plain-twin'), toPlain(r0));
  assert.equal(
    initialWeights({ ...info, kind: 'plain' }, plainSpec, 'plain'),
    initWeights(plainSpec, 4),
  );
});

test('bad runs and flags end with one line naming the argument, status 2', async () => {
  const base = tempDir('analyse-bad');
  const cases: [string[], RegExp][] = [
    [['--run', join(base, 'none')], /--run .*none: no such folder/],
    [['--run', base], /no run\.json/],
    [['--run', dataDir, '--measure', 'speed'], /--measure must be one of .* got 'speed'/],
    [['--run', runDir, '--images', '0'], /--images must be an integer in 1\.\./],
  ];
  const broken = join(base, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'run.json'), '{"data": ');
  cases.push([['--run', broken], /run\.json is not valid JSON/]);
  const partial = join(base, 'partial');
  mkdirSync(partial);
  writeFileSync(join(partial, 'run.json'), '{"data": "fashion-mnist"}');
  cases.push([['--run', partial], /run\.json lacks data, shape/]);
  const other = writeIdxSet(tempDir('analyse-other'), { train: 4, test: 4, side: 6 });
  cases.push([
    ['--run', runDir, '--data-dir', other],
    /--data-dir: images of 6x6x1, the run used 8x8x1/,
  ]);
  const cifar = join(base, 'cifar');
  mkdirSync(cifar);
  const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  writeFileSync(join(cifar, 'run.json'), JSON.stringify({ ...info, data: 'cifar10' }));
  copyFileSync(join(runDir, 'checkpoint.bin'), join(cifar, 'checkpoint.bin'));
  cases.push([['--run', join(cifar, 'run.json')], /no such folder/]);
  cases.push([['--run', cifar], /--data-dir is required for a cifar10 run/]);
  for (const [argv, pattern] of cases) {
    const { status, err } = await quiet(['analyse', ...argv, '--backend', 'cpu']);
    assert.is(status, 2, argv.join(' '));
    assert.is(err.length, 1, argv.join(' '));
    assert.match(err[0], pattern);
  }
});

test('registerAnalyse adds the subcommand to an existing program', () => {
  const program = registerAnalyse(new Command('nets'), { stdout: () => {}, stderr: () => {} });
  assert.equal(
    program.commands.map((c) => c.name()),
    ['analyse'],
  );
});

test.run();
