import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { main } from '../../nets/cli.js';
import { tempDir, writeCifarSet, writeIdxSet } from './fixtures.js';

async function run(args: string[], isTTY = false) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY,
  });
  return { code, stdout, stderr };
}

const data = writeIdxSet(tempDir('cli-data'), { train: 24, test: 8, side: 8 });
const tiny = ['--data-dir', data, '--depth', '5', '--batch', '8', '--backend', 'wasm'];

test('bad flags end with status 2 and one line naming the flag and the value', async () => {
  const cases: [string[], RegExp][] = [
    [['--depth', '21'], /--depth must be 3N \+ 2 .*got '21'/],
    [['--depth', '20.5'], /--depth must be an integer in 5\.\.299, got '20\.5'/],
    [['--epochs', '0'], /--epochs must be an integer in 1\.\.100000, got '0'/],
    [['--batch', 'x'], /--batch must be an integer in 1\.\.65536, got 'x'/],
    [['--limit', '-3'], /--limit must be an integer >= 1, got '-3'/],
    [['--test-limit', '0'], /--test-limit must be an integer >= 1, got '0'/],
    [['--seed', '99999999999'], /--seed must be an integer in 0\.\.2147483647/],
    [['--lr', '0'], /--lr must be a number in \(0, 10\], got '0'/],
    [['--momentum', '1'], /--momentum must be a number in \[0, 0\.999\], got '1'/],
    [['--weight-decay', 'abc'], /--weight-decay must be a number in \[0, 1\], got 'abc'/],
    [['--data', 'mnist'], /--data must be one of fashion-mnist, cifar10, got 'mnist'/],
    [['--kind', 'dense'], /--kind must be one of plain, residual, twins, got 'dense'/],
    [['--backend', 'gpu'], /--backend must be one of auto, tensorflow, wasm, cpu, got 'gpu'/],
    [['--eval-batch', '0'], /--eval-batch must be an integer in 1\.\.65536/],
    [['--log-every', '0'], /--log-every must be an integer >= 1, got '0'/],
    [['--warmup', '-1'], /--warmup must be an integer >= 0, got '-1'/],
    [['--data-dir', '/nonexistent/dir'], /--data-dir: folder not found: \/nonexistent\/dir/],
    [['--data', 'cifar10'], /--data-dir is required for cifar10/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr, stdout } = await run(['train', ...args]);
    assert.is(code, 2, args.join(' '));
    assert.match(stderr, pattern);
    assert.is(stderr.trim().split('\n').length, 1, stderr);
    assert.is(stdout, '');
  }
  const unknown = await run(['train', '--colour', 'red']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--colour'/);
});

test('train runs twins end to end, prints both losses, and resumes', async () => {
  const out = join(tempDir('cli-out'), 'run');
  const first = await run([
    'train',
    ...tiny,
    '--kind',
    'twins',
    '--out',
    out,
    '--limit',
    '16',
    '--test-limit',
    '8',
  ]);
  assert.is(first.code, 0, first.stderr);
  assert.match(first.stderr, /^backend: wasm \(tfjs-backend-wasm/);
  assert.match(first.stdout, /step {2}residual loss {2}plain-twin loss/);
  assert.match(first.stdout, /\n {5}1 {4}\d\.\d{7} {4}\d\.\d{7}/);
  assert.match(first.stdout, /epoch 1 plain-twin {2}lr 1e-2 {2}train loss \d\.\d{4}/);
  assert.ok(existsSync(join(out, 'checkpoint.bin')));

  const again = await run([
    'train',
    ...tiny,
    '--kind',
    'twins',
    '--out',
    out,
    '--limit',
    '16',
    '--test-limit',
    '8',
  ]);
  assert.is(again.code, 2);
  assert.match(again.stderr, /holds a run already/);

  const resumed = await run([
    'train',
    ...tiny,
    '--kind',
    'twins',
    '--out',
    out,
    '--limit',
    '16',
    '--test-limit',
    '8',
    '--epochs',
    '2',
    '--resume',
    '--no-progress',
    '--log-every',
    '1',
  ]);
  assert.is(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /epoch 2 residual/);
  assert.not.match(resumed.stdout, /epoch 1 residual/);
  assert.match(resumed.stderr, /epoch 2 step 2\/2 loss \d\.\d{4} \/ \d\.\d{4}/);

  const mapped = await run([
    'map',
    '--data-dir',
    data,
    '--run',
    out,
    '--images',
    '5',
    '--backend',
    'wasm',
  ]);
  assert.is(mapped.code, 0, mapped.stderr);
  const lines = mapped.stdout.trim().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0], /^residual \(epoch 2\): T\(r\) on 5 test images: max \|dz\| /);
  assert.match(
    lines[1],
    /^plain-twin \(epoch 2\): T\^-1\(p\) on 5 test images: .*same prediction 5\/5/,
  );
  rmSync(out, { recursive: true });
});

test('map compares fresh nets with their twins and rejects bad flags', async () => {
  const fresh = await run([
    'map',
    '--data-dir',
    data,
    '--depth',
    '5',
    '--images',
    '4',
    '--backend',
    'wasm',
  ]);
  assert.is(fresh.code, 0, fresh.stderr);
  assert.match(
    fresh.stdout,
    /^residual \(seed 1, initial\): T\(r\) on 4 test images: .*exact for (\d+)\/\1 weights\n/,
  );
  assert.match(fresh.stdout, /\nplain \(seed 1, initial\): T\^-1\(p\) on 4 test images/);
  const cases: [string[], RegExp][] = [
    [['--images', '0'], /--images must be an integer >= 1, got '0'/],
    [['--depth', '9'], /--depth must be 3N \+ 2/],
    [['--run', '/nonexistent/run'], /\/nonexistent\/run\/checkpoint\.bin: missing checkpoint/],
  ];
  for (const [args, pattern] of cases) {
    const result = await run(['map', '--data-dir', data, ...args]);
    assert.is(result.code, 2, args.join(' '));
    assert.match(result.stderr, pattern);
  }
});

test('train reads CIFAR-10 batches and notes a --limit above the data size', async () => {
  const cifar = writeCifarSet(tempDir('cli-cifar'), 2);
  const out = join(tempDir('cli-cifar-out'), 'run');
  const result = await run(
    [
      'train',
      '--data',
      'cifar10',
      '--data-dir',
      cifar,
      '--depth',
      '5',
      '--batch',
      '5',
      '--kind',
      'plain',
      '--limit',
      '100',
      '--backend',
      'wasm',
      '--out',
      out,
    ],
    true,
  );
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stderr, /note: --limit 100 exceeds the 10 training images; using all/);
  assert.match(result.stdout, /epoch 1 plain/);
  rmSync(out, { recursive: true });
});

test('the installed entry exits with status 2 and no stack trace on bad input', () => {
  const cli = fileURLToPath(new URL('../../nets/cli.js', import.meta.url));
  const result = spawnSync(process.execPath, [cli, 'train', '--depth', '7'], { encoding: 'utf8' });
  assert.is(result.status, 2);
  assert.is(result.stderr, "error: --depth must be 3N + 2 (5, 8, ..., 20, 32, 44), got '7'\n");
  const help = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' });
  assert.is(help.status, 0);
  assert.match(help.stdout, /--kind <kind>/);
});

test('the analyse subcommand is part of the nets command line', async () => {
  const { code, stderr } = await run(['analyse', '--run', join(tempDir('cli-none'), 'missing')]);
  assert.is(code, 2);
  assert.match(stderr, /^error: --run .*missing: no such folder\n$/);
});

test.run();
