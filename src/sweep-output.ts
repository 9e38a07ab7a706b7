/**
 * What a sweep writes: rows for stdout (table, CSV, JSON), a JSON-lines log appended as each
 * point finishes (the record that `--resume` reads back), a CSV file and an SVG plot of the
 * simulated points with error bars over the closed-form curves.
 */
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

import { makeDirectory } from './make-directory.js';
import { type ModelParams, PARAM_NAMES } from './params.js';
import { closedForms, type NetKind, type SweepParam, type SweepPoint } from '../sim/simulate.js';

/** The settings a sweep's results depend on; a resumed run must match them exactly. */
export interface SweepSettings {
  vary: SweepParam;
  params: ModelParams;
  trials: number;
  seed: number;
  kinds: NetKind[];
}

/** One flat row of results, as printed and as stored in the CSV. */
export type Row = Record<string, number | string>;

/** Command-line spelling of each sweep parameter. */
export const FLAG_OF: Record<SweepParam, string> = {
  n: 'n',
  l: 'l',
  p: 'p',
  eps: 'eps',
  sigmaA: 'sigma-a',
  sigmaV: 'sigma-v',
};

/** Flattens a point: the value, mean and standard error per kind, then each closed form. */
export function pointRow(point: SweepPoint): Row {
  const row: Row = { [FLAG_OF[point.param]]: point.value };
  for (const kind of ['residual', 'plain'] as const) {
    const result = point[kind];
    if (result) {
      row[`${kind}_mean`] = result.mean;
      row[`${kind}_se`] = result.stdError;
    }
  }
  for (const [form, value] of Object.entries(point.theory)) row[`theory_${form}`] = value;
  return row;
}

/** A table for a terminal: means as "0.5882 ± 0.0006", closed forms to four decimals. */
export function formatTable(points: readonly SweepPoint[]): string {
  if (points.length === 0) return '';
  const kinds = (['residual', 'plain'] as const).filter((kind) => points[0][kind]);
  const forms = Object.keys(points[0].theory);
  const table = new Table({
    head: [
      FLAG_OF[points[0].param],
      ...kinds.map((kind) => `${kind} (sim)`),
      ...forms.map((form) => `${form} (theory)`),
    ],
    style: { head: [], border: [], compact: true },
  });
  for (const point of points) {
    table.push([
      String(point.value),
      ...kinds.map((kind) => {
        const result = point[kind];
        return result ? `${result.mean.toFixed(4)} ± ${result.stdError.toFixed(4)}` : '';
      }),
      ...forms.map((form) => point.theory[form].toFixed(4)),
    ]);
  }
  return table.toString();
}

/** CSV text with a header row. */
export function formatCsv(points: readonly SweepPoint[]): string {
  return stringify(points.map(pointRow), { header: true });
}

/** Paths of the files a sweep over `vary` writes into `dir`. */
export function sweepFiles(
  dir: string,
  vary: SweepParam,
): { log: string; csv: string; svg: string } {
  const stem = join(dir, `sweep-${FLAG_OF[vary]}`);
  return { log: `${stem}.jsonl`, csv: `${stem}.csv`, svg: `${stem}.svg` };
}

/** An error whose message is one line for the user; the command line exits 2 on it. */
export class UsageError extends Error {}

/**
 * Reads the points a previous run of the same sweep logged. Returns [] when there is no log.
 * A log made with other settings, or a line that is not a record (except a last line cut off by
 * an interrupt, which is dropped), is a UsageError naming the file.
 */
