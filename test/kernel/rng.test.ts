// Named streams: reproducible from (seed, run, name), independent of each other, and uniform.
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import type { Random } from '../../protocol/node.js';
import { RngStreams, streamSeed, type Rng } from '../../sim/kernel/rng.js';

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.next());

const seedArb = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
const runArb = fc.integer({ min: 0, max: 1000 });
const nameArb = fc.string({ minLength: 1, maxLength: 12 });

describe('RngStreams', () => {
  it('gives the same sequence for the same seed, run and name', () => {
    fc.assert(
      fc.property(seedArb, runArb, nameArb, (seed, run, name) => {
        expect(draws(new RngStreams(seed, run).stream(name), 50)).toEqual(draws(new RngStreams(seed, run).stream(name), 50));
      }),
    );
  });

  it("does not change a stream's draws when other streams are created and drawn from", () => {
    fc.assert(
      fc.property(
        seedArb,
        nameArb,
        fc.array(fc.tuple(nameArb, fc.nat({ max: 20 })), { maxLength: 10 }),
        (seed, name, others) => {
          const alone = draws(new RngStreams(seed).stream(name), 30);
          const busy = new RngStreams(seed);
          for (const [other, count] of others) if (other !== name) draws(busy.stream(other), count);
          const mine = busy.stream(name);
          for (const [other, count] of others) if (other !== name) draws(busy.stream(other), count);
          expect(draws(mine, 30)).toEqual(alone);
        },
      ),
    );
  });

  it('gives different sequences for a different run, seed or name', () => {
    fc.assert(
      fc.property(seedArb, runArb, nameArb, (seed, run, name) => {
        const base = draws(new RngStreams(seed, run).stream(name), 4);
        expect(draws(new RngStreams(seed, run + 1).stream(name), 4)).not.toEqual(base);
        expect(draws(new RngStreams(seed + 1, run).stream(name), 4)).not.toEqual(base);
        expect(draws(new RngStreams(seed, run).stream(`${name}x`), 4)).not.toEqual(base);
      }),
    );
  });

  it('returns the same stream object for a name asked twice, so its users share draws', () => {
    const streams = new RngStreams(7);
    const a = streams.stream('net/loss');
    a.next();
    expect(streams.stream('net/loss')).toBe(a);
  });

  it('steps Alea exactly as seedrandom does', () => {
    fc.assert(
      fc.property(seedArb, runArb, nameArb, (seed, run, name) => {
        const reference = seedrandom.alea(streamSeed(seed, run, name));
        const expected = Array.from({ length: 100 }, () => reference());
        expect(draws(new RngStreams(seed, run).stream(name), 100)).toEqual(expected);
      }),
      { numRuns: 20 },
    );
  });

  it('keeps the seed triple unambiguous', () => {
    expect(streamSeed(1, 2, 'a')).not.toBe(streamSeed(12, 0, 'a'));
    expect(streamSeed(1, 0, 'host/12')).not.toBe(streamSeed(1, 0, 'host/1'));
  });

  it('is a protocol Random', () => {
    const random: Random = new RngStreams(1).stream('host/alice');
    expect(random.next()).toBeGreaterThanOrEqual(0);
  });

  it('refuses a bad seed, run or name', () => {
    expect(() => new RngStreams(1.5)).toThrow(RangeError);
    expect(() => new RngStreams(Number.NaN)).toThrow(RangeError);
    expect(() => new RngStreams(1, -1)).toThrow(RangeError);
    expect(() => new RngStreams(1, 0.5)).toThrow(RangeError);
    expect(() => new RngStreams(1).stream('')).toThrow(RangeError);
  });
});

describe('Rng', () => {
  const sampleCount = 60_000;

  it('next() stays in [0, 1) and is uniform by decile', () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const rng = new RngStreams(seed).stream('uniform');
        const counts = new Array<number>(10).fill(0);
        let outside = 0;
        for (let i = 0; i < sampleCount; i++) {
          const u = rng.next();
          if (!(u >= 0 && u < 1)) outside++;
          else counts[Math.floor(u * 10)]++;
        }
        expect(outside).toBe(0);
        // Each decile count is Binomial(n, 0.1): sd = sqrt(n * 0.09); 6 sd is a 1-in-10^8 miss.
        const sd = Math.sqrt(sampleCount * 0.09);
        for (const c of counts) expect(Math.abs(c - sampleCount / 10)).toBeLessThan(6 * sd);
      }),
      { numRuns: 10 },
    );
  });

  it('int(n) covers [0, n) evenly', () => {
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 1, max: 12 }), (seed, n) => {
        const rng = new RngStreams(seed).stream('int');
        const counts = new Array<number>(n).fill(0);
        for (let i = 0; i < sampleCount; i++) counts[rng.int(n)]++;
        const p = 1 / n;
        const sd = Math.sqrt(sampleCount * p * (1 - p));
        for (const c of counts) expect(Math.abs(c - sampleCount * p)).toBeLessThanOrEqual(6 * sd);
      }),
      { numRuns: 10 },
    );
    const rng = new RngStreams(3).stream('int');
    for (let i = 0; i < 1000; i++) expect(rng.int(2 ** 32 - 1)).toBeLessThan(2 ** 32 - 1);
  });

  it('chance(p) is true with probability p, exactly never at 0 and always at 1', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: 0.01, max: 0.99, noNaN: true }), (seed, p) => {
        const rng = new RngStreams(seed).stream('chance');
        let hits = 0;
        for (let i = 0; i < sampleCount; i++) if (rng.chance(p)) hits++;
        expect(Math.abs(hits - sampleCount * p)).toBeLessThan(6 * Math.sqrt(sampleCount * p * (1 - p)));
      }),
      { numRuns: 10 },
    );
    const rng = new RngStreams(4).stream('chance');
    for (let i = 0; i < 1000; i++) {
      expect(rng.chance(0)).toBe(false);
      expect(rng.chance(1)).toBe(true);
    }
  });

  it('pick() reaches every element', () => {
    const rng = new RngStreams(5).stream('pick');
    const xs = ['a', 'b', 'c', 'd', 'e'] as const;
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(rng.pick(xs));
    expect([...seen].sort()).toEqual([...xs]);
  });

  it('refuses caller misuse', () => {
    const rng = new RngStreams(6).stream('misuse');
    for (const n of [0, -1, 1.5, 2 ** 32, Number.NaN]) expect(() => rng.int(n)).toThrow(RangeError);
    for (const p of [-0.1, 1.1, Number.NaN]) expect(() => rng.chance(p)).toThrow(RangeError);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});
