/**
 * Overlay: the login server, the super nodes, and the ordinary hosts grouped by name group
 * and NAT class (one circle per group, a dot per host inside it). Lines: hosts of a group
 * attached to an SN during the window (width by how many), SN-SN overlay links, logins the
 * group started at the LS in the window. Dots show each host's state at the window's end.
 *
 * The layout is d3-force, seeded from the run's seed, stopped and ticked a fixed number of
 * times before anything is drawn, on whole-run link weights: the same run always draws the
 * same picture, and brushing changes widths and colours, never positions.
 */

import * as d3 from 'd3';
import { fmtClock, fmtCount } from '../data/format.js';
import type { Attachment, HostInfo, TraceModel, TraceStore } from '../data/trace.js';
import { natColor, natOrder, ROLE_COLORS } from '../ui/colors.js';
import { makePanel } from '../ui/panel.js';
import { appendText, clip } from '../ui/text.js';
import { hideTooltip, showTooltip } from '../ui/tooltip.js';
import type { Ctx } from './context.js';

interface ONode extends d3.SimulationNodeDatum {
  readonly key: string;
  readonly kind: 'ls' | 'sn' | 'cluster';
  readonly host: number;
  readonly hosts: readonly number[];
  readonly group: string;
  readonly natClass: string;
  readonly r: number;
  readonly label: string;
  readonly bootstrap: boolean;
}

interface OLink extends d3.SimulationLinkDatum<ONode> {
  readonly key: string;
  /** Position in the links array (index into the window weights). */
  readonly idx: number;
  readonly kind: 'attach' | 'overlay' | 'login';
  readonly weight: number;
}

/** Ticks before paint: d3's own count for alpha to decay from 1 to alphaMin (0.001). */
export const LAYOUT_TICKS = 300;
const DOT_SPACING = 4.4;

export interface OverlayView {
  update(): void;
}

/** Angle of the i-th of n groups, the first at the top, clockwise. */
function angleAt(i: number, n: number): number {
  return -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
}

/** A 32-bit seed from the run's seed (number or text). */
export function layoutSeed(seed: unknown): number {
  const text = String(seed);
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32;
}

