// Aggregate datagrams and writes (`packets` N > 1, media in flow mode): counted as N packets,
// lost packet by packet with the draws N single packets would make, delivered once with the
// survivors, timed as one packet, filtered as one packet.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LinkSpec, LossSpec, Network } from '../../sim/net/index.js';
import { ByteMemorySink, PcapWriter } from '../../sim/trace/index.js';
import { LINK, Recorder, bytesOf, setup } from './helpers.js';

/** What a host heard by datagram: when, how many bytes, and the `packets` the network passed. */
interface Got {
  t: number;
  size: number;
  packets: number | undefined;
}

/** A recorder that also keeps the `packets` argument of every datagram. */
class AggregateRecorder extends Recorder {
  readonly got: Got[] = [];
  override onDatagram(host: number, localPort: number, fromIp: number, fromPort: number, bytes: Uint8Array, packets?: number): void {
    super.onDatagram(host, localPort, fromIp, fromPort, bytes);
    this.got.push({ t: this.heard[this.heard.length - 1].t, size: bytes.length, packets });
  }
}

const PAYLOAD_BYTES = 160;

/**
 * a -> b over one region, `rounds` times one second apart: each round either one aggregate of
 * `packets` or `packets` single datagrams, back to back. Returns everything the network counted.
 */
function flow(options: { packets: number; rounds: number; aggregate: boolean; up?: LossSpec; down?: LossSpec; seed?: number }) {
  const s = setup({ seed: options.seed ?? 1 });
  const rec = new AggregateRecorder(s.kernel);
  const a = s.net.addHost({ region: 'eu', link: { ...LINK, loss: options.up } }, rec);
  const b = s.net.addHost({ region: 'eu', link: { ...LINK, loss: options.down } }, rec);
  s.net.listenUdp(b, 1000);
  for (let round = 0; round < options.rounds; round++) {
    s.kernel.at(
      round * 1000,
      () => {
        if (options.aggregate) s.net.sendUdp(a, 1000, s.net.ipOf(b), 1000, bytesOf(PAYLOAD_BYTES), 'voice', options.packets);
        else for (let i = 0; i < options.packets; i++) s.net.sendUdp(a, 1000, s.net.ipOf(b), 1000, bytesOf(PAYLOAD_BYTES), 'voice');
      },
      null,
    );
  }
  s.kernel.runUntilIdle();
  return { net: s.net, got: rec.got, counted: counted(s.net, a, b) };
}

function counted(net: Network, a: number, b: number) {
  return { a: net.hostCounters(a), b: net.hostCounters(b), byType: net.msgTypeCounters(), drops: net.drops() };
}

const survivorsOf = (got: Got[]) => got.reduce((sum, g) => sum + (g.packets ?? 1), 0);

