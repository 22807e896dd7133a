// Receiver statistics as receiver-stats.ts documents them: RFC 3550 jitter by hand, loss from
// sequence numbers with reordering and duplicates, aggregates of frames, the duplicate window,
// and a fast-check comparison against a model that keeps every seq in a Set.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReceiverStats } from '../../../protocol/media/receiver-stats.js';

const FRAME_MS = 20;

/** Feed single frames: [seq, transitMs] in arrival order, sent every FRAME_MS. */
function feed(stats: ReceiverStats, arrivals: readonly (readonly [number, number])[]): ReceiverStats {
  for (const [seq, transitMs] of arrivals) stats.onFrame(seq, seq * FRAME_MS, seq * FRAME_MS + transitMs);
  return stats;
}

describe('a clean stream', () => {
  it('has no loss, its transit as delay and no jitter', () => {
    const s = feed(new ReceiverStats(), Array.from({ length: 10 }, (_, i) => [i, 50] as const)).summary();
    expect(s).toEqual({ frames: 10, lost: 0, lossRatio: 0, meanDelayMs: 50, jitterMs: 0, duplicates: 0, outOfOrder: 0 });
  });

  it('reports nothing received as NaN delay, no jitter, and all of the sender count lost', () => {
    const s = new ReceiverStats();
    expect(s.summary()).toEqual({ frames: 0, lost: 0, lossRatio: 0, meanDelayMs: NaN, jitterMs: 0, duplicates: 0, outOfOrder: 0 });
    expect(s.summary(5)).toMatchObject({ lost: 5, lossRatio: 1 });
  });
});

describe('RFC 3550 interarrival jitter', () => {
  it('follows J += (|D| - J) / 16 over consecutive transit differences', () => {
    // Transits 50, 60, 55, 70: D = 10, 5, 15.
    const s = feed(new ReceiverStats(), [[0, 50], [1, 60], [2, 55], [3, 70]]).summary();
    let j = 0;
    for (const d of [10, 5, 15]) j += (d - j) / 16;
    expect(j).toBeCloseTo(1.77978515625, 12); // 0.625, 0.8984375, then this, by hand
    expect(s.jitterMs).toBeCloseTo(1.77978515625, 12);
    expect(s.meanDelayMs).toBeCloseTo(58.75, 12);
  });

  it('takes differences in arrival order, not sequence order', () => {
    // Arrival order 0, 2, 1: transits 50, 90, 40 give D = 40, 50 (sequence order would give 10, 50).
    const s = feed(new ReceiverStats(), [[0, 50], [2, 90], [1, 40]]).summary();
    expect(s.jitterMs).toBeCloseTo(40 / 16 + (50 - 40 / 16) / 16, 12);
  });

  it('is unchanged by a constant clock offset between sender and receiver', () => {
    const a = feed(new ReceiverStats(), [[0, 50], [1, 60], [2, 55]]).summary();
    const b = feed(new ReceiverStats(), [[0, 1050], [1, 1060], [2, 1055]]).summary();
    expect(b.jitterMs).toBeCloseTo(a.jitterMs, 12);
    expect(b.meanDelayMs - a.meanDelayMs).toBeCloseTo(1000, 9);
  });
});

describe('loss, reordering and duplicates', () => {
  it('counts the seq span minus distinct frames; a repeat is a duplicate, a late one out of order', () => {
    const s = feed(new ReceiverStats(), [[0, 40], [1, 40], [3, 40], [2, 60], [2, 70], [5, 40], [1, 90], [7, 40]]);
    // Distinct: 0 1 2 3 5 7 of span 0..7; 2 after 3 is out of order; the second 2 and 1 are duplicates.
    expect(s.summary()).toMatchObject({ frames: 6, lost: 2, lossRatio: 0.25, duplicates: 2, outOfOrder: 1 });
    // Duplicates take no part in the delay: (5 x 40 + 60) / 6.
    expect(s.summary().meanDelayMs).toBeCloseTo(260 / 6, 12);
    s.onFrame(4, 80, 200);
    expect(s.summary()).toMatchObject({ frames: 7, lost: 1, outOfOrder: 2 });
  });

  it('uses the sender count when given, which sees trailing losses the span cannot', () => {
    const s = feed(new ReceiverStats(), [[0, 40], [1, 40], [3, 40]]);
    expect(s.summary()).toMatchObject({ lost: 1, lossRatio: 0.25 });
    expect(s.summary(10)).toMatchObject({ frames: 3, lost: 7, lossRatio: 0.7 });
  });

  it('starts the span at the lowest seq, even one that arrives late', () => {
    const s = feed(new ReceiverStats(), [[3, 40], [4, 40], [6, 40]]);
    expect(s.summary()).toMatchObject({ lost: 1 });
    s.onFrame(0, 0, 300);
    expect(s.summary()).toMatchObject({ frames: 4, lost: 3, outOfOrder: 1 });
  });

  it('remembers seqs for its window only: an older repeat counts as received', () => {
    const s = new ReceiverStats(8);
    s.onFrame(0, 0, 40);
    s.onFrame(5, 100, 140);
    s.onFrame(0, 0, 150); // within 8 of the highest seq: a duplicate
    expect(s.summary()).toMatchObject({ frames: 2, duplicates: 1 });
    s.onFrame(20, 400, 440);
    s.onFrame(0, 0, 460); // 20 back: too old to check
    expect(s.summary()).toMatchObject({ frames: 4, duplicates: 1, outOfOrder: 1 });
    // Seq 4 is too old as well and shares its ring slot with 20: it must not evict 20.
    s.onFrame(4, 80, 465);
    expect(s.summary()).toMatchObject({ frames: 5, outOfOrder: 2 });
    s.onFrame(20, 400, 470);
    expect(s.summary()).toMatchObject({ frames: 5, duplicates: 2 });
  });
});

