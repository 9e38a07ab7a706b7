/**
 * One suite for every backend available here: the CPU worker pool always, gpu.js's CPU and
 * WebAssembly kernels wherever gpu.js is installed, and its GL kernels where a GL context exists
 * (for example under xvfb-run). The CPU kernel, run in this thread, is the oracle.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { CpuWorkerPool, type SimulationBackend } from '../../sim/backend.js';
import { gpuStatus } from '../../sim/create-backend.js';
import { GpuBackend, type GpuMode, loadGpuJs } from '../../sim/gpu-backend.js';
import { type BlockResult, type BlockTask, type NetKind, runBlock } from '../../sim/kernel.js';

type TrialCounts = Map<number, Float64Array>;

interface Candidate {
  label: string;
  /** Creates the backend; per-trial counts go to `trials` where the backend reports them. */
  make: (trials: TrialCounts, chunkTrials?: number) => Promise<SimulationBackend>;
}

function gpuCandidate(mode: GpuMode): Candidate {
  return {
    label: `gpu.js mode ${mode}`,
    make: (trials, chunkTrials) =>
      GpuBackend.create({
        mode,
        chunkTrials,
        drawWorkers: 1,
        onTrialCounts: (block, counts) => trials.set(block, counts),
      }),
  };
}

function candidates(): Candidate[] {
  const list: Candidate[] = [{ label: 'cpu-workers', make: async () => new CpuWorkerPool(2) }];
  let gpuJs = true;
  try {
    loadGpuJs();
  } catch {
    gpuJs = false;
  }
  if (gpuJs) list.push(gpuCandidate('cpu'), gpuCandidate('webasm'));
  if (gpuStatus().available) list.push(gpuCandidate('gpu'));
  return list;
}

const DEPTH = 3;

function tasksOf(kind: NetKind, blocks: number, trials: number, n = 6): BlockTask[] {
  return Array.from({ length: blocks }, (_, block) => ({
    kind,
    n,
    depth: DEPTH,
    p: 0.8,
    t: 0.05,
    seed: 7,
    block,
    trials,
  }));
}

function sums(results: BlockResult[]): number[] {
  const total = new Array<number>(2 * DEPTH).fill(0);
  for (const result of results) {
    for (let d = 0; d < DEPTH; d++) {
      total[d] += result.counts[d];
      total[DEPTH + d] += result.squares[d];
    }
  }
  return total;
}

for (const candidate of candidates()) {
  test(`${candidate.label}: equals the CPU kernel per trial, but for rare flips`, async () => {
    for (const kind of ['residual', 'plain'] as const) {
      const tasks = tasksOf(kind, 3, 70);
      const trials: TrialCounts = new Map();
      const backend = await candidate.make(trials, 100);
      const seen: number[] = [];
      const results = await backend.run(tasks, (result) => seen.push(result.block));
      await backend.close();
      assert.equal(seen.sort(), [0, 1, 2]);

      const want = tasks.map((task) => {
        const perTrial = new Float64Array(task.trials * DEPTH);
        return { result: runBlock(task, perTrial), perTrial };
      });
      let flips = 0;
      let rowsFlipped = 0;
      for (const [block, perTrial] of trials) {
        perTrial.forEach((count, k) => {
          const diff = Math.abs(count - want[block].perTrial[k]);
          if (diff > 0) flips++;
          rowsFlipped += diff;
        });
      }
      const got = sums(results);
      const oracle = sums(want.map((w) => w.result));
      const countDiff = got.slice(0, DEPTH).reduce((s, x, d) => s + Math.abs(x - oracle[d]), 0);
      if (trials.size === 0) {
        assert.equal(got, oracle, 'backend without per-trial counts must match exactly');
      } else {
        console.log(`  ${backend.name} ${kind}: ${flips} of 630 trial-levels flipped`);
        assert.is(trials.size, 3);
        assert.ok(flips <= 6, `${flips} flips`);
        assert.ok(countDiff <= rowsFlipped, 'sums differ only by the flipped rows');
      }
    }
  });

  test(`${candidate.label}: launch size and scheduling do not change any count`, async () => {
    const tasks = tasksOf('residual', 4, 25);
    const first = await candidate.make(new Map(), 30);
    const a = sums(await first.run(tasks));
    await first.close();
    const second = await candidate.make(new Map(), 1000);
    const b = sums(await second.run([...tasks].reverse()));
    assert.equal(await second.run([]), []);
    await second.close();
    assert.equal(a, b);
  });

  test(`${candidate.label}: a shallow run is exactly the top of a deeper one`, async () => {
    const deep = tasksOf('plain', 1, 40);
    const shallow = deep.map((task) => ({ ...task, depth: 2 }));
    const backend = await candidate.make(new Map());
    const [deepResult] = await backend.run(deep);
    const [shallowResult] = await backend.run(shallow);
    await backend.close();
    assert.equal(Array.from(shallowResult.counts), Array.from(deepResult.counts.subarray(0, 2)));
  });
}

test('cpu-workers: a throwing block rejects its run, naming why; the pool goes on', async () => {
  const pool = new CpuWorkerPool(2);
  const broken = { ...tasksOf('plain', 1, 5)[0], depth: -1 };
  try {
    await pool.run([...tasksOf('plain', 3, 5), broken]);
    assert.unreachable('the run should have failed');
  } catch (error) {
    assert.match((error as Error).message, /length/);
  }
  const tasks = tasksOf('residual', 2, 20);
  const expected = sums(tasks.map((task) => runBlock(task)));
  assert.equal(sums(await pool.run(tasks)), expected);
  await pool.close();
});

test.run();
