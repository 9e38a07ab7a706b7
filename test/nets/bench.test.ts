import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bench = fileURLToPath(new URL('../../nets/bench.js', import.meta.url));

function runBench(args: string[]) {
  return spawnSync(process.execPath, [bench, ...args], { encoding: 'utf8' });
}

test('the bench names every backend it times or skips', () => {
  const args = ['--depth', '5', '--shape', 'fashion', '--batch', '2', '--steps', '1', '--no-torch'];
  const result = runBench(args);
  assert.is(result.status, 0, result.stderr);
  const out = result.stdout;
  assert.match(
    out,
    /^# seconds per SGD step \(median of 1 after a warm-up\), depth 5, batch 2, input 28x28x1\n/,
  );
  assert.match(out, /\ntensorflow: not available|\ntensorflow \(@tensorflow\/tfjs-node/);
  assert.match(
    out,
    /\nwasm \(tfjs-backend-wasm [^)]*\): plain \d+\.\d{3} {2}residual \d+\.\d{3}\n/,
  );
  assert.match(
    out,
    /\nwasm Conv2DBackpropInput 2x28x28x16: shipped \d+\.\d ms, this package \d+\.\d ms/,
  );
  assert.match(out, /\ncpu: not timed/);
  assert.match(out, /\npytorch: not timed \(--no-torch\)\n$/);
});

test('the bench rejects bad flags with one line and status 2', () => {
  for (const [args, pattern] of [
    [['--depth', '6'], /--depth must be 3N \+ 2/],
    [['--shape', 'mnist'], /--shape must be cifar or fashion, got 'mnist'/],
    [['--steps', 'x'], /--steps must be an integer >= 1, got 'x'/],
  ] as const) {
    const result = runBench([...args]);
    assert.is(result.status, 2);
    assert.match(result.stderr, pattern);
    assert.is(result.stderr.trim().split('\n').length, 1);
  }
});

test.run();
