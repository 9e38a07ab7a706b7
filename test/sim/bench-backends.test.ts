import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { type BackendTiming, benchBackends } from '../../sim/bench-backends.js';

test('rows for the CPU pool and each gpu.js mode and launch size (at least a block)', async () => {
  const seen: BackendTiming[] = [];
  const rows = await benchBackends({
    trials: 1200,
    workers: 1,
    modes: ['webasm', 'cpu'],
    chunkTrials: [500, undefined],
    params: { n: 5, L: 3, l: 1 },
    kinds: ['plain'],
    onRow: (row) => seen.push(row),
  });
  assert.equal(seen, rows);
  assert.equal(
    rows.map((row) => [row.backend, row.chunkTrials]),
    [
      ['cpu-workers', undefined],
      ['gpu.js-webassembly', 1000],
      ['gpu.js-webassembly', 8000],
      ['gpu.js-cpu', 1000],
      ['gpu.js-cpu', 8000],
    ],
  );
  const cpu = rows[0];
  assert.is(cpu.speedup, 1);
  for (const row of rows.slice(1)) {
    assert.ok(Math.abs(row.speedup - cpu.secondsPer100k / row.secondsPer100k) < 1e-9);
    // One flipped row moves the mean by 1 / (trials n); none is expected at this size.
    assert.ok(Math.abs(row.meanDifference) <= 2 / (1200 * 5), `${row.meanDifference}`);
  }
});

test.run();
