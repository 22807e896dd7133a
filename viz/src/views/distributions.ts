/**
 * Distributions over the whole run, from summary.json: login time CDF by host class,
 * attempts per login, clients per super node (at the end, and over the run's samples).
 */

import * as d3 from 'd3';
import { fmtCount } from '../data/format.js';
import { cdfsBy, histogramEntries, loginTimeCdfs, type CdfSeries, type RunSummary } from '../data/summary.js';
import { DROP_COLOR, natColor, natOrder } from '../ui/colors.js';
import { axisLabel, makeFrame, shortNumber } from '../ui/chart.js';
import { makePanel } from '../ui/panel.js';
import { appendText } from '../ui/text.js';
import { hideTooltip, showTooltip } from '../ui/tooltip.js';

const MARGIN = { top: 10, right: 16, bottom: 40, left: 52 };

export function distributionsView(parent: HTMLElement, summary: RunSummary): void {
  const panel = makePanel(parent, 'distributions', 'Distributions', 'Whole run, from summary.json (its CDFs hold 20 points per label set; classes are merged weighted by count).');
  const row = panel.body.append('div').attr('class', 'dist-row');
  const total = (panel.body.node()?.clientWidth ?? 1200) - 24;
  const w = Math.max(300, Math.floor(total / 3) - 8);
  loginCdfChart(row.append('div').attr('class', 'dist-chart dist-login'), summary, w);
  attemptsChart(row.append('div').attr('class', 'dist-chart dist-attempts'), summary, w);
  clientsChart(row.append('div').attr('class', 'dist-chart dist-clients'), summary, w);
}

