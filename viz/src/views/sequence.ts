/**
 * Sequence (ladder) diagram of one login of one host, drawn from the trace like the
 * message-flow figures of Baset & Schulzrinne's report: a lane per party (the host, its NAT,
 * each SN and the LS it talked to), an arrow per message from the moment it was sent to the
 * moment it arrived (or a cross where it was dropped, with the reason), the host's TCP events,
 * NAT mappings, and its own protocol events - the login attempts numbered in order, so the
 * fall-backs (UDP probe, TCP to the SN's port, 80, 443, next SN) read top to bottom.
 *
 * Time runs down. Rows keep their order; the space between rows grows with the time between
 * them but is capped, and a long wait (a probe timeout) is marked with its length.
 */

import * as d3 from 'd3';
import { detailText, fmtClock, fmtDuration } from '../data/format.js';
import { DELIVER, DROP, PROTOS, SEND, type Login, type TraceStore } from '../data/trace.js';
import { DROP_COLOR, messageColor, ROLE_COLORS } from '../ui/colors.js';
import { fillSelect, makePanel, makeSelect } from '../ui/panel.js';
import { appendText, clip } from '../ui/text.js';
import { hideTooltip, showTooltip } from '../ui/tooltip.js';
import { resolveHost } from './traffic.js';
import type { Ctx } from './context.js';

const MAX_ITEMS = 500;
const ROW = 15;
const GUTTER = 300;
const LANE_MIN = 150;
const LONG_WAIT_MS = 1500;
/** Time after the login's end still drawn (the last reply's arrival). */
const TAIL_MS = 1;

type Item =
  | { kind: 'packet'; t: number; row: number; ev: number }
  | { kind: 'tcp'; t: number; text: string; refused: boolean }
  | { kind: 'nat'; t: number; text: string }
  | { kind: 'node'; t: number; event: string; text: string; step: number };

interface Placed {
  readonly item: Item;
  readonly y: number;
}

export interface SequenceView {
  show(host: number, login: number): void;
}

export function stepLabel(transport: string, port: number, snPort: number): string {
  if (transport === 'udp') return 'UDP probe';
  if (port === 80 || port === 443) return `TCP ${port}`;
  return port === snPort ? `TCP SN port ${port}` : `TCP ${port}`;
}

