/**
 * Dominant-path nets T' (the paper's Appendix D.3): residual nets whose block kernels keep only
 * the entries on the dominant signal paths, and their training.
 *
 * A block kernel K[u, v, c, d] (all 9 taps u, v) is kept where channel d reads channel c along
 * its identity path: c = d for d < C. For a widening block (C -> 2C) the paper makes both the
 * upper and the lower C x C halves diagonal, so the new channels d >= C read c = d - C
 * ('diagonal'); its second variant keeps the lower half dense ('dense-lower'). Kept entries start
 * at Hardt-Ma draws; the identity itself is added by the residual net (net.ts), which passes
 * nothing to the new channels of a widening block, so the lower half carries no +1 here. The
 * stem and the dense layer are left whole.
 *
 * Training is projected SGD: after each step of train.ts's SgdTrainer the dropped entries of
 * the weights and of the momentum are set back to 0. As SGD with momentum and weight decay acts
 * entry by entry, the kept entries follow exactly the steps of SGD on the restricted net.
 */
import * as tf from '@tensorflow/tfjs';

import { isBlockLayer } from './map.js';
import type { NetSpec } from './net.js';
import { SgdTrainer, type SgdOptions } from './train.js';
import { initWeights, type WeightSet } from './weights.js';

/** Which entries of a widening kernel's lower half are kept. */
export type DominantPathVariant = 'diagonal' | 'dense-lower';

/** 1 where a block kernel of shape [3, 3, C, D] keeps its entry, else 0. */
export function dominantPathMask(
  kernelShape: readonly number[],
  variant: DominantPathVariant,
): Float64Array {
  const [kh, kw, C, D] = kernelShape;
  const mask = new Float64Array(kh * kw * C * D);
  for (let tap = 0; tap < kh * kw; tap++) {
    for (let c = 0; c < C; c++) {
      for (let d = 0; d < D; d++) {
        const keep = d < C ? c === d : variant === 'dense-lower' || c === d - C;
        if (keep) mask[(tap * C + c) * D + d] = 1;
      }
    }
  }
  return mask;
}

/** Sets to 0 the entries of every block kernel that T' drops; other layers stay as they are. */
export function restrictToDominantPaths(
  weights: WeightSet,
  variant: DominantPathVariant,
): WeightSet {
  const count = weights.layers.length;
  return {
    kind: weights.kind,
    layers: weights.layers.map((layer, index) => {
      if (!isBlockLayer(index, count)) return layer;
      const mask = dominantPathMask(layer.kernelShape, variant);
      return { ...layer, kernel: layer.kernel.map((w, k) => w * mask[k]) };
    }),
  };
}

/**
 * Seeded initial weights of a T' net: Hardt-Ma weights of the residual net, restricted.
 *
 * @throws TypeError when the spec is not a residual net
 */
export function dominantPathWeights(
  spec: NetSpec,
  seed: number,
  variant: DominantPathVariant,
): WeightSet {
  if (spec.kind !== 'residual') {
    throw new TypeError(`a dominant-path net is a residual net, got a ${spec.kind} spec`);
  }
  return restrictToDominantPaths(initWeights(spec, seed), variant);
}

/** Number of trainable numbers that a T' net keeps. */
export function keptParameterCount(weights: WeightSet, variant: DominantPathVariant): number {
  const count = weights.layers.length;
  return weights.layers.reduce((n, layer, index) => {
    const kernel = isBlockLayer(index, count)
      ? dominantPathMask(layer.kernelShape, variant).reduce((s, m) => s + m, 0)
      : layer.kernel.length;
    return n + kernel + layer.bias.length;
  }, 0);
}

/** Projected SGD on a T' net; call {@link DominantPathTrainer.dispose} when done. */
export class DominantPathTrainer {
  readonly spec: NetSpec;
  readonly variant: DominantPathVariant;
  private readonly options: SgdOptions;
  private trainer: SgdTrainer;

  constructor(
    spec: NetSpec,
    weights: WeightSet,
    options: SgdOptions,
    variant: DominantPathVariant,
  ) {
    this.spec = spec;
    this.variant = variant;
    this.options = options;
    this.trainer = new SgdTrainer(spec, restrictToDominantPaths(weights, variant), options);
  }

  /** The current weights as tensors (valid until the next step). */
  get params() {
    return this.trainer.params;
  }

  /** One projected SGD step; returns the mini-batch loss before the step. */
  async step(x: tf.Tensor4D, y: tf.Tensor1D, learningRate: number): Promise<number> {
    const loss = this.trainer.step(x, y, learningRate);
    const weights = restrictToDominantPaths(await this.trainer.weightSet(), this.variant);
    const velocity = restrictToDominantPaths(await this.trainer.velocitySet(), this.variant);
    this.trainer.dispose();
    this.trainer = new SgdTrainer(this.spec, weights, this.options, 'zero', velocity);
    return loss;
  }

  /** The decay term of the cost. */
  decayTerm(): number {
    return this.trainer.decayTerm();
  }

  /** The weights, copied to the host. */
  async weightSet(): Promise<WeightSet> {
    return this.trainer.weightSet();
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
