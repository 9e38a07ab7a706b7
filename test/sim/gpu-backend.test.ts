import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  GpuBackend,
  type GpuBackendOptions,
  type GpuJsModule,
  MAX_LAUNCH_THREADS,
  factorWeights,
  glDriver,
  glStatus,
  kernelKind,
  loadGpuJs,
} from '../../sim/gpu-backend.js';
import { type BlockTask, runBlock } from '../../sim/kernel.js';

const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};

test('names say which kernel class ran, not which mode was asked for', async () => {
  for (const [mode, kernelClass, name] of [
    ['cpu', 'CPUKernel', 'gpu.js-cpu'],
    ['webasm', 'WebAssemblyKernel', 'gpu.js-webassembly'],
  ] as const) {
    const backend = await GpuBackend.create({ mode, drawWorkers: 0 });
    assert.is(backend.kernelClass, kernelClass);
    assert.is(backend.name, name);
    assert.is(backend.mode, mode);
    await backend.close();
  }
  assert.is(kernelKind('HeadlessGLKernel'), 'gl');
  assert.is(kernelKind('WebGL2Kernel'), 'gl');
  assert.is(kernelKind('WebGPUKernel'), 'other');
});

test('deep plain chains stay in float32 range: counts match the CPU kernel', async () => {
  // Unscaled, Q grows like sqrt(p n) = 2.3 a factor here and passes 2^128 near k = 105.
  const task: BlockTask = {
    kind: 'plain',
    n: 6,
    depth: 200,
    p: 0.9,
    t: 1,
    seed: 4,
    block: 0,
    trials: 100,
  };
  const backend = await GpuBackend.create({ mode: 'webasm', drawWorkers: 0 });
  try {
    const [gpu] = await backend.run([task]);
    const cpu = runBlock(task);
    const deepest = task.depth - 1;
    assert.ok(cpu.counts[deepest] > 50, `cpu ${cpu.counts[deepest]}`);
    assert.ok(
      Math.abs(gpu.counts[deepest] - cpu.counts[deepest]) <= 3,
      `gpu ${gpu.counts[deepest]}`,
    );
  } finally {
    await backend.close();
  }
  // At the defaults residual factors keep their weights; plain ones are scaled by 1/4.
  const defaults = { n: 20, depth: 5, p: 0.9, seed: 0, block: 0, trials: 1 };
  assert.equal(factorWeights({ ...defaults, kind: 'residual', t: 0.001 }), {
    noise: 0.001,
    identity: 1,
  });
  assert.equal(factorWeights({ ...defaults, kind: 'plain', t: 1 }), { noise: 0.25, identity: 0 });
  assert.equal(factorWeights({ ...defaults, kind: 'residual', t: 1e6 }), {
    noise: 0.25,
    identity: 0.25e-6,
  });
});

test('bad options get a RangeError naming the option and the value', async () => {
  const cases: [GpuBackendOptions, RegExp][] = [
    [{ mode: 'webgl' as 'gpu' }, /^mode must be one of gpu, webasm, cpu, got webgl$/],
    [{ chunkTrials: 0 }, /^chunkTrials must be an integer >= 1, got 0$/],
    [{ chunkTrials: 2.5 }, /^chunkTrials must be an integer >= 1, got 2.5$/],
    [{ drawWorkers: -1 }, /^drawWorkers must be an integer >= 0, got -1$/],
  ];
  for (const [options, message] of cases) {
    const error = await rejection(GpuBackend.create(options));
    assert.instance(error, RangeError);
    assert.match(error.message, message);
  }
});

test('launches hold at most 2^24 threads: the chunk shrinks as n grows', async () => {
  const backend = await GpuBackend.create({ mode: 'cpu', chunkTrials: 50_000, drawWorkers: 0 });
  assert.is(backend.capacity(20), Math.floor((MAX_LAUNCH_THREADS - 1) / 400));
  assert.is(backend.capacity(4), 50_000);
  assert.is(backend.capacity(5000), 1);
  await backend.close();
});

