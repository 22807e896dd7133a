// The visualizer in a real browser: small runs made by the simulator itself, `sim viz`'s
// server on loopback, Debian's Chromium through playwright-core. Every view is checked
// against figures computed here from the same files (summary.json, metrics.csv, the trace
// through the data layer), brushing and filters against the data layer's answers for the
// same window, and text from a doctored trace must stay text. Screenshots go to
// test-artifacts/ (gitignored).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViz, type VizServer } from '../../sim/cli/commands/viz.js';
import type { RunSummary } from '../../sim/run/run.js';
import { parseMetricsCsv } from '../../viz/src/data/csv.js';
import { headlineFigures, loginTimeCdfs } from '../../viz/src/data/summary.js';
import { TraceStore, TCP, UDP, type TraceModel } from '../../viz/src/data/trace.js';
import { TrafficAggregator, type TrafficFilter } from '../../viz/src/data/traffic.js';
import { brushWithMouse, launch, loadTimes, openRun, timelinePoint, type Browser, type VizWindow } from './browser.js';
import { makeRun, root, SMALL_RUN } from './fixture.js';

const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_MSG = '<script>window.__pwned=2</script>';
const HOSTILE_SCENARIO = '<b onmouseover="window.__pwned=4">churn</b>';
const artifacts = join(root, 'test-artifacts');

const dir = mkdtempSync(join(tmpdir(), 'viz-browser-'));
let server: VizServer;
let browser: Browser;
let page: Page;
let a: { path: string; summary: RunSummary };
let b: { path: string; summary: RunSummary };
let store: TraceStore;
let model: TraceModel;
let hostileHost: number;
let layout: string[];

/** The run's trace through the data layer, as the page reads it. */
function readTrace(path: string): TraceStore {
  const s = new TraceStore();
  for (const line of readFileSync(join(path, 'trace.ndjson'), 'utf8').split('\n')) if (line) s.addLine(line);
  return s;
}

/** A copy of run `from` whose trace names one user and one message type with markup, plus a garbage line. */
function doctoredCopy(from: string, to: string): { name: string } {
  mkdirSync(to);
  for (const f of ['.sim-run', 'metrics.csv']) copyFileSync(join(from, f), join(to, f));
  const summary = readFileSync(join(from, 'summary.json'), 'utf8').replace('"scenario": "churn"', `"scenario": ${JSON.stringify(HOSTILE_SCENARIO)}`);
  writeFileSync(join(to, 'summary.json'), summary);
  const trace = readFileSync(join(from, 'trace.ndjson'), 'utf8');
  const victim = /"event":"clientAttached","detail":\{"name":"([^"]+)"/.exec(trace)![1];
  const lines = trace
    .split(`"name":"${victim}"`)
    .join(`"name":${JSON.stringify(HOSTILE_NAME)}`)
    .split('"msg":"presence"')
    .join(`"msg":${JSON.stringify(HOSTILE_MSG)}`)
    .split('\n');
  lines.splice(100, 0, '<img src=x onerror="window.__pwned=3">');
  writeFileSync(join(to, 'trace.ndjson'), lines.join('\n'));
  return { name: victim };
}

function fmt(n: number): string {
  return new Intl.NumberFormat('en-US').format(n);
}

/** Ordinary hosts drawn as dots: those with events of their own that never served as SN. */
function snHosts(m: TraceModel): Set<number> {
  return new Set([...m.snIntervals.map((i) => i.host), ...m.attachments.map((x) => x.sn).filter((h) => h >= 0)]);
}

function dotHosts(m: TraceModel): Set<number> {
  const sns = snHosts(m);
  return new Set(m.hosts.filter((h) => h.role === 'host' && !sns.has(h.id) && m.nodeEventsByHost.has(h.id)).map((h) => h.id));
}

/** Distinct (host, SN) attachments of dot hosts overlapping [t0, t1): what the overlay's line widths add up to. */
function attachedPairs(m: TraceModel, t0: number, t1: number): number {
  const dots = dotHosts(m);
  const sns = snHosts(m);
  return new Set(m.attachments.filter((x) => x.start < t1 && x.end > t0 && dots.has(x.host) && sns.has(x.sn)).map((x) => `${x.host}>${x.sn}`)).size;
}

