import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../sim/kernel/kernel.js';
import { seededRandom } from '../protocol/crypto/random.js';
import { drawBuddyLists, WorkloadDriver, type ActivityKind } from '../../sim/world/workload.js';
import { mutual } from '../../sim/world/world.js';

/** Uniform draws from the tests' seeded generator. */
function uniformFrom(seed: number): () => number {
  const r = seededRandom(seed);
  return () => r.next();
}

describe('workload', () => {
  it('acts at the configured rate per online host, only from online hosts', () => {
    const kernel = new Kernel();
    const hosts = 1000;
    const online = (h: number) => h % 4 === 0; // a quarter online
    const acts: { host: number; kind: ActivityKind; peer: number }[] = [];
    const noBuddy: { host: number; kind: ActivityKind }[] = [];
    const u = uniformFrom(11);
    const buddies = drawBuddyLists(hosts, 5, u);
    new WorkloadDriver(
      kernel,
      hosts,
      [
        { kind: 'call', ratePerHostHour: 2, peerChoice: 'buddies', durationMs: () => 60_000 },
        { kind: 'search', ratePerHostHour: 1, peerChoice: 'random' },
      ],
      u,
      {
        isOnline: online,
        buddiesOf: (h) => buddies[h],
        act: (host, kind, peer) => acts.push({ host, kind, peer }),
        noBuddyOnline: (host, kind) => noBuddy.push({ host, kind }),
      },
    ).start();
    kernel.runUntil(10 * 3_600_000);
    const calls = acts.filter((a) => a.kind === 'call');
    const searches = acts.filter((a) => a.kind === 'search');
    // expected: 250 online hosts * 2/h * 10 h = 5000 call arrivals; 2500 searches. A call goes to
    // a buddy that is online; an actor none of whose buddies is online drops the arrival.
    expect(Math.abs(calls.length + noBuddy.length - 5000) / 5000).toBeLessThan(0.05);
    expect(Math.abs(searches.length - 2500) / 2500).toBeLessThan(0.07);
    expect(acts.every((a) => online(a.host) && a.peer !== a.host)).toBe(true);
    expect(calls.every((a) => buddies[a.host].includes(a.peer) && online(a.peer))).toBe(true);
    expect(noBuddy.every((a) => a.kind === 'call' && online(a.host) && buddies[a.host].every((b) => !online(b)))).toBe(true);
    expect(noBuddy.length).toBeGreaterThan(0);
  });

  it('buddy lists hold distinct others', () => {
    const lists = drawBuddyLists(50, 8, uniformFrom(3));
    lists.forEach((l, h) => {
      expect(new Set(l).size).toBe(8);
      expect(l).not.toContain(h);
    });
    expect(drawBuddyLists(3, 8, uniformFrom(3))[0]).toEqual([1, 2]);
  });

  it('made mutual, each list is its own entries and every host that listed it, ascending, once each', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 12 }), fc.integer(), (hosts, count, seed) => {
        const lists = drawBuddyLists(hosts, count, uniformFrom(seed));
        const expected = lists.map((l, h) => {
          const all = new Set(l);
          lists.forEach((other, g) => {
            if (other.includes(h)) all.add(g);
          });
          return [...all].sort((a, b) => a - b);
        });
        expect(mutual(lists)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
