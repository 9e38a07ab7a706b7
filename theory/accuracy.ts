/**
 * Accuracy of every E[sigma] form against the package's Monte-Carlo engine, per sweep: the max
 * and mean absolute error over the sweep's grid, and the points where the corrected form is
 * worse than the paper's by more than two standard errors of the simulation.
 *
 * Run as `npm run accuracy -- [--trials N] [--seed S] [--workers W]` (defaults 100000, 1, one per
 * core). The table goes to stdout as Markdown; progress goes to stderr when it is a terminal.
 */
import { pathToFileURL } from 'node:url';

import { Command, CommanderError, InvalidArgumentError } from 'commander';

import type { ModelParams } from '../src/params.js';
import { type SweepParam, SWEEP_PARAMS, sweep } from '../sim/simulate.js';
import { SIGMA_FORMS, expectedSigma } from './expected-sigma.js';
import { expectedSigmaPlain } from './plain-sigma.js';

/** The default grid of each sweep; the other parameters stay at DEFAULT_PARAMS. */
export const ACCURACY_GRIDS: Readonly<Record<SweepParam, readonly number[]>> = {
  n: [2, 3, 5, 10, 20, 50, 100],
  l: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  sigmaA: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1],
  sigmaV: [0.001, 0.01, 0.1, 1, 10],
  p: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  eps: [0.01, 0.03, 0.1, 0.3, 0.5, 1],
};

/** Residual forms (by SIGMA_FORMS name) and the plain form, as they appear in the table. */
export const ACCURACY_FORMS = [...SIGMA_FORMS, 'plain'] as const;

export type AccuracyForm = (typeof ACCURACY_FORMS)[number];

/** One row of the table: one form over one sweep. */
export interface AccuracyRow {
  sweep: SweepParam;
  form: AccuracyForm;
  maxAbsError: number;
  meanAbsError: number;
  /** The grid value where the absolute error is largest. */
  worstAt: number;
  /** Grid values where |corrected error| > |paper error| + 2 standard errors (corrected only). */
  worseThanPaperAt?: number[];
}

/** Options of {@link accuracyTable}. */
export interface AccuracyOptions {
  trials?: number;
  seed?: number;
  workers?: number;
  /** Grids to run, by sweep (default ACCURACY_GRIDS). */
  grids?: Partial<Record<SweepParam, readonly number[]>>;
  onProgress?: (done: number, total: number) => void;
}

function formValue(form: AccuracyForm, params: ModelParams): number {
  return form === 'plain' ? expectedSigmaPlain(params) : expectedSigma(params, { form });
}

/** Runs the sweeps and measures every form against the simulation at each grid point. */
export async function accuracyTable(options: AccuracyOptions = {}): Promise<AccuracyRow[]> {
  const grids = options.grids ?? ACCURACY_GRIDS;
  const rows: AccuracyRow[] = [];
  for (const vary of SWEEP_PARAMS) {
    const values = grids[vary];
    if (values === undefined) continue;
    const points = await sweep(
      vary,
      values,
      {},
      {
        trials: options.trials,
        seed: options.seed,
        workers: options.workers,
        onProgress: options.onProgress,
      },
    );

    const errors = (form: AccuracyForm): number[] =>
      points.map((point) => {
        const simulated = form === 'plain' ? point.plain : point.residual;
        return formValue(form, point.params) - (simulated?.mean ?? NaN);
      });
    const paperErrors = errors('paper');

    for (const form of ACCURACY_FORMS) {
      const formErrors = errors(form).map(Math.abs);
      const worst = formErrors.indexOf(Math.max(...formErrors));
      const row: AccuracyRow = {
        sweep: vary,
        form,
        maxAbsError: formErrors[worst],
        meanAbsError: formErrors.reduce((sum, e) => sum + e, 0) / formErrors.length,
        worstAt: points[worst].value,
      };
      if (form === 'corrected') {
        row.worseThanPaperAt = points
          .filter((point, i) => {
            const noise = 2 * (point.residual?.stdError ?? 0);
            return formErrors[i] > Math.abs(paperErrors[i]) + noise;
          })
          .map((point) => point.value);
      }
      rows.push(row);
    }
  }
  return rows;
}

/** The rows as a Markdown table, errors to four decimals. */
export function formatAccuracyTable(rows: readonly AccuracyRow[]): string {
  const lines = [
    '| sweep | form | max abs error | at | mean abs error | worse than paper (> 2 SE) at |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const worse = row.worseThanPaperAt === undefined ? '' : row.worseThanPaperAt.join(', ') || '-';
    lines.push(
      `| ${row.sweep} | ${row.form} | ${row.maxAbsError.toFixed(4)} | ${row.worstAt} | ` +
        `${row.meanAbsError.toFixed(4)} | ${worse} |`,
    );
  }
  return lines.join('\n');
}

/** A commander parser for an integer flag of at least `min`. */
function integerAtLeast(flag: string, min: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < min) {
      throw new InvalidArgumentError(`${flag} must be an integer >= ${min}, got ${text}`);
    }
    return value;
  };
}

/**
 * Parses the command line of `npm run accuracy`. Throws a CommanderError (whose message is one
 * line naming the flag and the value) on bad input, and also after printing --help (exit code 0).
 */
export function parseAccuracyArgs(argv: readonly string[]): AccuracyOptions {
  const program = new Command('accuracy')
    .description('max and mean absolute error of every E[sigma] form against simulation')
    .option('--trials <int>', 'trials per point (default 100000)', integerAtLeast('--trials', 1))
    .option('--seed <int>', 'seed of the simulations (default 1)', integerAtLeast('--seed', 0))
    .option(
      '--workers <int>',
      'worker threads (default: one per core)',
      integerAtLeast('--workers', 1),
    )
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  program.parse([...argv], { from: 'user' });
  const parsed = program.opts<{ trials?: number; seed?: number; workers?: number }>();
  const options: AccuracyOptions = {};
  if (parsed.trials !== undefined) options.trials = parsed.trials;
  if (parsed.seed !== undefined) options.seed = parsed.seed;
  if (parsed.workers !== undefined) options.workers = parsed.workers;
  return options;
}

async function main(): Promise<void> {
  let options: AccuracyOptions;
  try {
    options = parseAccuracyArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode !== 0) process.stderr.write(`${error.message}\n`);
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  const started = Date.now();
  if (process.stderr.isTTY) {
    options.onProgress = (done, total) => {
      process.stderr.write(`\r${done} / ${total} trials of this sweep`);
    };
  }
  const rows = await accuracyTable({ trials: 100_000, seed: 1, ...options });
  process.stdout.write(formatAccuracyTable(rows) + '\n');
  if (process.stderr.isTTY) {
    process.stderr.write(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