export function overlayView(parent: HTMLElement, ctx: Ctx, store: TraceStore, sampledNote: string): OverlayView {
  const model = store.model();
  const panel = makePanel(parent, 'overlay', 'Overlay', '');
  const { nodes, links, clusterOf } = buildGraph(model);
  const seen = d3.sum(nodes, (n) => n.hosts.length);
  panel.setNote(
    `${fmtCount(seen)} ordinary hosts with events in the trace, ${nodes.filter((n) => n.kind === 'sn').length} super nodes, ${nodes.filter((n) => n.kind === 'ls').length} login server. ` +
      `Hosts are grouped by name group and the NAT class their own test found; dots show each host at the window's end. Click a dot or node for its details.${sampledNote}`,
  );

  // Groups are petals around the SNs: each group's clusters are pulled to an anchor on a
  // circle, the SNs and the LS to the centre.
  const groups = [...new Set(nodes.filter((n) => n.kind === 'cluster').map((n) => n.group))].sort();
  const ringR = Math.max(200, Math.sqrt(d3.sum(nodes, (n) => (n.r + 24) ** 2)) * 1.15);
  const anchor = new Map(groups.map((g, i) => [g, angleAt(i, groups.length)] as const));
  const kEstimate = Math.max(1, (2 * (ringR + (d3.max(nodes, (n) => n.r) ?? 0))) / 450);
  const ax = (d: ONode) => (d.kind === 'cluster' ? Math.cos(anchor.get(d.group)!) * ringR : 0);
  const ay = (d: ONode) => (d.kind === 'cluster' ? Math.sin(anchor.get(d.group)!) * ringR : 0);
  const sim = d3
    .forceSimulation<ONode>(nodes)
    .randomSource(d3.randomLcg(layoutSeed(ctx.run.summary.seed)))
    .force(
      'link',
      d3
        .forceLink<ONode, OLink>(links)
        .id((d) => d.key)
        .distance((l) => (l.source as ONode).r + (l.target as ONode).r + 40)
        .strength((l) => (l.kind === 'overlay' ? 0.2 : l.kind === 'login' ? 0 : 0.01)),
    )
    .force('charge', d3.forceManyBody<ONode>().strength((d) => -30 - d.r * 4))
    // Room for a label under each node: about 16 px on screen, in layout units.
    .force('collide', d3.forceCollide<ONode>((d) => d.r + (d.kind === 'cluster' ? 16 : 12) * kEstimate).iterations(3))
    .force('x', d3.forceX<ONode>(ax).strength((d) => (d.kind === 'cluster' ? 0.12 : 0.3)))
    .force('y', d3.forceY<ONode>(ay).strength((d) => (d.kind === 'cluster' ? 0.12 : 0.3)))
    .stop();
  sim.tick(LAYOUT_TICKS);

  // Group names outside their petal.
  const groupLabels = groups.map((g) => {
    // Out along the petal's direction, past its farthest cluster.
    const members = nodes.filter((n) => n.kind === 'cluster' && n.group === g);
    const a = anchor.get(g)!;
    const [ux, uy] = [Math.cos(a), Math.sin(a)];
    const reach = d3.max(members, (n) => (n.x ?? 0) * ux + (n.y ?? 0) * uy + n.r) ?? 0;
    const dist = reach + 26 * kEstimate;
    return { g, x: ux * dist, y: uy * dist, anchor: ux < -0.3 ? 'end' : ux > 0.3 ? 'start' : 'middle', hosts: d3.sum(members, (n) => n.hosts.length) };
  });
  // The view box: nodes, their labels and the group names, whatever the layout's scale; text
  // is sized in screen pixels (k layout units per pixel).
  const width = Math.max(480, (panel.body.node()?.clientWidth ?? 700) - 4);
  const height = 520;
  const nx0 = d3.min(nodes, (n) => (n.x ?? 0) - n.r) ?? 0;
  const nx1 = d3.max(nodes, (n) => (n.x ?? 0) + n.r) ?? 1;
  const ny0 = d3.min(nodes, (n) => (n.y ?? 0) - n.r) ?? 0;
  const ny1 = d3.max(nodes, (n) => (n.y ?? 0) + n.r) ?? 1;
  const k = Math.max((nx1 - nx0) / (width - 160), (ny1 - ny0) / (height - 70), 0.05);
  const x0 = Math.min(nx0, d3.min(groupLabels, (l) => l.x - (l.anchor === 'end' ? 150 : 75) * k) ?? nx0) - 10 * k;
  const x1 = Math.max(nx1, d3.max(groupLabels, (l) => l.x + (l.anchor === 'start' ? 150 : 75) * k) ?? nx1) + 10 * k;
  const y0 = Math.min(ny0, d3.min(groupLabels, (l) => l.y) ?? ny0) - 22 * k;
  const y1 = Math.max(ny1, d3.max(groupLabels, (l) => l.y) ?? ny1) + 22 * k;
  const pad = 0;
  // Two stacked SVGs with one viewBox: the links below change with every brush event, the
  // nodes above (thousands of dots) sit in a compositing layer of their own, so restyling
  // links does not repaint the dots.
  const stack = panel.body.append('div').attr('class', 'overlay-stack').style('height', `${height}px`);
  const layer = (cls: string) =>
    stack
      .append('svg')
      .attr('class', `chart overlay ${cls}`)
      .attr('width', width)
      .attr('height', height)
      .attr('viewBox', `${x0 - pad} ${y0 - pad} ${x1 - x0 + 2 * pad} ${y1 - y0 + 2 * pad}`)
      .attr('preserveAspectRatio', 'xMidYMid meet');
  const linkSvg = layer('overlay-links');
  const svg = layer('overlay-nodes');

  const linkG = linkSvg.append('g').attr('class', 'links');
  const linkSel = linkG
    .selectAll<SVGLineElement, OLink>('line')
    .data(links, (d) => d.key)
    .join('line')
    .attr('class', (d) => `link ${d.kind}`)
    .attr('x1', (d) => (d.source as ONode).x ?? 0)
    .attr('y1', (d) => (d.source as ONode).y ?? 0)
    .attr('x2', (d) => (d.target as ONode).x ?? 0)
    .attr('y2', (d) => (d.target as ONode).y ?? 0)
    .on('mousemove', (event: MouseEvent, d) => showTooltip(event, linkTooltip(d, store, weights[d.idx], ctx.state.span())))
    .on('mouseleave', hideTooltip);

  const nodeG = svg.append('g').attr('class', 'nodes');
  const clusterSel = nodeG
    .selectAll<SVGGElement, ONode>('g.cluster')
    .data(nodes.filter((n) => n.kind === 'cluster'), (d) => d.key)
    .join('g')
    .attr('class', 'cluster')
    .attr('transform', (d) => `translate(${d.x},${d.y})`);
  clusterSel
    .append('circle')
    .attr('class', 'cluster-disc')
    .attr('r', (d) => d.r)
    .attr('fill', (d) => natColor(d.natClass))
    .attr('fill-opacity', 0.1)
    .attr('stroke', (d) => natColor(d.natClass))
    .attr('stroke-width', 1.5);
  const dotSel = clusterSel
    .selectAll<SVGCircleElement, number>('circle.host-dot')
    .data((d) => d.hosts.map((h, i) => ({ h, i, cls: d.natClass })))
    .join('circle')
    .attr('class', 'host-dot')
    .attr('cx', (d) => DOT_SPACING * Math.sqrt(d.i + 0.5) * Math.cos(d.i * 2.399963))
    .attr('cy', (d) => DOT_SPACING * Math.sqrt(d.i + 0.5) * Math.sin(d.i * 2.399963))
    .attr('r', DOT_SPACING * 0.42)
    .attr('stroke', (d) => natColor(d.cls))
    .on('click', (_e, d) => ctx.state.setHost(d.h, -1, view))
    .on('mousemove', (event: MouseEvent, d) => showTooltip(event, hostTooltip(model.hostById.get(d.h), hostState.get(d.h) ?? 'offline', ctx.state.span()[1])))
    .on('mouseleave', hideTooltip);
  clusterSel
    .append('text')
    .attr('class', 'node-label')
    .attr('y', (d) => d.r + 13)
    .attr('text-anchor', 'middle')
    .text((d) => clip(d.label, 40));

  nodeG
    .selectAll('text.group-label')
    .data(groupLabels)
    .join('text')
    .attr('class', 'group-label')
    .attr('x', (d) => d.x)
    .attr('y', (d) => d.y)
    .attr('text-anchor', (d) => d.anchor)
    .attr('dy', '0.35em')
    .text((d) => `${d.g} (${fmtCount(d.hosts)})`);

  const infraSel = nodeG
    .selectAll<SVGGElement, ONode>('g.infra')
    .data(nodes.filter((n) => n.kind !== 'cluster'), (d) => d.key)
    .join('g')
    .attr('class', (d) => `infra ${d.kind === 'ls' ? 'ls-node' : 'sn-node'}`)
    .attr('transform', (d) => `translate(${d.x},${d.y})`)
    .on('click', (_e, d) => ctx.state.setHost(d.host, -1, view))
    .on('mousemove', (event: MouseEvent, d) => showTooltip(event, infraTooltip(d, model, ctx.state.span())))
    .on('mouseleave', hideTooltip);
  infraSel
    .append('path')
    .attr('d', (d) => d3.symbol(d.kind === 'ls' ? d3.symbolSquare : d3.symbolDiamond, Math.PI * d.r * d.r * 1.2)())
    .attr('fill', (d) => (d.kind === 'ls' ? ROLE_COLORS.loginServer : d.bootstrap ? ROLE_COLORS.bootstrapSupernode : ROLE_COLORS.supernode))
    .attr('stroke', '#fff')
    .attr('stroke-width', 1.5);
  infraSel
    .append('text')
    .attr('class', 'node-label')
    .attr('y', (d) => d.r + 14)
    .attr('text-anchor', 'middle')
    .text((d) => d.label);
  const clientLabel = infraSel
    .filter((d) => d.kind === 'sn')
    .append('text')
    .attr('class', 'node-count')
    .attr('dy', '0.35em')
    .attr('text-anchor', 'middle');

  // Labels at a constant size on screen, with halos to match.
  nodeG.selectAll<SVGTextElement, unknown>('text.node-label').style('font-size', `${11 * k}px`).style('stroke-width', `${3 * k}px`);
  nodeG.selectAll<SVGTextElement, unknown>('text.group-label').style('font-size', `${14 * k}px`).style('stroke-width', `${4 * k}px`);
  clientLabel.style('font-size', (d) => `${Math.min(10 * k, d.r * 0.6)}px`);
  clusterSel.select('text.node-label').attr('y', (d) => d.r + 13 * k);
  infraSel.select('text.node-label').attr('y', (d) => d.r + 13 * k);

  drawLegend(panel.body, nodes);

  const weights = new Float64Array(links.length);
  const index = windowIndex(model, links, clusterOf);
  const hostState = new Map<number, 'online' | 'logging in' | 'offline'>();
  let dotTimer: number | undefined;
  const view: OverlayView = {
    update() {
      const [t0, t1] = ctx.state.span();
      windowWeights(model, index, t0, t1, weights);
      const max = d3.max(links, (l) => (l.kind === 'attach' ? weights[l.idx] : 0)) ?? 1;
      const w = d3.scaleSqrt().domain([0, Math.max(1, max)]).range([0.8, 7]);
      linkSel
        .attr('stroke-width', (d) => (d.kind === 'overlay' ? 1.6 : d.kind === 'login' ? 1 : w(weights[d.idx])))
        .attr('stroke-opacity', (d) => {
          if (d.kind === 'overlay') return d.weight <= t1 ? 0.8 : 0.12;
          return weights[d.idx] === 0 ? 0 : d.kind === 'login' ? 0.45 : 0.6;
        })
        .attr('data-weight', (d) => (d.kind === 'overlay' ? 1 : weights[d.idx]));
      const clients = snClientsAt(model, t1);
      clientLabel.text((d) => fmtCount(clients.get(d.host) ?? 0));
      // Ten thousand dots: restyled once the brush rests, not on every movement.
      if (dotTimer !== undefined) clearTimeout(dotTimer);
      dotTimer = window.setTimeout(() => {
        dotTimer = undefined;
        hostStates(model, t1, hostState);
        dotSel.attr('class', (d) => `host-dot ${(hostState.get(d.h) ?? 'offline').replace(' ', '-')}`).attr('fill', (d) => {
          const s = hostState.get(d.h);
          return s === 'online' ? natColor(d.cls) : s === 'logging in' ? '#fff' : '#e4e4e4';
        });
      }, 120);
    },
  };
  ctx.state.on('window', 'overlay', () => view.update());
  ctx.state.on('host', 'overlay', () => {
    const h = ctx.state.host;
    dotSel.classed('selected', (d) => d.h === h);
    infraSel.classed('selected', (d) => d.host === h);
  });
  view.update();
  return view;
}