test('a launch holds whole blocks; on GL kernels only while under 2^24 threads', async () => {
  const backend = await GpuBackend.create({ mode: 'cpu', chunkTrials: 2, drawWorkers: 0 });
  const task = { kind: 'plain' as const, n: 3, depth: 1, p: 1, t: 1, seed: 0, block: 0, trials: 5 };
  const [result] = await backend.run([task]);
  assert.is(backend.launchTrials, 5);
  assert.is(result.trials, 5);

  backend.kernelClass = 'HeadlessGLKernel';
  const error = await rejection(backend.run([{ ...task, n: 200, trials: 1000 }]));
  assert.instance(error, RangeError);
  assert.is(
    error.message,
    'n must be <= 129 on GL kernels (blocks of 1000 trials), got 200; use the CPU',
  );
  await backend.close();
});

test('without gpu.js, loading it throws one line saying how to install it', () => {
  try {
    loadGpuJs('/nowhere/here.js');
    assert.unreachable('gpu.js should not resolve from /');
  } catch (error) {
    const message = (error as Error).message;
    assert.match(message, /^gpu\.js is not installed \(.*\); .*: npm install gpu\.js$/);
    assert.not.match(message, /\n/);
  }
});

test('glStatus says what is missing: the gl package, or a display', () => {
  const gpuJs = loadGpuJs();
  const noGl = glStatus(gpuJs, '/nowhere/here.js');
  assert.is(noGl.available, false);
  assert.match(noGl.missing ?? '', /gl did not build \(Debian: apt-get install libxi-dev/);

  const folder = mkdtempSync(join(tmpdir(), 'gl-stub-'));
  mkdirSync(join(folder, 'node_modules', 'gl'), { recursive: true });
  writeFileSync(join(folder, 'node_modules', 'gl', 'index.js'), 'module.exports = null;\n');
  const noDisplay: GpuJsModule = {
    ...gpuJs,
    HeadlessGLKernel: { isSupported: false, testContext: null },
  };
  const status = glStatus(noDisplay, join(folder, 'here.js'));
  rmSync(folder, { recursive: true, force: true });
  assert.is(status.available, false);
  assert.match(status.missing ?? '', /no display .*xvfb-run -a/);
});

test('glDriver tells a GPU driver from Mesa software rendering by the loaded libraries', () => {
  const line = (path: string): string =>
    `7f0000000000-7f0000001000 r-xp 00000000 08:01 123 ${path}`;
  const mesa = [
    line('/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so'),
    line('/usr/lib/x86_64-linux-gnu/libGLX_mesa.so.0.0.0'),
    line('/usr/lib/x86_64-linux-gnu/libc.so.6'),
    '7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0 [stack]',
  ].join('\n');
  assert.equal(glDriver(mesa), {
    renderer: 'swrast_dri.so, libGLX_mesa.so.0.0.0',
    software: true,
  });
  const nvidia = [
    line('/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0'),
    line('/usr/lib/x86_64-linux-gnu/libnvidia-glcore.so.550.54'),
  ].join('\n');
  assert.equal(glDriver(nvidia), {
    renderer: 'libGLX_nvidia.so.0, libnvidia-glcore.so.550.54',
    software: false,
  });
  assert.equal(glDriver(''), { renderer: 'unknown', software: true });
});

test('a failing draw rejects the run, and the backend can still be closed', async () => {
  const backend = await GpuBackend.create({ mode: 'cpu', drawWorkers: 1 });
  const task = { kind: 'plain' as const, n: 3, depth: 2, p: 1, t: 1, seed: 0, block: 0, trials: 2 };
  const error = await rejection(backend.run([task, { ...task, block: 1, n: -3 }]));
  assert.instance(error, Error);
  await backend.close();
});

test.run();
