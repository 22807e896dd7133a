/**
 * Traffic in the window: messages per message type (sent, and dropped after sending), and the
 * busiest links (host pairs, both directions), aggregated from the trace's packet events.
 * Filters: message type, transport, host (name or id). Click a bar to filter by its type or
 * to choose a link's host.
 */

import * as d3 from 'd3';
import { fmtBytes, fmtClock, fmtCount } from '../data/format.js';
import { TCP, UDP, type TraceStore } from '../data/trace.js';
import { TrafficAggregator, type LinkCount, type TrafficWindow } from '../data/traffic.js';
import { CATEGORY_COLORS, DROP_COLOR, messageCategory, messageColor } from '../ui/colors.js';
import { shortNumber } from '../ui/chart.js';
import { fillSelect, makePanel, makeSelect } from '../ui/panel.js';
import { appendText, clip } from '../ui/text.js';
import { hideTooltip, showTooltip } from '../ui/tooltip.js';
import type { Ctx } from './context.js';

export interface TrafficView {
  update(): void;
  /** Fills the type menu and the host names once the whole trace is in. */
  refreshTypes(): void;
  /** The last aggregate drawn (tests compare it with the bars). */
  readonly last: () => TrafficWindow | null;
}

const BAR_H = 17;
const TOP_LINKS = 15;

