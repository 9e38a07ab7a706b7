/**
 * Mini-batch SGD with momentum and weight decay for the nets, the paper's learning-rate
 * schedule, and evaluation of loss and error on a data split.
 *
 * Update (the convention of PyTorch's SGD): g = grad L(w) + lambda (w - c), v <- mu v + g,
 * w <- w - eta v, minimising the cost L(w) + (lambda / 2) ||w - c||^2 with L the mean
 * softmax cross-entropy of the mini-batch. The decay centre c is 0 (decay ||w||^2, as for a
 * residual net r or a plain net), or rho, the ID entries of map.ts (decay ||T^-1(p)||^2, for the
 * plain twin p of a residual net). With c = rho, the plain twin initialised at T(r0) and fed
 * the same mini-batches follows w_t = T(r_t) in exact arithmetic; in float32 its loss leaves the
 * residual net's by rounding, and the gap grows as ReLU masks flip (see run.ts and the README for
 * the measured gap). Decay applies to every kernel and bias, as weight_decay does in PyTorch.
 */
import * as tf from '@tensorflow/tfjs';

import { makeBatch, type ChannelStats, type ImageSplit } from './data.js';
import { identityKernel, isBlockLayer } from './map.js';
import { crossEntropy, forward, type LayerTensors, type NetSpec } from './net.js';
import { toTensors, fromTensors, type WeightSet } from './weights.js';

/** Hyper-parameters of SGD with momentum. */
export interface SgdOptions {
  /** Initial learning rate eta. */
  learningRate: number;
  /** Momentum mu. */
  momentum: number;
  /** Weight decay lambda. */
  weightDecay: number;
}

/** The paper's settings: eta = 0.01, mu = 0.9, lambda = 1e-4. */
export const PAPER_SGD: Readonly<SgdOptions> = Object.freeze({
  learningRate: 0.01,
  momentum: 0.9,
  weightDecay: 1e-4,
});

/** The learning rate is divided by 10 at these fractions of the epochs (120 and 160 of 200). */
export const SCHEDULE_MILESTONES = [0.6, 0.8] as const;

/**
 * The learning rate of epoch `epoch` (0-based) of `epochs`: the initial rate divided by 10 once
 * for each milestone round(0.6 epochs), round(0.8 epochs) that the epoch has reached.
 */
export function learningRateAt(epoch: number, epochs: number, initial: number): number {
  const drops = SCHEDULE_MILESTONES.filter((m) => epoch >= Math.round(m * epochs)).length;
  return initial / 10 ** drops;
}

/**
 * The factor of a linear learning-rate warm-up at SGD step `step` (0-based):
 * min(1, (step + 1) / warmupSteps), or 1 without warm-up (warmupSteps = 0). Deep nets without
 * batch normalisation need it at the paper's rate on Fashion-MNIST (see the README).
 */
export function warmupFactor(step: number, warmupSteps: number): number {
  return warmupSteps > 0 ? Math.min(1, (step + 1) / warmupSteps) : 1;
}

/** Where weight decay pulls the weights: 0, or the ID entries rho (for a residual's plain twin). */
export type DecayCentre = 'zero' | 'identity';

function flatten(params: readonly LayerTensors[]): tf.Tensor[] {
  return params.flatMap((p) => [p.kernel, p.bias]);
}

function unflatten(flat: readonly tf.Tensor[]): LayerTensors[] {
  const params: LayerTensors[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    params.push({ kernel: flat[i], bias: flat[i + 1] as tf.Tensor1D });
  }
  return params;
}

/**
 * One net under SGD: its weights and momentum as tensors, stepped on mini-batches.
 * Call {@link SgdTrainer.dispose} when done.
 */
export class SgdTrainer {
  readonly spec: NetSpec;
  readonly options: SgdOptions;
  readonly centre: DecayCentre;
  private weights: tf.Tensor[];
  private velocity: tf.Tensor[];
  private readonly centres: (tf.Tensor | null)[];

