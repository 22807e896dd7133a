/**
 * The visualizer's entry point. `sim viz` serves the run directories it was given under
 * /runs/<id>/ and lists them at /api/runs (sim/cli/commands/viz.ts). The page opens run
 * `?run=<id>` (default: the first) and compares it with `?compare=<id>` (default: the second,
 * if any; `none` for no comparison).
 *
 * Order of work: summary.json and metrics.csv first (small): headline, timeline,
 * distributions, comparison are drawn - "first paint". Then trace.ndjson streams in, line by
 * line, into the TraceStore; the traffic view fills in as it streams; when it ends, the
 * overlay, host panel and sequence diagram are drawn.
 *
 * window.__viz exposes the measurements and a few controls to the browser test (test/viz).
 */

import * as d3 from 'd3';
import { parseMetricsCsv } from './data/csv.js';
import { fmtBytes, fmtCount, fmtDuration } from './data/format.js';
import { forEachLine } from './data/lines.js';
import { headlineFigures, incompleteText, type RunSummary } from './data/summary.js';
import { TraceStore, type TraceModel } from './data/trace.js';
import type { VizHooks } from './hooks.js';
import { ViewState } from './state.js';
import { showTooltip, hideTooltip } from './ui/tooltip.js';
import { appendText, setText } from './ui/text.js';
import { compareView, formatFigure } from './views/compare.js';
import type { Ctx, Perf, RunData } from './views/context.js';
import { distributionsView } from './views/distributions.js';
import { hostPanel } from './views/host-panel.js';
import { overlayView } from './views/overlay.js';
import { sequenceView } from './views/sequence.js';
import { timelineView } from './views/timeline.js';
import { trafficView, type TrafficView } from './views/traffic.js';

interface ServedRun {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  readonly files: Partial<Record<'summary.json' | 'metrics.csv' | 'trace.ndjson', number>>;
}

declare global {
  interface Window {
    __viz: VizHooks;
  }
}

const perf: Perf = { firstPaintMs: null, traceReadyMs: null, traceLines: 0, traceBytes: 0, brushHandlerMs: [] };
let state: ViewState | null = null;
let traffic: TrafficView | null = null;
let store: TraceStore | null = null;
let model: TraceModel | null = null;

window.__viz = {
  perf,
  ready: { summary: false, trace: false },
  error: null,
  setWindow: (t0, t1) => state?.setWindow([t0, t1]),
  clearWindow: () => state?.setWindow(null),
  selectHost: (host, login = -1) => state?.setHost(host, login),
  setFilter: (f) => state?.setFilter(f),
  viewMs: () => ({ ...(state?.viewMs ?? {}) }),
  state: () => ({ window: state?.window ?? null, filter: state?.filter ?? { msg: '', proto: '', host: -1 }, host: state?.host ?? -1, login: state?.login ?? -1 }),
  traffic: () => {
    const w = traffic?.last();
    if (!w || !store) return null;
    const sent: Record<string, number> = {};
    store.msgTypes.forEach((t, i) => (sent[t] = w.sent[i]));
    return { totalSent: w.totalSent, totalDropped: w.totalDropped, links: w.links, sent };
  },
  model: () =>
    model && store
      ? {
          hosts: model.hosts.length,
          supernodes: model.hosts.filter((h) => h.role === 'bootstrapSupernode' || h.role === 'supernode').length,
          loginServers: model.hosts.filter((h) => h.role === 'loginServer').length,
          logins: model.logins.length,
          hostsSeen: model.hosts.filter((h) => h.role === 'host' && model!.nodeEventsByHost.has(h.id)).length,
          attachments: model.attachments.length,
          traceRows: store.rows,
          malformed: store.malformedLines,
        }
      : null,
  text: {
    appendText: (parent, tag, text, className) => appendText(parent as d3.Selection<HTMLElement, unknown, null, undefined>, tag, text, className).node(),
    setText: (el, text) => setText(el as Element, text),
    showTooltip: (event, lines) => showTooltip(event as MouseEvent, lines),
    hideTooltip,
    select: (el) => d3.select(el as Element),
  },
};

const app = document.getElementById('app')!;
const status = document.getElementById('load-status')!;

main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  window.__viz.error = message;
  setText(status, `error: ${message}`);
  status.classList.add('error');
  console.error(e);
});