describe('aggregates (flow mode)', () => {
  it('counts frames delivered against the ranges the datagrams stood for', () => {
    const s = new ReceiverStats();
    s.onFrame(0, 0, 40, 48, 50);
    s.onFrame(50, 1000, 1040, 50, 50);
    s.onFrame(100, 2000, 2040, 45, 50);
    expect(s.summary()).toMatchObject({ frames: 143, lost: 7, lossRatio: 7 / 150 });
    expect(s.summary(150)).toMatchObject({ lost: 7 });
  });

  it('without framesSent, sees losses inside earlier aggregates only through later seqs', () => {
    const s = new ReceiverStats();
    s.onFrame(0, 0, 40, 48);
    s.onFrame(50, 1000, 1040, 50);
    s.onFrame(100, 2000, 2040, 45);
    // The span ends at 144: the 5 frames lost from the last aggregate are invisible.
    expect(s.summary()).toMatchObject({ frames: 143, lost: 2 });
    expect(s.summary(150)).toMatchObject({ lost: 7 });
  });

  it('counts a whole lost aggregate, and a repeated one as a duplicate', () => {
    const s = new ReceiverStats();
    s.onFrame(0, 0, 40, 50, 50);
    s.onFrame(100, 2000, 2040, 50, 50);
    s.onFrame(100, 2000, 2070, 50, 50);
    expect(s.summary()).toMatchObject({ frames: 100, lost: 50, lossRatio: 1 / 3, duplicates: 1, outOfOrder: 0 });
  });

  it('weights the mean delay by frames and updates jitter once per datagram', () => {
    const s = new ReceiverStats();
    s.onFrame(0, 0, 40, 3, 3); // 3 frames at 40 ms
    s.onFrame(3, 60, 140, 1, 3); // 1 frame at 80 ms
    const sum = s.summary();
    expect(sum.meanDelayMs).toBe(50); // (3 x 40 + 80) / 4; per datagram it would be 60
    expect(sum.jitterMs).toBe(40 / 16);
    expect(sum).toMatchObject({ frames: 4, lost: 2 });
  });
});

describe('caller misuse', () => {
  it('throws RangeError for impossible arguments', () => {
    const s = new ReceiverStats();
    expect(() => s.onFrame(-1, 0, 10)).toThrow(RangeError);
    expect(() => s.onFrame(1.5, 0, 10)).toThrow(RangeError);
    expect(() => s.onFrame(0, Number.NaN, 10)).toThrow(RangeError);
    expect(() => s.onFrame(0, 0, Infinity)).toThrow(RangeError);
    expect(() => s.onFrame(0, 0, 10, 0)).toThrow(RangeError);
    expect(() => s.onFrame(0, 0, 10, 5, 4)).toThrow(RangeError);
    expect(() => s.summary(-1)).toThrow(RangeError);
    expect(() => new ReceiverStats(0)).toThrow(RangeError);
    expect(s.summary().frames).toBe(0);
  });
});

describe('against a model that remembers every seq', () => {
  // Arrivals: a subset of 0..n-1 in any order, some repeated, each with a transit time.
  const arrivals = fc
    .array(fc.record({ seq: fc.nat({ max: 60 }), transitMs: fc.double({ min: 0, max: 500, noNaN: true }) }), { minLength: 1, maxLength: 120 })
    .map((xs) => xs.map((x) => [x.seq, x.transitMs] as const));

  it('agrees on frames, loss, duplicates, reordering and delay; jitter stays within the largest |D|', () => {
    fc.assert(
      fc.property(arrivals, (xs) => {
        const s = feed(new ReceiverStats(), xs).summary(61);
        const seen = new Set<number>();
        let highest = -1;
        let duplicates = 0;
        let outOfOrder = 0;
        let delaySum = 0;
        const transits: number[] = [];
        for (const [seq, transit] of xs) {
          if (seen.has(seq)) {
            duplicates++;
            continue;
          }
          if (seq < highest) outOfOrder++;
          highest = Math.max(highest, seq);
          seen.add(seq);
          delaySum += transit;
          transits.push(transit);
        }
        expect(s.frames).toBe(seen.size);
        expect(s.lost).toBe(61 - seen.size);
        expect(s.duplicates).toBe(duplicates);
        expect(s.outOfOrder).toBe(outOfOrder);
        expect(s.meanDelayMs).toBeCloseTo(delaySum / seen.size, 6);
        const maxStep = transits.slice(1).reduce((m, t, i) => Math.max(m, Math.abs(t - transits[i])), 0);
        expect(s.jitterMs).toBeGreaterThanOrEqual(0);
        expect(s.jitterMs).toBeLessThanOrEqual(maxStep + 1e-9);
      }),
    );
  });
});