function buildGraph(model: TraceModel): { nodes: ONode[]; links: OLink[]; clusterOf: Map<number, string> } {
  const nodes: ONode[] = [];
  // Hosts that served as SNs by their own events, or that the trace shows hosts attached to.
  const snHosts = [...new Set([...model.snIntervals.map((i) => i.host), ...model.attachments.map((a) => a.sn).filter((h) => h >= 0)])].sort((a, b) => a - b);
  const bootstrap = new Set(model.snIntervals.filter((i) => i.bootstrap).map((i) => i.host));
  const maxClients = new Map<number, number>();
  for (const [host, events] of model.nodeEventsByHost) {
    for (const e of events) if (e.event === 'clientAttached' && typeof e.detail.clients === 'number') maxClients.set(host, Math.max(maxClients.get(host) ?? 0, e.detail.clients));
  }
  for (const h of model.hosts.filter((x) => x.role === 'loginServer')) {
    nodes.push({ key: `ls:${h.id}`, kind: 'ls', host: h.id, hosts: [], group: 'ls', natClass: 'open', r: 12, label: `LS ${h.name}`, bootstrap: false });
  }
  for (const id of snHosts) {
    const h = model.hostById.get(id);
    nodes.push({ key: `sn:${id}`, kind: 'sn', host: id, hosts: [], group: 'sn', natClass: h?.natClass ?? 'open', r: Math.min(30, 11 + Math.sqrt(maxClients.get(id) ?? 0) * 0.9), label: h?.name ?? `host-${id}`, bootstrap: bootstrap.has(id) });
  }
  const snSet = new Set(snHosts);
  const clusters = new Map<string, HostInfo[]>();
  for (const h of model.hosts) {
    if (h.role !== 'host' || snSet.has(h.id) || !model.nodeEventsByHost.has(h.id)) continue;
    const key = `${h.group}|${h.natClass}`;
    clusters.set(key, [...(clusters.get(key) ?? []), h]);
  }
  const clusterOf = new Map<number, string>();
  const keys = [...clusters.keys()].sort((a, b) => {
    const [ga, na] = a.split('|');
    const [gb, nb] = b.split('|');
    return ga < gb ? -1 : ga > gb ? 1 : natOrder(na, nb);
  });
  for (const key of keys) {
    const members = clusters.get(key)!;
    const [group, natClass] = key.split('|');
    for (const m of members) clusterOf.set(m.id, `c:${key}`);
    nodes.push({
      key: `c:${key}`,
      kind: 'cluster',
      host: -1,
      hosts: members.map((m) => m.id),
      group,
      natClass,
      r: DOT_SPACING * Math.sqrt(members.length + 0.5) + DOT_SPACING,
      label: `${natClass} (${members.length})`,
      bootstrap: false,
    });
  }

  const weights = new Map<string, { source: string; target: string; kind: OLink['kind']; weight: number }>();
  const add = (source: string, target: string, kind: OLink['kind'], weight = 1) => {
    const key = `${kind}:${source}>${target}`;
    const w = weights.get(key);
    if (w) weights.set(key, { ...w, weight: w.weight + weight });
    else weights.set(key, { source, target, kind, weight });
  };
  const attachedPairs = new Set<string>();
  for (const a of model.attachments) {
    const c = clusterOf.get(a.host);
    if (!c || !snSet.has(a.sn)) continue;
    const pair = `${a.host}>${a.sn}`;
    if (attachedPairs.has(pair)) continue;
    attachedPairs.add(pair);
    add(c, `sn:${a.sn}`, 'attach');
  }
  for (const o of model.overlayLinks) if (snSet.has(o.a) && snSet.has(o.b)) weights.set(`overlay:sn:${o.a}>sn:${o.b}`, { source: `sn:${o.a}`, target: `sn:${o.b}`, kind: 'overlay', weight: o.t });
  const ls = nodes.find((n) => n.kind === 'ls');
  if (ls) {
    for (const l of model.logins) {
      const c = clusterOf.get(l.host);
      if (c) add(c, ls.key, 'login');
    }
  }
  const links: OLink[] = [...weights.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, w], idx) => ({ key, idx, source: w.source, target: w.target, kind: w.kind, weight: w.weight }));
  return { nodes, links, clusterOf };
}

