/**
 * Traffic in the window: messages per message type (sent, and dropped after sending), and the
 * busiest links (host pairs, both directions), aggregated from the trace's packet events.
 * Filters: message type, transport, host (name or id). Click a bar to filter by its type or
 * to choose a link's host.
 */

import * as d3 from 'd3';
import { fmtBytes, fmtClock, fmtCount } from '../data/format.js';
import { TCP, UDP, type TraceStore } from '../data/trace.js';
import { TrafficAggregator, type TrafficWindow } from '../data/traffic.js';
import { CATEGORY_COLORS, DROP_COLOR, messageCategory, messageColor } from '../ui/colors.js';
import { axisLabel, makeFrame, shortNumber } from '../ui/chart.js';
import { fillSelect, makePanel, makeSelect } from '../ui/panel.js';
import { appendText, clip } from '../ui/text.js';
import { hideTooltip, showTooltip } from '../ui/tooltip.js';
import type { Ctx } from './context.js';

export interface TrafficView {
  update(): void;
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
  const typeBox = charts.append('div').attr('class', 'traffic-types');
  const linkBox = charts.append('div').attr('class', 'traffic-links');
  const width = Math.max(300, Math.floor(((panel.body.node()?.clientWidth ?? 900) - 24) / 2));
  let last: TrafficWindow | null = null;