function onlineAt(m: TraceModel, t: number): number {
  const dots = dotHosts(m);
  return new Set(m.attachments.filter((x) => x.start <= t && t < x.end && dots.has(x.host)).map((x) => x.host)).size;
}

const inPage = <T>(fn: () => T): Promise<T> => page.evaluate(fn);
const texts = (selector: string): Promise<string[]> => page.locator(selector).allTextContents();
const attrs = (selector: string, name: string): Promise<(string | null)[]> => page.locator(selector).evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name);

beforeAll(async () => {
  a = await makeRun(dir, 'a', SMALL_RUN);
  b = await makeRun(dir, 'b', [...SMALL_RUN, 'seed=7', 'hosts[0].count=40', 'hosts[1].count=40']);
  const victim = doctoredCopy(a.path, join(dir, 'doctored'));
  store = readTrace(a.path);
  model = store.model();
  hostileHost = model.hosts.find((h) => h.name === victim.name)!.id;
  const c = await makeRun(dir, 'c', ['hosts[0].count=10', 'hosts[1].count=10', 'hosts[2].count=10', 'hosts[3].count=10', 'duration=3min', 'output.trace=off']);
  // A run directory whose summary.json is not JSON (hand-edited, truncated).
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'summary.json'), '{"name": "broken", "hosts": ');
  writeFileSync(join(broken, 'metrics.csv'), 't_s\n');
  server = await startViz({ runDirs: [a.path, b.path, join(dir, 'doctored'), c.path, broken] });
  browser = await launch();
  page = await browser.context.newPage();
  mkdirSync(artifacts, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the visualizer in Chromium', () => {
  it('serves the runs it was given on loopback', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const runs = (await (await fetch(`${server.url}api/runs`)).json()) as { name: string }[];
    expect(runs.map((r) => r.name)).toEqual(['a', 'b', 'doctored', 'c', 'broken']);
  });

  it('says which file of a run is not JSON, instead of drawing', async () => {
    const brokenPage = await browser.context.newPage();
    await brokenPage.goto(`${server.url}?run=4&compare=none`);
    await brokenPage.waitForFunction(() => (globalThis as unknown as VizWindow).__viz?.error !== null, undefined, { timeout: 60_000 });
    expect(await brokenPage.locator('#load-status').textContent()).toMatch(/^error: runs\/4\/summary\.json: not valid JSON/);
    await brokenPage.close();
  });

  it('draws every view from the run: headline, timeline, distributions, overlay, traffic, sequence, host', async () => {
    await openRun(page, `${server.url}?run=0&compare=none`);
    const s = a.summary;
    const metrics = parseMetricsCsv(readFileSync(join(a.path, 'metrics.csv'), 'utf8'));

    // Headline figures from summary.json.
    expect(await texts('#headline .figure[data-key=hosts] .fig-value')).toEqual(['240']);
    expect(await texts('#headline .figure[data-key=loginsOk] .fig-value')).toEqual([fmt(s.logins.outcomes.ok)]);
    expect(await texts('#headline .figure[data-key=onlineMax] .fig-value')).toEqual([fmt(s.hosts.onlineMax)]);

    // Timeline: a strip per metric group, one point per metrics.csv row.
    expect(await page.locator('#timeline g.strip').count()).toBe(6);
    const d = (await attrs('#timeline path.series-online_hosts', 'd'))[0]!;
    expect(d.split('L').length).toBe(metrics.rows);

    // Distributions: a CDF per host class, bars as the histograms say.
    const classes = loginTimeCdfs(s).map((c) => c.key).sort();
    expect((await attrs('#distributions path.cdf[data-class]', 'data-class')).sort()).toEqual(classes);
    const bars = await page.locator('#distributions rect.attempts-ok').evaluateAll((els) => els.map((e) => [e.getAttribute('data-attempts'), Number(e.getAttribute('data-count'))]));
    expect(Object.fromEntries(bars)).toEqual(s.logins.attemptsPerLogin);

    // Overlay: a dot per ordinary host with events, the SNs and the LS, attachment lines.
    expect(await page.locator('#overlay circle.host-dot').count()).toBe(dotHosts(model).size);
    expect(await page.locator('#overlay g.sn-node').count()).toBe(s.hosts.bootstrapSupernodes);
    expect(await page.locator('#overlay g.ls-node').count()).toBe(s.hosts.loginServers);
    const weights = (await attrs('#overlay line.link.attach', 'data-weight')).map(Number);
    expect(weights.reduce((x, y) => x + y, 0)).toBe(attachedPairs(model, 0, s.status.simulatedMs));
    expect(await page.locator('#overlay circle.host-dot.online').count()).toBe(onlineAt(model, s.status.simulatedMs));
    layout = await attrs('#overlay g.cluster, #overlay g.infra', 'transform').then((t) => t.map(String));

    // Traffic: a bar per message type, each as many sends as summary.json counts.
    const typeBars = await page.locator('#traffic g.type-bar').evaluateAll((els) => els.map((e) => [e.getAttribute('data-type'), Number(e.getAttribute('data-sent')), Number(e.getAttribute('data-dropped'))] as const));
    const byType = s.traffic.byType as Record<string, { sentPackets: number; droppedPackets: number }>;
    expect(typeBars.length).toBe(Object.keys(byType).length);
    for (const [type, sent, dropped] of typeBars) {
      if (type === 'tcp-ack') continue; // ACKs of data segments are counted, not traced
      expect({ type, sent, dropped }).toEqual({ type, sent: byType[type!].sentPackets, dropped: byType[type!].droppedPackets });
    }
    expect(await page.locator('#traffic g.link-bar').count()).toBe(15);

    // Sequence and host panel: the login with the most attempts, step by step.
    const st = await inPage(() => (globalThis as unknown as VizWindow).__viz.state());
    const login = model.loginsByHost.get(st.host)![st.login];
    expect(login.steps.length).toBe(Math.max(...model.logins.filter((l) => l.outcome === 'ok').map((l) => l.steps.length)));
    expect(await page.locator('#sequence .note.step').count()).toBe(login.steps.length);
    expect(await page.locator('#sequence .step-chip').count()).toBe(login.steps.length);
    expect(await page.locator('#sequence g.msg').count()).toBeGreaterThan(login.steps.length);
    expect(await texts('#sequence .lane-title')).toContain(store.nameOf(login.superNodeHost));
    expect(await texts('#host .host-name')).toEqual([store.nameOf(st.host)]);
    const natRows = (model.natEventsByHost.get(st.host) ?? []).length;
    expect(await page.locator('#host .host-nat-events tbody tr').count()).toBe(Math.min(60, natRows));

    const load = await loadTimes(page);
    console.log(`viz small run: first paint ${load.firstPaintMs.toFixed(0)} ms, trace views ${load.traceReadyMs.toFixed(0)} ms (${fmt(load.traceLines)} events)`);
    await page.screenshot({ path: join(artifacts, 'viz-run.png'), fullPage: true });
  });

  it('brushing the timeline filters traffic, overlay and host panel to the window', async () => {
    const end = a.summary.status.simulatedMs;
    const whole = new TrafficAggregator(store).window(0, Infinity);
    await page.locator('#timeline').scrollIntoViewIfNeeded();
    const m = await brushWithMouse(page, end, 5 * 60_000, 10 * 60_000, 2 * 60_000, 10);
    console.log(`viz small run, brushing: handler ${JSON.stringify(m.handler)} ms, frames ${JSON.stringify(m.frames)} ms`);
    const st = await inPage(() => (globalThis as unknown as VizWindow).__viz.state());
    const [t0, t1] = st.window!;
    expect(Math.abs(t0 - 7 * 60_000)).toBeLessThan(end / 100);
    expect(Math.abs(t1 - 12 * 60_000)).toBeLessThan(end / 100);

    const expected = new TrafficAggregator(store).window(t0, t1);
    const shown = await inPage(() => (globalThis as unknown as VizWindow).__viz.traffic()!);
    expect(shown.totalSent).toBe(expected.totalSent);
    expect(shown.totalSent).toBeLessThan(whole.totalSent);
    const barSum = (await attrs('#traffic g.type-bar', 'data-sent')).map(Number).reduce((x, y) => x + y, 0);
    expect(barSum).toBe(expected.totalSent);
    expect(await texts('#traffic .totals')).toEqual([expect.stringContaining(`${fmt(expected.totalSent)} messages`)]);

    const weights = (await attrs('#overlay line.link.attach', 'data-weight')).map(Number);
    expect(weights.reduce((x, y) => x + y, 0)).toBe(attachedPairs(model, t0, t1));
    const online = onlineAt(model, t1);
    await page.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#overlay circle.host-dot.online').length === n, online);
    await page.locator('#host .host-strip .window-shade').waitFor();
    expect(await page.locator('#timeline .brush .selection').getAttribute('width')).not.toBeNull();

    // A click outside the selection clears it: the whole run again.
    const outside = await timelinePoint(page, 18 * 60_000, end);
    await page.mouse.click(outside.x, outside.y);
    expect((await inPage(() => (globalThis as unknown as VizWindow).__viz.state())).window).toBeNull();
    expect((await inPage(() => (globalThis as unknown as VizWindow).__viz.traffic()!)).totalSent).toBe(whole.totalSent);
  });

  it('filters traffic by message type, transport and host', async () => {
    const agg = new TrafficAggregator(store);
    const check = async (filter: TrafficFilter) => {
      const shown = await inPage(() => (globalThis as unknown as VizWindow).__viz.traffic()!);
      expect(shown.totalSent).toBe(agg.window(0, Infinity, filter).totalSent);
      return shown;
    };
    await page.locator('#traffic .ctl-msg select').selectOption('keepAlive');
    expect(await attrs('#traffic g.type-bar', 'data-type')).toEqual(['keepAlive']);
    expect(await attrs('#traffic g.type-bar', 'data-sent')).toEqual([String((a.summary.traffic.byType as Record<string, { sentPackets: number }>).keepAlive.sentPackets)]);
    await check({ msg: store.msgId('keepAlive'), proto: -1, host: -1 });
    await page.locator('#traffic .ctl-msg select').selectOption('');
    await page.locator('#traffic .ctl-proto select').selectOption('udp');
    expect((await attrs('#traffic g.type-bar', 'data-type')).filter((t) => t!.startsWith('tcp-'))).toEqual([]);
    await check({ msg: -1, proto: UDP, host: -1 });
    await page.locator('#traffic .ctl-proto select').selectOption('tcp');
    await check({ msg: -1, proto: TCP, host: -1 });
    await page.locator('#traffic .ctl-proto select').selectOption('');
    const host = model.logins.find((l) => l.outcome === 'ok')!.host;
    await page.locator('#traffic .ctl-host input').fill(store.nameOf(host));
    await page.locator('#traffic .ctl-host input').dispatchEvent('change');
    const shown = await check({ msg: -1, proto: -1, host });
    expect(shown.totalSent).toBeGreaterThan(0);
    for (const [x, y] of await page.locator('#traffic g.link-bar').evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-a')), Number(e.getAttribute('data-b'))]))) {
      expect(x === host || y === host).toBe(true);
    }
    await page.locator('#traffic .ctl-host input').fill('');
    await page.locator('#traffic .ctl-host input').dispatchEvent('change');
    await check({ msg: -1, proto: -1, host: -1 });
  });

  it('the rendering helpers put hostile strings on the page as text', async () => {
    const result = await page.evaluate((hostile) => {
      type El = { textContent: string | null; querySelector(s: string): unknown; append(...n: unknown[]): void; remove(): void };
      const g = globalThis as unknown as VizWindow & { document: { createElement(t: string): El; body: El; getElementById(id: string): El } };
      const box = g.document.createElement('div');
      g.document.body.append(box);
      const t = g.__viz.text;
      t.appendText(t.select(box), 'span', hostile);
      const viaAppend = { text: box.textContent, img: box.querySelector('img') !== null };
      const el = g.document.createElement('p');
      t.setText(el, hostile);
      const viaSet = { text: el.textContent, img: el.querySelector('img') !== null };
      t.showTooltip({ clientX: 10, clientY: 10 }, [hostile, `detail ${hostile}`]);
      const tip = g.document.getElementById('tooltip');
      const viaTooltip = { text: tip.textContent, img: tip.querySelector('img') !== null };
      t.hideTooltip();
      box.remove();
      return { viaAppend, viaSet, viaTooltip, pwned: (g as unknown as { __pwned?: number }).__pwned ?? null };
    }, HOSTILE_NAME);
    expect(result).toEqual({
      viaAppend: { text: HOSTILE_NAME, img: false },
      viaSet: { text: HOSTILE_NAME, img: false },
      viaTooltip: { text: `${HOSTILE_NAME}detail ${HOSTILE_NAME}`, img: false },
      pwned: null,
    });
  });

  it('a trace with markup in names and message types renders it as text', async () => {
    const doctored = await browser.context.newPage();
    await openRun(doctored, `${server.url}?run=2&compare=none`);
    await doctored.evaluate((h) => (globalThis as unknown as VizWindow).__viz.selectHost(h), hostileHost);
    await doctored.locator('#host .host-name').waitFor();
    expect(await doctored.locator('#host .host-name').allTextContents()).toEqual([HOSTILE_NAME]);
    expect(await doctored.locator('#run-title').textContent()).toContain(HOSTILE_SCENARIO);
    expect(await doctored.locator(`#traffic g.type-bar[data-type="${HOSTILE_MSG.replace(/"/g, '\\"')}"]`).count()).toBe(1);
    expect((await doctored.locator('#traffic .axis.y text').allTextContents()).some((t) => t.startsWith('<script>'))).toBe(true);
    await doctored.locator('#overlay circle.host-dot').first().hover();
    const dom = await doctored.evaluate(() => {
      const g = globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } }; __pwned?: number; __viz: VizWindow['__viz'] };
      return { img: g.document.querySelectorAll('img').length, handlers: g.document.querySelectorAll('[onerror], [onmouseover]').length, scripts: g.document.querySelectorAll('script:not([type=module])').length, pwned: g.__pwned ?? null, malformed: g.__viz.model()!.malformed };
    });
    expect(dom).toEqual({ img: 0, handlers: 0, scripts: 0, pwned: null, malformed: 1 });
    await doctored.screenshot({ path: join(artifacts, 'viz-doctored-trace.png'), fullPage: true });
    await doctored.close();
  });

  it('draws what summary.json and metrics.csv give for a run without a trace', async () => {
    const plain = await browser.context.newPage();
    await openRun(plain, `${server.url}?run=3&compare=none`, 60_000, 'summary');
    expect(await plain.locator('#headline .figure[data-key=hosts] .fig-value').textContent()).toBe('40');
    expect(await plain.locator('#headline .figure[data-key=trace] .fig-value').textContent()).toBe('off');
    expect(await plain.locator('#timeline g.strip').count()).toBeGreaterThan(3);
    expect(await plain.locator('#distributions svg').count()).toBe(3);
    expect(await plain.locator('#slot-overlay .trace-status').textContent()).toContain('no trace');
    expect(await plain.locator('#load-status').textContent()).toContain('no trace');
    await plain.close();
  });

  it('compares two runs side by side, and draws the same overlay for the same run', async () => {
    const compare = await browser.context.newPage();
    await openRun(compare, `${server.url}?run=0&compare=1`);
    const figures = headlineFigures(b.summary, parseMetricsCsv(readFileSync(join(b.path, 'metrics.csv'), 'utf8')));
    expect(await compare.locator('#compare tbody tr').count()).toBe(figures.length);
    expect(await compare.locator('#compare tr[data-key=hosts] .run-a').textContent()).toBe('240');
    expect(await compare.locator('#compare tr[data-key=hosts] .run-b').textContent()).toBe(fmt(b.summary.hosts.ordinary));
    expect(await compare.locator('#compare tr[data-key=loginsOk] .run-b').textContent()).toBe(fmt(b.summary.logins.outcomes.ok));
    expect(await compare.locator('#compare path.run-a').count()).toBe(4);
    expect(await compare.locator('#compare path.run-b').count()).toBe(4);
    await compare.locator('#compare').screenshot({ path: join(artifacts, 'viz-compare.png') });
    // Seeded layout, ticked before paint: the same positions on another load.
    expect(await compare.locator('#overlay g.cluster, #overlay g.infra').evaluateAll((els) => els.map((e) => String(e.getAttribute('transform'))))).toEqual(layout);
    await compare.close();
  });
});
