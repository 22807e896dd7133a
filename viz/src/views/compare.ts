/**
 * Two runs side by side: the headline figures of each with the difference, and their
 * timelines on shared axes (online hosts, super nodes, logins in progress, traffic).
 */

import * as d3 from 'd3';
import type { MetricsTable } from '../data/csv.js';
import { fmtBytes, fmtCount, fmtDuration, fmtNumber, fmtPercent } from '../data/format.js';
import { headlineFigures, type Figure } from '../data/summary.js';
import { RUN_COLORS, RUN_DASH } from '../ui/colors.js';
import { axisLabel, makeFrame, minutesAxis, shortNumber } from '../ui/chart.js';
import { makePanel } from '../ui/panel.js';
import { appendText } from '../ui/text.js';
import type { RunData } from './context.js';

export function formatFigure(f: Pick<Figure, 'kind' | 'value'>): string {
  switch (f.kind) {
    case 'count':
      return fmtCount(f.value);
    case 'ms':
      return fmtDuration(f.value);
    case 'bytes':
      return fmtBytes(f.value);
    case 'percent':
      return fmtPercent(f.value);
    default:
      return fmtNumber(f.value, 2);
  }
}

const CHARTS: readonly { column: string; title: string; unit: string; perSecond: boolean; scale: number }[] = [
  { column: 'online_hosts', title: 'Online hosts', unit: 'hosts', perSecond: false, scale: 1 },
  { column: 'supernodes', title: 'Super nodes', unit: 'SNs', perSecond: false, scale: 1 },
  { column: 'logins_in_progress', title: 'Logins in progress', unit: 'hosts', perSecond: false, scale: 1 },
  { column: 'bytes_sent', title: 'Traffic sent', unit: 'kB/s', perSecond: true, scale: 1e-3 },
];

export function compareView(parent: HTMLElement, a: RunData, b: RunData): void {
  const panel = makePanel(parent, 'compare', `Compare: ${a.name} and ${b.name}`, 'Headline figures of both runs and their timelines on shared axes.');
  const fa = headlineFigures(a.summary, a.metrics);
  const fb = new Map(headlineFigures(b.summary, b.metrics).map((f) => [f.key, f]));
  const table = panel.body.append('table').attr('class', 'compare-table');
  const head = table.append('thead').append('tr');
  appendText(head, 'th', 'figure');
  for (const [i, run] of [a, b].entries()) {
    const th = appendText(head, 'th', run.name);
    th.style('color', RUN_COLORS[i]);
  }
  appendText(head, 'th', 'B − A');
  const body = table.append('tbody');
  for (const f of fa) {
    const g = fb.get(f.key);
    const tr = body.append('tr').attr('data-key', f.key);
    appendText(tr, 'td', f.label);
    appendText(tr, 'td', formatFigure(f), 'num run-a');
    appendText(tr, 'td', g ? formatFigure(g) : '–', 'num run-b');
    let delta = '–';
    let cls = 'num delta';
    if (g && f.value !== null && g.value !== null) {
      const d = g.value - f.value;
      const rel = f.value !== 0 ? ` (${d >= 0 ? '+' : ''}${((d / Math.abs(f.value)) * 100).toFixed(1)}%)` : '';
      delta = `${d >= 0 ? '+' : '−'}${formatFigure({ kind: f.kind, value: Math.abs(d) })}${rel}`;
      if (d !== 0 && f.moreIsBetter !== undefined) cls += d > 0 === f.moreIsBetter ? ' better' : ' worse';
    }
    appendText(tr, 'td', delta, cls);
  }

  const legend = panel.body.append('div').attr('class', 'legend-row');
  for (const [i, run] of [a, b].entries()) {
    const it = legend.append('span').attr('class', 'legend-item');
    const svg = it.append('svg').attr('width', 26).attr('height', 10);
    svg.append('line').attr('x1', 1).attr('x2', 25).attr('y1', 5).attr('y2', 5).attr('stroke', RUN_COLORS[i]).attr('stroke-width', 2).attr('stroke-dasharray', RUN_DASH[i]);
    appendText(it, 'span', `${i === 0 ? 'A' : 'B'}: ${run.name} (seed ${String(run.summary.seed)})`);
  }
  const grid = panel.body.append('div').attr('class', 'compare-grid');
  const width = Math.max(300, Math.floor(((panel.body.node()?.clientWidth ?? 1200) - 24) / 2) - 8);
  const endS = Math.max(a.summary.status.simulatedMs, b.summary.status.simulatedMs) / 1000;
  for (const c of CHARTS) {
    if (!a.metrics.has(c.column) && !b.metrics.has(c.column)) continue;
    const box = grid.append('div').attr('class', `compare-chart compare-${c.column}`);
    appendText(box, 'h3', `${c.title} (${c.unit})`);
    const frame = makeFrame(box, width, 170, { top: 8, right: 16, bottom: 36, left: 56 });
    const x = d3.scaleLinear().domain([0, endS]).range([0, frame.width]);
    const values = (m: MetricsTable) => (m.has(c.column) ? Array.from(m.col(c.column), (v) => (v * c.scale) / (c.perSecond ? m.intervalS || 1 : 1)) : []);
    const va = values(a.metrics);
    const vb = values(b.metrics);
    const y = d3
      .scaleLinear()
      .domain([0, Math.max(d3.max(va) ?? 0, d3.max(vb) ?? 0, 1) * 1.05])
      .nice(4)
      .range([frame.height, 0]);
    frame.g.append('g').attr('class', 'grid').call(d3.axisLeft(y).ticks(4).tickSize(-frame.width).tickFormat(() => ''));
    frame.g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${frame.height})`).call(minutesAxis(x, 8));
    frame.g.append('g').attr('class', 'axis y').call(d3.axisLeft(y).ticks(4).tickFormat(shortNumber));
    axisLabel(frame.g, 'simulated time (min)', 'x', frame);
    [
      [a.metrics, va],
      [b.metrics, vb],
    ].forEach(([m, v], i) => {
      const table = m as MetricsTable;
      const vals = v as number[];
      frame.g
        .append('path')
        .attr('class', `series run-${i === 0 ? 'a' : 'b'}`)
        .attr('fill', 'none')
        .attr('stroke', RUN_COLORS[i])
        .attr('stroke-width', 1.7)
        .attr('stroke-dasharray', RUN_DASH[i])
        .attr(
          'd',
          d3
            .line<number>()
            .x((r) => x(table.timeS[r]))
            .y((r) => y(vals[r]))(d3.range(vals.length)) ?? '',
        );
    });
  }
}