  /**
   * @param spec - the net's structure
   * @param weights - initial weights (checked against the spec's shapes)
   * @param options - SGD hyper-parameters
   * @param centre - 'identity' for the plain twin of a residual net, else 'zero'
   * @param velocity - momentum to resume from; zero when absent
   */
  constructor(
    spec: NetSpec,
    weights: WeightSet,
    options: SgdOptions,
    centre: DecayCentre = 'zero',
    velocity?: WeightSet,
  ) {
    this.spec = spec;
    this.options = options;
    this.centre = centre;
    this.weights = flatten(toTensors(weights));
    this.velocity = velocity
      ? flatten(toTensors(velocity))
      : this.weights.map((w) => tf.zerosLike(w));
    this.centres = weights.layers.flatMap((layer, index) => [
      centre === 'identity' && isBlockLayer(index, weights.layers.length)
        ? tf.tensor(identityKernel(layer.kernelShape), layer.kernelShape)
        : null,
      null,
    ]);
  }

  /** The current weights as tensors (owned by the trainer; valid until the next step). */
  get params(): LayerTensors[] {
    return unflatten(this.weights);
  }

  /**
   * One SGD step on a mini-batch; returns the mini-batch loss before the step.
   *
   * @param x - normalised images [batch, height, width, channels]
   * @param y - integer labels [batch]
   * @param learningRate - eta for this step
   */
  step(x: tf.Tensor4D, y: tf.Tensor1D, learningRate: number): number {
    const { momentum, weightDecay } = this.options;
    const lossOf = (...flat: tf.Tensor[]): tf.Scalar =>
      crossEntropy(forward(this.spec, unflatten(flat), x), y);
    const { value, grads } = tf.valueAndGrads(lossOf)(this.weights);
    const next = tf.tidy(() =>
      this.weights.map((w, i) => {
        const centre = this.centres[i];
        const decay = tf.mul(centre ? tf.sub(w, centre) : w, weightDecay);
        const v = tf.add(tf.mul(this.velocity[i], momentum), tf.add(grads[i], decay));
        return [tf.sub(w, tf.mul(v, learningRate)), v];
      }),
    );
    const loss = value.dataSync()[0];
    tf.dispose([value, ...grads, ...this.weights, ...this.velocity]);
    this.weights = next.map(([w]) => w);
    this.velocity = next.map(([, v]) => v);
    return loss;
  }

  /** The decay term (lambda / 2) ||w - c||^2 of the cost, in float32. */
  decayTerm(): number {
    const sum = tf.tidy(() =>
      tf.addN(
        this.weights.map((w, i) => {
          const centre = this.centres[i];
          return tf.sum(tf.square(centre ? tf.sub(w, centre) : w));
        }),
      ),
    );
    const value = sum.dataSync()[0];
    sum.dispose();
    return (this.options.weightDecay / 2) * value;
  }

  /** The weights, copied to the host. */
  async weightSet(): Promise<WeightSet> {
    return fromTensors(this.params, this.spec.kind);
  }

  /** The momentum, copied to the host in the weights' layout. */
  async velocitySet(): Promise<WeightSet> {
    return fromTensors(unflatten(this.velocity), this.spec.kind);
  }

  dispose(): void {
    tf.dispose([...this.weights, ...this.velocity]);
    tf.dispose(this.centres.filter((c): c is tf.Tensor => c !== null));
  }
}

/** Mean loss and error rate over a split. */
export interface Evaluation {
  loss: number;
  error: number;
}

/**
 * Mean softmax cross-entropy and error rate (fraction of images whose largest logit is not the
 * label) of a net over a split, in mini-batches of `batchSize`.
 */
export function evaluateNet(
  spec: NetSpec,
  params: readonly LayerTensors[],
  split: ImageSplit,
  stats: ChannelStats,
  batchSize: number,
): Evaluation {
  const [height, width, channels] = spec.inputShape;
  let lossSum = 0;
  let wrong = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const indices = Array.from(
      { length: Math.min(batchSize, split.count - start) },
      (_, i) => start + i,
    );
    const batch = makeBatch(split, indices, stats);
    const [loss, misses] = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [indices.length, height, width, channels]);
      const y = tf.tensor1d(batch.y, 'int32');
      const logits = forward(spec, params, x);
      const missed = tf.sum(tf.cast(tf.notEqual(tf.argMax(logits, 1), y), 'float32'));
      return [tf.mul(crossEntropy(logits, y), indices.length), missed];
    });
    lossSum += loss.dataSync()[0];
    wrong += misses.dataSync()[0];
    tf.dispose([loss, misses]);
  }
  return { loss: lossSum / split.count, error: wrong / split.count };
}
