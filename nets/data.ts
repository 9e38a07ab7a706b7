/**
 * Image data sets for the nets: Fashion-MNIST from its gzipped IDX files and CIFAR-10 from its
 * standard binary batches, checked byte for byte against their formats, and normalised per
 * channel on the fly when a mini-batch is built.
 *
 * Every check fails with an {@link InputError} whose one-line message names the file and what is
 * wrong with it: missing, not gzip, wrong magic number, sizes that disagree, truncated, or a
 * label out of range.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { InputError } from './errors.js';

/** Images as bytes in [height, width, channels] order, one label byte per image. */
export interface ImageSplit {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

/** A data set of small images in 10 classes, split into training and test images. */
export interface ImageDataset {
  name: 'fashion-mnist' | 'cifar10';
  /** [height, width, channels] of one image. */
  shape: [number, number, number];
  classes: number;
  train: ImageSplit;
  test: ImageSplit;
}

/** Per-channel mean and standard deviation of pixel values (0..255). */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Both data sets have 10 classes. */
const CLASSES = 10;

/** IDX magic numbers: 0x08 (unsigned bytes) then the number of dimensions. */
const IDX_IMAGES_MAGIC = 0x00000803;
const IDX_LABELS_MAGIC = 0x00000801;

/** Fashion-MNIST's file names, as distributed and as Debian's dataset-fashion-mnist has them. */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The folder Debian's dataset-fashion-mnist package installs. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** One CIFAR-10 record: a label byte, then 1024 red, 1024 green and 1024 blue bytes. */
const CIFAR_SIDE = 32;
const CIFAR_PLANE = CIFAR_SIDE * CIFAR_SIDE;
const CIFAR_RECORD = 1 + 3 * CIFAR_PLANE;

/** CIFAR-10's binary batch files. */
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';

function checkFolder(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`--data-dir: folder not found: ${dir}`);
  }
}

/** Reads an IDX file, gzipped (name.gz) or not (name), and checks its header. */
function readIdx(
  dir: string,
  name: string,
  magic: number,
): { path: string; dims: number[]; body: Uint8Array } {
  const gzPath = join(dir, `${name}.gz`);
  const path = existsSync(gzPath) ? gzPath : join(dir, name);
  if (!existsSync(path)) throw new InputError(`${gzPath}: missing file`);
  let bytes: Uint8Array = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new InputError(`${path}: not a valid gzip file (${(error as Error).message})`);
    }
  } else if (path === gzPath) {
    throw new InputError(`${path}: not a gzip file (no gzip signature)`);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4)
    throw new InputError(`${path}: truncated: ${bytes.length} bytes, no header`);
  const found = view.getUint32(0);
  if (found !== magic) {
    throw new InputError(
      `${path}: wrong magic number 0x${found.toString(16).padStart(8, '0')} ` +
        `(expected 0x${magic.toString(16).padStart(8, '0')})`,
    );
  }
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new InputError(`${path}: truncated: ${bytes.length} bytes, header needs ${headerBytes}`);
  }
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const body = bytes.subarray(headerBytes);
  if (body.length !== expected) {
    throw new InputError(
      `${path}: ${body.length < expected ? 'truncated' : 'too long'}: header says ` +
        `${dims.join('x')} (${expected} bytes of data), file holds ${body.length}`,
    );
  }
  return { path, dims, body };
}

function checkLabels(labels: Uint8Array, path: string): void {
  const bad = labels.findIndex((label) => label >= CLASSES);
  if (bad >= 0) {
    throw new InputError(
      `${path}: label ${labels[bad]} at index ${bad} out of range 0..${CLASSES - 1}`,
    );
  }
}

function readIdxSplit(
  dir: string,
  imagesName: string,
  labelsName: string,
): { split: ImageSplit; size: [number, number]; path: string } {
  const images = readIdx(dir, imagesName, IDX_IMAGES_MAGIC);
  const labels = readIdx(dir, labelsName, IDX_LABELS_MAGIC);
  if (images.dims[0] !== labels.dims[0]) {
    throw new InputError(
      `${labels.path}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${images.path}`,
    );
  }
  checkLabels(labels.body, labels.path);
  return {
    split: { count: images.dims[0], images: images.body, labels: labels.body },
    size: [images.dims[1], images.dims[2]],
    path: images.path,
  };
}

/**
 * Fashion-MNIST (or MNIST) from the four IDX files in `dir`, gzipped or not.
 *
 * @throws InputError naming the folder or file when it is missing or malformed
 */