interface WindowIndex {
  /** Per attachment: its attach link's index, or -1; and its (host, SN) pair's number. */
  readonly attachLink: Int32Array;
  readonly attachPair: Int32Array;
  readonly pairStamp: Int32Array;
  /** Per login: its login link's index, or -1. */
  readonly loginLink: Int32Array;
  stamp: number;
}

/** Numbers for what the window weights count, so a brush event builds no strings. */
function windowIndex(model: TraceModel, links: readonly OLink[], clusterOf: ReadonlyMap<number, string>): WindowIndex {
  const byKey = new Map(links.map((l) => [l.key, l.idx]));
  const pairs = new Map<number, number>();
  const attachLink = new Int32Array(model.attachments.length);
  const attachPair = new Int32Array(model.attachments.length);
  model.attachments.forEach((a, i) => {
    const c = clusterOf.get(a.host);
    attachLink[i] = c === undefined ? -1 : (byKey.get(`attach:${c}>sn:${a.sn}`) ?? -1);
    const key = a.host * 2 ** 24 + (a.sn + 1);
    let p = pairs.get(key);
    if (p === undefined) pairs.set(key, (p = pairs.size));
    attachPair[i] = p;
  });
  const ls = model.hosts.find((h) => h.role === 'loginServer');
  const loginLink = new Int32Array(model.logins.length);
  model.logins.forEach((l, i) => {
    const c = clusterOf.get(l.host);
    loginLink[i] = c === undefined || !ls ? -1 : (byKey.get(`login:${c}>ls:${ls.id}`) ?? -1);
  });
  return { attachLink, attachPair, pairStamp: new Int32Array(pairs.size), loginLink, stamp: 0 };
}