async function main(): Promise<void> {
  const runs = await fetchJson<ServedRun[]>('api/runs');
  if (runs.length === 0) throw new Error('the server serves no runs');
  const params = new URLSearchParams(location.search);
  const primary = runs.find((r) => r.id === params.get('run')) ?? runs[0];
  const compareParam = params.get('compare');
  const other = compareParam === 'none' ? undefined : (runs.find((r) => r.id === compareParam && r.id !== primary.id) ?? runs.find((r) => r.id !== primary.id));
  pickers(runs, primary, other);

  const [a, b] = await Promise.all([loadRun(primary), other ? loadRun(other) : Promise.resolve(undefined)]);
  const endMs = a.summary.status.simulatedMs;
  state = new ViewState(endMs);
  const ctx: Ctx = { run: a, state, perf, endMs };
  setText(document.getElementById('run-title')!, `${a.name} · scenario ${a.summary.scenario as unknown as string} · seed ${String(a.summary.seed)} · run ${a.summary.run}${a.summary.status.complete ? '' : ` · ${incompleteText(a.summary)}`}`);
  document.title = `${a.name} · supernode-sim viz`;
  headline(a);

  const slot = (id: string, cls = '') => d3.select(app).append('div').attr('id', id).attr('class', `slot ${cls}`).node() as HTMLDivElement;
  timelineView(slot('slot-timeline'), ctx);
  const pair = d3.select(app).append('div').attr('class', 'pair');
  const overlaySlot = pair.append('div').attr('id', 'slot-overlay').attr('class', 'slot wide').node() as HTMLDivElement;
  const hostSlot = pair.append('div').attr('id', 'slot-host').attr('class', 'slot narrow').node() as HTMLDivElement;
  const trafficSlot = slot('slot-traffic');
  const sequenceSlot = slot('slot-sequence');
  distributionsView(slot('slot-distributions'), a.summary);
  if (b) compareView(slot('slot-compare'), a, b);
  for (const s of [overlaySlot, hostSlot, sequenceSlot]) appendText(d3.select(s), 'p', a.traceBytes === undefined ? 'This run has no trace (output.trace: off).' : 'Waiting for the trace…', 'trace-status');

  await afterPaint();
  perf.firstPaintMs = performance.now();
  window.__viz.ready.summary = true;

  if (a.traceBytes === undefined) {
    setText(status, 'no trace in this run: the views that need one are empty');
    return;
  }
  await loadTrace(ctx, trafficSlot);
  const sampled = sampledNote(a.summary, store!);
  model = store!.model();
  for (const s of [overlaySlot, hostSlot, sequenceSlot]) d3.select(s).selectAll('.trace-status').remove();
  overlayView(overlaySlot, ctx, store!, sampled);
  hostPanel(hostSlot, ctx, store!);
  sequenceView(sequenceSlot, ctx, store!);
  traffic?.refreshTypes();
  const best = [...model.logins].filter((l) => l.outcome === 'ok').sort((x, y) => y.steps.length - x.steps.length || x.start - y.start)[0] ?? model.logins[0];
  if (best) state.setHost(best.host, best.index);
  await afterPaint();
  perf.traceReadyMs = performance.now();
  window.__viz.ready.trace = true;
}

async function loadRun(run: ServedRun): Promise<RunData> {
  const [summary, csv] = await Promise.all([fetchJson<RunSummary>(`runs/${run.id}/summary.json`), fetchText(`runs/${run.id}/metrics.csv`)]);
  return { id: run.id, name: run.name, summary, metrics: parseMetricsCsv(csv), traceBytes: run.files['trace.ndjson'] };
}