  const view: TrafficView = {
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
      drawTypes(typeBox, w, store, width, (type) => ctx.state.setFilter({ msg: ctx.state.filter.msg === type ? '' : type }, view));
      drawLinks(linkBox, w, store, width, (host) => ctx.state.setHost(host, -1, view));
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
  ctx.state.on('window', () => view.update());
  ctx.state.on('filter', (source) => {
    if (source !== view) {
      typeSelect.property('value', ctx.state.filter.msg);
      hostInput.property('value', ctx.state.filter.host >= 0 ? store.nameOf(ctx.state.filter.host) : '');
    }
    view.update();
  });
  refreshTypes();
  view.update();
  return Object.assign(view, { refreshTypes });
}

/** A host by name, or by id written as a number. */
export function resolveHost(store: TraceStore, text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const h = store.model().hosts.find((x) => x.name === text);
  return h ? h.id : -2; // -2 matches nothing: an unknown name shows an empty window, not everything
}

function drawTypes(box: d3.Selection<HTMLDivElement, unknown, null, undefined>, w: TrafficWindow, store: TraceStore, width: number, onPick: (type: string) => void): void {
  const rows = store.msgTypes
    .map((type, id) => ({ type, sent: w.sent[id], dropped: w.dropped[id], bytes: w.sentBytes[id] }))
    .filter((r) => r.sent + r.dropped > 0)
    .sort((a, b) => b.sent + b.dropped - (a.sent + a.dropped) || (a.type < b.type ? -1 : 1));
  box.selectAll('*').remove();
  appendText(box, 'h3', 'Messages per type');
  if (rows.length === 0) {
    appendText(box, 'p', 'No messages in this window.', 'empty');
    return;
  }
  const margin = { top: 4, right: 70, bottom: 34, left: 112 };
  const frame = makeFrame(box, width, margin.top + margin.bottom + rows.length * BAR_H, margin, 'chart traffic-types-chart');
  const x = d3
    .scaleLinear()
    .domain([0, d3.max(rows, (r) => r.sent + r.dropped) ?? 1])
    .nice()
    .range([0, frame.width]);
  const y = d3
    .scaleBand()
    .domain(rows.map((r) => r.type))
    .range([0, rows.length * BAR_H])
    .padding(0.18);
  frame.g.append('g').attr('class', 'grid').attr('transform', `translate(0,${rows.length * BAR_H})`).call(d3.axisBottom(x).ticks(5).tickSize(-rows.length * BAR_H).tickFormat(() => ''));
  const bar = frame.g
    .selectAll('g.type-bar')
    .data(rows)
    .join('g')
    .attr('class', 'type-bar')
    .attr('data-type', (r) => r.type)
    .attr('data-sent', (r) => r.sent)
    .attr('transform', (r) => `translate(0,${y(r.type)})`)
    .on('click', (_e, r) => onPick(r.type))
    .on('mousemove', (event: MouseEvent, r) => showTooltip(event, [r.type, `${messageCategory(r.type)}`, `${fmtCount(r.sent)} sent, ${fmtBytes(r.bytes)}`, `${fmtCount(r.dropped)} dropped`, 'click: filter by this type']))
    .on('mouseleave', hideTooltip);
  bar
    .append('rect')
    .attr('class', 'sent')
    .attr('height', y.bandwidth())
    .attr('width', (r) => x(r.sent))
    .attr('fill', (r) => messageColor(r.type));
  bar
    .append('rect')
    .attr('class', 'dropped')
    .attr('x', (r) => x(r.sent))
    .attr('height', y.bandwidth())
    .attr('width', (r) => x(r.sent + r.dropped) - x(r.sent))
    .attr('fill', DROP_COLOR);
  bar
    .append('text')
    .attr('class', 'bar-value')
    .attr('x', (r) => x(r.sent + r.dropped) + 4)
    .attr('y', y.bandwidth() / 2)
    .attr('dy', '0.35em')
    .text((r) => (r.dropped > 0 ? `${fmtCount(r.sent)} (+${fmtCount(r.dropped)})` : fmtCount(r.sent)));
  frame.g.append('g').attr('class', 'axis y').call(d3.axisLeft(y).tickSize(0).tickPadding(6));
  frame.g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${rows.length * BAR_H})`).call(d3.axisBottom(x).ticks(5).tickFormat(shortNumber));
  axisLabel(frame.g, 'messages in window (red: dropped)', 'x', frame);
  const legend = box.append('div').attr('class', 'legend-row small');
  for (const [cat, color] of Object.entries(CATEGORY_COLORS)) {
    if (!rows.some((r) => messageCategory(r.type) === cat)) continue;
    const it = legend.append('span').attr('class', 'legend-item');
    it.append('span').attr('class', 'swatch').style('background', color);
    appendText(it, 'span', cat);
  }
  const it = legend.append('span').attr('class', 'legend-item');
  it.append('span').attr('class', 'swatch').style('background', DROP_COLOR);
  appendText(it, 'span', 'dropped');
}

function drawLinks(box: d3.Selection<HTMLDivElement, unknown, null, undefined>, w: TrafficWindow, store: TraceStore, width: number, onPick: (host: number) => void): void {
  box.selectAll('*').remove();
  appendText(box, 'h3', `Busiest links (top ${TOP_LINKS} of ${fmtCount(w.links)})`);
  const rows = w.topLinks;
  if (rows.length === 0) {
    appendText(box, 'p', 'No links in this window.', 'empty');
    return;
  }
  const label = (a: number, b: number) => `${clip(store.nameOf(a), 16)} ↔ ${clip(store.nameOf(b), 16)}`;
  const margin = { top: 4, right: 58, bottom: 34, left: 196 };
  const frame = makeFrame(box, width, margin.top + margin.bottom + rows.length * BAR_H, margin, 'chart traffic-links-chart');
  const x = d3
    .scaleLinear()
    .domain([0, rows[0].messages])
    .nice()
    .range([0, frame.width]);
  const y = d3
    .scaleBand<number>()
    .domain(rows.map((r) => r.link))
    .range([0, rows.length * BAR_H])
    .padding(0.18);
  frame.g.append('g').attr('class', 'grid').attr('transform', `translate(0,${rows.length * BAR_H})`).call(d3.axisBottom(x).ticks(5).tickSize(-rows.length * BAR_H).tickFormat(() => ''));
  const bar = frame.g
    .selectAll('g.link-bar')
    .data(rows)
    .join('g')
    .attr('class', 'link-bar')
    .attr('data-messages', (r) => r.messages)
    .attr('transform', (r) => `translate(0,${y(r.link)})`)
    .on('click', (_e, r) => onPick(r.b))
    .on('mousemove', (event: MouseEvent, r) => showTooltip(event, [`${store.nameOf(r.a)} ↔ ${store.nameOf(r.b)}`, `host ids ${r.a} and ${r.b}`, `${fmtCount(r.messages)} messages, ${fmtBytes(r.bytes)}`, `click: details of ${store.nameOf(r.b)}`]))
    .on('mouseleave', hideTooltip);
  bar.append('rect').attr('height', y.bandwidth()).attr('width', (r) => x(r.messages)).attr('fill', '#5b7fa6');
  bar
    .append('text')
    .attr('class', 'bar-value')
    .attr('x', (r) => x(r.messages) + 4)
    .attr('y', y.bandwidth() / 2)
    .attr('dy', '0.35em')
    .text((r) => fmtCount(r.messages));
  frame.g
    .append('g')
    .attr('class', 'axis y')
    .call(
      d3
        .axisLeft(y)
        .tickSize(0)
        .tickPadding(6)
        .tickFormat((l) => label(store.linkA[l], store.linkB[l])),
    );
  frame.g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${rows.length * BAR_H})`).call(d3.axisBottom(x).ticks(5).tickFormat(shortNumber));
  axisLabel(frame.g, 'messages in window, both directions', 'x', frame);
}
