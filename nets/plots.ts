/**
 * The figures of the measurements as SVG: vega-lite specifications compiled to vega and rendered
 * headless (no browser, no canvas). Histograms are binned here (weight-stats.ts) and drawn as
 * bars, so a figure of a million weights stays a few kilobytes.
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

import { histogram } from './weight-stats.js';

/** The paper's colours: plain nets blue, residual nets red. */
export const SERIES_COLOURS: Record<string, string> = {
  plain: '#1f5fbf',
  residual: '#c8312b',
};

/** The colour of a series: that of the first word of its name, grey for other names. */
function colourOf(name: string): string {
  return SERIES_COLOURS[name.split(' ')[0]] ?? '#666';
}

/** Renders a vega-lite specification to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** One named set of values to draw as a histogram. */
export interface Series {
  name: string;
  values: ArrayLike<number>;
  /** The panel of a faceted figure (e.g. 'layer 3'); one panel when absent. */
  panel?: string;
}

/** Options of {@link histogramFigure}. */
export interface HistogramOptions {
  title: string;
  xTitle: string;
  bins: number;
  min: number;
  max: number;
  /** Panels per row of a faceted figure. */
  columns?: number;
  /** Clip the y axis at this count, as the paper's Figure 7 does. */
  yMax?: number;
}

/** Overlaid histograms of several series, one colour each, in one or several panels. */
export function histogramFigure(
  series: readonly Series[],
  options: HistogramOptions,
): TopLevelSpec {
  const width = (options.max - options.min) / options.bins;
  const rows = series.flatMap((s) =>
    histogram(s.values, options.bins, options.min, options.max).counts.map((count, k) => ({
      series: s.name,
      panel: s.panel ?? '',
      start: options.min + k * width,
      end: options.min + (k + 1) * width,
      count: options.yMax === undefined ? count : Math.min(count, options.yMax),
    })),
  );
  const names = [...new Set(series.map((s) => s.name))];
  const colour = {
    field: 'series',
    type: 'nominal' as const,
    title: null,
    scale: { domain: names, range: names.map(colourOf) },
  };
  const layer = {
    mark: { type: 'rect' as const, opacity: 0.55 },
    encoding: {
      x: { field: 'start', type: 'quantitative' as const, title: options.xTitle },
      x2: { field: 'end' },
      y: { field: 'count', type: 'quantitative' as const, title: 'count', stack: null },
      color: colour,
    },
  };
  const panels = new Set(rows.map((r) => r.panel));
  if (panels.size <= 1) {
    return { title: options.title, data: { values: rows }, width: 360, height: 200, ...layer };
  }
  return {
    title: options.title,
    data: { values: rows },
    facet: { field: 'panel', type: 'ordinal', title: null, sort: [...panels] },
    columns: options.columns ?? 4,
    spec: { width: 200, height: 120, ...layer },
    resolve: { scale: { y: 'independent' } },
  };
}

/** One line of a line figure. */
export interface Line {
  /** Its colour and colour legend entry: 'plain' (blue), 'residual' (red), or another (grey). */
  series: string;
  /** Its dash pattern and dash legend entry, e.g. 'first iteration'; the first one is solid. */
  variant: string;
  x: readonly number[];
  y: readonly number[];
}

/** Dash patterns in the order variants first appear: solid, then dashed, then dotted. */
const DASHES = [
  [1, 0],
  [6, 4],
  [2, 3],
];

/** Lines y against integer x, coloured by series and dashed by variant, with both legends. */
export function lineFigure(
  lines: readonly Line[],
  options: { title: string; xTitle: string; yTitle: string },
): TopLevelSpec {
  const rows = lines.flatMap((l) =>
    l.x.map((x, k) => ({ series: l.series, variant: l.variant, x, y: l.y[k] })),
  );
  const series = [...new Set(lines.map((l) => l.series))];
  const variants = [...new Set(lines.map((l) => l.variant))];
  return {
    title: options.title,
    data: { values: rows },
    width: 420,
    height: 240,
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: options.xTitle,
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: { field: 'y', type: 'quantitative', title: options.yTitle },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: series, range: series.map(colourOf) },
      },
      strokeDash: {
        field: 'variant',
        type: 'nominal',
        title: null,
        legend: {
          symbolType: 'stroke',
          symbolStrokeWidth: 2,
          encoding: {
            symbols: {
              fill: { value: 'black' },
              fillOpacity: { value: 1 },
              opacity: { value: 1 },
              stroke: { value: '#444' },
            },
          },
        },
        scale: { domain: variants, range: variants.map((_, k) => DASHES[k % DASHES.length]) },
      },
    },
  };
}
