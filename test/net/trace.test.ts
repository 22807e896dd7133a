// The trace: byte-identical for a seed, different for another, field order fixed, levels
// off/sampled/full, streamed in chunks, and no trace work at all when off.
import { describe, expect, it } from 'vitest';
import { Kernel, RngStreams } from '../../sim/kernel/index.js';
import { FIREWALL_KINDS, NAT_PRESETS, Network } from '../../sim/net/index.js';
import type { HostCounters } from '../../sim/net/index.js';
import { MemorySink, TraceWriter } from '../../sim/trace/index.js';
import type { TraceLevel, TraceSink } from '../../sim/trace/index.js';
import { LINK, REGIONS, RTT_MS } from './helpers.js';

const SALT_STREAM = 'trace/sample';

/** A small world with every kind of event: NATs of each type, firewalls, loss, jitter, UDP, TCP, a crash, a partition. */
function run(seed: number, trace: (rngs: RngStreams) => TraceWriter): { counters: HostCounters[]; drops: unknown } {
  const kernel = new Kernel();
  const rngs = new RngStreams(seed);
  const writer = trace(rngs);
  const net = new Network(kernel, rngs, { regions: REGIONS, rttMs: RTT_MS, jitterMs: { kind: 'exponential', mean: 5 } }, writer);
  const work = rngs.stream('test/workload');
  const link = { ...LINK, loss: { kind: 'bernoulli' as const, lossRatio: 0.05 } };
  const hosts: number[] = [];
  for (let i = 0; i < 12; i++) hosts.push(net.addHost({ region: REGIONS[i % 3], link, firewall: FIREWALL_KINDS[i % 4] }));
  for (const preset of NAT_PRESETS) {
    const nat = net.addNat({ region: 'us', preset, mappingTimeoutMs: 10_000 });
    for (let i = 0; i < 3; i++) hosts.push(net.addHost({ region: 'us', link, nat }));
  }
  const handler = {
    onDatagram(host: number, port: number, fromIp: number, fromPort: number, bytes: Uint8Array) {
      if (bytes[0] === 0) net.sendUdp(host, port, fromIp, fromPort, Uint8Array.of(1), 'pong');
    },
    onConnected(host: number, conn: number) {
      net.write(conn, new Uint8Array(work.int(3000)), 'hello');
      if (work.chance(0.5)) net.close(conn);
    },
    onConnectFailed() {},
    onAccepted(host: number, conn: number) {
      net.write(conn, new Uint8Array(50), 'welcome');
    },
    onData() {},
    onClosed() {},
  };
  for (const h of hosts) {
    net.setHandler(h, handler);
    net.listenUdp(h, 1000);
    net.listenTcp(h, 443);
  }
  for (let i = 0; i < 300; i++) {
    kernel.at(
      work.next() * 30_000,
      () => {
        const from = work.pick(hosts);
        const to = work.pick(hosts);
        if (!net.isUp(from)) return;
        const toIp = work.chance(0.7) ? net.ipOf(to) : net.natIp(work.int(4));
        if (work.chance(0.8)) net.sendUdp(from, 1000, toIp, work.chance(0.9) ? 1000 : 1024 + work.int(4), Uint8Array.of(0), 'ping');
        else net.connectTcp(from, toIp, work.chance(0.8) ? 443 : 444);
      },
      null,
    );
  }
  kernel.at(10_000, () => net.crash(hosts[1]), null);
  kernel.at(15_000, () => net.partition(['eu'], ['asia']), null);
  kernel.at(20_000, () => net.heal(), null);
  kernel.at(25_000, () => net.restart(hosts[1]), null);
  kernel.runUntilIdle();
  writer.close();
  return { counters: hosts.map((h) => net.hostCounters(h)), drops: net.drops() };
}

function traced(seed: number, level: TraceLevel, options: { sampleOneInN?: number; chunkChars?: number; salt?: number } = {}) {
  const sink = new MemorySink();
  const result = run(seed, (rngs) =>
    new TraceWriter(sink, { level, sampleSalt: options.salt ?? rngs.stream(SALT_STREAM).int(2 ** 32 - 1), sampleOneInN: options.sampleOneInN, chunkChars: options.chunkChars }),
  );
  return { ...result, text: sink.text(), sink };
}