export function sequenceView(parent: HTMLElement, ctx: Ctx, store: TraceStore): SequenceView {
  const model = store.model();
  const panel = makePanel(parent, 'sequence', 'Login sequence', 'One login of one host, message by message from the trace. Time runs down; arrows go from sending to arrival; a red cross is a drop (reason beside it). Numbered notes are the attempts of the login ladder.');
  const hostWrap = panel.controls.append('label').attr('class', 'ctl ctl-seq-host');
  appendText(hostWrap, 'span', 'host');
  const hostInput = hostWrap.append('input').attr('type', 'text').attr('list', 'host-names').attr('size', 16);
  hostInput.on('change', function () {
    const h = resolveHost(store, (this as HTMLInputElement).value.trim());
    if (h >= 0) ctx.state.setHost(h, -1, view);
  });
  const loginSelect = makeSelect(panel.controls, 'login', [], (v) => ctx.state.setLogin(Number(v), view), 'ctl-login');
  const ladder = panel.body.append('div').attr('class', 'ladder-steps');
  const scroller = panel.body.append('div').attr('class', 'sequence-scroll');
  const width = Math.max(700, (panel.body.node()?.clientWidth ?? 1000) - 4);

  const view: SequenceView = {
    show(host, loginIndex) {
      const logins = model.loginsByHost.get(host) ?? [];
      hostInput.property('value', host >= 0 ? store.nameOf(host) : '');
      fillSelect(
        loginSelect,
        logins.map((l, i) => [String(i), `#${i + 1} at ${fmtClock(l.start, true)}: ${l.outcome}${l.loginMs !== undefined ? ` in ${fmtDuration(l.loginMs)}` : ''}, ${l.steps.length} attempt${l.steps.length === 1 ? '' : 's'} (${l.trigger})`] as const),
      );
      ladder.selectAll('*').remove();
      scroller.selectAll('*').remove();
      if (logins.length === 0) {
        appendText(scroller, 'p', host >= 0 ? `${store.nameOf(host)} has no login in the trace.` : 'Choose a host (click one in the overlay, or type a name).', 'empty');
        return;
      }
      const index = loginIndex >= 0 && loginIndex < logins.length ? loginIndex : defaultLogin(logins, ctx.state.window);
      loginSelect.property('value', String(index));
      draw(logins[index]);
    },
  };

  function draw(login: Login): void {
    const host = login.host;
    const t0 = login.start;
    const t1 = (login.end ?? Math.min(store.endMs, login.start + 120_000)) + TAIL_MS;
    const snPort = portOf(login.steps[0]?.entry ?? '') ?? 33033;

    // Items in time order: packets of this host, its TCP events, NAT mappings, node events.
    const items: Item[] = [];
    const end = store.rowAt(t1);
    for (let r = store.rowAt(t0); r < end && items.length < MAX_ITEMS * 2; r++) {
      if (store.from[r] === host || store.to[r] === host) items.push({ kind: 'packet', t: store.t[r], row: r, ev: store.kind[r] });
    }
    for (const e of store.tcpEvents) {
      if (e.t < t0) continue;
      if (e.t > t1) break;
      if (e.host === host) items.push({ kind: 'tcp', t: e.t, text: `${e.ev} ${e.remote}${e.reason ? ` (${e.reason})` : ''}`, refused: e.ev === 'tcp-refuse' || e.ev === 'tcp-timeout' });
    }
    for (const n of model.natEventsByHost.get(host) ?? []) {
      if (n.t >= t0 && n.t <= t1) items.push({ kind: 'nat', t: n.t, text: `${n.ev === 'nat-map' ? 'map' : 'expire'} ${n.proto} ${n.int} → ${n.ext}  (remote ${n.rem})` });
    }
    let step = 0;
    for (const e of model.nodeEventsByHost.get(host) ?? []) {
      if (e.t < t0 || e.t > t1) continue;
      if (e.event === 'loginStep') {
        step++;
        const sn = store.hostAt(String(e.detail.entry ?? ''));
        items.push({ kind: 'node', t: e.t, event: e.event, step, text: `${stepLabel(String(e.detail.transport), Number(e.detail.port), snPort)} → ${sn >= 0 ? store.nameOf(sn) : String(e.detail.entry)}` });
      } else {
        items.push({ kind: 'node', t: e.t, event: e.event, step: 0, text: `${e.event}${Object.keys(e.detail).length ? `: ${detailText(e.detail)}` : ''}` });
      }
    }
    items.sort((a, b) => a.t - b.t);
    const truncated = Math.max(0, items.length - MAX_ITEMS);
    items.length = Math.min(items.length, MAX_ITEMS);

    // Lanes: the host, its NAT (if it has mappings), then peers by first contact, the LS last.
    const peers: number[] = [];
    for (const it of items) {
      if (it.kind !== 'packet') continue;
      const other = store.from[it.row] === host ? (store.to[it.row] >= 0 ? store.to[it.row] : (store.intendedTo.get(it.row) ?? -1)) : store.from[it.row];
      if (other >= 0 && !peers.includes(other)) peers.push(other);
    }
    const role = (h: number) => model.hostById.get(h)?.role ?? 'host';
    peers.sort((a, b) => Number(role(a) === 'loginServer') - Number(role(b) === 'loginServer'));
    const hasNat = items.some((i) => i.kind === 'nat');
    const lanes: { key: string; host: number; title: string; sub: string; color: string }[] = [
      { key: 'host', host, title: store.nameOf(host), sub: `host ${host} · ${model.hostById.get(host)?.natClass ?? ''}`, color: '#333' },
      ...(hasNat ? [{ key: 'nat', host: -1, title: 'its NAT', sub: model.hostById.get(host)?.address ?? '', color: '#999' }] : []),
      ...peers.map((p) => ({
        key: `peer-${p}`,
        host: p,
        title: store.nameOf(p),
        sub: `${role(p) === 'loginServer' ? 'login server' : role(p) === 'host' ? 'host' : 'super node'} · ${model.hostById.get(p)?.address ?? ''}`,
        color: role(p) === 'loginServer' ? ROLE_COLORS.loginServer : role(p) === 'host' ? '#666' : ROLE_COLORS.bootstrapSupernode,
      })),
    ];
    const laneW = Math.max(LANE_MIN, (width - GUTTER - 130) / Math.max(1, lanes.length - 1));
    const svgW = Math.max(width, GUTTER + laneW * (lanes.length - 1) + 130);
    const laneX = new Map(lanes.map((l, i) => [l.key, GUTTER + i * laneW]));
    const xOf = (h: number): number => (h === host ? laneX.get('host')! : (laneX.get(`peer-${h}`) ?? laneX.get('host')! + 60));

    // Rows: one per item; extra space for time passing, capped; long waits marked.
    const placed: Placed[] = [];
    const breaks: { y: number; ms: number }[] = [];
    let y = 58;
    let prevT = t0;
    for (const it of items) {
      const dt = it.t - prevT;
      if (placed.length > 0) y += ROW + Math.min(26, dt > 0 ? 6 * Math.log10(1 + dt) : 0);
      if (dt >= LONG_WAIT_MS) {
        breaks.push({ y: y - 8, ms: dt });
        y += 14;
      }
      placed.push({ item: it, y });
      prevT = it.t;
    }
    const height = y + 40;

    // The ladder, step by step, above the diagram.
    appendText(ladder, 'span', `${store.nameOf(host)} login #${login.index + 1}, ${login.trigger}: `, 'ladder-head');
    // Each attempt's own events: from its note to the next attempt's (file order breaks ties in time).
    const stepAt = items.flatMap((it, i) => (it.kind === 'node' && it.step > 0 ? [i] : []));
    login.steps.forEach((s, i) => {
      const sn = store.hostAt(s.entry);
      const own = stepAt[i] === undefined ? [] : items.slice(stepAt[i], stepAt[i + 1] ?? items.length);
      const o = stepOutcome(store, own, host, s, i === login.steps.length - 1 && login.outcome === 'ok');
      const chip = appendText(ladder, 'span', `${i + 1} ${stepLabel(s.transport, s.port, snPort)} → ${sn >= 0 ? store.nameOf(sn) : s.entry} +${fmtDuration(s.t - t0)} ${o.mark}`, `step-chip ${o.cls}`);
      chip.on('mousemove', (event: MouseEvent) => showTooltip(event, [`attempt ${i + 1}: ${stepLabel(s.transport, s.port, snPort)} to ${s.entry}`, `round ${s.round}, at +${fmtDuration(s.t - t0)}`, o.why])).on('mouseleave', hideTooltip);
    });
    appendText(ladder, 'span', login.outcome === 'ok' ? `online after ${fmtDuration(login.loginMs ?? (login.end ?? t0) - t0)} (attached to ${login.superNodeHost >= 0 ? store.nameOf(login.superNodeHost) : login.superNode})` : `${login.outcome}${login.cause ? `: ${login.cause}` : ''}`, `ladder-outcome ${login.outcome}`);

    const svg = scroller.append('svg').attr('class', 'chart sequence').attr('width', svgW).attr('height', height).attr('viewBox', `0 0 ${svgW} ${height}`);
    const defs = svg.append('defs');
    for (const [id, color] of [
      ['arrow', '#555'],
      ['arrow-drop', DROP_COLOR],
    ] as const) {
      defs
        .append('marker')
        .attr('id', `seq-${id}`)
        .attr('viewBox', '0 0 10 10')
        .attr('refX', 9)
        .attr('refY', 5)
        .attr('markerWidth', 7)
        .attr('markerHeight', 7)
        .attr('orient', 'auto-start-reverse')
        .append('path')
        .attr('d', 'M0,0 L10,5 L0,10 z')
        .attr('fill', color);
    }

    const laneG = svg.append('g').attr('class', 'lanes');
    const laneSel = laneG
      .selectAll('g.lane')
      .data(lanes)
      .join('g')
      .attr('class', 'lane')
      .attr('transform', (l) => `translate(${laneX.get(l.key)},0)`);
    laneSel.append('line').attr('y1', 40).attr('y2', height - 10).attr('stroke', (l) => l.color).attr('stroke-dasharray', (l) => (l.key === 'nat' ? '3,3' : null));
    laneSel.append('text').attr('class', 'lane-title').attr('y', 16).attr('text-anchor', 'middle').text((l) => clip(l.title, 22));
    laneSel.append('text').attr('class', 'lane-sub').attr('y', 30).attr('text-anchor', 'middle').text((l) => clip(l.sub, 30));

    svg
      .append('g')
      .attr('class', 'breaks')
      .selectAll('g')
      .data(breaks)
      .join('g')
      .attr('transform', (b) => `translate(0,${b.y})`)
      .call((g) => {
        g.append('line').attr('x1', GUTTER - 20).attr('x2', svgW - 10).attr('class', 'break-line');
        g.append('text').attr('class', 'break-text').attr('x', GUTTER - 24).attr('dy', '0.35em').attr('text-anchor', 'end').text((b) => `… ${fmtDuration(b.ms)} later`);
      });

    // Time of each row, relative to the login's start.
    svg
      .append('g')
      .attr('class', 'row-times')
      .selectAll('text')
      .data(placed.filter((p) => !(p.item.kind === 'packet' && p.item.ev === DELIVER)))
      .join('text')
      .attr('x', 6)
      .attr('y', (p) => p.y)
      .attr('dy', '0.35em')
      .text((p) => `+${((p.item.t - t0) / 1000).toFixed(3)} s`);

    // Arrows: a send's row to its arrival's (or drop's) row; a drop without a send (a firewall
    // on the way out) is a short line ending in a cross.
    const rowY = new Map<number, number>();
    for (const p of placed) if (p.item.kind === 'packet') rowY.set(p.item.row, p.y);
    const pending = new Map<string, number[]>();
    const arrows: { send: number; end: number; dropped: boolean }[] = [];
    const keyOf = (r: number) => `${store.from[r]}>${store.to[r]}|${store.msg[r]}|${store.proto[r]}`;
    for (const p of placed) {
      if (p.item.kind !== 'packet') continue;
      const r = p.item.row;
      if (p.item.ev === SEND) {
        const k = keyOf(r);
        pending.set(k, [...(pending.get(k) ?? []), r]);
      } else {
        const queue = pending.get(keyOf(r));
        const send = queue?.shift();
        arrows.push({ send: send ?? -1, end: r, dropped: p.item.ev === DROP });
      }
    }
    for (const queue of pending.values()) for (const r of queue) arrows.push({ send: r, end: -1, dropped: false });

    const arrowG = svg.append('g').attr('class', 'arrows');
    const arrowSel = arrowG
      .selectAll('g.msg')
      .data(arrows)
      .join('g')
      .attr('class', (a) => `msg${a.dropped ? ' dropped' : ''}`)
      .attr('data-msg', (a) => store.msgTypes[store.msg[a.send >= 0 ? a.send : a.end]])
      .on('mousemove', (event: MouseEvent, a) => showTooltip(event, arrowTooltip(store, a, t0)))
      .on('mouseleave', hideTooltip);
    arrowSel.each(function (a) {
      const g = d3.select(this);
      const r = a.send >= 0 ? a.send : a.end;
      const from = store.from[r];
      const to = store.to[r] >= 0 ? store.to[r] : (store.intendedTo.get(r) ?? -1);
      const x1 = xOf(from);
      const y1 = rowY.get(a.send) ?? rowY.get(a.end) ?? 0;
      const type = store.msgTypes[store.msg[r]];
      const color = a.dropped ? DROP_COLOR : messageColor(type);
      let x2: number;
      let y2: number;
      if (a.end < 0) {
        // In flight when the login ended.
        x2 = to >= 0 ? xOf(to) : x1 + 50;
        y2 = y1 + 8;
      } else if (a.dropped) {
        // Where it was going, cut short where it was lost: past half way if it left the host.
        const full = to >= 0 ? xOf(to) : x1 + (x1 < svgW / 2 ? 160 : -160);
        x2 = x1 + (full - x1) * (a.send >= 0 ? 0.6 : 0.3);
        y2 = rowY.get(a.end) ?? y1;
      } else {
        x2 = xOf(to);
        y2 = rowY.get(a.end) ?? y1;
      }
      g.append('line')
        .attr('x1', x1)
        .attr('y1', y1)
        .attr('x2', x2)
        .attr('y2', y2)
        .attr('stroke', color)
        .attr('stroke-width', 1.4)
        .attr('stroke-dasharray', store.proto[r] === 0 ? '5,3' : null)
        .attr('marker-end', a.dropped ? null : `url(#seq-arrow)`);
      if (a.dropped) {
        g.append('path').attr('class', 'drop-x').attr('d', `M${x2 - 5},${y2 - 5}L${x2 + 5},${y2 + 5}M${x2 - 5},${y2 + 5}L${x2 + 5},${y2 - 5}`).attr('stroke', DROP_COLOR).attr('stroke-width', 2);
        g.append('text')
          .attr('class', 'drop-reason')
          .attr('x', x2 + (x2 >= x1 ? 8 : -8))
          .attr('y', y2)
          .attr('dy', '0.35em')
          .attr('text-anchor', x2 >= x1 ? 'start' : 'end')
          .text(store.reasons[store.reason[a.end]] ?? 'dropped');
      }
      const dir = x2 >= x1 ? 1 : -1;
      g.append('text')
        .attr('class', 'msg-label')
        .attr('x', x1 + dir * 8)
        .attr('y', y1 - 3)
        .attr('text-anchor', dir > 0 ? 'start' : 'end')
        .attr('fill', color)
        .text(`${type} · ${PROTOS[store.proto[r]]} ${store.bytes[r]} B${store.packets[r] > 1 ? ` ×${store.packets[r]}` : ''}${store.proto[r] === 1 || store.dstPort[r] === 80 || store.dstPort[r] === 443 ? ` :${store.dstPort[r]}` : ''}`);
    });

    // Notes: the host's own events in the gutter (attempts bold), TCP events beside its lane, NAT mappings on the NAT lane.
    const hostX = laneX.get('host')!;
    const natX = laneX.get('nat');
    const notes = svg
      .append('g')
      .attr('class', 'notes')
      .selectAll('g')
      .data(placed.filter((p) => p.item.kind !== 'packet'))
      .join('g')
      .attr('class', (p) => `note note-${p.item.kind}${p.item.kind === 'node' && p.item.step > 0 ? ' step' : ''}`)
      .attr('transform', (p) => `translate(0,${p.y})`);
    notes.each(function (p) {
      const g = d3.select(this);
      const it = p.item;
      if (it.kind === 'node') {
        g.append('circle').attr('cx', hostX).attr('r', it.step > 0 ? 4 : 2.5).attr('fill', it.step > 0 ? '#111' : '#888');
        g.append('text')
          .attr('x', hostX - 8)
          .attr('dy', '0.35em')
          .attr('text-anchor', 'end')
          .text(clip(it.step > 0 ? `${it.step}. ${it.text}` : it.text, 40))
          .on('mousemove', (event: MouseEvent) => showTooltip(event, [it.event, it.text, `at ${fmtClock(it.t)}`]))
          .on('mouseleave', hideTooltip);
      } else if (it.kind === 'tcp') {
        g.append('rect').attr('x', hostX - 3).attr('y', -3).attr('width', 6).attr('height', 6).attr('fill', it.refused ? DROP_COLOR : '#555');
        g.append('text').attr('class', 'tcp-note').attr('x', hostX + 8).attr('dy', '0.35em').text(clip(it.text, 40));
      } else if (it.kind === 'nat') {
        const x = natX ?? hostX;
        g.append('rect').attr('x', x - 4).attr('y', -4).attr('width', 8).attr('height', 8).attr('fill', '#999');
        g.append('text').attr('class', 'nat-note').attr('x', x + 9).attr('dy', '0.35em').text(clip(it.text, 60));
      }
    });
    if (truncated > 0) appendText(scroller, 'p', `${truncated} more events of this login are not drawn.`, 'note');
  }

  ctx.state.on('host', 'sequence', (source) => {
    if (source !== view) view.show(ctx.state.host, ctx.state.login);
    else view.show(ctx.state.host, ctx.state.login);
  });
  ctx.state.on('login', 'sequence', () => view.show(ctx.state.host, ctx.state.login));
  ctx.state.on('window', 'sequence', () => {
    // Follow the window: show the host's first login inside it, if the one shown is outside.
    const logins = model.loginsByHost.get(ctx.state.host) ?? [];
    const w = ctx.state.window;
    const cur = logins[ctx.state.login];
    if (!w || logins.length === 0 || (cur && cur.start >= w[0] && cur.start < w[1])) return;
    const inside = logins.findIndex((l) => l.start >= w[0] && l.start < w[1]);
    if (inside >= 0) ctx.state.setLogin(inside, view);
  });
  return view;
}

