/**
 * Command line: `resnet-noise-stability sim --vary p` (or `npm run sim -- --vary p`) sweeps one
 * parameter of the random-matrix model, prints simulated E[sigma] for residual and plain nets
 * beside the closed forms, and writes a JSON-lines log, a CSV and an SVG plot as it goes.
 *
 * Bad input ends the process with one line on stderr naming the flag and the value, and exit
 * status 2; any other failure prints one line and exits 1.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

import { SingleBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { setInterruptOutcome } from './interrupt.js';
import { DEFAULT_PARAMS, type ModelParams, resolveParams } from './params.js';
import {
  FLAG_OF,
  UsageError,
  type SweepSettings,
  formatCsv,
  formatTable,
  logPoint,
  pointRow,
  readLoggedPoints,
  startLog,
  sweepFiles,
  theoryCurves,
  writeSummaries,
} from './sweep-output.js';
import {
  DEFAULT_TRIALS,
  MIN_TRIALS,
  type NetKind,
  type SweepParam,
  type SweepPoint,
  checkSimulatable,
  sweep,
} from '../sim/simulate.js';
import { BACKEND_NAMES, type BackendName, createBackend } from '../sim/create-backend.js';

const PARAM_OF_FLAG: Record<string, SweepParam> = Object.fromEntries(
  Object.entries(FLAG_OF).map(([param, flag]) => [flag, param as SweepParam]),
);

/** Default grid of each sweep, spanning the range of the source paper's Figure 11. */
export function defaultGrid(vary: SweepParam, params: ModelParams): number[] {
  switch (vary) {
    case 'n':
      return [2, 3, 5, 10, 20, 35, 50, 100];
    case 'l':
      return Array.from({ length: params.L }, (_, l) => l);
    case 'p':
      return [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
    case 'eps':
      return [0.01, 0.03, 0.1, 0.3, 0.5, 1];
    case 'sigmaA':
      return [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
    case 'sigmaV':
      return [0.001, 0.01, 0.1, 1, 10];
  }
}

/** A plain decimal number such as 20, -0.5, 1e-3 or .5; not hexadecimal, Infinity or ''. */
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * The number that `text` writes in decimal, or NaN; the `flag` names it in the error thrown
 * where a non-zero number underflows to 0 (1e-400 would otherwise run as 0).
 */
function decimal(text: string, flag: string): number {
  if (!DECIMAL.test(text)) return NaN;
  const value = Number(text);
  if (value === 0 && /[1-9]/.test(text.trim().split(/[eE]/)[0])) {
    throw new InvalidArgumentError(
      `--${flag}: '${text.trim()}' is below the smallest double and would run as 0`,
    );
  }
  return value;
}

function numberParser(flag: string) {
  return (text: string): number => {
    const value = decimal(text, flag);
    if (!Number.isFinite(value)) {
      throw new InvalidArgumentError(`--${flag} must be a finite number, got '${text}'`);
    }
    return value;
  };
}

/** A parser of integers in [min, max]; with no max, of integers >= min. */
function integerParser(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  const domain = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
  return (text: string): number => {
    const value = decimal(text, flag);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`--${flag} must be an integer ${domain}, got '${text}'`);
    }
    return value;
  };
}

/** "1 point", "2 points". */
function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function valuesParser(text: string): number[] {
  const values = text.split(',').map((part) => {
    const value = decimal(part, 'values');
    if (!Number.isFinite(value)) {
      throw new InvalidArgumentError(`--values must be numbers separated by commas, got '${text}'`);
    }
    return value;
  });
  if (new Set(values).size < values.length) {
    throw new InvalidArgumentError(`--values must not repeat a value, got '${text}'`);
  }
  return values;
}

function outParser(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError(`--out must name a folder, got '${text}'`);
  return text;
}

interface SimFlags {
  vary: string;
  values?: number[];
  n: number;
  L: number;
  l: number;
  p: number;
  eps: number;
  sigmaA: number;
  sigmaV: number;
  trials: number;
  seed: number;
  workers: number;
  backend: BackendName;
  kind: 'residual' | 'plain' | 'both';
  out: string;
  format: 'table' | 'csv' | 'json';
  resume?: boolean;
  quiet?: boolean;
}

/** Rewrites "sigmaA must be ..." as "--sigma-a must be ..." (or with other dashes, or none). */
function withFlagName(message: string, dashes = '--'): string {
  for (const [param, flag] of Object.entries(FLAG_OF)) {
    if (message.startsWith(`${param} `)) return `${dashes}${flag}${message.slice(param.length)}`;
  }
  return message.startsWith('L ') ? `${dashes}L${message.slice(1)}` : message;
}

