/**
 * Timeline: metrics.csv over simulated time, as small multiples on one time axis (hosts,
 * super nodes, clients per SN, traffic, drops, and any column chosen). A brush across them
 * chooses the time window every other view shows; click outside the selection to clear it.
 * Counters (msgs_*, bytes_*, drops_*) are drawn as rates per second of their interval; gauges
 * as sampled.
 */

import * as d3 from 'd3';
import type { MetricsTable } from '../data/csv.js';
import { fmtClock, fmtDuration } from '../data/format.js';
import { dropReasonColor, SERIES_COLORS } from '../ui/colors.js';
import { axisLabel, minutesAxis, shortNumber } from '../ui/chart.js';
import { fillSelect, makePanel, makeSelect } from '../ui/panel.js';
import { appendText } from '../ui/text.js';
import type { Ctx } from './context.js';

interface Series {
  readonly column: string;
  readonly label: string;
  readonly color: string;
  /** Divide by the interval (counters) and scale (1e-3 for kB). */
  readonly perSecond: boolean;
  readonly scale: number;
  /** Drawn as a light area behind the lines (a total the others are part of). */
  readonly area?: boolean;
}

interface Strip {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly series: readonly Series[];
}

const STRIP_HEIGHT = 64;
const STRIP_GAP = 30;
const MARGIN = { top: 24, right: 20, bottom: 34, left: 62 };

function isCounter(column: string): boolean {
  return /^(msgs|bytes|drops)_/.test(column);
}

function stripsFor(m: MetricsTable, custom: string): Strip[] {
  const s = (column: string, label: string, color = SERIES_COLORS[column] ?? '#555', scale = 1): Series => ({ column, label, color, perSecond: isCounter(column), scale });
  const drops = m.columns.filter((c) => c.startsWith('drops_') && d3.max(m.col(c)) !== 0);
  const strips: Strip[] = [
    { id: 'hosts', title: 'Hosts', unit: 'hosts', series: [{ ...s('up_hosts', 'up (application running)'), area: true }, s('online_hosts', 'online'), s('logins_in_progress', 'logging in')] },
    { id: 'supernodes', title: 'Super nodes', unit: 'SNs', series: [s('supernodes', 'serving SNs')] },
    { id: 'clients', title: 'Clients per super node', unit: 'clients', series: [s('sn_clients_max', 'max'), s('sn_clients_mean', 'mean')] },
    { id: 'traffic', title: 'Traffic sent, all hosts', unit: 'kB/s', series: [s('bytes_sent', 'kB/s (headers included)', SERIES_COLORS.bytes_sent, 1e-3)] },
    { id: 'drops', title: 'Packets dropped, by reason', unit: 'drops/s', series: drops.map((c) => s(c, c.slice(6), dropReasonColor(c.slice(6)))) },
  ];
  if (custom && m.has(custom)) {
    const unit = custom.startsWith('bytes_') ? 'B/s' : custom.startsWith('msgs_') ? 'messages/s' : custom.startsWith('drops_') ? 'drops/s' : 'value';
    strips.push({ id: 'custom', title: custom, unit, series: [s(custom, custom, '#17becf')] });
  }
  return strips.filter((st) => st.series.every((x) => m.has(x.column)));
}

export interface TimelineView {
  /** The brush's overlay, for tests that drag it. */
  readonly brushNode: () => SVGGElement | null;
}