/** Link weights in [t0, t1): hosts attached (per cluster and SN), logins started (per cluster). */
function windowWeights(model: TraceModel, ix: WindowIndex, t0: number, t1: number, out: Float64Array): void {
  out.fill(0);
  const stamp = ++ix.stamp;
  const atts = model.attachments;
  for (let i = 0; i < atts.length; i++) {
    const a = atts[i];
    if (a.start >= t1) break;
    const l = ix.attachLink[i];
    if (a.end <= t0 || l < 0) continue;
    const p = ix.attachPair[i];
    if (ix.pairStamp[p] === stamp) continue;
    ix.pairStamp[p] = stamp;
    out[l]++;
  }
  const logins = model.logins;
  for (let i = 0; i < logins.length; i++) {
    const start = logins[i].start;
    if (start >= t1) break;
    const l = ix.loginLink[i];
    if (start >= t0 && l >= 0) out[l]++;
  }
}

function covering(a: Attachment, t: number): boolean {
  return a.start <= t && t < a.end;
}

/** Each host's state at t: attached to an SN (online), inside a login, or neither. */
function hostStates(model: TraceModel, t: number, out: Map<number, 'online' | 'logging in' | 'offline'>): void {
  out.clear();
  for (const l of model.logins) {
    if (l.start > t) break;
    if (l.end === undefined || l.end > t) out.set(l.host, 'logging in');
  }
  for (const a of model.attachments) {
    if (a.start > t) break;
    if (covering(a, t)) out.set(a.host, 'online');
  }
}

