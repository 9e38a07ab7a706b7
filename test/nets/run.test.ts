import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { initBackend, type BackendInfo } from '../../nets/backend.js';
import type { ImageDataset } from '../../nets/data.js';
import { InputError } from '../../nets/errors.js';
import { toPlain } from '../../nets/map.js';
import { runTraining, type TrainConfig } from '../../nets/run.js';
import { tempDir } from './fixtures.js';

let backend: BackendInfo;

test.before(async () => {
  backend = await initBackend('wasm');
});

/** 48 training and 12 test images of 8 x 8 in 3 classes: a bright square where the class says. */
function squares(): ImageDataset {
  const make = (count: number, offset: number) => {
    const images = new Uint8Array(count * 64);
    const labels = new Uint8Array(count);
    for (let n = 0; n < count; n++) {
      const label = (n + offset) % 3;
      labels[n] = label;
      for (let p = 0; p < 64; p++) {
        const [y, x] = [Math.floor(p / 8), p % 8];
        const inside = Math.floor(x / 3) === label && y >= 2 && y < 6;
        images[n * 64 + p] = inside ? 200 + (n % 50) : (n * 7 + p * 13) % 60;
      }
    }
    return { count, images, labels };
  };
  return {
    name: 'fashion-mnist',
    shape: [8, 8, 1],
    classes: 3,
    train: make(48, 0),
    test: make(12, 1),
  };
}

function config(out: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    kind: 'twins',
    depth: 5,
    epochs: 2,
    batchSize: 8,
    seed: 3,
    sgd: { learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    warmupSteps: 0,
    out,
    resume: false,
    evalBatchSize: 16,
    ...overrides,
  };
}

function lines(path: string): Record<string, number | string>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

test('a twins run writes metrics per epoch and both losses per step, which agree', async () => {
  const out = tempDir('run');
  const epochs: number[] = [];
  const summary = await runTraining(config(out), squares(), backend, {
    onEpoch: (records) => epochs.push(records[0].epoch),
  });
  assert.equal(epochs, [1, 2]);
  const metrics = lines(join(out, 'metrics.jsonl'));
  assert.equal(
    metrics.map((m) => `${m.epoch} ${m.net}`),
    ['1 residual', '1 plain-twin', '2 residual', '2 plain-twin'],
  );
  assert.ok(
    metrics.every((m) => m.backend === 'wasm' && Number(m.trainCost) > Number(m.trainLoss)),
  );
  const twins = lines(join(out, 'twins.jsonl'));
  assert.is(twins.length, 12);
  for (const t of twins.slice(0, 6)) {
    assert.ok(Math.abs(Number(t.gap)) < 1e-5, `step ${t.step} gap ${t.gap}`);
    assert.ok(Number(t.weightGap) < 1e-5);
  }
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(run.backend, backend.description);
  assert.equal(Object.keys(summary.weights), ['residual', 'plain-twin']);
  assert.is(summary.weights['plain-twin'].kind, 'plain');
  rmSync(out, { recursive: true });
});

test('resuming after one epoch gives exactly the weights of an uninterrupted run', async () => {
  const straight = tempDir('run-straight');
  const split = tempDir('run-split');
  const whole = await runTraining(config(straight, { kind: 'residual' }), squares(), backend);
  await runTraining(config(split, { kind: 'residual', epochs: 1 }), squares(), backend);
  const metricsPath = join(split, 'metrics.jsonl');
  writeFileSync(metricsPath, `${readFileSync(metricsPath, 'utf8')}{"epoch":2,"net":"stale"}\n`);
  const resumed = await runTraining(
    config(split, { kind: 'residual', resume: true }),
    squares(),
    backend,
  );
  assert.equal(resumed.weights.residual, whole.weights.residual);
  const strip = (m: Record<string, number | string>) => ({ ...m, stepSeconds: 0 });
  assert.equal(lines(metricsPath).map(strip), lines(join(straight, 'metrics.jsonl')).map(strip));
  const done = await runTraining(
    config(split, { kind: 'residual', resume: true }),
    squares(),
    backend,
  );
  assert.is(done.records.length, 0);
  assert.is(done.epochs, 2);
  rmSync(straight, { recursive: true });
  rmSync(split, { recursive: true });
});

test('a warm-up scales the learning rate of step s by (s + 1) / warm-up steps', async () => {
  const out = tempDir('run-warm');
  const warm = await runTraining(
    config(out, { kind: 'plain', epochs: 1, warmupSteps: 100 }),
    squares(),
    backend,
  );
  assert.ok(Math.abs(warm.records[0].learningRate - (0.05 * 6) / 100) < 1e-15);
  rmSync(out, { recursive: true });
});

test('a plain run starts from Kaiming weights, not from a residual net', async () => {
  const out = tempDir('run-plain');
  const result = await runTraining(config(out, { kind: 'plain', epochs: 1 }), squares(), backend);
  const twins = await runTraining(config(tempDir('run-twin'), { epochs: 1 }), squares(), backend);
  assert.not.equal(
    result.weights.plain.layers[1].kernel,
    twins.weights['plain-twin'].layers[1].kernel,
  );
  assert.ok(result.records[0].trainError < 2 / 3, `train error ${result.records[0].trainError}`);
  assert.equal(toPlain(twins.weights.residual).kind, 'plain');
  rmSync(out, { recursive: true });
});

test('an occupied --out, a mismatched or missing checkpoint, a bad --out: one line', async () => {
  const out = tempDir('run-guard');
  await runTraining(config(out, { kind: 'plain', epochs: 1 }), squares(), backend);
  const expectError = async (c: TrainConfig, pattern: RegExp) => {
    try {
      await runTraining(c, squares(), backend);
      assert.unreachable('should fail');
    } catch (error) {
      assert.instance(error, InputError);
      assert.match((error as Error).message, pattern);
    }
  };
  await expectError(config(out, { kind: 'plain' }), /holds a run already .* pass --resume/);
  await expectError(
    config(out, { kind: 'plain', batchSize: 4, resume: true }),
    /--resume: the checkpoint was made with batchSize=8, this run asks for 4/,
  );
  await expectError(config(tempDir('run-empty'), { resume: true }), /missing checkpoint/);
  writeFileSync(join(out, 'a-file'), '');
  await expectError(
    config(join(out, 'a-file', 'sub')),
    /--out .*a-file\/sub: cannot create the folder/,
  );
  rmSync(out, { recursive: true });
});

test.run();