export function timelineView(parent: HTMLElement, ctx: Ctx): TimelineView {
  const m = ctx.run.metrics;
  const panel = makePanel(parent, 'timeline', 'Timeline', `metrics.csv, one row every ${m.intervalS} s of simulated time; drag across the strips to choose a time window for the other views, click outside it to clear.`);
  const readout = appendText(panel.controls, 'span', 'window: whole run', 'window-readout');
  let custom = m.has('msgs_sent') ? 'msgs_sent' : '';
  const columns = m.columns.filter((c) => c !== 'time_s');
  const select = makeSelect(panel.controls, 'extra strip', [['', '(none)'], ...columns.map((c) => [c, c] as const)], (v) => {
    custom = v;
    draw();
  });
  select.property('value', custom);
  fillSelect(select, [['', '(none)'], ...columns.map((c) => [c, c] as const)]);
  select.property('value', custom);

  const body = panel.body.append('div').attr('class', 'timeline-body');
  const width = Math.max(640, (panel.body.node()?.clientWidth ?? 1000) - 4);
  let brushG: d3.Selection<SVGGElement, unknown, null, undefined> | null = null;
  let moveBrush: (w: readonly [number, number] | null) => void = () => {};

  const fmtWindow = (w: readonly [number, number] | null): string =>
    w ? `window: ${fmtClock(w[0], true)} – ${fmtClock(w[1], true)} (${fmtDuration(w[1] - w[0])})` : 'window: whole run';

  function draw(): void {
    body.selectAll('*').remove();
    const strips = stripsFor(m, custom);
    const height = MARGIN.top + strips.length * (STRIP_HEIGHT + STRIP_GAP) - STRIP_GAP + MARGIN.bottom;
    const svg = body.append('svg').attr('class', 'chart timeline').attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
    const innerW = width - MARGIN.left - MARGIN.right;
    const g = svg.append('g').attr('transform', `translate(${MARGIN.left},${MARGIN.top})`);
    const endS = Math.max(ctx.endMs / 1000, m.rows ? m.timeS[m.rows - 1] : 1);
    const x = d3.scaleLinear().domain([0, endS]).range([0, innerW]);
    const interval = m.intervalS || 1;
    const valueOf = (s: Series, r: number): number => (m.col(s.column)[r] * s.scale) / (s.perSecond ? interval : 1);

    const legendValues: { strip: Strip; texts: d3.Selection<SVGTextElement, Series, SVGGElement, unknown> }[] = [];
    strips.forEach((strip, i) => {
      const sg = g.append('g').attr('class', `strip strip-${strip.id}`).attr('transform', `translate(0,${i * (STRIP_HEIGHT + STRIP_GAP)})`);
      let yMax = 0;
      for (const s of strip.series) for (let r = 0; r < m.rows; r++) yMax = Math.max(yMax, valueOf(s, r));
      const y = d3.scaleLinear().domain([0, yMax > 0 ? yMax * 1.08 : 1]).nice(4).range([STRIP_HEIGHT, 0]);
      sg.append('g').attr('class', 'grid').call(d3.axisLeft(y).ticks(3).tickSize(-innerW).tickFormat(() => ''));
      sg.append('g').attr('class', 'axis y').call(d3.axisLeft(y).ticks(3).tickFormat(shortNumber));
      sg.append('g').attr('class', 'axis x minor').attr('transform', `translate(0,${STRIP_HEIGHT})`).call(minutesAxis(x, 12).tickFormat(() => '').tickSizeOuter(0));
      appendText(sg, 'text', `${strip.title} (${strip.unit})`, 'strip-title').attr('x', 0).attr('y', -8);
      const line = (s: Series) =>
        d3
          .line<number>()
          .x((r) => x(m.timeS[r]))
          .y((r) => y(valueOf(s, r)))(d3.range(m.rows));
      sg.selectAll('path.area')
        .data(strip.series.filter((x) => x.area))
        .join('path')
        .attr('class', (s) => `area area-${s.column}`)
        .attr('fill', (s) => s.color)
        .attr('fill-opacity', 0.45)
        .attr(
          'd',
          (s) =>
            d3
              .area<number>()
              .x((r) => x(m.timeS[r]))
              .y0(STRIP_HEIGHT)
              .y1((r) => y(valueOf(s, r)))(d3.range(m.rows)) ?? '',
        );
      sg.selectAll('path.series')
        .data(strip.series.filter((x) => !x.area))
        .join('path')
        .attr('class', (s) => `series series-${s.column}`)
        .attr('fill', 'none')
        .attr('stroke', (s) => s.color)
        .attr('stroke-width', 1.6)
        .attr('d', (s) => line(s) ?? '');
      // Inline legend: swatch, label, value under the pointer.
      const legend = sg.append('g').attr('class', 'legend').attr('transform', `translate(${Math.min(innerW - 10, 260)},-8)`);
      let lx = 0;
      const items = legend
        .selectAll('g.item')
        .data(strip.series)
        .join('g')
        .attr('class', 'item');
      items
        .append('rect')
        .attr('width', 12)
        .attr('height', (s) => (s.area ? 9 : 3))
        .attr('y', (s) => (s.area ? -8 : -4))
        .attr('fill', (s) => s.color)
        .attr('fill-opacity', (s) => (s.area ? 0.45 : 1));
      const texts = items
        .append('text')
        .attr('x', 16)
        .attr('y', 0)
        .text((s) => s.label);
      items.attr('transform', function () {
        const w = (this as SVGGElement).getBBox().width;
        const at = lx;
        lx += w + 90;
        return `translate(${at},0)`;
      });
      legendValues.push({ strip, texts });
    });

    const axisY = strips.length * (STRIP_HEIGHT + STRIP_GAP) - STRIP_GAP;
    g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${axisY})`).call(minutesAxis(x, 12));
    axisLabel(g, 'simulated time (min)', 'x', { width: innerW, height: axisY, margin: MARGIN });

    const rule = g.append('line').attr('class', 'hover-rule').attr('y1', -6).attr('y2', axisY).attr('visibility', 'hidden');
    const bisect = d3.bisector((r: number) => m.timeS[r]).center;
    const rows = d3.range(m.rows);

    const brush = d3
      .brushX<unknown>()
      .extent([
        [0, -6],
        [innerW, axisY],
      ])
      .on('brush end', (event: d3.D3BrushEvent<unknown>) => {
        if (!event.sourceEvent) return;
        const sel = event.selection as [number, number] | null;
        const w = sel ? ([x.invert(sel[0]) * 1000, x.invert(sel[1]) * 1000] as const) : null;
        readout.text(fmtWindow(w));
        const t0 = performance.now();
        ctx.state.setWindow(w && w[1] - w[0] > 0 ? w : null, timeline);
        ctx.perf.brushHandlerMs.push(performance.now() - t0);
      });
    brushG = g.append('g').attr('class', 'brush').call(brush) as unknown as d3.Selection<SVGGElement, unknown, null, undefined>;
    moveBrush = (w) => {
      readout.text(fmtWindow(w));
      brushG?.call(brush.move, w ? [x(w[0] / 1000), x(w[1] / 1000)] : null);
    };
    if (ctx.state.window) moveBrush(ctx.state.window);

    svg
      .on('mousemove', (event: MouseEvent) => {
        const [px] = d3.pointer(event, g.node());
        if (px < 0 || px > innerW || m.rows === 0) return rule.attr('visibility', 'hidden');
        const r = rows[bisect(rows, x.invert(px))];
        rule.attr('visibility', 'visible').attr('x1', x(m.timeS[r])).attr('x2', x(m.timeS[r]));
        for (const { texts } of legendValues) texts.text((s) => `${s.label}: ${shortNumber(valueOf(s, r))}`);
        readout.text(`${fmtWindow(ctx.state.window)}  ·  pointer ${fmtClock(m.timeS[r] * 1000, true)}`);
      })
      .on('mouseleave', () => {
        rule.attr('visibility', 'hidden');
        for (const { texts } of legendValues) texts.text((s) => s.label);
        readout.text(fmtWindow(ctx.state.window));
      });
  }

  const timeline = {};
  draw();
  ctx.state.on('window', 'timeline', (source) => {
    if (source !== timeline) moveBrush(ctx.state.window);
  });
  return { brushNode: () => brushG?.node() ?? null };
}