export function loadIdx(dir: string): ImageDataset {
  checkFolder(dir);
  const f = FASHION_MNIST_FILES;
  const train = readIdxSplit(dir, f.trainImages, f.trainLabels);
  const test = readIdxSplit(dir, f.testImages, f.testLabels);
  if (train.size[0] !== test.size[0] || train.size[1] !== test.size[1]) {
    throw new InputError(
      `${test.path}: images of ${test.size.join('x')}, training images are ` +
        `${train.size.join('x')}`,
    );
  }
  return {
    name: 'fashion-mnist',
    shape: [train.size[0], train.size[1], 1],
    classes: CLASSES,
    train: train.split,
    test: test.split,
  };
}

function readCifarFile(path: string): ImageSplit {
  if (!existsSync(path)) throw new InputError(`${path}: missing file`);
  const bytes = readFileSync(path);
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD !== 0) {
    throw new InputError(
      `${path}: truncated or malformed: ${bytes.length} bytes is not a whole number of ` +
        `${CIFAR_RECORD}-byte records`,
    );
  }
  const count = bytes.length / CIFAR_RECORD;
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * 3 * CIFAR_PLANE);
  for (let n = 0; n < count; n++) {
    const record = n * CIFAR_RECORD;
    labels[n] = bytes[record];
    const image = n * 3 * CIFAR_PLANE;
    for (let c = 0; c < 3; c++) {
      const plane = record + 1 + c * CIFAR_PLANE;
      for (let p = 0; p < CIFAR_PLANE; p++) images[image + 3 * p + c] = bytes[plane + p];
    }
  }
  checkLabels(labels, path);
  return { count, images, labels };
}

function concatSplits(splits: ImageSplit[]): ImageSplit {
  const count = splits.reduce((n, s) => n + s.count, 0);
  const images = new Uint8Array(splits.reduce((n, s) => n + s.images.length, 0));
  const labels = new Uint8Array(count);
  let at = 0;
  let label = 0;
  for (const s of splits) {
    images.set(s.images, at);
    labels.set(s.labels, label);
    at += s.images.length;
    label += s.count;
  }
  return { count, images, labels };
}

/**
 * CIFAR-10 from its binary version: data_batch_1.bin .. data_batch_5.bin and test_batch.bin, in
 * `dir` or in its subfolder cifar-10-batches-bin (as the archive unpacks).
 *
 * @throws InputError naming the folder or file when it is missing or malformed
 */
export function loadCifar10(dir: string): ImageDataset {
  checkFolder(dir);
  const nested = join(dir, 'cifar-10-batches-bin');
  const root = existsSync(join(dir, CIFAR10_TEST_FILE)) || !existsSync(nested) ? dir : nested;
  const train = concatSplits(CIFAR10_TRAIN_FILES.map((f) => readCifarFile(join(root, f))));
  const test = readCifarFile(join(root, CIFAR10_TEST_FILE));
  return { name: 'cifar10', shape: [CIFAR_SIDE, CIFAR_SIDE, 3], classes: CLASSES, train, test };
}

/** The first `count` images of a split (all when count is at least its size). */
export function takeFirst(split: ImageSplit, count: number): ImageSplit {
  if (count >= split.count) return split;
  const size = split.images.length / split.count;
  return {
    count,
    images: split.images.subarray(0, count * size),
    labels: split.labels.subarray(0, count),
  };
}

/** Per-channel mean and standard deviation of the pixels of a split, in double precision. */
export function channelStats(split: ImageSplit, channels: number): ChannelStats {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  for (let i = 0; i < split.images.length; i++) {
    const v = split.images[i];
    sum[i % channels] += v;
    sumSq[i % channels] += v * v;
  }
  const n = split.images.length / channels;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(s / n - mean[c] ** 2, 0)) || 1);
  return { mean, std };
}

/**
 * Normalised float32 pixels (x - mean[c]) / std[c] and int32 labels of the chosen images.
 */
export function makeBatch(
  split: ImageSplit,
  indices: ArrayLike<number>,
  stats: ChannelStats,
): { x: Float32Array; y: Int32Array } {
  const channels = stats.mean.length;
  const size = split.images.length / split.count;
  const x = new Float32Array(indices.length * size);
  const y = new Int32Array(indices.length);
  const scale = stats.std.map((s) => 1 / s);
  for (let n = 0; n < indices.length; n++) {
    const from = indices[n] * size;
    const to = n * size;
    for (let p = 0; p < size; p++) {
      const c = p % channels;
      x[to + p] = (split.images[from + p] - stats.mean[c]) * scale[c];
    }
    y[n] = split.labels[indices[n]];
  }
  return { x, y };
}
