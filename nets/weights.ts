/**
 * Weight sets of the nets held on the host in double precision, their seeded initialisation,
 * and their conversion to and from tfjs tensors.
 *
 * Host weight sets hold float64 so that the map T of map.ts is exact (see there); the nets run
 * in float32, as tfjs has no float64, so a weight set becomes tensors by rounding each entry to
 * the nearest float32. Weight sets drawn by {@link initWeights} are already float32 values.
 */
import * as tf from '@tensorflow/tfjs';

import { KERNEL_SIZE, type LayerTensors, type NetKind, type NetSpec } from './net.js';
import { createRng } from './random.js';

/** The trainable numbers of one layer, kernel in tfjs layout ([3, 3, C, D] or [64, K]). */
export interface LayerWeights {
  kernelShape: number[];
  kernel: Float64Array;
  bias: Float64Array;
}

/** All trainable numbers of a net, one entry per trainable layer, stem first, dense last. */
export interface WeightSet {
  /** The kind of net these weights are meant for. */
  kind: NetKind;
  layers: LayerWeights[];
}

/** Kernel shapes of every trainable layer of a net, in order. */
export function kernelShapes(spec: NetSpec): number[][] {
  return [
    ...spec.convs.map((c) => [KERNEL_SIZE, KERNEL_SIZE, c.inChannels, c.outChannels]),
    [spec.features, spec.classes],
  ];
}

/**
 * Seeded initial weights: Kaiming (He et al. 2015) for plain nets, std sqrt(2 / S), and
 * Hardt-Ma for residual nets, std 1 / S, with S the fan-in (C * 3 * 3 for a conv, 64 for the
 * dense layer), applied to every layer including the stem and the dense layer; biases are zero.
 * Draws are Gaussian, rounded to float32 so that the tensors hold exactly these values.
 *
 * @param spec - the net's structure
 * @param seed - integer seed of the draws
 */
export function initWeights(spec: NetSpec, seed: number): WeightSet {
  const rng = createRng(seed);
  const layers = kernelShapes(spec).map((kernelShape) => {
    const fanIn = kernelShape.slice(0, -1).reduce((a, b) => a * b, 1);
    const std = spec.kind === 'plain' ? Math.sqrt(2 / fanIn) : 1 / fanIn;
    const kernel = new Float64Array(kernelShape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < kernel.length; i++) kernel[i] = Math.fround(std * rng.normal());
    return { kernelShape, kernel, bias: new Float64Array(kernelShape[kernelShape.length - 1]) };
  });
  return { kind: spec.kind, layers };
}

/** A deep copy of a weight set, optionally relabelled with another kind. */
export function cloneWeights(weights: WeightSet, kind: NetKind = weights.kind): WeightSet {
  return {
    kind,
    layers: weights.layers.map((l) => ({
      kernelShape: [...l.kernelShape],
      kernel: Float64Array.from(l.kernel),
      bias: Float64Array.from(l.bias),
    })),
  };
}

/** Float32 tensors of a weight set; the caller disposes them. */
export function toTensors(weights: WeightSet): LayerTensors[] {
  return weights.layers.map((l) => ({
    kernel: tf.tensor(Float32Array.from(l.kernel), l.kernelShape),
    bias: tf.tensor1d(Float32Array.from(l.bias)),
  }));
}

/** A host weight set holding exactly the values of the given tensors. */
export async function fromTensors(
  params: readonly LayerTensors[],
  kind: NetKind,
): Promise<WeightSet> {
  const layers: LayerWeights[] = [];
  for (const p of params) {
    layers.push({
      kernelShape: [...p.kernel.shape],
      kernel: Float64Array.from(await p.kernel.data()),
      bias: Float64Array.from(await p.bias.data()),
    });
  }
  return { kind, layers };
}

/** The number of trainable numbers in a weight set. */
export function parameterCount(weights: WeightSet): number {
  return weights.layers.reduce((n, l) => n + l.kernel.length + l.bias.length, 0);
}