async function runSim(flags: SimFlags): Promise<void> {
  const vary = PARAM_OF_FLAG[flags.vary];
  let params: ModelParams;
  try {
    params = resolveParams({
      n: flags.n,
      L: flags.L,
      l: flags.l,
      p: flags.p,
      eps: flags.eps,
      sigmaA: flags.sigmaA,
      sigmaV: flags.sigmaV,
    });
    if (vary !== 'n') checkSimulatable(params);
  } catch (error) {
    throw new UsageError(withFlagName((error as Error).message));
  }
  const values = flags.values ?? defaultGrid(vary, params);
  for (const value of values) {
    try {
      checkSimulatable(resolveParams({ ...params, [vary]: value }));
    } catch (error) {
      throw new UsageError(`--values: ${withFlagName((error as Error).message, '')}`);
    }
  }

  const kinds: NetKind[] = flags.kind === 'both' ? ['residual', 'plain'] : [flags.kind];
  const settings: SweepSettings = { vary, params, trials: flags.trials, seed: flags.seed, kinds };
  const files = sweepFiles(flags.out, vary);
  // The points in the log once it has been read; before that an interrupt has changed nothing.
  let finished: number | undefined;
  setInterruptOutcome(() =>
    finished === undefined
      ? `before the sweep began; nothing in ${flags.out} was changed`
      : `${countOf(finished, 'finished point')} in ${files.log}; ` +
        'run the same command with --resume to compute the rest',
  );
  let backend: Awaited<ReturnType<typeof createBackend>> | undefined;
  try {
    const curves = theoryCurves(vary, values, params);
    try {
      backend = await createBackend(flags.backend, flags.workers);
    } catch (error) {
      // The library's "backend gpu cannot run here ...; use backend cpu" names the flag here.
      const message = (error as Error).message.replace(/(^|use )backend /g, '$1--backend ');
      throw new UsageError(message);
    }
    const earlier = flags.resume ? await readLoggedPoints(files.log, settings) : [];
    const done = new Set(earlier.map((point) => point.value));
    finished = earlier.length;
    await startLog(flags.out, files.log, settings, earlier);

    const points: SweepPoint[] = earlier.filter((point) => values.includes(point.value));
    if (points.length > 0 && !flags.quiet) {
      process.stderr.write(`resuming: ${countOf(points.length, 'point')} kept from ${files.log}\n`);
    }
    const showProgress = !flags.quiet && process.stderr.isTTY === true;
    const bar = new SingleBar({
      format: 'sim [{bar}] {percentage}% | {value}/{total} trials | eta {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
    });
    let barStarted = false;
    let plotFailure: string | undefined;

    await sweep(vary, values, params, {
      kinds,
      trials: flags.trials,
      seed: flags.seed,
      backend,
      skip: (value) => done.has(value),
      onProgress: (trialsDone, total) => {
        if (!showProgress) return;
        if (!barStarted) {
          bar.start(total, 0);
          barStarted = true;
        }
        bar.update(trialsDone);
      },
      onPoint: async (point) => {
        points.push(point);
        await logPoint(files.log, point);
        finished = (finished ?? 0) + 1;
        points.sort((a, b) => values.indexOf(a.value) - values.indexOf(b.value));
        plotFailure = await writeSummaries(flags.out, points, settings, curves);
      },
    });
    if (barStarted) bar.stop();

    // Each new point rewrote the summaries; a resumed run with nothing left to do writes them here.
    if (points.length > 0 && finished === earlier.length) {
      plotFailure = await writeSummaries(flags.out, points, settings, curves);
    }
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify(points.map(pointRow), null, 2)}\n`);
    } else if (flags.format === 'csv') {
      process.stdout.write(formatCsv(points));
    } else {
      process.stdout.write(`${formatTable(points)}\n`);
    }
    if (plotFailure !== undefined) {
      process.stderr.write(`note: no plot: Vega could not draw these values (${plotFailure})\n`);
    }
    if (!flags.quiet) {
      const written = plotFailure === undefined ? `${files.csv} and ${files.svg}` : files.csv;
      process.stderr.write(`ran on ${backend.name}; wrote ${files.log}, ${written}\n`);
    }
  } finally {
    setInterruptOutcome();
    await backend?.close();
  }
}

/** Builds the command-line program; exported so tests can inspect it. */
export function buildProgram(): Command {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const program = new Command('resnet-noise-stability')
    .version(version)
    .description('Why identity connections make residual nets noise-stable: theory and simulation')
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  const d = DEFAULT_PARAMS;
  program
    .command('sim')
    .description('sweep one model parameter; print simulated E[sigma] beside the closed forms')
    .addOption(
      new Option('--vary <param>', 'parameter to sweep')
        .choices(Object.keys(PARAM_OF_FLAG))
        .default('p'),
    )
    .option(
      '--values <list>',
      'comma-separated values (default: a grid per parameter)',
      valuesParser,
    )
    .option('--n <int>', 'width of each layer', integerParser('n', 2), d.n)
    .option('--L <int>', 'total number of layers', integerParser('L', 1, 100000), d.L)
    .option('--l <int>', 'layer looked back to, 0 <= l < L', integerParser('l', 0, 100000), d.l)
    .option('--p <prob>', 'probability that a ReLU mask keeps a unit', numberParser('p'), d.p)
    .option('--eps <x>', 'scale of the residual branch', numberParser('eps'), d.eps)
    .option(
      '--sigma-a <x>',
      'standard deviation of the entries of A',
      numberParser('sigma-a'),
      d.sigmaA,
    )
    .option(
      '--sigma-v <x>',
      'standard deviation of the loss gradient',
      numberParser('sigma-v'),
      d.sigmaV,
    )
    .option(
      '--trials <int>',
      'trials per point',
      integerParser('trials', MIN_TRIALS, 1e12),
      DEFAULT_TRIALS,
    )
    .option(
      '--seed <int>',
      'seed of the random streams',
      integerParser('seed', 0, Number.MAX_SAFE_INTEGER),
      0,
    )
    .option(
      '--workers <int>',
      'worker threads',
      integerParser('workers', 1, 256),
      availableParallelism(),
    )
    .addOption(
      new Option('--backend <name>', 'cpu workers, gpu (gpu.js kernels on GL), or auto')
        .choices([...BACKEND_NAMES])
        .default('cpu'),
    )
    .addOption(
      new Option('--kind <kind>', 'nets to simulate')
        .choices(['residual', 'plain', 'both'])
        .default('both'),
    )
    .option('--out <dir>', 'folder for the log, CSV and plot', outParser, 'results')
    .addOption(
      new Option('--format <format>', 'stdout format')
        .choices(['table', 'csv', 'json'])
        .default('table'),
    )
    .option('--resume', 'keep the points already logged in --out and run only the rest')
    .option('--quiet', 'no progress bar or messages on stderr')
    .addHelpText(
      'after',
      '\nDefault grids: n 2..100, l 0..L-1, p 0.1..1, eps 0.01..1, sigma-a 0.001..1,' +
        ' sigma-v 0.001..10.' +
        '\nFiles: <out>/sweep-<param>.jsonl (appended per point), .csv and .svg.',
    )
    .action(async (flags: SimFlags, command: Command) => {
      const vary = PARAM_OF_FLAG[flags.vary];
      if (command.getOptionValueSource(vary) === 'cli' && !flags.quiet) {
        process.stderr.write(
          `note: --${flags.vary} ${flags[vary]} is not used: --vary ${flags.vary} takes its ` +
            'values from --values or its default grid\n',
        );
      }
      await runSim(flags);
    });
  return program;
}

/**
 * Commander's "error: option '--n <int>' argument '1' is invalid. --n must be ..." shortened to
 * "error: --n must be ...", where the parser's own message names the flag already.
 */
export function ownMessage(message: string): string {
  const own = /^error: option '[^']*' argument '.*' is invalid\. (--\S+ .*)$/s.exec(message);
  return own ? `error: ${own[1]}` : message;
}

/**
 * The first flag that appears twice in argv (before a bare --), as in `--n 20 --n 3`, where
 * Commander would keep the last silently; undefined when none does.
 */
function repeatedFlag(argv: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const token of argv) {
    if (token === '--') break;
    if (!token.startsWith('--')) continue;
    const flag = token.split('=')[0];
    if (seen.has(flag)) return flag;
    seen.add(flag);
  }
  return undefined;
}

/** Runs the program on argv and returns the exit status; messages go to stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const repeated = repeatedFlag(argv);
    if (repeated) throw new UsageError(`${repeated} is given more than once`);
    await buildProgram().parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // One line: Commander puts "(Did you mean --trials?)" on a second one.
      const message = ownMessage(error.message).replace(/\s*\n\s*/g, ' ');
      if (error.code !== 'commander.help') process.stderr.write(`${message}\n`);
      return 2;
    }
    const message = (error as Error).message.split('\n')[0];
    process.stderr.write(`error: ${message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
