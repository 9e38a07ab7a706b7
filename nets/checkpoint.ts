/**
 * Checkpoints of a training run: the weights and momentum of each net after an epoch, in one
 * file written atomically (a temporary file renamed over the old one), so that a run killed at
 * any moment leaves either the previous checkpoint or the new one.
 *
 * Layout: the 8 bytes "RNSCKPT1", a little-endian uint32 header length, the header as JSON,
 * zero padding to a multiple of 4 bytes, then float32 values: for each net its kernels and
 * biases layer by layer, then its momentum in the same order. Weights are float32 in the nets,
 * so a checkpoint restores them exactly.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

import { InputError } from './errors.js';
import type { NetKind } from './net.js';
import type { LayerWeights, WeightSet } from './weights.js';

/** One net of a run as saved: its name in the run, its weights and its momentum. */
export interface CheckpointNet {
  name: string;
  weights: WeightSet;
  velocity: WeightSet;
}

/** The state of a run after a whole epoch. */
export interface Checkpoint {
  /** Epochs completed. */
  epoch: number;
  /** SGD steps completed. */
  step: number;
  /** What the run was started with, compared on --resume. */
  meta: Record<string, unknown>;
  nets: CheckpointNet[];
}

const MAGIC = 'RNSCKPT1';

interface Header {
  epoch: number;
  step: number;
  meta: Record<string, unknown>;
  nets: { name: string; kind: NetKind; layers: { kernelShape: number[]; biasLength: number }[] }[];
}

function values(set: WeightSet): Float64Array[] {
  return set.layers.flatMap((l) => [l.kernel, l.bias]);
}

/** Writes a checkpoint atomically. */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const header: Header = {
    epoch: checkpoint.epoch,
    step: checkpoint.step,
    meta: checkpoint.meta,
    nets: checkpoint.nets.map((n) => ({
      name: n.name,
      kind: n.weights.kind,
      layers: n.weights.layers.map((l) => ({
        kernelShape: l.kernelShape,
        biasLength: l.bias.length,
      })),
    })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const arrays = checkpoint.nets.flatMap((n) => [...values(n.weights), ...values(n.velocity)]);
  const count = arrays.reduce((s, a) => s + a.length, 0);
  const bytes = Buffer.alloc(start + 4 * count);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(json.length, 8);
  json.copy(bytes, 12);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset + start, count);
  let at = 0;
  for (const a of arrays) {
    data.set(a, at);
    at += a.length;
  }
  const temporary = `${path}.partial`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}

/**
 * Reads a checkpoint written by {@link writeCheckpoint}.
 *
 * @throws InputError naming the file when it is missing, truncated or not a checkpoint
 */
export function readCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new InputError(`${path}: missing checkpoint (nothing to resume)`);
  const bytes = readFileSync(path);
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) {
    throw new InputError(`${path}: not a checkpoint of this package (bad signature)`);
  }
  const length = bytes.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + length)) as Header;
  } catch {
    throw new InputError(`${path}: truncated or corrupt checkpoint header`);
  }
  const start = Math.ceil((12 + length) / 4) * 4;
  if (start > bytes.length || (bytes.length - start) % 4 !== 0) {
    throw new InputError(`${path}: truncated checkpoint (${bytes.length} bytes)`);
  }
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length),
  );
  let at = 0;
  const take = (n: number): Float64Array => {
    if (at + n > data.length) {
      throw new InputError(`${path}: truncated checkpoint (${data.length} values stored)`);
    }
    const out = Float64Array.from(data.subarray(at, at + n));
    at += n;
    return out;
  };
  const readSet = (kind: NetKind, layers: Header['nets'][number]['layers']): WeightSet => ({
    kind,
    layers: layers.map((l): LayerWeights => ({
      kernelShape: l.kernelShape,
      kernel: take(l.kernelShape.reduce((a, b) => a * b, 1)),
      bias: take(l.biasLength),
    })),
  });
  const nets = header.nets.map((n) => ({
    name: n.name,
    weights: readSet(n.kind, n.layers),
    velocity: readSet(n.kind, n.layers),
  }));
  if (at !== data.length) {
    throw new InputError(`${path}: ${data.length - at} values more than the header describes`);
  }
  return { epoch: header.epoch, step: header.step, meta: header.meta, nets };
}
