import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { defaultGrid } from '../../src/cli.js';
import { gpuStatus } from '../../sim/create-backend.js';
import { DEFAULT_PARAMS } from '../../src/params.js';

const bin = fileURLToPath(new URL('../../src/bin.js', import.meta.url));

function run(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), 'rns-cli-'));

test('a p sweep prints CSV rows and writes the log, CSV and SVG', () => {
  const out = join(scratch, 'csv');
  const { status, stdout, stderr } = run([
    'sim',
    '--vary',
    'p',
    '--values',
    '0.5,1',
    '--trials',
    '600',
    '--n',
    '6',
    '--format',
    'csv',
    '--out',
    out,
    '--quiet',
  ]);
  assert.is(status, 0, stderr);
  assert.is(stderr, '');
  const lines = stdout.trim().split('\n');
  assert.is(
    lines[0],
    'p,residual_mean,residual_se,plain_mean,plain_se,' +
      'theory_paper,theory_general-p,theory_corrected,theory_plain',
  );
  assert.is(lines.length, 3);
  assert.equal(
    lines.slice(1).map((line) => line.split(',')[0]),
    ['0.5', '1'],
  );
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map(Number);
    assert.ok(cells.every(Number.isFinite));
    assert.ok(cells[1] >= 0 && cells[1] <= 1 && cells[3] >= 0 && cells[3] <= 1);
  }
  assert.is(readFileSync(join(out, 'sweep-p.csv'), 'utf8'), stdout);
  assert.match(readFileSync(join(out, 'sweep-p.svg'), 'utf8'), /^<svg[\s\S]*<\/svg>$/);
  const log = readFileSync(join(out, 'sweep-p.jsonl'), 'utf8').trim().split('\n');
  assert.is(log.length, 3);
  assert.is(JSON.parse(log[0]).type, 'settings');
});

test('json and table formats carry the same numbers', () => {
  const args = [
    'sim',
    '--vary',
    'sigma-a',
    '--values',
    '0.01',
    '--trials',
    '300',
    '--n',
    '4',
    '--kind',
    'residual',
    '--quiet',
    '--out',
    join(scratch, 'fmt'),
  ];
  const jsonRun = run([...args, '--format', 'json']);
  assert.is(jsonRun.stderr, '', 'a log-scale plot renders without warnings');
  const json = JSON.parse(jsonRun.stdout);
  assert.is(json.length, 1);
  assert.is(json[0]['sigma-a'], 0.01);
  assert.is(json[0].plain_mean, undefined);
  const table = run(args).stdout;
  assert.match(table, /sigma-a/);
  assert.match(table, new RegExp(`${json[0].residual_mean.toFixed(4)} ± `));
});

test('an l sweep runs through the command line', () => {
  const { status, stdout } = run([
    'sim',
    '--vary',
    'l',
    '--values',
    '3,8',
    '--trials',
    '300',
    '--n',
    '5',
    '--format',
    'json',
    '--quiet',
    '--out',
    join(scratch, 'l'),
  ]);
  assert.is(status, 0);
  assert.equal(
    JSON.parse(stdout).map((row: { l: number }) => row.l),
    [3, 8],
  );
});

test('--resume keeps finished points, drops a cut-off line and runs only the rest', () => {
  const out = join(scratch, 'resume');
  const args = [
    'sim',
    '--vary',
    'eps',
    '--values',
    '0.1,0.5',
    '--trials',
    '400',
    '--n',
    '5',
    '--format',
    'json',
    '--quiet',
    '--out',
    out,
  ];
  const first = JSON.parse(run(args).stdout);
  const logPath = join(out, 'sweep-eps.jsonl');
  const lines = readFileSync(logPath, 'utf8').split('\n');
  writeFileSync(logPath, `${lines[0]}\n${lines[1]}\n{"type":"point","po`);
  const kept = JSON.parse(lines[1]).point.residual.seconds;

  const resumed = run([...args, '--resume']);
  assert.is(resumed.status, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout), first);
  const log = readFileSync(logPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.is(log.length, 3);
  assert.is(log[1].point.residual.seconds, kept);

  const otherTrials = args.map((arg) => (arg === '400' ? '500' : arg));
  const mismatch = run([...otherTrials, '--resume']);
  assert.is(mismatch.status, 2);
  assert.match(mismatch.stderr, /--resume: .*sweep-eps.jsonl was made with trials 400, not 500/);
});

