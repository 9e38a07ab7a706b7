import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { gpuStatus } from '../../sim/create-backend.js';
import { GpuBackend } from '../../sim/gpu-backend.js';
import { runBlock } from '../../sim/kernel.js';
import { BLOCK_TRIALS, simulate, sweep } from '../../sim/simulate.js';

const params = { n: 6, L: 4, l: 1, p: 0.8, eps: 0.5, sigmaA: 0.2 };

test("backend 'cpu': mean and standard error come from the exact per-block sums", async () => {
  const trials = 2 * BLOCK_TRIALS + 300;
  const result = await simulate(params, { trials, seed: 3, backend: 'cpu', workers: 2 });

  let count = 0;
  let square = 0;
  for (let block = 0; block < 3; block++) {
    const blockTrials = Math.min(BLOCK_TRIALS, trials - block * BLOCK_TRIALS);
    const task = { kind: 'residual' as const, n: 6, depth: 3, p: 0.8, t: 0.5 * 0.2, seed: 3 };
    const sums = runBlock({ ...task, block, trials: blockTrials });
    count += sums.counts[2];
    square += sums.squares[2];
  }
  const meanCount = count / trials;
  assert.is(result.mean, meanCount / 6);
  assert.is(result.stdError, Math.sqrt((square - count * meanCount) / (trials - 1) / trials) / 6);
  assert.is(result.backend, 'cpu-workers');
  assert.is(result.params.l, 1);
});

test('a gpu.js backend object gives the CPU answer, names its kernel, stays open', async () => {
  const backend = await GpuBackend.create({ mode: 'webasm', drawWorkers: 1 });
  const options = { trials: 800, seed: 5, backend };
  for (const kind of ['residual', 'plain'] as const) {
    const gpu = await simulate(params, { ...options, kind });
    const cpu = await simulate(params, { ...options, kind, backend: 'cpu', workers: 1 });
    assert.is(gpu.backend, 'gpu.js-webassembly');
    assert.ok(Math.abs(gpu.mean - cpu.mean) <= 1 / (800 * 6), `${gpu.mean} vs ${cpu.mean}`);
  }
  await backend.close();
});

test('exact invariances on every backend: sigmaV never matters, sigmaA not for plain', async () => {
  const gpuJsCpu = await GpuBackend.create({ mode: 'cpu', drawWorkers: 0 });
  for (const backend of ['cpu' as const, gpuJsCpu]) {
    const options = { trials: 300, seed: 9, backend, workers: 1 };
    const base = await simulate(params, options);
    assert.is((await simulate({ ...params, sigmaV: 7 }, options)).mean, base.mean);
    const scaled = { ...params, eps: 0.25, sigmaA: 0.4 };
    assert.is((await simulate(scaled, options)).mean, base.mean, 'only eps * sigmaA matters');
    const plain = { ...options, kind: 'plain' as const };
    const plainBase = await simulate(params, plain);
    assert.is((await simulate({ ...params, sigmaA: 3 }, plain)).mean, plainBase.mean);
  }
  await gpuJsCpu.close();
});

test('a bad backend gets a RangeError naming the option and the value', async () => {
  for (const [backend, shown] of [
    ['cuda', '"cuda"'],
    [42, '42'],
    [{ name: 'fake' }, '[object Object]'],
  ] as const) {
    let error: Error | undefined;
    await simulate(params, { backend: backend as 'cpu' }).catch((e: Error) => {
      error = e;
    });
    assert.instance(error, RangeError);
    assert.is(
      error?.message,
      `backend must be one of cpu, gpu, auto or a SimulationBackend, got ${shown}`,
    );
  }
});

test("backend 'gpu' runs where GL exists and otherwise fails with one line", async () => {
  const status = gpuStatus();
  const run = simulate(params, { trials: 100, backend: 'gpu', workers: 1 });
  if (status.available) {
    assert.match((await run).backend, /^gpu\.js-gl/);
  } else {
    let message = '';
    await run.catch((error: Error) => {
      message = error.message;
    });
    assert.match(message, /^--backend gpu cannot run here: /);
  }
});

test('sweeps run on a named or given backend; an l-sweep equals simulate at each l', async () => {
  const progress: number[] = [];
  const points = await sweep('p', [0.5, 0.9], params, {
    trials: 200,
    kinds: ['plain'],
    backend: 'auto',
    workers: 1,
    skip: (value) => value === 0.5,
    onProgress: (done) => progress.push(done),
  });
  assert.is(points.length, 1);
  assert.is(points[0].value, 0.9);
  assert.is(points[0].plain?.params.p, 0.9);
  assert.is(progress.at(-1), 200);

  const backend = await GpuBackend.create({ mode: 'webasm', drawWorkers: 1 });
  const seen: number[] = [];
  const levels = await sweep('l', [3, 1], params, {
    trials: 300,
    backend,
    onPoint: (point) => {
      seen.push(point.value);
    },
  });
  for (const point of levels) {
    const single = await simulate({ ...params, l: point.value }, { trials: 300, backend });
    assert.is(point.residual?.mean, single.mean);
    assert.ok(point.plain !== undefined && point.theory['paper'] !== undefined);
  }
  await backend.close();
  assert.equal(seen, [3, 1]);
});

test.run();
