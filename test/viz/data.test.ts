// The visualizer's data layer (viz/src/data), in Node, against a real run: the line splitter,
// metrics.csv, and the trace aggregated as it streams - counts that must equal summary.json's
// and metrics.csv's, and what is recovered from the trace (names, NAT hosts, logins).
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/run/run.js';
import { parseMetricsCsv, sumOver, type MetricsTable } from '../../viz/src/data/csv.js';
import { forEachLine } from '../../viz/src/data/lines.js';
import { headlineFigures, incompleteText, loginTimeCdfs, mixCdfs } from '../../viz/src/data/summary.js';
import { TraceStore } from '../../viz/src/data/trace.js';
import { NO_FILTER, TrafficAggregator } from '../../viz/src/data/traffic.js';
import { makeRun, SMALL_RUN } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'viz-data-'));
let runPath: string;
let summary: RunSummary;
let metrics: MetricsTable;
let store: TraceStore;

beforeAll(async () => {
  ({ path: runPath, summary } = await makeRun(dir, 'small', SMALL_RUN));
  metrics = parseMetricsCsv(readFileSync(join(runPath, 'metrics.csv'), 'utf8'));
  store = new TraceStore();
  const stream = Readable.toWeb(createReadStream(join(runPath, 'trace.ndjson'), { highWaterMark: 4096 })) as ReadableStream<Uint8Array>;
  await forEachLine(stream, (line) => store.addLine(line));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
}

describe('forEachLine', () => {
  it('joins lines split between chunks, also inside a multi-byte character, and handles CRLF and a last line without newline', async () => {
    const bytes = new TextEncoder().encode('{"a":"é"}\r\n\n{"b":2}\n{"c":"日本"}');
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 3) chunks.push(bytes.slice(i, i + 3));
    const lines: string[] = [];
    const progress = await forEachLine(streamOf(chunks), (l) => lines.push(l));
    expect(lines).toEqual(['{"a":"é"}', '{"b":2}', '{"c":"日本"}']);
    expect(progress).toEqual({ bytes: bytes.length, lines: 3 });
  });
});

describe('metrics.csv', () => {
  it('has the columns of sim/run/probes.ts, one row per sampling interval', () => {
    for (const c of ['time_s', 'online_hosts', 'supernodes', 'logins_in_progress', 'bytes_sent', 'msgs_probe']) expect(metrics.has(c)).toBe(true);
    expect(metrics.intervalS).toBe(10);
    expect(metrics.rows).toBe(120);
    expect(Math.max(...metrics.col('online_hosts'))).toBe(summary.hosts.onlineMax);
  });
});

