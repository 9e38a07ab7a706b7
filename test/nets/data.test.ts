import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { channelStats, loadCifar10, loadIdx, makeBatch, takeFirst } from '../../nets/data.js';
import { InputError } from '../../nets/errors.js';
import { cifarBatch, idxBytes, pixel, tempDir, writeCifarSet, writeIdxSet } from './fixtures.js';

function expectInputError(run: () => unknown, pattern: RegExp): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, InputError);
    const message = (error as Error).message;
    assert.ok(pattern.test(message), `message '${message}' should match ${pattern}`);
    assert.not.ok(message.includes('\n'), 'one line');
    return;
  }
  assert.unreachable(`expected an InputError matching ${pattern}`);
}

test('loadIdx reads gzipped and plain IDX files byte for byte', () => {
  for (const gzip of [true, false]) {
    const dir = writeIdxSet(tempDir('idx'), { train: 7, test: 3, side: 5, gzip });
    const data = loadIdx(dir);
    assert.equal(data.shape, [5, 5, 1]);
    assert.is(data.train.count, 7);
    assert.is(data.test.count, 3);
    assert.is(data.train.images[3 * 25 + 4], pixel(3, 4));
    assert.is(data.test.images[2 * 25 + 24], pixel(2, 24));
    assert.equal(Array.from(data.train.labels), [0, 1, 2, 3, 4, 5, 6, 0].slice(0, 7));
    rmSync(dir, { recursive: true });
  }
});

