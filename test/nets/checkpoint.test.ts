import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { readCheckpoint, writeCheckpoint } from '../../nets/checkpoint.js';
import { InputError } from '../../nets/errors.js';
import { buildNet } from '../../nets/net.js';
import { initWeights } from '../../nets/weights.js';
import { tempDir } from './fixtures.js';

const spec = buildNet({ kind: 'residual', depth: 5, inputShape: [4, 4, 1], classes: 2 });

function sample() {
  return {
    epoch: 3,
    step: 42,
    meta: { batchSize: 8, sgd: { learningRate: 0.01 } },
    nets: [
      { name: 'residual', weights: initWeights(spec, 1), velocity: initWeights(spec, 2) },
      {
        name: 'plain-twin',
        weights: initWeights({ ...spec, kind: 'plain' }, 3),
        velocity: initWeights(spec, 4),
      },
    ],
  };
}

test('a checkpoint reads back exactly what was written', () => {
  const dir = tempDir('ckpt');
  const path = join(dir, 'checkpoint.bin');
  const saved = sample();
  writeCheckpoint(path, saved);
  const read = readCheckpoint(path);
  assert.is(read.epoch, 3);
  assert.is(read.step, 42);
  assert.equal(read.meta, saved.meta);
  assert.equal(
    read.nets.map((n) => n.name),
    ['residual', 'plain-twin'],
  );
  assert.equal(read.nets[1].weights, saved.nets[1].weights);
  assert.equal(read.nets[0].velocity.layers, saved.nets[0].velocity.layers);
  rmSync(dir, { recursive: true });
});

test('a damaged checkpoint fails with one line naming the file', () => {
  const dir = tempDir('ckpt-bad');
  const path = join(dir, 'checkpoint.bin');
  const check = (pattern: RegExp): void => {
    try {
      readCheckpoint(path);
      assert.unreachable('should fail');
    } catch (error) {
      assert.instance(error, InputError);
      assert.match((error as Error).message, pattern);
    }
  };
  check(/checkpoint\.bin: missing checkpoint/);
  writeCheckpoint(path, sample());
  const good = readFileSync(path);
  writeFileSync(path, good.subarray(0, good.length - 8));
  check(/truncated checkpoint \(\d+ values stored\)/);
  writeFileSync(path, good.subarray(0, good.length - 3));
  check(/truncated checkpoint \(\d+ bytes\)/);
  writeFileSync(path, Buffer.concat([good, Buffer.alloc(4)]));
  check(/1 values more than the header describes/);
  writeFileSync(path, Buffer.from('not a checkpoint at all'));
  check(/not a checkpoint of this package/);
  const broken = Buffer.from(good);
  broken.write('}', 12, 'latin1');
  writeFileSync(path, broken);
  check(/corrupt checkpoint header/);
  rmSync(dir, { recursive: true });
});

test.run();