describe('the trace, aggregated as it streams', () => {
  it('reads every line', () => {
    expect(store.malformedLines).toBe(0);
    expect(store.lines).toBe(readFileSync(join(runPath, 'trace.ndjson'), 'utf8').trimEnd().split('\n').length);
  });

  it('counts messages per type as summary.json does (all but data-segment ACKs, which are not traced)', () => {
    const w = new TrafficAggregator(store).window(0, Infinity, NO_FILTER);
    const byType = summary.traffic.byType as Record<string, { sentPackets: number; droppedPackets: number; sentBytes: number }>;
    for (const [type, c] of Object.entries(byType)) {
      if (type === 'tcp-ack') continue;
      const id = store.msgId(type);
      expect({ type, sent: w.sent[id], dropped: w.dropped[id], bytes: w.sentBytes[id] }).toEqual({ type, sent: c.sentPackets, dropped: c.droppedPackets, bytes: c.sentBytes });
    }
  });

  it('counts a window as metrics.csv counts its intervals', () => {
    // Rows at 600 s .. 1200 s cover (590 s, 1200 s].
    const w = new TrafficAggregator(store).window(590_000, 1_200_000.0001, NO_FILTER);
    for (const type of ['probe', 'keepAlive', 'attach', 'natProbe', 'challenge']) {
      expect({ type, n: w.sent[store.msgId(type)] }).toEqual({ type, n: sumOver(metrics, `msgs_${type}`, 590, 1200) });
    }
  });

  it('filters by transport and host, and ranks links', () => {
    const agg = new TrafficAggregator(store);
    const all = agg.window(0, Infinity);
    const udp = agg.window(0, Infinity, { msg: -1, proto: 0, host: -1 });
    const tcp = agg.window(0, Infinity, { msg: -1, proto: 1, host: -1 });
    expect(udp.totalSent + tcp.totalSent).toBe(all.totalSent);
    expect(udp.sent[store.msgId('tcp-syn')]).toBe(0);
    const top = all.topLinks[0];
    const one = agg.window(0, Infinity, { msg: -1, proto: -1, host: top.b });
    expect(one.topLinks.some((l) => l.link === top.link && l.messages === top.messages)).toBe(true);
    for (let i = 1; i < all.topLinks.length; i++) expect(all.topLinks[i - 1].messages).toBeGreaterThanOrEqual(all.topLinks[i].messages);
  });

  it('recovers roles, names, logins and attachments', () => {
    const m = store.model();
    const ls = m.hosts.filter((h) => h.role === 'loginServer');
    const sns = m.hosts.filter((h) => h.role === 'bootstrapSupernode');
    expect(ls.length).toBe(summary.hosts.loginServers);
    expect(sns.length).toBe(summary.hosts.bootstrapSupernodes);
    const events = summary.protocol.nodeEvents as Record<string, number>;
    expect(m.logins.length).toBe(events.loginStarted);
    expect(m.logins.filter((l) => l.outcome === 'ok').length).toBe(events.loginSucceeded);
    // Every host that logged in got its name, and a name belongs to one host.
    const loggedIn = new Set(m.logins.filter((l) => l.outcome === 'ok').map((l) => l.host));
    for (const id of loggedIn) expect(m.hostById.get(id)?.nameKnown).toBe(true);
    const names = m.hosts.filter((h) => h.nameKnown).map((h) => h.name);
    expect(new Set(names).size).toBe(names.length);
    // Every ok login attached to an SN the trace knows.
    for (const l of m.logins.filter((x) => x.outcome === 'ok')) expect(m.hostById.get(l.superNodeHost)?.role).toMatch(/upernode/);
    expect(m.attachments.length).toBe(events.loginSucceeded);
    // NAT classes as the hosts' own tests found them.
    const classified = m.hosts.filter((h) => h.role === 'host' && h.natClass !== 'unknown').length;
    expect(classified).toBe(new Set(store.nodeEvents.filter((e) => e.event === 'natClassified').map((e) => e.host)).size);
  });

  it('gives every NAT event its host', () => {
    const m = store.model();
    expect(m.natEventsByHost.get(-1)).toBeUndefined();
    const total = [...m.natEventsByHost.values()].reduce((s, l) => s + l.length, 0);
    expect(total).toBe(store.natEvents.length);
    // A host behind a NAT maps from its own private address.
    for (const [host, list] of m.natEventsByHost) {
      const own = store.natEvents.length > 0 ? list[0].int : '';
      expect({ host, privateSrc: own.startsWith('10.') }).toEqual({ host, privateSrc: true });
    }
  });

  it('skips malformed lines without throwing', () => {
    const s = new TraceStore();
    for (const line of ['not json', '[]', '{"t":"x","ev":"send"}', '{"t":1,"ev":"send","from":1}', '{"t":1,"ev":"unknown"}', 'null']) s.addLine(line);
    s.addLine('{"t":2,"ev":"node","host":3,"event":"loginStarted","detail":{"trigger":"user"}}');
    expect([s.lines, s.malformedLines, s.nodeEvents.length]).toEqual([7, 6, 1]);
    expect(s.model().logins.length).toBe(1);
  });
});

describe('summary.json', () => {
  it('merges login-time CDFs per host class, weighted by count', () => {
    const cdfs = loginTimeCdfs(summary);
    const byClass = summary.logins.timeMsByNatClass as Record<string, { count: number; max: number | null }>;
    for (const c of cdfs) {
      expect(c.count).toBe(byClass[c.key].count);
      expect(c.points[c.points.length - 1]).toEqual([byClass[c.key].max, 1]);
    }
    expect(mixCdfs([
      { summary: { count: 1 }, cdf: [[1, 1]] },
      { summary: { count: 3 }, cdf: [[2, 1 / 3], [4, 1]] },
    ])).toEqual([[1, 0.25], [2, 0.5], [4, 1]]);
  });

  it('gives the headline figures', () => {
    const f = Object.fromEntries(headlineFigures(summary, metrics).map((x) => [x.key, x.value]));
    expect(f.hosts).toBe(240);
    expect(f.loginsOk).toBe(summary.logins.outcomes.ok);
    expect(f.simulated).toBe(1_200_000);
  });

  it('says why a run is incomplete, and nothing for a whole one', () => {
    expect(incompleteText(summary)).toBe('');
    const stopped = { status: { ...summary.status, complete: false, stoppedBecause: 'event budget reached (15000 events)' } };
    expect(incompleteText(stopped)).toBe('INCOMPLETE: event budget reached (15000 events)');
  });
});
