// Access links and the core: loss and jitter against their configured distributions, the
// uplink FIFO (queueing delay grows with load, a bounded queue drops), partitions, loss changes.
import { describe, expect, it } from 'vitest';
import { RngStreams } from '../../sim/kernel/index.js';
import type { Distribution } from '../../sim/kernel/index.js';
import type { LinkSpec, LossSpec } from '../../sim/net/index.js';
import { LINK, bytesOf, setup } from './helpers.js';

/** Sends `count` datagrams a -> b, `gapMs` apart; returns, per datagram, its one-way delay or null if lost. */
function stream(options: { count: number; gapMs: number; linkA?: Partial<LinkSpec>; linkB?: Partial<LinkSpec>; seed?: number; jitterMs?: Distribution }) {
  const { kernel, net, rec } = setup({ seed: options.seed ?? 1, config: options.jitterMs === undefined ? {} : { jitterMs: options.jitterMs } });
  const a = net.addHost({ region: 'eu', link: { ...LINK, ...options.linkA } }, rec);
  const b = net.addHost({ region: 'eu', link: { ...LINK, ...options.linkB } }, rec);
  net.listenUdp(b, 1000);
  const sentAt: number[] = [];
  for (let i = 0; i < options.count; i++) {
    kernel.at(
      i * options.gapMs,
      (seq: number) => {
        sentAt[seq] = kernel.now;
        const bytes = new Uint8Array(4);
        new DataView(bytes.buffer).setUint32(0, seq);
        net.sendUdp(a, 1000, net.ipOf(b), 1000, bytes, 'seq');
      },
      i,
    );
  }
  kernel.runUntilIdle();
  const delay: (number | null)[] = new Array(options.count).fill(null);
  for (const d of rec.of('datagram', b)) {
    const seq = new DataView(d.bytes.buffer).getUint32(0);
    delay[seq] = d.t - sentAt[seq];
  }
  return { delay, net };
}

const lossRatioOf = (delay: (number | null)[]) => delay.filter((d) => d === null).length / delay.length;

describe('loss', () => {
  for (const [upRatio, downRatio] of [
    [0.01, 0],
    [0.1, 0],
    [0.3, 0.2],
  ]) {
    it(`Bernoulli ${upRatio} up and ${downRatio} down loses 1 - (1 - up)(1 - down) within 4.5 sigma`, () => {
      const count = 20_000;
      const up: LossSpec = { kind: 'bernoulli', lossRatio: upRatio };
      const down: LossSpec = { kind: 'bernoulli', lossRatio: downRatio };
      const { delay } = stream({ count, gapMs: 1, linkA: { loss: up }, linkB: { loss: down } });
      const p = 1 - (1 - upRatio) * (1 - downRatio);
      expect(Math.abs(lossRatioOf(delay) - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / count));
    });
  }

  it('Gilbert-Elliott matches its stationary loss ratio and loses in bursts', () => {
    const ge: LossSpec = { kind: 'gilbert-elliott', pGoodToBad: 0.01, pBadToGood: 0.2, lossRatioGood: 0.001, lossRatioBad: 0.5 };
    const count = 100_000;
    const { delay } = stream({ count, gapMs: 1, linkA: { loss: ge } });
    const badShare = 0.01 / (0.01 + 0.2);
    const expected = (1 - badShare) * 0.001 + badShare * 0.5;
    const measured = lossRatioOf(delay);
    expect(Math.abs(measured - expected) / expected).toBeLessThan(0.15);
    // P(lost | previous lost) is far above the mean in a bursty channel; for Bernoulli it is the mean.
    let pairs = 0;
    let both = 0;
    for (let i = 1; i < count; i++) {
      if (delay[i - 1] !== null) continue;
      pairs++;
      if (delay[i] === null) both++;
    }
    expect(both / pairs).toBeGreaterThan(5 * measured);
    const bernoulli = stream({ count, gapMs: 1, linkA: { loss: { kind: 'bernoulli', lossRatio: expected } } }).delay;
    let bPairs = 0;
    let bBoth = 0;
    for (let i = 1; i < count; i++) {
      if (bernoulli[i - 1] !== null) continue;
      bPairs++;
      if (bernoulli[i] === null) bBoth++;
    }
    expect(bBoth / bPairs).toBeLessThan(2 * expected);
  });

  it('is drawn from the seed: same seed, same losses; another seed, others', () => {
    const loss: LossSpec = { kind: 'bernoulli', lossRatio: 0.2 };
    const lost = (seed: number) => stream({ count: 500, gapMs: 1, linkA: { loss }, seed }).delay.map((d) => d === null);
    expect(lost(7)).toEqual(lost(7));
    expect(lost(7)).not.toEqual(lost(8));
  });

  it('changes at run time with setLinkLoss', () => {
    const { kernel, net, rec } = setup();
    const a = net.addHost({ region: 'eu', link: LINK }, rec);
    const b = net.addHost({ region: 'eu', link: LINK }, rec);
    net.listenUdp(b, 1000);
    const burst = () => {
      for (let i = 0; i < 50; i++) net.sendUdp(a, 1000, net.ipOf(b), 1000, bytesOf(1), 'x');
      kernel.runUntilIdle();
      return rec.of('datagram', b).length;
    };
    expect(burst()).toBe(50);
    net.setLinkLoss(b, { kind: 'bernoulli', lossRatio: 1 });
    expect(burst()).toBe(50);
    net.setLinkLoss(b, { kind: 'none' });
    expect(burst()).toBe(100);
  });
});

