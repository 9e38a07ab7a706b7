import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DrawPool, type LevelDraws, drawLevel } from '../../sim/draws.js';
import { type BlockTask, type NetKind, runBlock } from '../../sim/kernel.js';

/**
 * Per-trial counts from the definition, in float64: Q_{-1} = diag(v), Q_d[i][j] =
 * sum_a K[a][i] s_a Q_{d-1}[a][j] with K = I + t A (residual) or A (plain), level d's draws.
 */
function definitionCounts(
  levels: LevelDraws[],
  kind: NetKind,
  n: number,
  t: number,
  trials: number,
): Float64Array {
  const depth = levels.length;
  const out = new Float64Array(trials * depth);
  const v = levels[0].v as Float32Array;
  for (let z = 0; z < trials; z++) {
    let q = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? v[z * n + i] : 0)),
    );
    for (let d = 0; d < depth; d++) {
      const { a, keep } = levels[d];
      const k = (r: number, i: number): number => {
        const entry = a[z * n * n + r * n + i];
        return kind === 'residual' ? (r === i ? 1 : 0) + t * entry : entry;
      };
      q = q.map((_, i) =>
        q[0].map((_, j) => {
          let sum = 0;
          for (let r = 0; r < n; r++) sum += k(r, i) * keep[z * n + r] * q[r][j];
          return sum;
        }),
      );
      let dominant = 0;
      for (let i = 0; i < n; i++) {
        const off = q[i].reduce((s, x, j) => (j === i ? s : s + x), 0);
        if (Math.abs(q[i][i]) > Math.abs(off)) dominant++;
      }
      out[z * depth + d] = dominant;
    }
  }
  return out;
}

const task = (kind: NetKind, block: number, trials: number): BlockTask => ({
  kind,
  n: 5,
  depth: 3,
  p: 0.7,
  t: 0.3,
  seed: 11,
  block,
  trials,
});

test('draws are the CPU kernel draws: the definition on them gives its per-trial counts', () => {
  for (const kind of ['residual', 'plain'] as const) {
    const blockTask = task(kind, 4, 60);
    const levels = [0, 1, 2].map((level) => drawLevel({ tasks: [blockTask], level, capacity: 60 }));
    const want = new Float64Array(60 * 3);
    runBlock(blockTask, want);
    const got = definitionCounts(levels, kind, 5, 0.3, 60);
    assert.equal(Array.from(got), Array.from(want), kind);
  }
});

test('a chunk packs its blocks trial after trial and leaves padding slots zero', () => {
  const chunk = [task('residual', 0, 3), task('residual', 1, 2)];
  const packed = drawLevel({ tasks: chunk, level: 1, capacity: 8 });
  const first = drawLevel({ tasks: [chunk[0]], level: 1, capacity: 3 });
  const second = drawLevel({ tasks: [chunk[1]], level: 1, capacity: 2 });
  assert.equal(Array.from(packed.a.subarray(0, 75)), Array.from(first.a));
  assert.equal(Array.from(packed.a.subarray(75, 125)), Array.from(second.a));
  assert.ok(packed.a.subarray(125).every((x) => x === 0));
  assert.ok(packed.keep.subarray(25).every((x) => x === 0));
  assert.is(packed.v, undefined);
  assert.is(drawLevel({ tasks: chunk, level: 0, capacity: 8 }).v?.length, 40);
});

test('masks keep a unit with probability p: p = 1 keeps all, p = 0 none', () => {
  const all = drawLevel({ tasks: [{ ...task('plain', 0, 10), p: 1 }], level: 0, capacity: 10 });
  const none = drawLevel({ tasks: [{ ...task('plain', 0, 10), p: 0 }], level: 0, capacity: 10 });
  assert.ok(all.keep.every((x) => x === 1));
  assert.ok(none.keep.every((x) => x === 0));
});

test('the pool draws the same numbers on worker threads as in line, at any size', async () => {
  const tasks = [task('residual', 2, 20), task('residual', 3, 20)];
  const request = { tasks, level: 0, capacity: 40 };
  const inline = drawLevel(request);
  for (const size of [0, 2]) {
    const pool = new DrawPool(size);
    const draws = await Promise.all([pool.draw(request), pool.draw({ ...request, level: 2 })]);
    await pool.close();
    assert.equal(Array.from(draws[0].a), Array.from(inline.a), `pool of ${size}`);
    assert.equal(Array.from(draws[0].v as Float32Array), Array.from(inline.v as Float32Array));
    assert.equal(Array.from(draws[1].keep), Array.from(drawLevel({ ...request, level: 2 }).keep));
  }
});

test('a worker that fails rejects its draw', async () => {
  const pool = new DrawPool(1);
  const bad = { tasks: [{ ...task('plain', 0, 1), n: -1 }], level: 0, capacity: 1 };
  let message = '';
  await pool.draw(bad).catch((error: Error) => {
    message = error.message;
  });
  await pool.close();
  assert.match(message, /length/i);
});

test.run();