export function trafficView(parent: HTMLElement, ctx: Ctx, store: TraceStore, sampledNote: string): TrafficView {
  const panel = makePanel(parent, 'traffic', 'Traffic', `Messages sent in the window, from the trace's send and drop events (TCP ACKs of data segments are not traced).${sampledNote}`);
  const agg = new TrafficAggregator(store);
  const typeSelect = makeSelect(panel.controls, 'type', [['', 'all']], (v) => ctx.state.setFilter({ msg: v }, view), 'ctl-msg');
  makeSelect(panel.controls, 'transport', [['', 'all'], ['udp', 'UDP'], ['tcp', 'TCP']], (v) => ctx.state.setFilter({ proto: v as '' | 'udp' | 'tcp' }, view), 'ctl-proto');
  const hostWrap = panel.controls.append('label').attr('class', 'ctl ctl-host');
  appendText(hostWrap, 'span', 'host');
  const hostInput = hostWrap.append('input').attr('type', 'text').attr('list', 'host-names').attr('placeholder', 'name or id').attr('size', 14);
  hostInput.on('change', function () {
    const v = (this as HTMLInputElement).value.trim();
    ctx.state.setFilter({ host: v === '' ? -1 : resolveHost(store, v) }, view);
  });

  const totals = appendText(panel.body, 'p', '', 'totals');
  const charts = panel.body.append('div').attr('class', 'traffic-charts');
  const width = Math.max(300, Math.floor(((panel.body.node()?.clientWidth ?? 900) - 24) / 2));
  const drawTypes = typesChart(charts.append('div').attr('class', 'traffic-types'), width, (type) => ctx.state.setFilter({ msg: ctx.state.filter.msg === type ? '' : type }, view));
  const drawLinks = linksChart(charts.append('div').attr('class', 'traffic-links'), width, (host) => ctx.state.setHost(host, -1, view));
  let last: TrafficWindow | null = null;

  const view: TrafficView = {
    refreshTypes: () => {},
    last: () => last,
    update() {
      const f = ctx.state.filter;
      const [t0, t1] = ctx.state.span();
      const w = agg.window(t0, ctx.state.window ? t1 : Infinity, { msg: f.msg === '' ? -1 : store.msgId(f.msg), proto: f.proto === 'udp' ? UDP : f.proto === 'tcp' ? TCP : -1, host: f.host });
      last = w;
      const hostText = f.host >= 0 ? ` · host ${store.nameOf(f.host)}` : '';
      totals.text(
        `${fmtClock(t0, true)} – ${fmtClock(t1, true)}${f.msg ? ` · ${f.msg}` : ''}${f.proto ? ` · ${f.proto.toUpperCase()}` : ''}${hostText}: ` +
          `${fmtCount(w.totalSent)} messages, ${fmtBytes(w.totalBytes)}, ${fmtCount(w.totalDropped)} dropped, ${fmtCount(w.links)} links`,
      );
      drawTypes(w, store);
      drawLinks(w, store);
    },
  };

  const refreshTypes = () => {
    const types = store.msgTypes.map((t, i) => [t, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    fillSelect(typeSelect, [['', 'all'], ...types.map(([t]) => [t, t] as const)]);
    typeSelect.property('value', ctx.state.filter.msg);
    const names = d3.select('body').selectAll<HTMLDataListElement, unknown>('datalist#host-names').data([0]).join('datalist').attr('id', 'host-names');
    names
      .selectAll('option')
      .data(store.model().hosts.filter((h) => h.nameKnown || h.role !== 'host'))
      .join('option')
      .attr('value', (h) => h.name);
  };
  ctx.state.on('window', 'traffic', () => view.update());
  ctx.state.on('filter', 'traffic', (source) => {
    if (source !== view) {
      typeSelect.property('value', ctx.state.filter.msg);
      hostInput.property('value', ctx.state.filter.host >= 0 ? store.nameOf(ctx.state.filter.host) : '');
    }
    view.update();
  });
  refreshTypes();
  view.update();
  view.refreshTypes = refreshTypes;
  return view;
}

/** A host by name, or by id written as a number. */
export function resolveHost(store: TraceStore, text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const h = store.model().hosts.find((x) => x.name === text);
  return h ? h.id : -2; // -2 matches nothing: an unknown name shows an empty window, not everything
}

type Box = d3.Selection<HTMLDivElement, unknown, null, undefined>;

interface BarChart<Row> {
  update(rows: readonly Row[], title?: string): void;
}

/**
 * A horizontal bar chart kept between updates: bars are joined by key, so a brush event
 * changes attributes instead of rebuilding the SVG.
 */
function barChart<Row>(
  box: Box,
  width: number,
  options: {
    readonly title: string;
    readonly className: string;
    readonly left: number;
    readonly right: number;
    readonly xLabel: string;
    readonly empty: string;
    readonly key: (r: Row) => string | number;
    readonly yLabel: (r: Row) => string;
    /** Segments from 0: [value, colour, class]; the bar's length is their sum. */
    readonly segments: (r: Row) => readonly (readonly [number, string, string])[];
    readonly valueText: (r: Row) => string;
    readonly attrs: (r: Row) => Record<string, string | number>;
    readonly onClick: (r: Row) => void;
    readonly tooltip: (r: Row) => string[];
  },
): BarChart<Row> {
  const title = appendText(box, 'h3', options.title);
  const empty = appendText(box, 'p', options.empty, 'empty');
  const margin = { top: 4, right: options.right, bottom: 34, left: options.left };
  const svg = box.append('svg').attr('class', `chart ${options.className}`).attr('width', width);
  const g = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`);
  const grid = g.append('g').attr('class', 'grid');
  const bars = g.append('g').attr('class', 'bars');
  const yAxis = g.append('g').attr('class', 'axis y');
  const xAxis = g.append('g').attr('class', 'axis x');
  const xLabel = g.append('text').attr('class', 'axis-label').attr('text-anchor', 'end').text(options.xLabel);
  const innerW = width - margin.left - margin.right;
  return {
    update(rows, newTitle) {
      if (newTitle !== undefined) title.text(newTitle);
      empty.style('display', rows.length === 0 ? 'block' : 'none');
      svg.style('display', rows.length === 0 ? 'none' : 'block');
      if (rows.length === 0) return;
      const h = rows.length * BAR_H;
      svg.attr('height', h + margin.top + margin.bottom);
      const total = (r: Row) => options.segments(r).reduce((a, [v]) => a + v, 0);
      const x = d3
        .scaleLinear()
        .domain([0, d3.max(rows, total) || 1])
        .nice()
        .range([0, innerW]);
      const y = d3
        .scaleBand<string | number>()
        .domain(rows.map(options.key))
        .range([0, h])
        .padding(0.18);
      grid.attr('transform', `translate(0,${h})`).call(d3.axisBottom(x).ticks(5).tickSize(-h).tickFormat(() => ''));
      const bar = bars
        .selectAll<SVGGElement, Row>('g.bar-row')
        .data(rows, (r) => options.key(r))
        .join((enter) => {
          const e = enter.append('g').attr('class', `bar-row ${options.className}-row`);
          e.append('text').attr('class', 'bar-value').attr('dy', '0.35em');
          return e;
        })
        .attr('transform', (r) => `translate(0,${y(options.key(r))})`)
        .on('click', (_e, r) => options.onClick(r))
        .on('mousemove', (event: MouseEvent, r) => showTooltip(event, options.tooltip(r)))
        .on('mouseleave', hideTooltip);
      bar.each(function (r) {
        const el = d3.select(this);
        for (const [k, v] of Object.entries(options.attrs(r))) el.attr(k, v);
        let at = 0;
        el.selectAll<SVGRectElement, readonly [number, string, string]>('rect')
          .data(options.segments(r))
          .join('rect')
          .attr('class', (d) => d[2])
          .attr('x', (d) => {
            const x0 = x(at);
            at += d[0];
            return x0;
          })
          .attr('width', (d) => Math.max(0, x(d[0]) - x(0)))
          .attr('height', y.bandwidth())
          .attr('fill', (d) => d[1]);
        el.select('text.bar-value')
          .raise()
          .attr('x', x(total(r)) + 4)
          .attr('y', y.bandwidth() / 2)
          .text(options.valueText(r));
      });
      yAxis.call(
        d3
          .axisLeft(y)
          .tickSize(0)
          .tickPadding(6)
          .tickFormat((k) => {
            const r = rows.find((row) => options.key(row) === k);
            return r ? options.yLabel(r) : '';
          }),
      );
      xAxis.attr('transform', `translate(0,${h})`).call(d3.axisBottom(x).ticks(5).tickFormat(shortNumber));
      xLabel.attr('x', innerW).attr('y', h + margin.bottom - 6);
    },
  };
}

interface TypeRow {
  readonly type: string;
  readonly sent: number;
  readonly dropped: number;
  readonly bytes: number;
}

function typesChart(box: Box, width: number, onPick: (type: string) => void): (w: TrafficWindow, store: TraceStore) => void {
  const chart = barChart<TypeRow>(box, width, {
    title: 'Messages per type',
    className: 'traffic-types-chart',
    left: 132,
    right: 84,
    xLabel: 'messages in window (red: dropped)',
    empty: 'No messages in this window.',
    key: (r) => r.type,
    yLabel: (r) => clip(r.type, 22),
    segments: (r) => [
      [r.sent, messageColor(r.type), 'sent'],
      [r.dropped, DROP_COLOR, 'dropped'],
    ],
    valueText: (r) => (r.dropped > 0 ? `${fmtCount(r.sent)} (+${fmtCount(r.dropped)})` : fmtCount(r.sent)),
    attrs: (r) => ({ class: 'bar-row type-bar', 'data-type': r.type, 'data-sent': r.sent, 'data-dropped': r.dropped }),
    onClick: (r) => onPick(r.type),
    tooltip: (r) => [r.type, messageCategory(r.type), `${fmtCount(r.sent)} sent, ${fmtBytes(r.bytes)}`, `${fmtCount(r.dropped)} dropped`, 'click: filter by this type (again: all types)'],
  });
  const legend = box.append('div').attr('class', 'legend-row small');
  let shown = '';
  return (w, store) => {
    const rows = store.msgTypes
      .map((type, id) => ({ type, sent: w.sent[id], dropped: w.dropped[id], bytes: w.sentBytes[id] }))
      .filter((r) => r.sent + r.dropped > 0)
      .sort((a, b) => b.sent + b.dropped - (a.sent + a.dropped) || (a.type < b.type ? -1 : 1));
    chart.update(rows);
    const categories = Object.keys(CATEGORY_COLORS).filter((c) => rows.some((r) => messageCategory(r.type) === c));
    if (categories.join() === shown) return;
    shown = categories.join();
    legend.selectAll('*').remove();
    for (const [label, color] of [...categories.map((c) => [c, CATEGORY_COLORS[c]] as const), ['dropped', DROP_COLOR] as const]) {
      const it = legend.append('span').attr('class', 'legend-item');
      it.append('span').attr('class', 'swatch').style('background', color);
      appendText(it, 'span', label);
    }
  };
}

function linksChart(box: Box, width: number, onPick: (host: number) => void): (w: TrafficWindow, store: TraceStore) => void {
  let store: TraceStore | null = null;
  const name = (h: number) => store?.nameOf(h) ?? String(h);
  const chart = barChart<LinkCount>(box, width, {
    title: 'Busiest links',
    className: 'traffic-links-chart',
    left: 200,
    right: 58,
    xLabel: 'messages in window, both directions',
    empty: 'No links in this window.',
    key: (r) => r.link,
    yLabel: (r) => `${clip(name(r.a), 16)} ↔ ${clip(name(r.b), 16)}`,
    segments: (r) => [[r.messages, '#5b7fa6', 'messages']],
    valueText: (r) => fmtCount(r.messages),
    attrs: (r) => ({ class: 'bar-row link-bar', 'data-messages': r.messages, 'data-a': r.a, 'data-b': r.b }),
    onClick: (r) => onPick(r.b),
    tooltip: (r) => [`${name(r.a)} ↔ ${name(r.b)}`, `host ids ${r.a} and ${r.b}`, `${fmtCount(r.messages)} messages, ${fmtBytes(r.bytes)}`, `click: details of ${name(r.b)}`],
  });
  return (w, s) => {
    store = s;
    chart.update(w.topLinks, `Busiest links (top ${Math.min(TOP_LINKS, w.topLinks.length)} of ${fmtCount(w.links)})`);
  };
}
