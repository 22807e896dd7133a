// The report's SVG drawing: standalone documents, one path per series, escaped text, and a
// ladder that draws at most LADDER_ARROWS_MAX arrows and says how many it left out.
import { describe, expect, it } from 'vitest';
import { cdfChart, LADDER_ARROWS_MAX, ladderSvg, lineChart } from '../../sim/report/svg.js';

const paths = (svg: string) => svg.match(/<path d="M/g)?.length ?? 0;

describe('report SVG', () => {
  it('draws one CDF step line per series, on a log axis too, with the published band', () => {
    const svg = cdfChart(
      [
        { label: 'a <b>', values: [0.4, 0.5, 0.45] },
        { label: 'c', values: [5, 6] },
      ],
      { title: 'T & t', xLabel: 's', logX: true, band: { from: 3, to: 7, label: 'published 3-7 s' } },
    );
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(paths(svg)).toBe(2);
    expect(svg).toContain('a &lt;b&gt; (n=3)');
    expect(svg).toContain('T &amp; t');
    expect(svg).toContain('published 3-7 s');
    expect(svg).not.toContain('NaN');
  });

  it('draws lines with a shaded interval', () => {
    const svg = lineChart([{ label: 'x', points: [[0, 1], [1, 3], [2, 0]] }], { title: 't', xLabel: 'x', yLabel: 'y', shade: { from: 0.5, to: 1.5, label: 'on hold' } });
    expect(paths(svg)).toBe(1);
    expect(svg).toContain('on hold');
    expect(svg).not.toContain('NaN');
  });

  it('draws a ladder with dropped packets dashed, and caps the arrows', () => {
    const arrows = Array.from({ length: LADDER_ARROWS_MAX + 5 }, (_, i) => ({ tMs: 1000 + i, from: 'host', to: i % 2 ? 'SN' : 'LS', label: `m${i}`, dropped: i === 0 ? 'firewall' : '' }));
    const svg = ladderSvg('login', ['host', 'SN', 'LS'], arrows, 1000);
    expect(svg.match(/marker-end=/g)?.length).toBe(LADDER_ARROWS_MAX - 1);
    expect(svg).toContain('m0 (dropped: firewall)');
    expect(svg).toContain('5 more messages');
    expect(svg).not.toContain(`m${LADDER_ARROWS_MAX}<`);
  });
});