describe('delay', () => {
  const baseMs = (wireBytes: number) => (wireBytes * 8) / 10e3 + 5 + 10 + 5 + (wireBytes * 8) / 50e3;

  it('adds exponential jitter whose empirical distribution passes a KS test at 1%', () => {
    const count = 5000;
    const meanMs = 20;
    const { delay } = stream({ count, gapMs: 1, jitterMs: { kind: 'exponential', mean: meanMs } });
    const jitter = delay.map((d) => d! - baseMs(32)).sort((x, y) => x - y);
    let ks = 0;
    jitter.forEach((x, i) => {
      const cdf = 1 - Math.exp(-x / meanMs);
      ks = Math.max(ks, Math.abs(cdf - i / count), Math.abs(cdf - (i + 1) / count));
    });
    expect(ks).toBeLessThan(1.63 / Math.sqrt(count));
    expect(jitter[0]).toBeGreaterThanOrEqual(-1e-9);
  });

  it('counts negative jitter draws as zero', () => {
    const count = 4000;
    const { delay } = stream({ count, gapMs: 1, jitterMs: { kind: 'normal', mean: 0, sd: 5 } });
    const atBase = delay.filter((d) => Math.abs(d! - baseMs(32)) < 1e-9).length / count;
    expect(Math.abs(atBase - 0.5)).toBeLessThan(4.5 * Math.sqrt(0.25 / count));
    expect(Math.min(...delay.map((d) => d!))).toBeGreaterThanOrEqual(baseMs(32) - 1e-9);
  });
});

describe('uplink queue', () => {
  const slowLink: Partial<LinkSpec> = { uplinkBitsPerSec: 1e6 };

  it('serializes a burst first in, first out: the k-th packet waits k service times', () => {
    const { delay } = stream({ count: 20, gapMs: 0, linkA: slowLink });
    const serviceMs = (32 * 8) / 1e3;
    delay.forEach((d, k) => expect(d).toBeCloseTo((k + 1) * serviceMs + 20 + (32 * 8) / 50e3, 9));
  });

  it('queueing delay grows with load, as M/D/1 predicts', () => {
    const serviceMs = (1000 * 8) / 1e3;
    const waits = [0.2, 0.5, 0.8].map((load) => {
      const rng = new RngStreams(3).stream(`arrivals/${load}`);
      const { kernel, net, rec } = setup();
      const a = net.addHost({ region: 'eu', link: { ...LINK, ...slowLink } }, rec);
      const b = net.addHost({ region: 'eu', link: LINK }, rec);
      net.listenUdp(b, 1000);
      const count = 30_000;
      let t = 0;
      const sentAt: number[] = [];
      for (let i = 0; i < count; i++) {
        t += -Math.log(1 - rng.next()) * (serviceMs / load);
        sentAt.push(t);
        kernel.at(t, () => net.sendUdp(a, 1000, net.ipOf(b), 1000, bytesOf(1000 - 28), 'x'), null);
      }
      kernel.runUntilIdle();
      const got = rec.of('datagram', b);
      const fixedMs = serviceMs + 20 + (1000 * 8) / 50e3;
      const meanWait = got.reduce((sum, d, i) => sum + (d.t - sentAt[i] - fixedMs), 0) / got.length;
      const predicted = (load * serviceMs) / (2 * (1 - load));
      expect(Math.abs(meanWait - predicted) / predicted).toBeLessThan(0.12);
      return meanWait;
    });
    expect(waits[0]).toBeLessThan(waits[1]);
    expect(waits[1]).toBeLessThan(waits[2]);
  });

  it('a bounded queue drops what does not fit, and takes packets again once it drains', () => {
    const { kernel, net, rec } = setup();
    const a = net.addHost({ region: 'eu', link: { ...LINK, uplinkBitsPerSec: 1e6, queueLimitBytes: 5000 } }, rec);
    const b = net.addHost({ region: 'eu', link: LINK }, rec);
    net.listenUdp(b, 1000);
    for (let i = 0; i < 10; i++) net.sendUdp(a, 1000, net.ipOf(b), 1000, bytesOf(1000 - 28, i), 'x');
    kernel.runUntilIdle();
    expect(rec.of('datagram', b).map((d) => d.bytes[0])).toEqual([0, 1, 2, 3, 4]);
    expect(net.drops()['queue-overflow']).toBe(5);
    expect(net.hostCounters(a).sentPackets).toBe(5);
    net.sendUdp(a, 1000, net.ipOf(b), 1000, bytesOf(1000 - 28, 10), 'x');
    kernel.runUntilIdle();
    expect(rec.of('datagram', b)).toHaveLength(6);
  });
});

describe('partitions', () => {
  it('drop what crosses the cut, both ways, until healed; other paths are untouched', () => {
    const { kernel, net, rec } = setup();
    const [eu, us, asia] = (['eu', 'us', 'asia'] as const).map((region) => net.addHost({ region, link: LINK }, rec));
    for (const h of [eu, us, asia]) net.listenUdp(h, 1000);
    const round = () => {
      for (const [x, y] of [
        [eu, us],
        [us, eu],
        [eu, asia],
      ]) {
        net.sendUdp(x, 1000, net.ipOf(y), 1000, Uint8Array.of(x, y), 'x');
      }
      const before = rec.heard.length;
      kernel.runUntilIdle();
      return rec.heard.slice(before).map((d) => (d.kind === 'datagram' ? `${d.bytes[0]}>${d.bytes[1]}` : ''));
    };
    net.partition(['eu'], ['us']);
    expect(round()).toEqual([`${eu}>${asia}`]);
    expect(net.drops().partition).toBe(2);
    net.heal();
    expect(round().sort()).toEqual([`${eu}>${us}`, `${us}>${eu}`, `${eu}>${asia}`].sort());
  });
});
