/**
 * Tiny data files in the real formats, generated for the tests: IDX (gzipped or not) as
 * Fashion-MNIST ships, and CIFAR-10's binary batches.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Folders made by {@link tempDir}, removed when the test process exits. */
const madeFolders: string[] = [];
process.on('exit', () => {
  for (const folder of madeFolders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh empty folder under the system's temporary folder, removed at exit. */
export function tempDir(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), `rns-${prefix}-`));
  madeFolders.push(folder);
  return folder;
}

/** Bytes of an IDX file: magic (0x0000 08 rank), big-endian dims, then the data. */
export function idxBytes(dims: number[], data: Uint8Array, magic = 0x800 + dims.length): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** Pixel value of image n at byte p: a fixed pattern that tests can recompute. */
export function pixel(n: number, p: number): number {
  return (n * 37 + p * 11) % 256;
}

/**
 * Writes Fashion-MNIST-like IDX files: `train` and `test` images of side x side, labels
 * n mod 10. Returns the folder.
 */
export function writeIdxSet(
  dir: string,
  options: { train: number; test: number; side: number; gzip?: boolean },
): string {
  mkdirSync(dir, { recursive: true });
  const write = (name: string, bytes: Buffer): void => {
    if (options.gzip === false) writeFileSync(join(dir, name), bytes);
    else writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
  };
  for (const [prefix, count] of [
    ['train', options.train],
    ['t10k', options.test],
  ] as const) {
    const size = options.side * options.side;
    const images = new Uint8Array(count * size);
    for (let n = 0; n < count; n++)
      for (let p = 0; p < size; p++) images[n * size + p] = pixel(n, p);
    const labels = Uint8Array.from({ length: count }, (_, n) => n % 10);
    write(`${prefix}-images-idx3-ubyte`, idxBytes([count, options.side, options.side], images));
    write(`${prefix}-labels-idx1-ubyte`, idxBytes([count], labels));
  }
  return dir;
}

/** A CIFAR-10 batch of `count` records: label n mod 10, byte q of the planes pixel(n, q). */
export function cifarBatch(count: number, firstLabel = 0): Buffer {
  const record = 3073;
  const bytes = Buffer.alloc(count * record);
  for (let n = 0; n < count; n++) {
    bytes[n * record] = (firstLabel + n) % 10;
    for (let q = 0; q < 3072; q++) bytes[n * record + 1 + q] = pixel(n, q);
  }
  return bytes;
}

/** Writes the six CIFAR-10 batch files with `perFile` records each. Returns the folder. */
export function writeCifarSet(dir: string, perFile: number): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= 5; i++)
    writeFileSync(join(dir, `data_batch_${i}.bin`), cifarBatch(perFile, i));
  writeFileSync(join(dir, 'test_batch.bin'), cifarBatch(perFile));
  return dir;
}