test('--resume with no earlier log starts fresh; a corrupt log is a one-line error', () => {
  const out = join(scratch, 'fresh');
  const args = [
    'sim',
    '--vary',
    'n',
    '--values',
    '3',
    '--trials',
    '200',
    '--quiet',
    '--out',
    out,
    '--resume',
  ];
  assert.is(run(args).status, 0);
  writeFileSync(join(out, 'sweep-n.jsonl'), 'not json\n');
  const bad = run(args);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^error: --resume: .*sweep-n.jsonl line 1 is not a JSON record\n$/);
});

test('--resume refuses a log whose points are corrupt or repeated, naming the line', () => {
  const out = join(scratch, 'corrupt');
  const args = [
    'sim',
    '--vary',
    'p',
    '--values',
    '0.5,1',
    '--trials',
    '200',
    '--n',
    '4',
    '--quiet',
    '--out',
    out,
  ];
  assert.is(run(args).status, 0);
  const logPath = join(out, 'sweep-p.jsonl');
  const lines = readFileSync(logPath, 'utf8').trim().split('\n');
  const broken = JSON.parse(lines[1]);
  broken.point.residual.mean = null;
  const moved = JSON.parse(lines[1]);
  moved.point.value = 0.7; // the value no longer matches the parameters it was simulated at
  const otherSeed = JSON.parse(lines[1]);
  otherSeed.point.plain.seed = 5;
  const noCount = JSON.parse(lines[1]);
  noCount.point.residual.mean = 0.0123457; // not a whole count over 200 trials of 4 rows
  const wideError = JSON.parse(lines[1]);
  wideError.point.plain.stdError = 0.5; // values in [0, 1] allow at most 0.5 / sqrt(199)
  for (const log of [
    [lines[0], JSON.stringify(broken)],
    [lines[0], lines[1], JSON.stringify(moved)],
    [lines[0], JSON.stringify(otherSeed)],
    [lines[0], JSON.stringify(noCount)],
    [lines[0], JSON.stringify(wideError)],
  ]) {
    writeFileSync(logPath, `${log.join('\n')}\n`);
    const resumed = run([...args, '--resume']);
    assert.is(resumed.status, 2);
    assert.match(
      resumed.stderr,
      /^error: --resume: .*sweep-p.jsonl line (2|3) is not a valid point record of this sweep\n$/,
    );
  }
  const wrongTheory = JSON.parse(lines[1]);
  const trueTheory = wrongTheory.point.theory;
  wrongTheory.point.theory = { ...trueTheory, corrected: 0.5 };
  writeFileSync(logPath, `${[lines[0], JSON.stringify(wrongTheory)].join('\n')}\n`);
  const recomputed = run([...args, '--resume', '--format', 'json']);
  assert.is(recomputed.status, 0, recomputed.stderr);
  assert.is(JSON.parse(recomputed.stdout)[0].theory_corrected, trueTheory.corrected);

  writeFileSync(logPath, `${[lines[0], lines[1], lines[1]].join('\n')}\n`);
  const repeated = run([...args, '--resume']);
  assert.is(repeated.status, 2);
  assert.match(
    repeated.stderr,
    /^error: --resume: .*sweep-p.jsonl line 3 repeats the point p = 0.5\n$/,
  );
});

