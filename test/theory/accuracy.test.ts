import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  ACCURACY_FORMS,
  ACCURACY_GRIDS,
  accuracyTable,
  formatAccuracyTable,
  parseAccuracyArgs,
} from '../../theory/accuracy.js';

test('a small run measures every form; the corrected form beats the paper at p = 0.2', async () => {
  const rows = await accuracyTable({ grids: { p: [0.2, 0.9] }, trials: 4000, seed: 5, workers: 2 });
  assert.equal(
    rows.map((row) => row.form),
    [...ACCURACY_FORMS],
  );
  const byForm = Object.fromEntries(rows.map((row) => [row.form, row]));
  // At p = 0.2 the paper's form is about 0.05 too low; 4000 trials have SE below 0.004.
  assert.ok(byForm.paper.maxAbsError > 0.04, `paper ${byForm.paper.maxAbsError}`);
  assert.is(byForm.paper.worstAt, 0.2);
  assert.ok(byForm.corrected.maxAbsError < 0.015, `corrected ${byForm.corrected.maxAbsError}`);
  assert.ok(byForm.plain.maxAbsError < 0.015, `plain ${byForm.plain.maxAbsError}`);
  assert.equal(byForm.corrected.worseThanPaperAt, []);
  assert.ok(byForm.corrected.meanAbsError <= byForm.corrected.maxAbsError);

  const table = formatAccuracyTable(rows);
  assert.ok(table.startsWith('| sweep | form | max abs error |'));
  assert.is(table.split('\n').length, 2 + ACCURACY_FORMS.length);
  assert.match(table, /\| p \| corrected \| 0\.0\d\d\d \| [\d.]+ \| 0\.0\d\d\d \| - \|/);
});

test('the grids are the default sweep grids', () => {
  assert.equal(ACCURACY_GRIDS.n, [2, 3, 5, 10, 20, 50, 100]);
  assert.is(ACCURACY_GRIDS.l.length, 10);
  assert.is(ACCURACY_GRIDS.p[9], 1);
});

test('command-line options are parsed and bad ones named', () => {
  assert.equal(parseAccuracyArgs(['--trials', '500', '--seed', '0']), { trials: 500, seed: 0 });
  assert.throws(() => parseAccuracyArgs(['--trails', '5']), /unknown option '--trails'/);
  assert.throws(() => parseAccuracyArgs(['--workers', '0']), /--workers must be an integer >= 1/);
});

test.run();
