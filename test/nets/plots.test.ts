import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { histogramFigure, lineFigure, renderSvg } from '../../nets/plots.js';

function count(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

test('a histogram figure draws one bar per bin and series, binned here', async () => {
  const spec = histogramFigure(
    [
      { name: 'plain', values: [0.1, 0.2, 0.3] },
      { name: 'residual', values: [0.7, 0.8, 0.9, 0.95] },
    ],
    { title: 'cushions', xTitle: 'mu', bins: 5, min: 0, max: 1 },
  );
  const rows = (spec.data as { values: { series: string; count: number }[] }).values;
  assert.equal(
    rows.filter((r) => r.series === 'plain').map((r) => r.count),
    [1, 2, 0, 0, 0],
  );
  assert.equal(
    rows.filter((r) => r.series === 'residual').map((r) => r.count),
    [0, 0, 0, 1, 3],
  );
  const svg = await renderSvg(spec);
  assert.ok(svg.startsWith('<svg'));
  assert.ok(svg.includes('cushions') && svg.includes('plain') && svg.includes('residual'));
  assert.is(count(svg, /aria-roledescription="rect mark"/g), 10);
});

test('a faceted histogram has one panel per layer and clips counts at yMax', async () => {
  const spec = histogramFigure(
    [1, 2, 3].flatMap((l) => [
      { name: 'plain', values: [0.1, 0.1, 0.1], panel: `layer ${l}` },
      { name: 'residual', values: [0.9], panel: `layer ${l}` },
    ]),
    { title: 'per layer', xTitle: 'mu', bins: 2, min: 0, max: 1, yMax: 2, columns: 3 },
  );
  const rows = (spec.data as { values: { count: number }[] }).values;
  assert.is(Math.max(...rows.map((r) => r.count)), 2);
  const svg = await renderSvg(spec);
  for (const l of [1, 2, 3]) assert.ok(svg.includes(`layer ${l}`));
});

test('a line figure draws each line through its points, without warnings', async () => {
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  const svg = await renderSvg(
    lineFigure(
      [
        { series: 'plain', variant: 'first', x: [1, 2, 3], y: [0.1, 0.1, 0.2] },
        { series: 'residual', variant: 'first', x: [1, 2, 3], y: [0.4, 0.6, 0.8] },
        { series: 'residual', variant: 'last', x: [1, 2, 3], y: [0.5, 0.7, 0.9] },
      ],
      { title: 'sigma', xTitle: 'layer', yTitle: 'sigma' },
    ),
  );
  console.warn = warn;
  assert.equal(warnings, []);
  assert.is(count(svg, /aria-roledescription="line mark"/g), 3);
  assert.is(count(svg, /stroke="#c8312b"/g) >= 2, true);
  assert.ok(svg.includes('stroke-dasharray="6,4"'));
  assert.match(svg, /role-legend-symbol[^>]*><path[^>]*stroke="#444"[^>]*stroke-dasharray="6,4"/);
  for (const entry of ['plain', 'residual', 'first', 'last']) assert.ok(svg.includes(`>${entry}<`));
});

test.run();