test('SIGTERM or SIGINT says how many points are kept and how to resume', async () => {
  const out = join(scratch, 'interrupt');
  for (const [signal, status] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    const child = spawn(process.execPath, [
      bin,
      'sim',
      '--values',
      '0.9,1',
      '--kind',
      'residual',
      '--trials',
      '1000000000',
      '--out',
      out,
    ]);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // The log's settings record is written before any trial runs: the sweep is under way.
    const logPath = join(out, 'sweep-p.jsonl');
    while (!existsSync(logPath) || readFileSync(logPath, 'utf8') === '') {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill(signal);
    const code = await new Promise((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    assert.is(code, status, signal);
    assert.match(
      stderr,
      /^interrupted: 0 finished points in .*sweep-p.jsonl; run the same command with --resume/m,
    );
    rmSync(logPath);
  }
});

test('a fixed value of the swept parameter is noted as unused', () => {
  const out = join(scratch, 'unused');
  const args = ['sim', '--vary', 'sigma-a', '--values', '0.01', '--trials', '100', '--out', out];
  const noted = run([...args, '--sigma-a', '0.5']);
  assert.is(noted.status, 0, noted.stderr);
  assert.match(
    noted.stderr,
    /^note: --sigma-a 0.5 is not used: --vary sigma-a takes its values from --values or its/,
  );
  assert.not.match(run(args).stderr, /note:/);
});

test('an interrupt before any sweep has begun says that nothing was changed', async () => {
  // What bin.js sets first, before it loads the rest, in a child that says when it is set.
  const interrupt = fileURLToPath(new URL('../../src/interrupt.js', import.meta.url));
  const script =
    `const { handleInterrupts } = await import(${JSON.stringify(interrupt)});` +
    "handleInterrupts(); console.log('ready'); setInterval(() => {}, 1000);";
  const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGTERM');
  const code = await new Promise((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  assert.is(code, 143);
  assert.is(stderr, 'interrupted: before the sweep began; nothing was changed\n');
});

test('--version prints the package version', () => {
  const { version } = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'),
  );
  const { status, stdout } = run(['--version']);
  assert.is(status, 0);
  assert.is(stdout.trim(), version);
});

test('an --out holding a folder where a result file goes is a one-line error naming it', () => {
  const out = join(scratch, 'folder-in-the-way');
  for (const name of ['sweep-p.csv', 'sweep-p.jsonl']) {
    mkdirSync(join(out, name), { recursive: true });
    const { status, stderr } = run(['sim', '--values', '1', '--trials', '100', '--out', out]);
    assert.is(status, 2);
    assert.is(stderr, `error: --out: ${join(out, name)} is a folder, not a file\n`);
    assert.not.ok(existsSync(join(out, 'sweep-p.jsonl.partial')));
    rmSync(join(out, name), { recursive: true });
  }
});

const badInputs: [string[], RegExp][] = [
  [['--trials', '0'], /^error: --trials must be an integer in \[2, 1000000000000\], got '0'\n$/],
  [['--trials', '1'], /--trials must be an integer in \[2, .*got '1'/],
  [['--trials', '1e3.5'], /--trials.*'1e3.5'/],
  [['--p', '2'], /--p must be in \[0, 1\], got 2/],
  [['--p', 'abc'], /--p must be a finite number, got 'abc'/],
  [['--sigma-a', '0'], /--sigma-a must be > 0, got 0/],
  [['--l', '10'], /--l must be < L \(= 10\), got 10/],
  [['--n', '1'], /^error: --n must be an integer >= 2, got '1'\n$/],
  [['--sigma-a', '1e-400'], /^error: --sigma-a: '1e-400' is below the smallest double and/],
  [['--values', '0.5,1e-400'], /^error: --values: '1e-400' is below the smallest double and/],
  [['--trials', '1e400'], /^error: --trials must be an integer in .*got '1e400'\n$/],
  [['--vary', 'sigma-v', '--values', '0,1'], /^error: --values: sigma-v must be > 0, got 0\n$/],
  [['--vary', 'L'], /--vary.*'L'/],
  [['--values', '0.5,x'], /--values.*'0.5,x'/],
  [['--values', '0.5,1.5'], /--values: p must be in \[0, 1\], got 1.5/],
  [['--kind', 'dense'], /--kind.*'dense'/],
  [['--format', 'xml'], /--format.*'xml'/],
  [['--workers', '0'], /--workers.*'0'/],
  [['--seed', '-1'], /--seed.*'-1'/],
  [['--frobnicate'], /unknown option '--frobnicate'/],
  [['--trails', '200'], /^error: unknown option '--trails' \(Did you mean --trials\?\)\n$/],
  [['--n', '20', '--n', '3'], /^error: --n is given more than once\n$/],
  [['--vary=n', '--vary', 'p'], /^error: --vary is given more than once\n$/],
  [['--vary', 'n', '--values', '0x10'], /--values must be numbers .*'0x10'/],
  [['--values', '0.5,0.5,0.6'], /--values must not repeat a value, got '0.5,0.5,0.6'/],
  [['--out', ''], /--out must name a folder, got ''/],
  [['--n', '10000'], /--n must be at most 8192 to simulate .*got 10000/],
  [['--vary', 'n', '--values', '20,9000'], /--values: n must be at most 8192 .*got 9000/],
];

for (const [args, pattern] of badInputs) {
  test(`bad input ${args.join(' ')} exits 2 with one line naming it`, () => {
    const trials = args.includes('--trials') ? [] : ['--trials', '100'];
    const { status, stderr, stdout } = run(['sim', ...trials, '--quiet', ...args]);
    assert.is(status, 2);
    assert.is(stdout, '');
    assert.is(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, pattern);
    assert.not.match(stderr, /\n\s+at /);
  });
}

test('an --out that cannot be a folder is a one-line error', () => {
  const file = join(scratch, 'a-file');
  writeFileSync(file, 'x');
  const { status, stderr } = run([
    'sim',
    '--values',
    '1',
    '--trials',
    '100',
    '--out',
    join(file, 'sub'),
  ]);
  assert.is(status, 2);
  assert.match(stderr, /^error: --out: cannot write .*a-file\/sub\/sweep-p.jsonl/);
  assert.not.ok(existsSync(join(file, 'sub')));
});

test('an --out where mkdir fails under an existing parent (/proc) exits 2 at once', () => {
  if (!existsSync('/proc/self')) return;
  const { status, stderr } = run(['sim', '--values', '1', '--trials', '100', '--out', '/proc/x']);
  assert.is(status, 2);
  assert.match(stderr, /^error: --out: cannot write \/proc\/x\/sweep-p.jsonl: ENOENT/);
  assert.is(stderr.trim().split('\n').length, 1);
});

test('--backend: a bad name is a one-line usage error; gpu without GL says what is missing', () => {
  const out = join(scratch, 'backend');
  const bad = run(['sim', '--backend', 'tpu', '--out', out]);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^error: option '--backend <name>' argument 'tpu' is invalid\./);
  assert.match(bad.stderr, /Allowed choices are cpu, gpu, auto\.\n$/);

  const args = ['sim', '--values', '1', '--n', '4', '--trials', '200', '--out', out];
  const gpu = run([...args, '--backend', 'gpu', '--workers', '1']);
  const status = gpuStatus();
  if (status.available) {
    assert.is(gpu.status, 0, gpu.stderr);
    assert.match(gpu.stderr, /^ran on gpu\.js-gl/);
  } else {
    assert.is(gpu.status, 2);
    assert.is(
      gpu.stderr,
      `error: --backend gpu cannot run here: ${status.missing}; use --backend cpu or auto\n`,
    );
    assert.not.ok(existsSync(out), 'nothing is written before the backend exists');
  }
  const auto = run([...args, '--backend', 'auto', '--workers', '1']);
  assert.is(auto.status, 0, auto.stderr);
  assert.match(auto.stderr, /^ran on (cpu-workers|gpu\.js-gl);/);
});

test('--help prints the flags and exits 0; an unknown command exits 2', () => {
  const help = run(['sim', '--help']);
  assert.is(help.status, 0);
  assert.match(help.stdout, /--sigma-a <x>/);
  assert.match(help.stdout, /Default grids/);
  assert.is(run(['simulate']).status, 2);
});

test('default grids span the paper figure ranges and l follows L', () => {
  assert.equal(defaultGrid('p', DEFAULT_PARAMS), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  assert.equal(defaultGrid('l', { ...DEFAULT_PARAMS, L: 4 }), [0, 1, 2, 3]);
  for (const vary of ['n', 'eps', 'sigmaA', 'sigmaV'] as const) {
    const grid = defaultGrid(vary, DEFAULT_PARAMS);
    assert.ok(grid.length >= 5);
    assert.ok(grid.includes(DEFAULT_PARAMS[vary]), vary);
  }
});

test.after(() => rmSync(scratch, { recursive: true, force: true }));

test.run();