export async function readLoggedPoints(
  logPath: string,
  settings: SweepSettings,
): Promise<SweepPoint[]> {
  let text: string;
  try {
    text = await readFile(logPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UsageError(`--resume: cannot read ${logPath}: ${(error as Error).message}`);
  }

  // Every record ends with a newline: the last piece is empty, or a record cut off mid-write.
  const complete = text.split('\n').slice(0, -1);
  if (complete.length === 0) return [];
  const records = complete.map((line, index) => {
    try {
      return JSON.parse(line) as { type: string; settings?: SweepSettings; point?: SweepPoint };
    } catch {
      throw new UsageError(`--resume: ${logPath} line ${index + 1} is not a JSON record`);
    }
  });

  const header = records[0];
  if (header.type !== 'settings' || !header.settings) {
    throw new UsageError(`--resume: ${logPath} does not start with a settings record`);
  }
  const mismatch = describeMismatch(header.settings, settings);
  if (mismatch) {
    throw new UsageError(`--resume: ${logPath} was made with ${mismatch}; use another --out`);
  }
  const seen = new Set<number>();
  return records.slice(1).map((record, index) => {
    const point = record.point;
    const where = `--resume: ${logPath} line ${index + 2}`;
    if (record.type !== 'point' || !point || !isValidPoint(point, settings)) {
      throw new UsageError(`${where} is not a valid point record of this sweep`);
    }
    if (seen.has(point.value)) {
      throw new UsageError(`${where} repeats the point ${FLAG_OF[settings.vary]} = ${point.value}`);
    }
    seen.add(point.value);
    // The closed forms are recomputed rather than trusted: they depend on the parameters only.
    return { ...point, theory: closedForms(point.params) };
  });
}

/**
 * A logged point must be one of this sweep's: its parameters those of the run with the swept
 * one set to its value, every kind of the run present with a mean in [0, 1] that is a whole
 * count of rows, a standard error no larger than values in [0, 1] allow (0.5 / sqrt(trials - 1)),
 * the run's trials and seed, and the same parameters.
 */
function isValidPoint(point: SweepPoint, settings: SweepSettings): boolean {
  if (point.param !== settings.vary || !Number.isFinite(point.value)) return false;
  if (typeof point.theory !== 'object' || point.theory === null) return false;
  const expected = { ...settings.params, [settings.vary]: point.value };
  const sameParams = (params: unknown): boolean =>
    typeof params === 'object' &&
    params !== null &&
    PARAM_NAMES.every((name) => (params as Record<string, unknown>)[name] === expected[name]);
  if (!sameParams(point.params)) return false;
  return settings.kinds.every((kind) => {
    const result = point[kind];
    return (
      typeof result === 'object' &&
      result !== null &&
      result.kind === kind &&
      typeof result.mean === 'number' &&
      result.mean >= 0 &&
      result.mean <= 1 &&
      isCountMean(result.mean, settings.trials * expected.n) &&
      typeof result.stdError === 'number' &&
      result.stdError >= 0 &&
      result.stdError <= 0.5 / Math.sqrt(settings.trials - 1) &&
      result.trials === settings.trials &&
      result.seed === settings.seed &&
      sameParams(result.params)
    );
  });
}

/**
 * Whether `mean` is a whole number of dominant rows divided by `rows` (trials times n), as every
 * simulated mean is, to within the rounding of that division.
 */
function isCountMean(mean: number, rows: number): boolean {
  const count = mean * rows;
  return Math.abs(count - Math.round(count)) <= 1e-9 * Math.max(1, count);
}

function describeMismatch(logged: SweepSettings, wanted: SweepSettings): string | undefined {
  const keys = ['vary', 'trials', 'seed'] as const;
  for (const key of keys) {
    if (logged[key] !== wanted[key]) return `${key} ${logged[key]}, not ${wanted[key]}`;
  }
  if (logged.kinds.join(',') !== wanted.kinds.join(',')) {
    return `kinds ${logged.kinds.join(',')}, not ${wanted.kinds.join(',')}`;
  }
  for (const [name, value] of Object.entries(wanted.params)) {
    if (name === wanted.vary) continue;
    const before = logged.params[name as keyof ModelParams];
    if (before !== value) return `${name} ${before}, not ${value}`;
  }
  return undefined;
}

/**
 * Creates the output folder and writes the log's settings record followed by the points kept
 * from an earlier run, through a temporary file renamed into place, so that a cut-off last line
 * is dropped and an interrupt never leaves a log with fewer points than before. The CSV and plot
 * of an earlier run are removed: they are rewritten from the log as points finish.
 */
export async function startLog(
  dir: string,
  logPath: string,
  settings: SweepSettings,
  kept: readonly SweepPoint[] = [],
): Promise<void> {
  const records = [
    { type: 'settings', settings },
    ...kept.map((point) => ({ type: 'point', point })),
  ];
  const temporary = `${logPath}.partial`;
  try {
    makeDirectory(dir);
  } catch (error) {
    throw new UsageError(`--out: cannot write ${logPath}: ${(error as Error).message}`);
  }
  const { csv, svg } = sweepFiles(dir, settings.vary);
  for (const path of [logPath, csv, svg, temporary]) {
    if (isFolder(path)) throw new UsageError(`--out: ${path} is a folder, not a file`);
  }
  try {
    // Synchronous, so that an interrupt's handler runs before or after, never between.
    writeFileSync(temporary, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    renameSync(temporary, logPath);
    await Promise.all([rm(csv, { force: true }), rm(svg, { force: true })]);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new UsageError(`--out: cannot write ${logPath}: ${(error as Error).message}`);
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Appends one finished point to the log. */
export async function logPoint(logPath: string, point: SweepPoint): Promise<void> {
  await appendFile(logPath, `${JSON.stringify({ type: 'point', point })}\n`);
}

/** Residual nets in reds, plain nets in blues, as in the source paper's Figure 11. */
const SERIES_COLORS: Record<string, string> = {
  'residual (sim)': '#c0392b',
  'plain (sim)': '#2c6fbb',
  'paper (theory)': '#e67e22',
  'general-p (theory)': '#8e44ad',
  'corrected (theory)': '#7b241c',
  'plain (theory)': '#5dade2',
};

const X_IS_LOG: Record<SweepParam, boolean> = {
  n: true,
  l: false,
  p: false,
  eps: true,
  sigmaA: true,
  sigmaV: true,
};

/** One sample of a closed-form curve, as the plot draws it. */
export interface CurvePoint {
  x: number;
  series: string;
  y: number;
}

/** Samples of each closed-form curve between a sweep's smallest and largest value. */
const CURVE_SAMPLES = 101;

/** The sweeps whose parameter is a count: their curves are sampled at integers only. */
const IS_INTEGER: Record<SweepParam, boolean> = {
  n: true,
  l: true,
  p: false,
  eps: false,
  sigmaA: false,
  sigmaV: false,
};

/** The smallest normal double, 2^-1022: Vega's log scale fails on subnormal numbers. */
const SMALLEST_NORMAL = 2 ** -1022;

/** Whether the plot of a sweep over `vary` at these values has a log x axis. */
function hasLogAxis(vary: SweepParam, values: readonly number[]): boolean {
  return X_IS_LOG[vary] && Math.min(...values) >= SMALLEST_NORMAL;
}

/**
 * Where the closed-form curves of a sweep are evaluated: CURVE_SAMPLES points spaced evenly on
 * the plot's axis (log or linear) from the smallest to the largest value, rounded to integers
 * for n and l, together with the values themselves, sorted and without repeats.
 */
export function curveAbscissae(vary: SweepParam, values: readonly number[]): number[] {
  const low = Math.min(...values);
  const high = Math.max(...values);
  const log = hasLogAxis(vary, values);
  const xs = new Set(values);
  for (let i = 0; i < CURVE_SAMPLES; i++) {
    const t = i / (CURVE_SAMPLES - 1);
    const x = log ? low * (high / low) ** t : low + (high - low) * t;
    xs.add(IS_INTEGER[vary] ? Math.round(x) : Math.min(high, Math.max(low, x)));
  }
  return [...xs].sort((a, b) => a - b);
}

/**
 * The closed-form curves of a sweep over `vary` at the fixed `params`: every form of
 * {@link closedForms} at each of {@link curveAbscissae}, so that the plot draws the theory as a
 * curve, not as a polyline through the simulated points. About 100 evaluations, computed once
 * per sweep (a few milliseconds each at the defaults).
 */
export function theoryCurves(
  vary: SweepParam,
  values: readonly number[],
  params: ModelParams,
): CurvePoint[] {
  return curveAbscissae(vary, values).flatMap((x) =>
    Object.entries(closedForms({ ...params, [vary]: x })).map(([form, y]) => ({
      x,
      series: `${form} (theory)`,
      y,
    })),
  );
}

/**
 * An SVG plot in the style of the source paper's Figure 11: simulated E[sigma] with error bars
 * of 1.96 standard errors (residual red, plain blue) over the closed-form curves (dashed),
 * rendered by Vega-Lite without a browser. `curves` are the samples of {@link theoryCurves}.
 */
export async function renderPlot(
  points: readonly SweepPoint[],
  settings: SweepSettings,
  curves: readonly CurvePoint[],
): Promise<string> {
  const flag = FLAG_OF[settings.vary];
  const simulated = points.flatMap((point) =>
    settings.kinds.flatMap((kind) => {
      const result = point[kind];
      if (!result) return [];
      const halfWidth = 1.96 * result.stdError;
      return [
        {
          x: point.value,
          series: `${kind} (sim)`,
          y: result.mean,
          low: result.mean - halfWidth,
          high: result.mean + halfWidth,
        },
      ];
    }),
  );

  const fixed = Object.entries(settings.params)
    .filter(([name]) => name !== settings.vary)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: flag,
    scale: hasLogAxis(
      settings.vary,
      curves.map((d) => d.x),
    )
      ? { type: 'log' as const }
      : { zero: false },
  };
  const series = [...new Set([...simulated, ...curves].map((d) => d.series))];
  const color = {
    field: 'series',
    type: 'nominal' as const,
    title: null,
    scale: { domain: series, range: series.map((name) => SERIES_COLORS[name] ?? '#555555') },
  };
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 520,
    height: 320,
    background: 'white',
    title: {
      text: `E[sigma] against ${flag}`,
      subtitle: `${fixed}; ${settings.trials} trials a point`,
    },
    layer: [
      {
        data: { values: curves as CurvePoint[] },
        mark: { type: 'line', strokeDash: [6, 4], point: false },
        encoding: { x, y: { field: 'y', type: 'quantitative', title: 'E[sigma]' }, color },
      },
      {
        data: { values: simulated },
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative', title: 'E[sigma]' },
          y2: { field: 'high' },
          color,
        },
      },
      {
        data: { values: simulated },
        mark: { type: 'point', filled: true, size: 40 },
        encoding: { x, y: { field: 'y', type: 'quantitative' }, color },
      },
    ],
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), {
    renderer: 'none',
    logLevel: vega.None,
  });
  return view.toSVG();
}

/**
 * Rewrites the CSV and the plot from every point so far, over the sweep's `curves`. Returns
 * undefined, or why Vega could not draw the plot (values so close together that no axis fits
 * them, such as subnormal numbers); then no SVG is left, and the CSV is written all the same.
 */
export async function writeSummaries(
  dir: string,
  points: readonly SweepPoint[],
  settings: SweepSettings,
  curves: readonly CurvePoint[],
): Promise<string | undefined> {
  const files = sweepFiles(dir, settings.vary);
  await writeFile(files.csv, formatCsv(points));
  let svg: string;
  try {
    svg = await renderPlot(points, settings, curves);
  } catch (error) {
    await rm(files.svg, { force: true });
    return (error as Error).message.split('\n')[0];
  }
  await writeFile(files.svg, svg);
  return undefined;
}