test('loadIdx names the folder or file and what is wrong with it', () => {
  expectInputError(
    () => loadIdx('/nonexistent/fashion'),
    /--data-dir: folder not found: \/nonexistent/,
  );

  const dir = writeIdxSet(tempDir('idx-bad'), { train: 4, test: 2, side: 3 });
  const labels = join(dir, 'train-labels-idx1-ubyte.gz');
  const images = join(dir, 'train-images-idx3-ubyte.gz');
  const good = readFileSync(images);

  writeFileSync(images, gzipSync(idxBytes([4, 3, 3], new Uint8Array(36), 0x0000_0801)));
  expectInputError(
    () => loadIdx(dir),
    /train-images-idx3-ubyte\.gz: wrong magic number 0x00000801 \(expected 0x00000803\)/,
  );

  writeFileSync(images, gzipSync(idxBytes([4, 3, 3], new Uint8Array(30))));
  expectInputError(
    () => loadIdx(dir),
    /train-images-idx3-ubyte\.gz: truncated: header says 4x3x3 \(36 bytes/,
  );

  writeFileSync(images, gzipSync(idxBytes([4, 3, 3], new Uint8Array(40))));
  expectInputError(() => loadIdx(dir), /too long/);

  writeFileSync(images, gzipSync(Buffer.from([0, 0, 8])));
  expectInputError(() => loadIdx(dir), /truncated: 3 bytes, no header/);

  writeFileSync(images, gzipSync(Buffer.from([0, 0, 8, 3, 0, 0])));
  expectInputError(() => loadIdx(dir), /header needs 16/);

  writeFileSync(images, Buffer.from([1, 2, 3, 4]));
  expectInputError(() => loadIdx(dir), /not a gzip file/);

  writeFileSync(images, Buffer.concat([good.subarray(0, 20), Buffer.alloc(4)]));
  expectInputError(() => loadIdx(dir), /train-images-idx3-ubyte\.gz: not a valid gzip file/);

  writeFileSync(images, good);
  writeFileSync(labels, gzipSync(idxBytes([4], Uint8Array.from([1, 2, 10, 3]))));
  expectInputError(
    () => loadIdx(dir),
    /train-labels-idx1-ubyte\.gz: label 10 at index 2 out of range 0\.\.9/,
  );

  writeFileSync(labels, gzipSync(idxBytes([3], Uint8Array.from([1, 2, 3]))));
  expectInputError(() => loadIdx(dir), /3 labels for 4 images/);

  rmSync(labels);
  expectInputError(() => loadIdx(dir), /train-labels-idx1-ubyte\.gz: missing file/);
  rmSync(dir, { recursive: true });
});

test('loadIdx refuses test images of another size than the training images', () => {
  const dir = writeIdxSet(tempDir('idx-size'), { train: 2, test: 2, side: 4 });
  writeFileSync(
    join(dir, 't10k-images-idx3-ubyte.gz'),
    gzipSync(idxBytes([2, 3, 3], new Uint8Array(18))),
  );
  expectInputError(
    () => loadIdx(dir),
    /t10k-images-idx3-ubyte\.gz: images of 3x3, training images are 4x4/,
  );
  rmSync(dir, { recursive: true });
});

test('loadCifar10 reads planes red, green, blue into interleaved pixels', () => {
  const dir = writeCifarSet(tempDir('cifar'), 2);
  const data = loadCifar10(dir);
  assert.equal(data.shape, [32, 32, 3]);
  assert.is(data.train.count, 10);
  assert.is(data.test.count, 2);
  assert.equal(Array.from(data.train.labels.subarray(0, 4)), [1, 2, 2, 3]);
  const n = 1;
  const [y, x] = [5, 7];
  for (let c = 0; c < 3; c++) {
    const expected = pixel(n, c * 1024 + y * 32 + x);
    assert.is(data.test.images[n * 3072 + (y * 32 + x) * 3 + c], expected, `channel ${c}`);
  }
  rmSync(dir, { recursive: true });
});

test('loadCifar10 finds the batches in the cifar-10-batches-bin subfolder', () => {
  const dir = tempDir('cifar-nested');
  writeCifarSet(join(dir, 'cifar-10-batches-bin'), 1);
  assert.is(loadCifar10(dir).train.count, 5);
  rmSync(dir, { recursive: true });
});

test('loadCifar10 names the file that is missing, truncated or holds a bad label', () => {
  expectInputError(() => loadCifar10('/nonexistent/cifar'), /folder not found/);
  const dir = writeCifarSet(tempDir('cifar-bad'), 1);
  writeFileSync(join(dir, 'data_batch_3.bin'), cifarBatch(2).subarray(0, 5000));
  expectInputError(() => loadCifar10(dir), /data_batch_3\.bin: truncated or malformed: 5000 bytes/);
  const bad = cifarBatch(2);
  bad[3073] = 11;
  writeFileSync(join(dir, 'data_batch_3.bin'), bad);
  expectInputError(() => loadCifar10(dir), /data_batch_3\.bin: label 11 at index 1 out of range/);
  rmSync(join(dir, 'test_batch.bin'));
  mkdirSync(join(dir, 'other'));
  expectInputError(() => loadCifar10(dir), /data_batch_3\.bin|test_batch\.bin: missing file/);
  writeFileSync(join(dir, 'data_batch_3.bin'), cifarBatch(1));
  expectInputError(() => loadCifar10(dir), /test_batch\.bin: missing file/);
  rmSync(dir, { recursive: true });
});

test('channelStats and makeBatch normalise per channel, as computed by hand', () => {
  const split = {
    count: 2,
    images: Uint8Array.from([0, 10, 2, 30, 4, 50, 6, 70]),
    labels: Uint8Array.from([3, 9]),
  };
  const stats = channelStats(split, 2);
  assert.equal(stats.mean, [3, 40]);
  assert.ok(Math.abs(stats.std[0] - Math.sqrt(5)) < 1e-12);
  assert.ok(Math.abs(stats.std[1] - Math.sqrt(500)) < 1e-12);
  const batch = makeBatch(split, [1], stats);
  assert.equal(Array.from(batch.y), [9]);
  assert.ok(Math.abs(batch.x[0] - 1 / Math.sqrt(5)) < 1e-6);
  assert.ok(Math.abs(batch.x[3] - 30 / Math.sqrt(500)) < 1e-6);

  const flat = channelStats(
    { count: 1, images: Uint8Array.from([7, 7]), labels: Uint8Array.of(0) },
    1,
  );
  assert.equal(flat, { mean: [7], std: [1] });
});

test('takeFirst keeps the first images and labels', () => {
  const split = {
    count: 3,
    images: Uint8Array.from([1, 2, 3, 4, 5, 6]),
    labels: Uint8Array.from([7, 8, 9]),
  };
  const two = takeFirst(split, 2);
  assert.equal(Array.from(two.images), [1, 2, 3, 4]);
  assert.equal(Array.from(two.labels), [7, 8]);
  assert.is(takeFirst(split, 5), split);
});

test.run();