async function loadTrace(ctx: Ctx, trafficSlot: HTMLDivElement): Promise<void> {
  const res = await fetch(`runs/${ctx.run.id}/trace.ndjson`);
  if (!res.ok || !res.body) throw new Error(`trace.ndjson: HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || ctx.run.traceBytes || 0;
  store = new TraceStore();
  const s = store;
  const started = performance.now();
  let lastYield = performance.now();
  let lastDraw = 0;
  const progress = d3.select(status);
  progress.text('');
  const label = appendText(progress, 'span', 'trace: starting');
  const bar = progress.append('span').attr('class', 'bar').append('span').attr('class', 'bar-fill');
  const result = await forEachLine(
    res.body,
    (line) => s.addLine(line),
    async ({ bytes, lines }) => {
      const now = performance.now();
      if (now - lastDraw > 250) {
        lastDraw = now;
        label.text(`trace: ${fmtBytes(bytes)} of ${fmtBytes(total)}, ${fmtCount(lines)} events`);
        bar.style('width', `${total ? Math.min(100, (bytes / total) * 100) : 0}%`);
        if (!traffic && s.rows > 0) traffic = trafficView(trafficSlot, ctx, s, '');
        else traffic?.update();
      }
      // Let the page paint and take input between chunks.
      if (now - lastYield > 12) {
        await yieldToBrowser();
        lastYield = performance.now();
      }
    },
  );
  perf.traceLines = result.lines;
  perf.traceBytes = result.bytes;
  traffic ??= trafficView(trafficSlot, ctx, s, '');
  traffic.update();
  label.text(
    `trace: ${fmtBytes(result.bytes)}, ${fmtCount(result.lines)} events read in ${fmtDuration(performance.now() - started)}${s.malformedLines ? `, ${fmtCount(s.malformedLines)} malformed lines skipped` : ''}`,
  );
  bar.style('width', '100%');
  progress.classed('done', true);
}

/** Says how much of the run a sampled trace follows (empty for a full trace). */
function sampledNote(summary: RunSummary, s: TraceStore): string {
  const inSummary = (summary.protocol?.nodeEvents as Record<string, number> | undefined)?.loginStarted ?? 0;
  const inTrace = s.nodeEvents.filter((e) => e.event === 'loginStarted').length;
  if (inSummary === 0 || inTrace >= inSummary) return '';
  return ` The trace is sampled: it follows ${fmtCount(inTrace)} of the run's ${fmtCount(inSummary)} logins (${((inTrace / inSummary) * 100).toFixed(1)}%).`;
}

function headline(run: RunData): void {
  const box = d3.select('#headline');
  const cards = box
    .selectAll('div.figure')
    .data(headlineFigures(run.summary, run.metrics))
    .join('div')
    .attr('class', 'figure')
    .attr('data-key', (f) => f.key);
  cards
    .append('div')
    .attr('class', 'fig-value')
    .text((f) => formatFigure(f));
  cards
    .append('div')
    .attr('class', 'fig-label')
    .text((f) => f.label);
  cards
    .append('div')
    .attr('class', 'fig-sub')
    .text((f) => f.sub ?? '');
  const trace = box.append('div').attr('class', 'figure').attr('data-key', 'trace');
  appendText(trace, 'div', run.traceBytes === undefined ? 'off' : fmtBytes(run.traceBytes), 'fig-value');
  appendText(trace, 'div', 'trace.ndjson', 'fig-label');
  appendText(trace, 'div', `wall ${fmtDuration(run.summary.wall.wallTimeS * 1000)}`, 'fig-sub');
}

function pickers(runs: readonly ServedRun[], primary: ServedRun, other: ServedRun | undefined): void {
  if (runs.length < 2) return;
  const box = d3.select('#run-pickers');
  const go = (run: string, compare: string) => {
    location.search = `?run=${encodeURIComponent(run)}&compare=${encodeURIComponent(compare)}`;
  };
  const make = (label: string, value: string, options: readonly (readonly [string, string])[], onChange: (v: string) => void) => {
    const l = box.append('label').attr('class', 'ctl');
    appendText(l, 'span', label);
    const sel = l.append('select');
    sel
      .selectAll('option')
      .data(options)
      .join('option')
      .attr('value', (d) => d[0])
      .text((d) => d[1]);
    sel.property('value', value).on('change', function () {
      onChange((this as HTMLSelectElement).value);
    });
  };
  const options = runs.map((r) => [r.id, r.name] as const);
  make('run', primary.id, options, (v) => go(v, other?.id ?? 'none'));
  make('compare with', other?.id ?? 'none', [['none', '(none)'], ...options.filter(([id]) => id !== primary.id)], (v) => go(primary.id, v));
}

async function fetchJson<T>(url: string): Promise<T> {
  const text = await fetchText(url);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${url}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

function afterPaint(): Promise<void> {
  return new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
}

const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
/** A macrotask boundary (no 4 ms clamp, unlike nested setTimeout): paint and input can run. */
function yieldToBrowser(): Promise<void> {
  return new Promise((done) => {
    waiting.push(done);
    channel.port2.postMessage(null);
  });
}