function loginCdfChart(box: d3.Selection<HTMLDivElement, unknown, null, undefined>, summary: RunSummary, width: number): void {
  appendText(box, 'h3', 'Login time by host class (successful logins)');
  const series = loginTimeCdfs(summary).sort((a, b) => natOrder(a.key, b.key));
  if (series.length === 0) {
    appendText(box, 'p', 'No successful logins.', 'empty');
    return;
  }
  const frame = makeFrame(box, width, 250, MARGIN, 'chart cdf login-cdf');
  const xs = series.flatMap((s) => s.points.map(([v]) => v / 1000)).filter((v) => v > 0);
  const x = d3
    .scaleLog()
    .domain([Math.max(0.05, (d3.min(xs) ?? 0.1) * 0.8), (d3.max(xs) ?? 10) * 1.2])
    .range([0, frame.width])
    .nice();
  const y = d3.scaleLinear().domain([0, 1]).range([frame.height, 0]);
  frame.g.append('g').attr('class', 'grid').call(d3.axisLeft(y).ticks(5).tickSize(-frame.width).tickFormat(() => ''));
  frame.g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${frame.height})`).call(d3.axisBottom(x).ticks(5, '~g'));
  frame.g.append('g').attr('class', 'axis y').call(d3.axisLeft(y).ticks(5, '.0%'));
  axisLabel(frame.g, 'login time (s, log scale)', 'x', frame);
  axisLabel(frame.g, 'share of logins ≤ x', 'y', frame);
  const line = (s: CdfSeries) => {
    const pts: [number, number][] = [[s.points[0][0], 0], ...s.points.map(([v, f]) => [v, f] as [number, number])];
    return d3
      .line<[number, number]>()
      .curve(d3.curveStepAfter)
      .x(([v]) => x(Math.max(v / 1000, x.domain()[0])))
      .y(([, f]) => y(f))(pts);
  };
  frame.g
    .selectAll('path.cdf')
    .data(series)
    .join('path')
    .attr('class', 'cdf')
    .attr('data-class', (s) => s.key)
    .attr('fill', 'none')
    .attr('stroke', (s) => natColor(s.key))
    .attr('stroke-width', 2)
    .attr('d', (s) => line(s) ?? '')
    .on('mousemove', (event: MouseEvent, s) => showTooltip(event, [s.key, `${fmtCount(s.count)} logins`, ...s.points.filter((_, i) => i % 5 === 4).map(([v, f]) => `${Math.round(f * 100)}% within ${(v / 1000).toFixed(2)} s`)]))
    .on('mouseleave', hideTooltip);
  const legend = box.append('div').attr('class', 'legend-row small');
  for (const s of series) {
    const it = legend.append('span').attr('class', 'legend-item');
    it.append('span').attr('class', 'swatch').style('background', natColor(s.key));
    appendText(it, 'span', `${s.key} (n=${fmtCount(s.count)})`);
  }
}

function attemptsChart(box: d3.Selection<HTMLDivElement, unknown, null, undefined>, summary: RunSummary, width: number): void {
  appendText(box, 'h3', 'Attempts per login');
  const ok = histogramEntries(summary.logins.attemptsPerLogin);
  const failed = histogramEntries(summary.logins.attemptsPerFailedLogin);
  const keys = [...new Set([...ok, ...failed].map(([k]) => k))].sort((a, b) => a - b);
  if (keys.length === 0) {
    appendText(box, 'p', 'No logins.', 'empty');
    return;
  }
  const frame = makeFrame(box, width, 250, MARGIN, 'chart attempts');
  // Bars no wider than 60 px, centred, however few the categories.
  const span = Math.min(frame.width, keys.length * 60 * 1.25);
  const x0 = d3
    .scaleBand<number>()
    .domain(keys)
    .range([(frame.width - span) / 2, (frame.width + span) / 2])
    .padding(0.2);
  const x1 = d3.scaleBand<string>().domain(['ok', 'failed']).range([0, x0.bandwidth()]).padding(0.05);
  const okMap = new Map(ok);
  const failedMap = new Map(failed);
  const data = keys.flatMap((k) => [
    { k, outcome: 'ok', n: okMap.get(k) ?? 0 },
    { k, outcome: 'failed', n: failedMap.get(k) ?? 0 },
  ]);
  const y = d3
    .scaleLinear()
    .domain([0, d3.max(data, (d) => d.n) ?? 1])
    .nice()
    .range([frame.height, 0]);
  frame.g.append('g').attr('class', 'grid').call(d3.axisLeft(y).ticks(5).tickSize(-frame.width).tickFormat(() => ''));
  frame.g
    .selectAll('rect.bar')
    .data(data.filter((d) => d.n > 0))
    .join('rect')
    .attr('class', (d) => `bar attempts-${d.outcome}`)
    .attr('data-attempts', (d) => d.k)
    .attr('data-count', (d) => d.n)
    .attr('x', (d) => (x0(d.k) ?? 0) + (x1(d.outcome) ?? 0))
    .attr('width', x1.bandwidth())
    .attr('y', (d) => y(d.n))
    .attr('height', (d) => frame.height - y(d.n))
    .attr('fill', (d) => (d.outcome === 'ok' ? '#2ca02c' : DROP_COLOR))
    .on('mousemove', (event: MouseEvent, d) => showTooltip(event, [`${d.k} attempt${d.k === 1 ? '' : 's'}`, `${fmtCount(d.n)} ${d.outcome === 'ok' ? 'successful' : 'failed'} logins`]))
    .on('mouseleave', hideTooltip);
  const every = Math.ceil(keys.length / 12);
  frame.g
    .append('g')
    .attr('class', 'axis x')
    .attr('transform', `translate(0,${frame.height})`)
    .call(d3.axisBottom(x0).tickValues(keys.filter((_, i) => i % every === 0)));
  frame.g.append('g').attr('class', 'axis y').call(d3.axisLeft(y).ticks(5).tickFormat(shortNumber));
  axisLabel(frame.g, 'attempts (probes and connects) per login', 'x', frame);
  axisLabel(frame.g, 'logins', 'y', frame);
  const legend = box.append('div').attr('class', 'legend-row small');
  for (const [label, color] of [
    ['successful', '#2ca02c'],
    ['failed', DROP_COLOR],
  ]) {
    const it = legend.append('span').attr('class', 'legend-item');
    it.append('span').attr('class', 'swatch').style('background', color);
    appendText(it, 'span', label);
  }
}

function clientsChart(box: d3.Selection<HTMLDivElement, unknown, null, undefined>, summary: RunSummary, width: number): void {
  appendText(box, 'h3', 'Clients per super node');
  const atEnd = histogramEntries(summary.supernodes.clientsPerSupernodeAtEnd.histogram);
  const overRun = cdfsBy(summary, 'snClients', 'all')[0];
  if (atEnd.length === 0 && !overRun) {
    appendText(box, 'p', 'No super nodes.', 'empty');
    return;
  }
  const frame = makeFrame(box, width, 250, MARGIN, 'chart clients');
  const maxX = Math.max(d3.max(atEnd, ([k]) => k) ?? 0, overRun ? (d3.max(overRun.points, ([v]) => v) ?? 0) : 0, 1);
  const x = d3.scaleLinear().domain([0, maxX]).nice().range([0, frame.width]);
  const bins = d3
    .bin<[number, number], number>()
    .value(([k]) => k)
    .domain(x.domain() as [number, number])
    .thresholds(x.ticks(20))(atEnd);
  const counts = bins.map((b) => ({ x0: b.x0 ?? 0, x1: b.x1 ?? 0, n: d3.sum(b, ([, n]) => n) }));
  const y = d3
    .scaleLinear()
    .domain([0, d3.max(counts, (c) => c.n) ?? 1])
    .nice()
    .range([frame.height, 0]);
  const yCdf = d3.scaleLinear().domain([0, 1]).range([frame.height, 0]);
  frame.g.append('g').attr('class', 'grid').call(d3.axisLeft(y).ticks(5).tickSize(-frame.width).tickFormat(() => ''));
  frame.g
    .selectAll('rect.bar')
    .data(counts.filter((c) => c.n > 0))
    .join('rect')
    .attr('class', 'bar clients-bar')
    .attr('data-count', (c) => c.n)
    .attr('x', (c) => x(c.x0) + 1)
    .attr('width', (c) => Math.max(1, x(c.x1) - x(c.x0) - 2))
    .attr('y', (c) => y(c.n))
    .attr('height', (c) => frame.height - y(c.n))
    .attr('fill', '#9467bd')
    .on('mousemove', (event: MouseEvent, c) => showTooltip(event, [`${c.x0}–${c.x1 - 1} clients`, `${fmtCount(c.n)} SNs at the end of the run`]))
    .on('mouseleave', hideTooltip);
  if (overRun) {
    const pts: [number, number][] = [[overRun.points[0][0], 0], ...overRun.points.map(([v, f]) => [v, f] as [number, number])];
    frame.g
      .append('path')
      .attr('class', 'cdf clients-cdf')
      .attr('fill', 'none')
      .attr('stroke', '#333')
      .attr('stroke-dasharray', '4,3')
      .attr('stroke-width', 1.5)
      .attr(
        'd',
        d3
          .line<[number, number]>()
          .curve(d3.curveStepAfter)
          .x(([v]) => x(v))
          .y(([, f]) => yCdf(f))(pts) ?? '',
      );
    frame.g.append('g').attr('class', 'axis y right').attr('transform', `translate(${frame.width},0)`).call(d3.axisRight(yCdf).ticks(4, '.0%'));
  }
  frame.g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${frame.height})`).call(d3.axisBottom(x).ticks(6).tickFormat(shortNumber));
  frame.g.append('g').attr('class', 'axis y').call(d3.axisLeft(y).ticks(5).tickFormat(shortNumber));
  axisLabel(frame.g, 'attached clients', 'x', frame);
  axisLabel(frame.g, 'super nodes', 'y', frame);
  const legend = box.append('div').attr('class', 'legend-row small');
  const a = legend.append('span').attr('class', 'legend-item');
  a.append('span').attr('class', 'swatch').style('background', '#9467bd');
  appendText(a, 'span', `SNs at the end (${fmtCount(summary.supernodes.atEnd)})`);
  if (overRun) {
    const b = legend.append('span').attr('class', 'legend-item');
    b.append('span').attr('class', 'swatch dashed');
    appendText(b, 'span', `CDF over the run's samples (n=${fmtCount(overRun.count)}, right axis)`);
  }
}
