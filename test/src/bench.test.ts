import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bench = fileURLToPath(new URL('../../src/bench.js', import.meta.url));

function runBench(args: string[]) {
  return spawnSync(process.execPath, [bench, ...args], { encoding: 'utf8' });
}

test('the engine bench prints every row, with NumPy ratios or a note saying why not', () => {
  const { status, stdout, stderr } = runBench(['--trials', '1000', '--workers', '1']);
  assert.is(status, 0, stderr);
  const seconds = '\\d+\\.\\d\\d';
  for (const kind of ['residual', 'plain']) {
    assert.match(
      stdout,
      new RegExp(`${kind}: s per 100K trials +│ ${seconds} +│ (${seconds}|no NumPy) +│`),
    );
  }
  assert.match(stdout, /residual l-sweep \(10 values\) \/ one point at l = 5 +│ \d+\.\d\dx/);
  assert.match(stdout, /l-sweep \(10 values\) \/ its deepest point, l = 0 +│ \d+\.\d\dx/);
  assert.match(stdout, /normals per second, one core, WebAssembly .* │ \d+ +│ @stdlib: \d+ /);
  const withPeer = /│ \d+\.\d\d +│ \d+\.\dx +│/.test(stdout);
  assert.is(/NumPy cells read 'no NumPy'/.test(stderr), !withPeer, stderr);
});

test('the engine bench refuses a named peer that is missing, and bad flags, in one line', () => {
  for (const [args, pattern] of [
    [['--peer', '/no/such/peer.py'], /^error: --peer \/no\/such\/peer.py: no such file\n$/],
    [['--trials', '10'], /^error: --trials must be an integer in \[1000, .*got '10'\n$/],
    [['--workers', 'x'], /--workers must be an integer in \[1, 256\], got 'x'\n$/],
  ] as const) {
    const { status, stdout, stderr } = runBench([...args]);
    assert.is(status, 2, args.join(' '));
    assert.is(stdout, '');
    assert.match(stderr, pattern);
  }
});

test.run();