/** Attached clients per SN at t, from the attachments the trace shows. */
function snClientsAt(model: TraceModel, t: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const a of model.attachments) {
    if (a.start > t) break;
    if (covering(a, t)) out.set(a.sn, (out.get(a.sn) ?? 0) + 1);
  }
  return out;
}

function hostTooltip(h: HostInfo | undefined, state: string, t: number): string[] {
  if (!h) return ['unknown host'];
  return [h.name, `host id ${h.id} · group ${h.group}`, `NAT class: ${h.natClass}`, `at ${fmtClock(t, true)}: ${state}`, h.address ? `seen as ${h.address}` : '', 'click: details, login ladder'].filter((l) => l !== '');
}

function infraTooltip(n: ONode, model: TraceModel, span: readonly [number, number]): string[] {
  const h = model.hostById.get(n.host);
  const role = n.kind === 'ls' ? 'login server' : n.bootstrap ? 'bootstrap super node' : 'super node (promoted, or known by its clients in a sampled trace)';
  return [n.label, `${role} · host id ${n.host}`, h?.address ? `address ${h.address}` : '', n.kind === 'sn' ? `clients attached at ${fmtClock(span[1], true)}: see the number inside` : ''].filter((l) => l !== '');
}

function linkTooltip(l: OLink, store: TraceStore, inWindow: number, span: readonly [number, number]): string[] {
  const s = l.source as ONode;
  const t = l.target as ONode;
  if (l.kind === 'overlay') return [`${s.label} — ${t.label}`, `SN overlay link, up since ${fmtClock(l.weight, true)}`];
  const what = l.kind === 'attach' ? 'hosts attached' : 'logins started';
  return [`${s.label} → ${t.label}`, `${fmtCount(inWindow)} ${what} in ${fmtClock(span[0], true)} – ${fmtClock(span[1], true)}`, `${fmtCount(l.weight)} over the whole trace`, `trace: ${fmtCount(store.rows)} packet events`];
}

