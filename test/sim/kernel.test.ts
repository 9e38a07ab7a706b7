import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { type BlockTask, type NetKind, fillNormalsWasm, runBlock } from '../../sim/kernel.js';
import { fillNormals, fillUint32, streamState } from '../../sim/random.js';

/**
 * Independent reference: draws the same numbers as the kernel's documented stream layout, forms
 * every matrix K_m, S_m and V explicitly, multiplies Theta = (K_{l+1}^T S_{l+1}) ... (K_L^T S_L) V
 * left to right with full dense products, and counts |Theta_ii| > |sum_{j != i} Theta_ij|.
 */
function referenceCounts(task: BlockTask): number[] {
  const { kind, n, depth, p, t, seed, block, trials } = task;
  const vStream = streamState(seed, block, 0);
  const streams = Array.from({ length: depth }, (_, d) => streamState(seed, block, d + 1));
  const counts = new Array<number>(depth).fill(0);

  for (let trial = 0; trial < trials; trial++) {
    const v = new Float64Array(n);
    fillNormals(vStream, v, n);
    const factors: number[][][] = [];
    for (let d = 0; d < depth; d++) {
      const a = new Float64Array(n * n);
      const words = new Float64Array(n);
      fillNormals(streams[d], a, n * n);
      fillUint32(streams[d], words, n);
      const keep = Array.from(words, (w) => (w < p * 2 ** 32 ? 1 : 0));
      const scale = kind === 'residual' ? t : 1;
      const K = (row: number, col: number) =>
        (kind === 'residual' && row === col ? 1 : 0) + scale * a[row * n + col];
      // F = K^T S: F[i][j] = K[j][i] s_j
      factors.push(
        Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => K(j, i) * keep[j])),
      );
    }
    for (let d = 0; d < depth; d++) {
      // Theta for l = L - 1 - d: factors d, d - 1, ..., 0 (top layer last), then V.
      let product = factors[d].map((row) => [...row]);
      for (let m = d - 1; m >= 0; m--) product = multiply(product, factors[m]);
      let dominant = 0;
      for (let i = 0; i < n; i++) {
        let off = 0;
        for (let j = 0; j < n; j++) if (j !== i) off += product[i][j] * v[j];
        if (Math.abs(product[i][i] * v[i]) > Math.abs(off)) dominant++;
      }
      counts[d] += dominant;
    }
  }
  return counts;
}

function multiply(x: number[][], y: number[][]): number[][] {
  return x.map((row) =>
    y[0].map((_, j) => row.reduce((sum, value, k) => sum + value * y[k][j], 0)),
  );
}

const cases: [NetKind, number, number, number, number][] = [
  ['residual', 6, 4, 0.9, 0.05],
  ['residual', 5, 3, 0.5, 0.8],
  ['plain', 6, 4, 0.9, 1],
  ['plain', 4, 3, 0.6, 1],
  ['residual', 7, 5, 1, 0.3],
];

for (const [kind, n, depth, p, t] of cases) {
  test(`${kind} n=${n} depth=${depth} p=${p}: counts equal a dense reference product`, () => {
    const task: BlockTask = { kind, n, depth, p, t, seed: 42, block: 3, trials: 150 };
    const result = runBlock(task);
    assert.equal(Array.from(result.counts), referenceCounts(task));
    assert.is(result.trials, 150);
    assert.is(result.block, 3);
  });
}

test('every width from 2 to 200 fits its memory, which grows a page at a time with n', () => {
  for (let n = 2; n <= 200; n++) {
    for (const kind of ['residual', 'plain'] as const) {
      const task: BlockTask = { kind, n, depth: 1, p: 0.9, t: 0.01, seed: 1, block: 0, trials: 1 };
      const dominant = runBlock(task).counts[0];
      assert.ok(Number.isInteger(dominant) && dominant >= 0 && dominant <= n, `${kind} n=${n}`);
    }
  }
});

for (const n of [34, 50, 97]) {
  test(`n=${n}, a width that once overran its memory: counts equal a dense reference`, () => {
    const task: BlockTask = {
      kind: 'residual',
      n,
      depth: 2,
      p: 0.9,
      t: 0.1,
      seed: 5,
      block: 1,
      trials: 3,
    };
    assert.equal(Array.from(runBlock(task).counts), referenceCounts(task));
  });
}

test('squares are sums of squared counts: a one-trial block has squares = counts^2', () => {
  const result = runBlock({
    kind: 'plain',
    n: 9,
    depth: 3,
    p: 0.8,
    t: 1,
    seed: 5,
    block: 0,
    trials: 1,
  });
  assert.equal(
    Array.from(result.squares),
    Array.from(result.counts, (c) => c * c),
  );
});

test('p = 0 closes every path: no dominant flows at any level', () => {
  const result = runBlock({
    kind: 'residual',
    n: 5,
    depth: 3,
    p: 0,
    t: 0.1,
    seed: 1,
    block: 0,
    trials: 20,
  });
  assert.equal(Array.from(result.counts), [0, 0, 0]);
});

test('eps = 0 with p = 1: the identity path always dominates', () => {
  const result = runBlock({
    kind: 'residual',
    n: 5,
    depth: 4,
    p: 1,
    t: 0,
    seed: 1,
    block: 0,
    trials: 20,
  });
  assert.equal(Array.from(result.counts), [100, 100, 100, 100]);
});

test('the WebAssembly generator draws random.ts normals bit for bit, same end state', () => {
  let tails = 0;
  for (const [seed, count] of [
    [1, 1],
    [2, 7],
    [3, 400],
    [4, 250_000],
  ]) {
    const reference = streamState(seed, 9, 2);
    const engine = streamState(seed, 9, 2);
    const expected = new Float64Array(count);
    const drawn = new Float64Array(count);
    for (let batch = 0; batch < 3; batch++) {
      fillNormals(reference, expected, count);
      fillNormalsWasm(engine, drawn, count);
      assert.equal(drawn, expected, `seed ${seed}, count ${count}, batch ${batch}`);
      for (const x of expected) if (Math.abs(x) > 3.442619855899) tails++;
    }
    assert.equal(Array.from(engine), Array.from(reference));
  }
  // The big batches pass through the tail (P[|x| > 3.4426] = 5.8e-4, about 430 expected).
  assert.ok(tails > 300, `tail deviates: ${tails}`);
});

test.run();
