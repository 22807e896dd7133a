/**
 * One host: who it is (name, role, NAT class its own test found, address as peers saw it),
 * a strip of the whole run with the SNs it was attached to, its logins and its NAT mapping
 * events, and tables of its login events and NAT mappings in the window.
 */

import * as d3 from 'd3';
import { detailText, fmtClock, fmtCount, fmtDuration } from '../data/format.js';
import type { TraceStore } from '../data/trace.js';
import { DROP_COLOR, natColor, ROLE_COLORS } from '../ui/colors.js';
import { makeFrame, minutesAxis } from '../ui/chart.js';
import { makePanel } from '../ui/panel.js';
import { appendText, clip } from '../ui/text.js';
import { hideTooltip, showTooltip } from '../ui/tooltip.js';
import type { Ctx } from './context.js';

const TABLE_ROWS = 60;
/** The host's own events that belong to logging in and staying logged in. */
const LOGIN_EVENTS = new Set([
  'loginStarted',
  'loginStep',
  'loginEntryFailed',
  'loginRoundFailed',
  'udpBlocked',
  'natClassified',
  'loginSucceeded',
  'loginFailed',
  'loginAborted',
  'snLost',
  'loggedOut',
  'sessionEnded',
  'loginServerLinkClosed',
  'promoted',
  'demoted',
  'promoteDeclined',
  'notServing',
]);

export interface HostPanel {
  show(host: number): void;
}

export function hostPanel(parent: HTMLElement, ctx: Ctx, store: TraceStore): HostPanel {
  const model = store.model();
  const panel = makePanel(parent, 'host', 'Host', 'Click a host in the overlay, a link in Traffic, or type a name in Login sequence.');
  const body = panel.body;
  const width = Math.max(360, (body.node()?.clientWidth ?? 480) - 4);
  let current = -1;

  const view: HostPanel = {
    show(host) {
      current = host;
      body.selectAll('*').remove();
      const h = model.hostById.get(host);
      if (!h) {
        appendText(body, 'p', 'No host chosen.', 'empty');
        return;
      }
      const [t0, t1] = ctx.state.span();
      const head = body.append('div').attr('class', 'host-head');
      appendText(head, 'span', h.name, 'host-name');
      const chip = head.append('span').attr('class', 'nat-chip').style('border-color', natColor(h.natClass));
      chip.append('span').attr('class', 'swatch').style('background', natColor(h.natClass));
      appendText(chip, 'span', h.natClass);
      const role = { loginServer: 'login server', bootstrapSupernode: 'bootstrap super node', supernode: 'promoted super node', host: 'ordinary host' }[h.role];
      appendText(body, 'p', `host id ${h.id} · ${role} · group ${h.group}${h.address ? ` · seen as ${h.address}` : ''}${h.nameKnown ? '' : ' · name not in the trace'}`, 'host-sub');

      const logins = model.loginsByHost.get(host) ?? [];
      const attachments = model.attachments.filter((a) => a.host === host);
      const nat = model.natEventsByHost.get(host) ?? [];
      const events = model.nodeEventsByHost.get(host) ?? [];
      const ok = logins.filter((l) => l.outcome === 'ok');
      appendText(
        body,
        'p',
        `${plural(logins.length, 'login')} (${fmtCount(ok.length)} ok${ok.length ? `, median ${fmtDuration(d3.median(ok, (l) => l.loginMs) ?? null)}` : ''}), ` +
          `${plural(d3.sum(logins, (l) => l.steps.length), 'attempt')}, ${plural(attachments.length, 'SN attachment')}, ${plural(nat.filter((n) => n.ev === 'nat-map').length, 'NAT mapping')}, ${plural(events.length, 'node event')}`,
        'host-stats',
      );

      drawStrip(body, width, ctx, store, host);

      const snNow = attachments.find((a) => a.start <= t1 && t1 < a.end);
      appendText(body, 'p', snNow ? `Attached at ${fmtClock(t1, true)} to ${store.nameOf(snNow.sn)} (${snNow.snEndpoint}) since ${fmtClock(snNow.start, true)}` : `Not attached to a super node at ${fmtClock(t1, true)}`, 'host-sn');

      const inWindow = <T extends { t: number }>(list: readonly T[]) => list.filter((e) => e.t >= t0 && e.t <= t1);
      const loginEvents = inWindow(events.filter((e) => LOGIN_EVENTS.has(e.event)));
      table(body, `Login events in the window (${fmtCount(loginEvents.length)})`, ['time', 'event', 'detail'], loginEvents.map((e) => [fmtClock(e.t), e.event, detailText(e.detail)]), 'host-login-events');
      const others = inWindow(events.filter((e) => !LOGIN_EVENTS.has(e.event)));
      if (others.length > 0) table(body, `Its other events in the window (${fmtCount(others.length)})`, ['time', 'event', 'detail'], others.map((e) => [fmtClock(e.t), e.event, detailText(e.detail)]), 'host-other-events');
      const natRows = inWindow(nat);
      table(body, `NAT mappings in the window (${fmtCount(natRows.length)})`, ['time', 'event', 'proto', 'internal → external', 'remote'], natRows.map((n) => [fmtClock(n.t), n.ev, n.proto, `${n.int} → ${n.ext}`, n.rem]), 'host-nat-events');
    },
  };
  ctx.state.on('host', 'host', () => view.show(ctx.state.host));
  // Its tables follow the window once the brush rests, not on every movement.
  let timer: number | undefined;
  ctx.state.on('window', 'host', () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = window.setTimeout(() => {
      timer = undefined;
      if (current >= 0) view.show(current);
    }, 150);
  });
  return view;
}