describe('aggregate datagrams', () => {
  it('count as N datagrams of their size: N packets and N x (size + 28) bytes everywhere', () => {
    const { counted: agg, got } = flow({ packets: 50, rounds: 3, aggregate: true });
    const wire = PAYLOAD_BYTES + 28;
    expect(agg.a).toEqual({ sentBytes: 150 * wire, sentPackets: 150, receivedBytes: 0, receivedPackets: 0 });
    expect(agg.b).toEqual({ sentBytes: 0, sentPackets: 0, receivedBytes: 150 * wire, receivedPackets: 150 });
    expect(agg.byType).toEqual([{ msgType: 'voice', sentBytes: 150 * wire, sentPackets: 150, deliveredBytes: 150 * wire, deliveredPackets: 150, droppedPackets: 0 }]);
    expect(got.map((g) => g.packets)).toEqual([50, 50, 50]);
    const { counted: singles } = flow({ packets: 50, rounds: 3, aggregate: false });
    expect(agg).toEqual(singles);
  });

  for (const [name, up, down] of [
    ['Bernoulli', { kind: 'bernoulli', lossRatio: 0.2 }, { kind: 'bernoulli', lossRatio: 0.1 }],
    ['Gilbert-Elliott', { kind: 'gilbert-elliott', pGoodToBad: 0.05, pBadToGood: 0.3, lossRatioGood: 0.01, lossRatioBad: 0.6 }, { kind: 'bernoulli', lossRatio: 0.05 }],
  ] as [string, LossSpec, LossSpec][]) {
    it(`under ${name} loss, counters and survivors equal those of N single datagrams (same seed, same draws)`, () => {
      for (const seed of [1, 2, 3]) {
        const agg = flow({ packets: 40, rounds: 50, aggregate: true, up, down, seed });
        const singles = flow({ packets: 40, rounds: 50, aggregate: false, up, down, seed });
        expect(agg.counted).toEqual(singles.counted);
        expect(survivorsOf(agg.got)).toBe(survivorsOf(singles.got));
        expect(survivorsOf(agg.got)).toBe(agg.counted.byType[0].deliveredPackets);
        // Some packets were lost, and at least one aggregate got through only in part.
        expect(agg.counted.drops.loss).toBeGreaterThan(0);
        expect(agg.got.some((g) => g.packets! < 40)).toBe(true);
      }
    });
  }

  it('with Bernoulli loss p, survivors average N(1 - p) and a fraction p^N of aggregates is lost whole', () => {
    for (const [packets, p] of [
      [4, 0.5],
      [50, 0.05],
    ]) {
      const rounds = 20_000;
      const { got, counted: c } = flow({ packets, rounds, aggregate: true, up: { kind: 'bernoulli', lossRatio: p } });
      const meanSurvivors = survivorsOf(got) / rounds;
      // Survivors per aggregate are Binomial(N, 1 - p): sd sqrt(N p (1 - p)); whole losses Binomial(rounds, p^N).
      expect(Math.abs(meanSurvivors - packets * (1 - p))).toBeLessThan(4.5 * Math.sqrt((packets * p * (1 - p)) / rounds));
      const wholeLoss = p ** packets;
      const wholeLossRatio = (rounds - got.length) / rounds;
      expect(Math.abs(wholeLossRatio - wholeLoss)).toBeLessThan(4.5 * Math.sqrt((wholeLoss * (1 - wholeLoss)) / rounds) + 1 / rounds);
      expect(c.drops.loss + survivorsOf(got)).toBe(packets * rounds);
      expect(got.every((g) => g.packets! >= 1 && g.packets! <= packets)).toBe(true);
    }
  });

  it('arrive after one packet’s delay, while the uplink stays busy for all N', () => {
    const { kernel, net } = setup();
    const rec = new AggregateRecorder(kernel);
    const a = net.addHost({ region: 'eu', link: LINK }, rec);
    const b = net.addHost({ region: 'us', link: LINK }, rec);
    net.listenUdp(b, 1000);
    net.sendUdp(a, 1000, net.ipOf(b), 1000, bytesOf(PAYLOAD_BYTES), 'voice', 50);
    net.sendUdp(a, 1000, net.ipOf(b), 1000, bytesOf(PAYLOAD_BYTES, 1), 'after');
    kernel.runUntilIdle();
    const wire = PAYLOAD_BYTES + 28;
    const upMs = (wire * 8000) / LINK.uplinkBitsPerSec;
    const restMs = 5 + 100 / 2 + 5 + (wire * 8000) / LINK.downlinkBitsPerSec;
    expect(rec.got[0].packets).toBe(50);
    expect(rec.got[0].t).toBeCloseTo(upMs + restMs, 9);
    // The datagram queued behind the aggregate waits for all 50 of its packets.
    expect(rec.got[1].packets).toBe(1);
    expect(rec.got[1].t).toBeCloseTo(51 * upMs + restMs, 9);
  });

  it('fill a bounded uplink queue packet by packet: what does not fit is dropped, the rest goes', () => {
    const { kernel, net } = setup();
    const rec = new AggregateRecorder(kernel);
    const wire = PAYLOAD_BYTES + 28;
    const a = net.addHost({ region: 'eu', link: { ...LINK, queueLimitBytes: 5 * wire } }, rec);
    const b = net.addHost({ region: 'eu', link: LINK }, rec);
    net.listenUdp(b, 1000);
    net.sendUdp(a, 1000, net.ipOf(b), 1000, bytesOf(PAYLOAD_BYTES), 'voice', 8);
    kernel.runUntilIdle();
    expect(net.drops()['queue-overflow']).toBe(3);
    expect(net.hostCounters(a)).toMatchObject({ sentPackets: 5, sentBytes: 5 * wire });
    expect(rec.got.map((g) => g.packets)).toEqual([5]);
  });

  it('meet NAT filtering as one datagram: refused whole (N counted), or let through whole', () => {
    const { kernel, net } = setup();
    const rec = new AggregateRecorder(kernel);
    const nat = net.addNat({ region: 'eu', preset: 'port-restricted-cone' });
    const inside = net.addHost({ region: 'eu', link: LINK, nat }, rec);
    const peer = net.addHost({ region: 'eu', link: LINK }, rec);
    const stranger = net.addHost({ region: 'eu', link: LINK }, rec);
    net.listenUdp(inside, 4000);
    net.listenUdp(peer, 1000);
    net.sendUdp(inside, 4000, net.ipOf(peer), 1000, bytesOf(1), 'hello');
    // Not until idle: that would run the mapping's expiry too.
    kernel.runUntil(1000);
    const seen = rec.heard.find((h) => h.kind === 'datagram' && h.host === peer)!;
    if (seen.kind !== 'datagram') throw new Error('unreachable');
    net.sendUdp(stranger, 1000, seen.fromIp, seen.fromPort, bytesOf(PAYLOAD_BYTES), 'voice', 50);
    kernel.runUntil(2000);
    expect(net.drops()['nat-filter']).toBe(50);
    expect(rec.got.filter((g) => g.size === PAYLOAD_BYTES)).toEqual([]);
    net.sendUdp(peer, 1000, seen.fromIp, seen.fromPort, bytesOf(PAYLOAD_BYTES), 'voice', 50);
    kernel.runUntilIdle();
    expect(rec.got.filter((g) => g.size === PAYLOAD_BYTES).map((g) => g.packets)).toEqual([50]);
    expect(net.msgTypeCounters().find((c) => c.msgType === 'voice')).toMatchObject({ sentPackets: 100, deliveredPackets: 50, droppedPackets: 50 });
  });

  it('meet a firewall as one datagram', () => {
    const { kernel, net } = setup();
    const rec = new AggregateRecorder(kernel);
    const guarded = net.addHost({ region: 'eu', link: LINK, firewall: 'stateful' }, rec);
    const other = net.addHost({ region: 'eu', link: LINK }, rec);
    net.listenUdp(guarded, 1000);
    net.sendUdp(other, 1000, net.ipOf(guarded), 1000, bytesOf(10), 'voice', 7);
    kernel.runUntilIdle();
    expect(net.drops().firewall).toBe(7);
    expect(rec.got).toEqual([]);
  });

  it('are one trace record with a packets field; plain datagrams keep their old records', () => {
    const s = setup({ trace: 'full' });
    const rec = new AggregateRecorder(s.kernel);
    const a = s.net.addHost({ region: 'eu', link: { ...LINK, loss: { kind: 'bernoulli', lossRatio: 0.3 } } }, rec);
    const b = s.net.addHost({ region: 'eu', link: LINK }, rec);
    s.net.listenUdp(b, 1000);
    s.net.sendUdp(a, 1000, s.net.ipOf(b), 1000, bytesOf(PAYLOAD_BYTES), 'voice', 50);
    s.net.sendUdp(a, 1000, s.net.ipOf(b), 1000, bytesOf(1), 'plain');
    s.kernel.runUntilIdle();
    s.trace.close();
    const lines = s.sink.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const voice = lines.filter((l) => l.msg === 'voice');
    const send = voice.filter((l) => l.ev === 'send');
    const deliver = voice.filter((l) => l.ev === 'deliver');
    const drop = voice.filter((l) => l.ev === 'drop');
    expect(send).toHaveLength(1);
    expect(send[0]).toMatchObject({ bytes: PAYLOAD_BYTES + 28, packets: 50 });
    expect(Object.keys(send[0])).toEqual(['t', 'ev', 'proto', 'from', 'to', 'src', 'dst', 'msg', 'bytes', 'packets']);
    expect(deliver).toHaveLength(1);
    expect(drop).toHaveLength(1);
    expect(Object.keys(drop[0])).toEqual(['t', 'ev', 'proto', 'from', 'to', 'src', 'dst', 'msg', 'bytes', 'packets', 'reason']);
    expect((deliver[0].packets as number) + (drop[0].packets as number)).toBe(50);
    expect(deliver[0].packets).toBe(rec.got[0].packets);
    for (const l of lines.filter((x) => x.msg === 'plain')) expect('packets' in l).toBe(false);
  });

  it('are written to the pcap once, their count in the comment', () => {
    const sink = new ByteMemorySink();
    const pcap = new PcapWriter(sink);
    pcap.packet(1, 'send', 'udp', 0, 1, 1, 1000, 2, 1000, 'voice', 188, null, 50);
    pcap.packet(2, 'send', 'udp', 0, 1, 1, 1000, 2, 1000, 'plain', 29, null, 1);
    pcap.close();
    const text = sink.bytes().toString('latin1');
    expect(text).toContain('voice; packets: 50');
    expect(text).toContain('plain');
    expect(text).not.toContain('plain; packets');
  });

  it('refuse a packet count that is not a positive integer', () => {
    const { net } = setup();
    const a = net.addHost({ region: 'eu', link: LINK });
    for (const bad of [0, -1, 1.5, Number.NaN, 2e6]) {
      expect(() => net.sendUdp(a, 1000, net.ipOf(a), 1000, bytesOf(1), 'x', bad)).toThrow(RangeError);
    }
  });

  it('property: for any N and loss ratios, an aggregate counts and loses exactly as N single datagrams', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (packets, upRatio, downRatio, seed) => {
          const up: LossSpec = { kind: 'bernoulli', lossRatio: upRatio };
          const down: LossSpec = { kind: 'bernoulli', lossRatio: downRatio };
          const agg = flow({ packets, rounds: 5, aggregate: true, up, down, seed });
          const singles = flow({ packets, rounds: 5, aggregate: false, up, down, seed });
          expect(agg.counted).toEqual(singles.counted);
          const delivered = survivorsOf(agg.got);
          expect(delivered).toBe(survivorsOf(singles.got));
          // Every packet is either delivered or dropped; an aggregate delivered carries 1..N.
          expect(delivered + agg.counted.drops.loss).toBe(packets * 5);
          expect(agg.got.length).toBeLessThanOrEqual(5);
          for (const g of agg.got) expect(g.packets! >= 1 && g.packets! <= packets).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('aggregate writes', () => {
  /** Writes one message of `size`, as an aggregate of `packets` or as that many writes; returns counters and what b heard. */
  function writes(packets: number, aggregate: boolean, link: LinkSpec = LINK) {
    const { kernel, net, rec } = setup();
    const a = net.addHost({ region: 'eu', link }, rec);
    const b = net.addHost({ region: 'us', link }, rec);
    net.listenTcp(b, 443);
    const conn = net.connectTcp(a, net.ipOf(b), 443);
    rec.onConnected = (host, c) => {
      if (c !== conn) return;
      if (aggregate) net.write(conn, bytesOf(PAYLOAD_BYTES), 'voice', packets);
      else for (let i = 0; i < packets; i++) net.write(conn, bytesOf(PAYLOAD_BYTES), 'voice');
    };
    kernel.runUntilIdle();
    return { counted: counted(net, a, b), data: rec.of('data', b) };
  }

  it('count N messages and N acks, and arrive whole as one message', () => {
    const agg = writes(50, true);
    const singles = writes(50, false);
    expect(agg.counted).toEqual(singles.counted);
    expect(agg.counted.byType.find((c) => c.msgType === 'voice')).toMatchObject({ sentPackets: 50, sentBytes: 50 * (PAYLOAD_BYTES + 40), deliveredPackets: 50 });
    expect(agg.data).toHaveLength(1);
    expect(agg.data[0].bytes.length).toBe(PAYLOAD_BYTES);
    expect(singles.data).toHaveLength(50);
  });
});