function drawLegend(parent: d3.Selection<HTMLDivElement, unknown, null, undefined>, nodes: readonly ONode[]): void {
  const legend = parent.append('div').attr('class', 'legend-row');
  const classes = [...new Set(nodes.filter((n) => n.kind === 'cluster').map((n) => n.natClass))].sort(natOrder);
  const item = (swatch: (s: d3.Selection<SVGSVGElement, unknown, null, undefined>) => void, label: string) => {
    const it = legend.append('span').attr('class', 'legend-item');
    const svg = it.append('svg').attr('width', 18).attr('height', 14) as unknown as d3.Selection<SVGSVGElement, unknown, null, undefined>;
    swatch(svg);
    appendText(it, 'span', label);
  };
  appendText(legend, 'span', 'NAT class:', 'legend-head');
  for (const c of classes) item((s) => void s.append('circle').attr('cx', 9).attr('cy', 7).attr('r', 5).attr('fill', natColor(c)), c);
  appendText(legend, 'span', 'host at window end:', 'legend-head');
  item((s) => void s.append('circle').attr('cx', 9).attr('cy', 7).attr('r', 4.5).attr('fill', '#56B4E9').attr('stroke', '#56B4E9'), 'online');
  item((s) => void s.append('circle').attr('cx', 9).attr('cy', 7).attr('r', 4.5).attr('fill', '#fff').attr('stroke', '#56B4E9').attr('stroke-width', 1.5), 'logging in');
  item((s) => void s.append('circle').attr('cx', 9).attr('cy', 7).attr('r', 4.5).attr('fill', '#e4e4e4').attr('stroke', '#bbb'), 'offline');
  appendText(legend, 'span', 'nodes:', 'legend-head');
  item((s) => void s.append('path').attr('transform', 'translate(9,7)').attr('d', d3.symbol(d3.symbolSquare, 70)()).attr('fill', ROLE_COLORS.loginServer), 'login server');
  item((s) => void s.append('path').attr('transform', 'translate(9,7)').attr('d', d3.symbol(d3.symbolDiamond, 80)()).attr('fill', ROLE_COLORS.bootstrapSupernode), 'bootstrap SN (number: clients)');
  item((s) => void s.append('path').attr('transform', 'translate(9,7)').attr('d', d3.symbol(d3.symbolDiamond, 80)()).attr('fill', ROLE_COLORS.supernode), 'other SN (promoted, or known by its clients)');
  appendText(legend, 'span', 'lines:', 'legend-head');
  item((s) => void s.append('line').attr('class', 'link attach').attr('x1', 1).attr('x2', 17).attr('y1', 7).attr('y2', 7).attr('stroke-width', 3), 'attached in window');
  item((s) => void s.append('line').attr('class', 'link overlay').attr('x1', 1).attr('x2', 17).attr('y1', 7).attr('y2', 7).attr('stroke-width', 2), 'SN overlay');
  item((s) => void s.append('line').attr('class', 'link login').attr('x1', 1).attr('x2', 17).attr('y1', 7).attr('y2', 7).attr('stroke-width', 2), 'logins at LS in window');
}
