/**
 * The measurements of a trained pair of nets, as JSON-ready summaries and figures, shared by the
 * reproduction report (report.ts) and the `analyse` command (analyse-cli.ts).
 *
 * "Lies to the right" for two cushion distributions means here: the residual net's median
 * cushion at that layer is above the plain net's median. Cushions are drawn on a log10 axis, as
 * the two nets' values differ by an order of magnitude.
 */
import * as tf from '@tensorflow/tfjs';
import type { TopLevelSpec } from 'vega-lite';

import { interlayerCushions, layerCushions } from './cushion.js';
import { makeBatch, takeFirst, type ChannelStats, type ImageSplit } from './data.js';
import type { DominantFlow } from './dominant-flow.js';
import type { NetSpec } from './net.js';
import { histogramFigure, lineFigure } from './plots.js';
import { allWeights, idEntries } from './weight-stats.js';
import { toTensors, type WeightSet } from './weights.js';

/** A net and its weights (residual weights r for a residual net). */
export interface MeasuredNet {
  spec: NetSpec;
  weights: WeightSet;
}

/** The first `count` images of a split as a normalised batch; dispose both tensors. */
export function firstImages(
  split: ImageSplit,
  stats: ChannelStats,
  shape: readonly [number, number, number],
  count: number,
): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const part = takeFirst(split, count);
  const batch = makeBatch(
    part,
    Array.from({ length: part.count }, (_, i) => i),
    stats,
  );
  return {
    x: tf.tensor4d(batch.x, [part.count, ...shape]),
    y: tf.tensor1d(batch.y, 'int32'),
  };
}

/** Runs `measure` on tensors of a net's weights, freeing them afterwards. */
export function withParams<T>(
  net: MeasuredNet,
  measure: (params: ReturnType<typeof toTensors>) => T,
): T {
  const params = toTensors(net.weights);
  try {
    return measure(params);
  } finally {
    tf.dispose(params.flatMap((p) => [p.kernel, p.bias]));
  }
}

/** Per-sample layer cushions of every conv layer of a net. */
export function measureLayerCushions(net: MeasuredNet, x: tf.Tensor4D): Float64Array[] {
  const kernels = net.weights.layers.map((l) => l.kernel);
  return withParams(net, (params) => layerCushions(net.spec, params, kernels, x));
}

function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Layer by layer medians of two nets' cushions, and how many layers favour the residual net. */
export interface CushionComparison {
  layers: { layer: number; plainMedian: number; residualMedian: number }[];
  /** Layers where the residual median is above the plain median. */
  rightShifted: number;
}

/** Compares per-sample cushions of a plain and a residual net of the same depth. */
export function compareLayerCushions(
  plain: readonly Float64Array[],
  residual: readonly Float64Array[],
): CushionComparison {
  const layers = plain.map((p, l) => ({
    layer: l + 1,
    plainMedian: median(p),
    residualMedian: median(residual[l]),
  }));
  return { layers, rightShifted: layers.filter((l) => l.residualMedian > l.plainMedian).length };
}

/** Histograms of log10 cushions of both nets, one panel per layer. */
export function cushionFigure(
  plain: readonly Float64Array[],
  residual: readonly Float64Array[],
  title: string,
): TopLevelSpec {
  const log = (v: Float64Array) => Array.from(v, (c) => Math.log10(c));
  const series = plain.flatMap((p, l) => [
    { name: 'plain', values: log(p), panel: `layer ${l + 1}` },
    { name: 'residual', values: log(residual[l]), panel: `layer ${l + 1}` },
  ]);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  return histogramFigure(series, {
    title,
    xTitle: 'log10 layer cushion',
    bins: 40,
    min: Math.floor(Math.min(...all) * 4) / 4,
    max: Math.ceil(Math.max(...all) * 4) / 4 + 0.25,
    columns: 5,
  });
}

/** Summary of per-sample interlayer cushions from conv layer `from` to `to`. */
export interface InterlayerSummary {
  from: number;
  to: number;
  samples: number;
  projections: number;
  mean: number;
  sd: number;
  /** Mean over samples of the half-width of the 95% interval, relative to the estimate. */
  relativeHalfWidth: number;
  values: number[];
}

/** Interlayer cushions of the first images of x, summarised. */
export function measureInterlayer(
  net: MeasuredNet,
  x: tf.Tensor4D,
  span: { from: number; to: number },
  projections: number,
  seed: number,
): InterlayerSummary {
  const results = withParams(net, (params) =>
    interlayerCushions(net.spec, params, x, { ...span, projections, seed }),
  );
  const values = results.map((r) => r.cushion.value);
  const m = mean(values);
  const squares = values.reduce((s, v) => s + (v - m) ** 2, 0);
  const sd = Math.sqrt(squares / Math.max(values.length - 1, 1));
  const relativeHalfWidth = mean(
    results.map((r) => (r.frobenius.high - r.frobenius.low) / (2 * r.frobenius.value)),
  );
  return { ...span, samples: values.length, projections, mean: m, sd, relativeHalfWidth, values };
}

/** The weight sets of the paper's Table 3: p before and after training, t = T(r) likewise. */
export interface WeightSets {
  p0: WeightSet;
  pE: WeightSet;
  t0: WeightSet;
  tE: WeightSet;
}

/** Figure 7: all weights of p and t, and the ID entries of t, before and after training. */
export function weightFigures(sets: WeightSets): { all: TopLevelSpec; id: TopLevelSpec } {
  const all = histogramFigure(
    [
      { name: 'plain p', values: allWeights(sets.p0), panel: 'before training' },
      { name: 'residual t = T(r)', values: allWeights(sets.t0), panel: 'before training' },
      { name: 'plain p', values: allWeights(sets.pE), panel: 'after training' },
      { name: 'residual t = T(r)', values: allWeights(sets.tE), panel: 'after training' },
    ],
    { title: 'All weights', xTitle: 'weight', bins: 60, min: -1, max: 1.5, columns: 2, yMax: 800 },
  );
  const id = histogramFigure(
    [
      { name: 'residual t = T(r)', values: idEntries(sets.t0), panel: 'before training' },
      { name: 'residual t = T(r)', values: idEntries(sets.tE), panel: 'after training' },
    ],
    { title: 'ID entries of t', xTitle: 'weight', bins: 60, min: -0.5, max: 1.5, columns: 2 },
  );
  return { all, id };
}

/** Figure 12: sigma(l) of both nets after the first and the last iteration. */
export function sigmaFigure(
  curves: { series: 'plain' | 'residual'; last: boolean; flow: DominantFlow }[],
): TopLevelSpec {
  return lineFigure(
    curves.map((c) => ({
      series: c.series,
      variant: c.last ? 'last iteration' : 'first iteration',
      x: c.flow.layers,
      y: c.flow.sigma,
    })),
    {
      title: 'Fraction sigma(l) of dominant gradient flows',
      xTitle: 'layer l',
      yTitle: 'sigma(l)',
    },
  );
}