/** The whole run for one host: attachments (one colour per SN), logins, NAT events; the window shaded. */
function drawStrip(parent: d3.Selection<HTMLDivElement, unknown, null, undefined>, width: number, ctx: Ctx, store: TraceStore, host: number): void {
  const model = store.model();
  const frame = makeFrame(parent, width, 104, { top: 8, right: 12, bottom: 28, left: 74 }, 'chart host-strip');
  const x = d3.scaleLinear().domain([0, ctx.endMs / 1000]).range([0, frame.width]);
  const rows = ['SN', 'logins', 'NAT'];
  const y = d3.scaleBand().domain(rows).range([0, frame.height]).padding(0.25);
  const win = ctx.state.window;
  if (win) frame.g.append('rect').attr('class', 'window-shade').attr('x', x(win[0] / 1000)).attr('width', Math.max(1, x(win[1] / 1000) - x(win[0] / 1000))).attr('height', frame.height);
  frame.g.append('g').attr('class', 'axis x').attr('transform', `translate(0,${frame.height})`).call(minutesAxis(x, 6));
  frame.g.append('text').attr('class', 'axis-label').attr('x', frame.width).attr('y', frame.height + 26).attr('text-anchor', 'end').text('simulated time (min)');
  frame.g.append('g').attr('class', 'axis y').call(d3.axisLeft(y).tickSize(0).tickPadding(6));
  const snColor = d3.scaleOrdinal<number, string>(d3.schemeTableau10);
  const attachments = model.attachments.filter((a) => a.host === host);
  frame.g
    .selectAll('rect.attach')
    .data(attachments)
    .join('rect')
    .attr('class', 'attach')
    .attr('x', (a) => x(a.start / 1000))
    .attr('width', (a) => Math.max(1.5, x(Math.min(a.end, ctx.endMs) / 1000) - x(a.start / 1000)))
    .attr('y', y('SN') ?? 0)
    .attr('height', y.bandwidth())
    .attr('fill', (a) => snColor(a.sn))
    .on('mousemove', (event: MouseEvent, a) => showTooltip(event, [`attached to ${store.nameOf(a.sn)}`, a.snEndpoint, `${fmtClock(a.start, true)} – ${fmtClock(Math.min(a.end, ctx.endMs), true)}${a.end === Infinity ? ' (end of trace)' : ''}`]))
    .on('mouseleave', hideTooltip);
  const logins = model.loginsByHost.get(host) ?? [];
  frame.g
    .selectAll('rect.login')
    .data(logins)
    .join('rect')
    .attr('class', (l) => `login ${l.outcome}`)
    .attr('x', (l) => x(l.start / 1000) - 1)
    .attr('width', (l) => Math.max(3, x((l.end ?? ctx.endMs) / 1000) - x(l.start / 1000)))
    .attr('y', y('logins') ?? 0)
    .attr('height', y.bandwidth())
    .attr('fill', (l) => (l.outcome === 'ok' ? '#2ca02c' : l.outcome === 'open' ? '#bbb' : DROP_COLOR))
    .style('cursor', 'pointer')
    .on('click', (_e, l) => ctx.state.setHost(host, l.index))
    .on('mousemove', (event: MouseEvent, l) => showTooltip(event, [`login #${l.index + 1} (${l.trigger})`, `${l.outcome}${l.cause ? `: ${l.cause}` : ''}`, `started ${fmtClock(l.start, true)}, ${l.steps.length} attempts`, l.loginMs !== undefined ? `took ${fmtDuration(l.loginMs)}` : '', 'click: show its sequence'].filter((s) => s)))
    .on('mouseleave', hideTooltip);
  const nat = model.natEventsByHost.get(host) ?? [];
  frame.g
    .selectAll('line.nat')
    .data(nat)
    .join('line')
    .attr('class', (n) => `nat ${n.ev}`)
    .attr('x1', (n) => x(n.t / 1000))
    .attr('x2', (n) => x(n.t / 1000))
    .attr('y1', y('NAT') ?? 0)
    .attr('y2', (y('NAT') ?? 0) + y.bandwidth())
    .attr('stroke', (n) => (n.ev === 'nat-map' ? ROLE_COLORS.bootstrapSupernode : '#bbb'));
}

function table(parent: d3.Selection<HTMLDivElement, unknown, null, undefined>, title: string, header: readonly string[], rows: readonly (readonly string[])[], className: string): void {
  const box = parent.append('details').attr('class', `host-table ${className}`).property('open', rows.length > 0 && rows.length <= 30);
  appendText(box, 'summary', title);
  if (rows.length === 0) {
    appendText(box, 'p', 'none', 'empty');
    return;
  }
  const t = box.append('table');
  t.append('thead')
    .append('tr')
    .selectAll('th')
    .data(header)
    .join('th')
    .text((d) => d);
  t.append('tbody')
    .selectAll('tr')
    .data(rows.slice(0, TABLE_ROWS))
    .join('tr')
    .selectAll('td')
    .data((r) => r)
    .join('td')
    .attr('title', (d) => d)
    .text((d) => clip(d, 90));
  if (rows.length > TABLE_ROWS) appendText(box, 'p', `… and ${fmtCount(rows.length - TABLE_ROWS)} more (narrow the window to see them)`, 'note');
}

function plural(n: number, word: string): string {
  return `${fmtCount(n)} ${word}${n === 1 ? '' : 's'}`;
}