/** What became of one attempt, read from the trace up to the next attempt. */
function stepOutcome(store: TraceStore, during: readonly Item[], host: number, step: { transport: string }, succeeded: boolean): { mark: string; cls: string; why: string } {
  const node = during.filter((it): it is Extract<Item, { kind: 'node' }> => it.kind === 'node');
  const failed = node.find((it) => it.event === 'loginEntryFailed');
  const redirected = node.find((it) => it.event === 'loginRedirected');
  if (succeeded) return { mark: '✓', cls: 'ok', why: 'the login went on from here and succeeded' };
  if (redirected) return { mark: '↪', cls: 'redirected', why: `the SN sent the host on: ${redirected.text}` };
  if (step.transport === 'udp') {
    const replied = during.some((it) => it.kind === 'packet' && it.ev === DELIVER && store.to[it.row] === host && store.msgTypes[store.msg[it.row]] === 'probeReply');
    if (failed) return { mark: '✗', cls: 'failed', why: failed.text };
    return replied ? { mark: '✓ reply', cls: 'answered', why: 'probe answered; the host goes on to TCP (BS-9)' } : { mark: '✗ no reply', cls: 'failed', why: 'no probe reply before the timeout' };
  }
  const tcp = during.filter((it): it is Extract<Item, { kind: 'tcp' }> => it.kind === 'tcp');
  if (failed) return { mark: '✗', cls: 'failed', why: failed.text };
  if (tcp.some((it) => it.refused)) return { mark: '✗', cls: 'failed', why: tcp.filter((it) => it.refused).map((it) => it.text).join('; ') };
  if (tcp.some((it) => it.text.startsWith('tcp-connect'))) return { mark: '→', cls: 'answered', why: 'connected; the login went on to the next entry' };
  return { mark: '', cls: '', why: 'no outcome in the trace before the next attempt' };
}