const FIELDS: Record<string, string[]> = {
  send: ['t', 'ev', 'proto', 'from', 'to', 'src', 'dst', 'msg', 'bytes'],
  deliver: ['t', 'ev', 'proto', 'from', 'to', 'src', 'dst', 'msg', 'bytes'],
  drop: ['t', 'ev', 'proto', 'from', 'to', 'src', 'dst', 'msg', 'bytes', 'reason'],
  'nat-map': ['t', 'ev', 'nat', 'proto', 'int', 'ext', 'rem'],
  'nat-expire': ['t', 'ev', 'nat', 'proto', 'int', 'ext', 'rem'],
  'tcp-connect': ['t', 'ev', 'conn', 'host', 'peer', 'local', 'remote'],
  'tcp-accept': ['t', 'ev', 'conn', 'host', 'peer', 'local', 'remote'],
  'tcp-refuse': ['t', 'ev', 'conn', 'host', 'peer', 'local', 'remote'],
  'tcp-timeout': ['t', 'ev', 'conn', 'host', 'peer', 'local', 'remote'],
  'tcp-close': ['t', 'ev', 'conn', 'host', 'peer', 'local', 'remote', 'reason'],
};

describe('trace', () => {
  it('is byte-identical for one seed and differs for another', () => {
    const a = traced(42, 'full');
    const b = traced(42, 'full');
    const c = traced(43, 'full');
    expect(a.text.length).toBeGreaterThan(10_000);
    expect(b.text).toBe(a.text);
    expect(c.text).not.toBe(a.text);
  });

  it('has every kind of event, each with its fields in the documented order, time never going back', () => {
    const lines = traced(42, 'full').text.trimEnd().split('\n');
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(new Set(events.map((e) => e.ev))).toEqual(new Set(Object.keys(FIELDS)));
    for (const e of events) expect(Object.keys(e)).toEqual(FIELDS[String(e.ev)]);
    const reasons = new Set(events.filter((e) => e.ev === 'drop').map((e) => e.reason));
    for (const r of ['loss', 'nat-filter', 'firewall', 'dead-host', 'no-listener', 'partition']) expect(reasons).toContain(r);
    events.forEach((e, i) => i === 0 || expect(e.t as number).toBeGreaterThanOrEqual(events[i - 1].t as number));
  });

  it('does not change the run: off, sampled and full give the same counters', () => {
    const full = traced(42, 'full');
    const sampled = traced(42, 'sampled');
    const off = traced(42, 'off');
    expect(off.text).toBe('');
    expect(sampled.counters).toEqual(full.counters);
    expect(off.counters).toEqual(full.counters);
    expect(off.drops).toEqual(full.drops);
  });

  it('sampled keeps exactly the packet and TCP events of sampled hosts, a subsequence of full, chosen by the salt', () => {
    const oneInN = 4;
    const full = traced(42, 'full').text.trimEnd().split('\n');
    const sampled = traced(42, 'sampled', { sampleOneInN: oneInN }).text.trimEnd().split('\n');
    const salt = new RngStreams(42).stream(SALT_STREAM).int(2 ** 32 - 1);
    const keeper = new TraceWriter(new MemorySink(), { level: 'sampled', sampleOneInN: oneInN, sampleSalt: salt });
    const about = (line: string) => {
      const e = JSON.parse(line) as Record<string, number>;
      return [e.from, e.to, e.host, e.peer].filter((h) => h !== undefined);
    };
    const hostLines = (lines: string[]) => lines.filter((l) => !l.includes('"ev":"nat-'));
    expect(hostLines(sampled)).toEqual(hostLines(full).filter((l) => about(l).some((h) => keeper.keeps(h))));
    // NAT lines too are a subsequence of the full trace.
    let i = 0;
    for (const line of sampled) {
      while (i < full.length && full[i] !== line) i++;
      expect(i).toBeLessThan(full.length);
    }
    expect(sampled.length).toBeGreaterThan(0);
    expect(sampled.length).toBeLessThan(full.length);
    const otherSalt = traced(42, 'sampled', { sampleOneInN: oneInN, salt: salt + 1 }).text;
    expect(otherSalt).not.toBe(sampled.join('\n') + '\n');
  });

  it('streams: the sink gets whole lines in chunks as the run goes, not one buffer at the end', () => {
    const chunks: string[] = [];
    let closed = false;
    const sink: TraceSink = {
      write: (chunk) => chunks.push(chunk),
      close: () => {
        closed = true;
      },
    };
    run(42, () => new TraceWriter(sink, { level: 'full', chunkChars: 2000 }));
    expect(closed).toBe(true);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.endsWith('\n')).toBe(true);
      expect(chunk.length).toBeLessThan(2000 + 400);
    }
    expect(chunks.join('')).toBe(traced(42, 'full').text);
  });

  it('when off, the network never calls the writer', () => {
    class Tripwire extends TraceWriter {
      override packet(): void {
        throw new Error('packet traced while off');
      }
      override nat(): void {
        throw new Error('nat traced while off');
      }
      override tcp(): void {
        throw new Error('tcp traced while off');
      }
    }
    expect(() => run(42, () => new Tripwire(new MemorySink(), { level: 'off' }))).not.toThrow();
    expect(() => run(42, () => new Tripwire(new MemorySink(), { level: 'full' }))).toThrow(/traced while off/);
  });
});
