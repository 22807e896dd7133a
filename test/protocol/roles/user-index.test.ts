// The user index (roles/user-index.ts): rendezvous weights and one SN's store.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outranks, rankByWeight, UserIndex, weightOf, type UserRecord } from '../../../protocol/roles/user-index.js';
import { ep, fmt } from './harness.js';

const HOUR_MS = 3_600_000;
const sns = Array.from({ length: 12 }, (_, i) => ep(`1.0.${i >> 2}.${(i & 3) + 1}:33033`));

function record(name: string, seenAtMs: number, sn = sns[0]): UserRecord {
  return { name, superNode: sn, address: ep('5.5.5.5:4000'), natClass: 'open', seenAtMs };
}

describe('rendezvous weights', () => {
  it('are u32s that depend on both the name and the endpoint', () => {
    const w = weightOf('alice', sns[0]);
    expect(Number.isInteger(w) && w >= 0 && w < 2 ** 32).toBe(true);
    expect(weightOf('alice', sns[0])).toBe(w);
    expect(new Set(sns.map((e) => weightOf('alice', e))).size).toBe(sns.length);
    expect(new Set(['alice', 'bob', 'carol', 'dave'].map((n) => weightOf(n, sns[0]))).size).toBe(4);
    // Ports count too: two SNs on one address are two places.
    expect(weightOf('alice', ep('1.0.0.1:33033'))).not.toBe(weightOf('alice', ep('1.0.0.1:33034')));
  });

  it('rank the same whatever order the candidates come in, without duplicates or excluded ones', () => {
    fc.assert(
      // A max far beyond any SN count (a scenario's fanout may be anything) ranks them all.
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.shuffledSubarray(sns, { minLength: 1 }), fc.oneof(fc.nat(20), fc.constantFrom(2 ** 31, 2 ** 40)), (name, subset, max) => {
        const ranked = rankByWeight(name, subset, max);
        const reversed = rankByWeight(name, [...subset].reverse().concat(subset), max);
        expect(reversed.map(fmt)).toEqual(ranked.map(fmt));
        expect(ranked.length).toBe(Math.min(max, subset.length));
        expect(ranked.map(fmt)).toEqual(rankByWeight(name, subset, subset.length).slice(0, max).map(fmt));
        for (let i = 1; i < ranked.length; i++) expect(outranks(name, ranked[i - 1], ranked[i])).toBe(true);
        const excluded = rankByWeight(name, subset, max, [subset[0]]);
        expect(excluded.map(fmt)).not.toContain(fmt(subset[0]));
      }),
    );
  });

  it('agree between partial views on the SNs both know (the order is global)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.shuffledSubarray(sns, { minLength: 2 }), fc.shuffledSubarray(sns, { minLength: 2 }), (name, a, b) => {
        const common = new Set(a.filter((x) => b.some((y) => fmt(x) === fmt(y))).map(fmt));
        const inA = rankByWeight(name, a, a.length).filter((e) => common.has(fmt(e)));
        const inB = rankByWeight(name, b, b.length).filter((e) => common.has(fmt(e)));
        expect(inA.map(fmt)).toEqual(inB.map(fmt));
      }),
    );
  });

  it('move a name only when one of its top SNs leaves, and then by one place', () => {
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      const top = rankByWeight(name, sns, 3);
      const notTop = sns.find((e) => !top.some((t) => fmt(t) === fmt(e)))!;
      expect(rankByWeight(name, sns.filter((e) => e !== notTop), 3).map(fmt)).toEqual(top.map(fmt));
      const without = rankByWeight(name, sns.filter((e) => fmt(e) !== fmt(top[0])), 3);
      expect(without.slice(0, 2).map(fmt)).toEqual(top.slice(1).map(fmt));
    }
  });
});

describe('UserIndex: one SN store', () => {
  it('keeps the newest record of a name and ignores older ones', () => {
    const index = new UserIndex(72 * HOUR_MS, 10 * 60_000);
    expect(index.hold(record('alice', 1000, sns[0]), 2000)).toBe(true);
    expect(index.hold(record('alice', 500, sns[1]), 2000)).toBe(false);
    expect(index.lookup('alice', 2000)?.superNode).toEqual(sns[0]);
    expect(index.hold(record('alice', 1500, sns[2]), 2000)).toBe(true);
    expect(index.lookup('alice', 2000)?.superNode).toEqual(sns[2]);
    expect(index.lookup('bob', 2000)).toBeUndefined();
  });

  it('drops a record once the retention has passed since the user was last seen (72 h, BS-16)', () => {
    const index = new UserIndex(72 * HOUR_MS, 10 * 60_000);
    index.hold(record('alice', 0), 0);
    expect(index.lookup('alice', 71 * HOUR_MS)).toBeDefined();
    expect(index.lookup('alice', 72 * HOUR_MS)).toBeDefined();
    expect(index.lookup('alice', 72 * HOUR_MS + 1)).toBeUndefined();
    expect(index.heldCount).toBe(0);
    // A record already past the retention is never taken.
    expect(index.hold(record('bob', 0), 73 * HOUR_MS)).toBe(false);
  });

  it('keeps what a search learned for the cache time only, and answers with the newer of held and cached', () => {
    const index = new UserIndex(72 * HOUR_MS, 10 * 60_000);
    index.cache(record('carol', 1000, sns[3]), 1000);
    expect(index.lookup('carol', 1000 + 10 * 60_000)?.superNode).toEqual(sns[3]);
    expect(index.lookup('carol', 1001 + 10 * 60_000)).toBeUndefined();
    index.hold(record('dave', 100, sns[0]), 2000);
    index.cache(record('dave', 1500, sns[4]), 2000);
    expect(index.lookup('dave', 3000)?.superNode).toEqual(sns[4]);
    index.hold(record('dave', 2500, sns[5]), 3000);
    expect(index.lookup('dave', 3000)?.superNode).toEqual(sns[5]);
  });

  it('hands over only the held records within the retention, by name, and expires the rest', () => {
    const index = new UserIndex(10_000, 1000);
    index.hold(record('zed', 5000), 5000);
    index.hold(record('amy', 9000), 9000);
    index.hold(record('old', 0), 1000);
    index.cache(record('cached', 9000), 9000);
    expect(index.heldRecords(12_000).map((r) => r.name)).toEqual(['amy', 'zed']);
    // 'old' and the cache entry went with that sweep.
    expect(index.heldCount + index.cachedCount).toBe(2);
    expect(index.expire(20_000)).toBe(2);
    expect(index.heldCount + index.cachedCount).toBe(0);
  });
});