function defaultLogin(logins: readonly Login[], window: readonly [number, number] | null): number {
  if (window) {
    const inside = logins.findIndex((l) => l.start >= window[0] && l.start < window[1]);
    if (inside >= 0) return inside;
  }
  return 0;
}

function portOf(endpoint: string): number | undefined {
  const colon = endpoint.lastIndexOf(':');
  const p = colon < 0 ? NaN : Number(endpoint.slice(colon + 1));
  return Number.isFinite(p) ? p : undefined;
}

function arrowTooltip(store: TraceStore, a: { send: number; end: number; dropped: boolean }, t0: number): string[] {
  const r = a.send >= 0 ? a.send : a.end;
  const type = store.msgTypes[store.msg[r]];
  const lines = [type, `${store.nameOf(store.from[r])} → ${store.to[r] >= 0 ? store.nameOf(store.to[r]) : '(not reached)'}`, `${PROTOS[store.proto[r]]} to port ${store.dstPort[r]}, ${store.bytes[r]} B on the wire${store.packets[r] > 1 ? `, standing for ${store.packets[r]} packets (a flow-mode aggregate)` : ''}`];
  if (a.send >= 0) lines.push(`sent +${((store.t[a.send] - t0) / 1000).toFixed(3)} s`);
  if (a.end >= 0) lines.push(`${a.dropped ? `dropped (${store.reasons[store.reason[a.end]]})` : 'arrived'} +${((store.t[a.end] - t0) / 1000).toFixed(3)} s${a.send >= 0 ? `, after ${fmtDuration(store.t[a.end] - store.t[a.send])}` : ''}`);
  else lines.push('still in flight when the login ended');
  return lines;
}
