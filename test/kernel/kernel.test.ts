import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kernel, type EventId } from '../../sim/kernel/kernel.js';
import { RngStreams, type Rng } from '../../sim/kernel/rng.js';

/**
 * The model: the ordering rule stated as plainly as possible - a list of pending events, the
 * next one being the least (time, seq). Slow, obviously right.
 */
class ModelQueue {
  private readonly events: { timeMs: number; seq: number; label: number }[] = [];
  private seq = 0;

  add(timeMs: number, label: number): number {
    this.events.push({ timeMs, seq: this.seq, label });
    return this.seq++;
  }

  /** Removes the event with this seq; false if it is not pending. */
  remove(seq: number): boolean {
    const i = this.events.findIndex((e) => e.seq === seq);
    if (i < 0) return false;
    this.events.splice(i, 1);
    return true;
  }

  next(): { timeMs: number; seq: number; label: number } | undefined {
    let best: (typeof this.events)[number] | undefined;
    for (const e of this.events) {
      if (best === undefined || e.timeMs < best.timeMs || (e.timeMs === best.timeMs && e.seq < best.seq)) best = e;
    }
    return best;
  }

  get size(): number {
    return this.events.length;
  }
}

/** What a test event does when it runs: schedules children after these delays. */
interface Payload {
  readonly label: number;
  readonly childDelaysMs: readonly number[];
}

// Delays that exercise the structure: ties (0, repeated integers), dense floats, far outliers,
// and spans of a few subnormals (too narrow to divide into buckets).
const delayArb = fc.oneof(
  fc.constant(0),
  fc.double({ min: 0, max: 1e-320, noNaN: true }),
  fc.integer({ min: 0, max: 5 }),
  fc.double({ min: 0, max: 10, noNaN: true }),
  fc.double({ min: 0, max: 1e6, noNaN: true }),
);

type Command =
  | { kind: 'schedule'; delaysMs: number[]; childDelaysMs: number[] }
  | { kind: 'cancel'; pick: number }
  | { kind: 'step' }
  | { kind: 'runUntil'; deltaMs: number }
  | { kind: 'runSome'; count: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('schedule' as const),
    delaysMs: fc.array(delayArb, { minLength: 1, maxLength: 120 }),
    childDelaysMs: fc.array(delayArb, { maxLength: 2 }),
  }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('step' as const) }),
  fc.record({ kind: fc.constant('runUntil' as const), deltaMs: delayArb }),
  fc.record({ kind: fc.constant('runSome' as const), count: fc.integer({ min: 1, max: 200 }) }),
);

/** Drives a Kernel and the model side by side; every observable must agree after every command. */
function checkAgainstModel(commands: readonly Command[]): void {
  const kernel = new Kernel();
  const model = new ModelQueue();
  const ids: { id: EventId; seq: number }[] = [];
  const payloads = new Map<number, Payload>();
  const ran: number[] = [];
  let nextLabel = 0;

  const schedule = (delayMs: number, childDelaysMs: readonly number[]): void => {
    const payload: Payload = { label: nextLabel++, childDelaysMs };
    payloads.set(payload.label, payload);
    const id = kernel.after(delayMs, onEvent, payload);
    ids.push({ id, seq: model.add(kernel.now + delayMs, payload.label) });
  };
  // Children get no children of their own, so a run always ends.
  const onEvent = (payload: Payload): void => {
    ran.push(payload.label);
    for (const d of payload.childDelaysMs) schedule(d, []);
  };
  const modelStep = (): void => {
    const e = model.next()!;
    model.remove(e.seq);
    const before = ran.length;
    expect(kernel.step()).toBe(true);
    expect(ran.slice(before, before + 1)).toEqual([e.label]);
    expect(kernel.now).toBe(e.timeMs);
  };

  for (const c of commands) {
    switch (c.kind) {
      case 'schedule':
        for (const d of c.delaysMs) schedule(d, c.childDelaysMs);
        break;
      case 'cancel': {
        if (ids.length === 0) break;
        const { id, seq } = ids[c.pick % ids.length];
        expect(kernel.cancel(id)).toBe(model.remove(seq));
        break;
      }
      case 'step':
        if (model.size === 0) expect(kernel.step()).toBe(false);
        else modelStep();
        break;
      case 'runUntil': {
        const targetMs = kernel.now + c.deltaMs;
        while (model.size > 0 && model.next()!.timeMs <= targetMs) modelStep();
        kernel.runUntil(targetMs);
        expect(kernel.now).toBe(targetMs);
        break;
      }
      case 'runSome':
        for (let i = 0; i < c.count && model.size > 0; i++) modelStep();
        break;
    }
    expect(kernel.pending).toBe(model.size);
    expect(kernel.nextTime()).toBe(model.next()?.timeMs ?? Infinity);
  }
  while (model.size > 0) modelStep();
  expect(kernel.step()).toBe(false);
}

/**
 * Runs a workload of events that beget events on `kernel` and on the model side by side. The
 * events scheduled by `start` go first; each event's handler is `act(scheduled, schedule)`
 * (`scheduled`: events scheduled so far), after which a random event scheduled so far is
 * cancelled with probability `cancelChance`. Checks that every event runs at the model's time
 * and in its order; returns how many ran.
 */
function runAgainstModel(
  kernel: Kernel,
  rng: Rng,
  cancelChance: number,
  start: (schedule: (delayMs: number) => void) => void,
  act: (scheduled: number, schedule: (delayMs: number) => void) => void,
): number {
  const model = new ModelQueue();
  const live: { id: EventId; seq: number }[] = [];
  const ran: number[] = [];
  const expected: number[] = [];
  const schedule = (delayMs: number): void => {
    const l = live.length;
    live.push({ id: kernel.after(delayMs, onEvent, l), seq: model.add(kernel.now + delayMs, l) });
  };
  const onEvent = (l: number): void => {
    // The model's next event leaves it before the handler runs (a handler may cancel it).
    const e = model.next()!;
    model.remove(e.seq);
    expected.push(e.label);
    expect(kernel.now).toBe(e.timeMs);
    ran.push(l);
    act(live.length, schedule);
    if (rng.chance(cancelChance)) {
      const { id, seq } = live[rng.int(live.length)];
      expect(kernel.cancel(id)).toBe(model.remove(seq));
    }
  };
  start(schedule);
  while (kernel.step());
  expect(model.size).toBe(0);
  expect(ran).toEqual(expected);
  return ran.length;
}

describe('Kernel', () => {
  it('runs events in (time, scheduling order)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const k = new Kernel();
        const ran: number[] = [];
        times.forEach((t, i) => k.at(t, (id: number) => ran.push(id), i));
        k.runUntilIdle();
        const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((e) => e.i);
        expect(ran).toEqual(expected);
      }),
    );
  });

  it('never runs a cancelled event', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 200 }), (plan) => {
        const k = new Kernel();
        const ran = new Set<number>();
        const ids = plan.map(([t], i) => k.at(t, (id: number) => ran.add(id), i));
        plan.forEach(([, cancel], i) => cancel && k.cancel(ids[i]));
        k.runUntilIdle();
        plan.forEach(([, cancel], i) => expect(ran.has(i)).toBe(!cancel));
        expect(k.pending).toBe(0);
      }),
    );
  });

  it('agrees with a plain model under any mix of scheduling, cancelling and running', () => {
    fc.assert(fc.property(fc.array(commandArb, { maxLength: 60 }), checkAgainstModel), { numRuns: 300 });
  });

  it('agrees with the model over a long self-scheduling run with ties and cancellations', () => {
    // Events beget events (as packets do), some at the same instant, some cancelled; enough
    // of them that the pending set builds many rungs.
    const rng = new RngStreams(11).stream('kernel-test');
    const ran = runAgainstModel(
      new Kernel(),
      rng,
      0.1,
      (schedule) => {
        for (let i = 0; i < 2000; i++) schedule(rng.next() * 100);
      },
      (scheduled, schedule) => {
        if (scheduled < 40_000) schedule(rng.chance(0.2) ? rng.int(3) : rng.next() * 50);
        if (rng.chance(0.05)) schedule(rng.next() * 5000);
      },
    );
    expect(ran).toBeGreaterThan(30_000);
  });

  it('orders events whose times differ by a few subnormals, crowded or not', () => {
    // Found by the model property: a rung over a span of 1e-323 ms had a scale of Infinity,
    // and the event at its start a bucket of NaN.
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }).map((k) => k * 5e-324), fc.double({ min: 0, max: 1e-300, noNaN: true })), { minLength: 1, maxLength: 400 }),
        (times) => {
          const k = new Kernel();
          const ran: number[] = [];
          times.forEach((t, i) => k.at(t, (j: number) => {
            ran.push(j);
            if (j < times.length) k.after(0, (c: number) => ran.push(c), j + times.length);
          }, i));
          k.runUntilIdle();
          const n = times.length;
          const order = [...times.map((t, i) => ({ t, key: i })), ...times.map((t, i) => ({ t, key: n + n + i }))]
            .sort((a, b) => a.t - b.t || a.key - b.key)
            .map((e) => (e.key >= 2 * n ? e.key - n : e.key));
          expect(ran).toEqual(order);
        },
      ),
    );
  });

  it('refuses to go backwards, and refuses times that are not finite', () => {
    const k = new Kernel();
    k.runUntil(100);
    expect(() => k.at(99, () => {}, null)).toThrow(RangeError);
    expect(() => k.after(-1, () => {}, null)).toThrow(RangeError);
    expect(() => k.at(Number.NaN, () => {}, null)).toThrow(RangeError);
    expect(() => k.at(Infinity, () => {}, null)).toThrow(RangeError);
    expect(() => k.runUntil(50)).toThrow(RangeError);
    expect(() => k.at(200, undefined as unknown as () => void, null)).toThrow(TypeError);
    expect(k.pending).toBe(0);
  });

  it('runs events exactly at the runUntil target, not after it', () => {
    const k = new Kernel();
    const ran: string[] = [];
    k.at(10, (s: string) => ran.push(s), 'at');
    k.at(10 + 1e-9, (s: string) => ran.push(s), 'after');
    k.runUntil(10);
    expect(ran).toEqual(['at']);
    expect(k.now).toBe(10);
    expect(k.nextTime()).toBe(10 + 1e-9);
  });

  it('runs an event scheduled at now by a handler within the same runUntil', () => {
    const k = new Kernel();
    const ran: string[] = [];
    k.at(5, () => {
      ran.push('first');
      k.after(0, (s: string) => ran.push(s), 'second');
    }, null);
    k.runUntil(5);
    expect(ran).toEqual(['first', 'second']);
  });

  it('returns false when cancelling an event that ran, or one already cancelled', () => {
    const k = new Kernel();
    const ran = k.at(1, () => {}, null);
    const cancelled = k.at(2, () => {}, null);
    k.runUntil(1);
    expect(k.cancel(ran)).toBe(false);
    expect(k.cancel(cancelled)).toBe(true);
    expect(k.cancel(cancelled)).toBe(false);
    expect(k.pending).toBe(0);
    expect(k.cancel(-1)).toBe(false);
    expect(k.cancel(2 ** 40)).toBe(false);
  });

  it('keeps a stale id from cancelling the event that reuses its slot', () => {
    const k = new Kernel();
    const ran: string[] = [];
    const old = k.at(1, (s: string) => ran.push(s), 'old');
    expect(k.cancel(old)).toBe(true);
    k.runUntilIdle();
    const reused = k.at(2, (s: string) => ran.push(s), 'new');
    expect(k.cancel(old)).toBe(false);
    const ranOld = k.at(3, (s: string) => ran.push(s), 'third');
    k.runUntilIdle();
    const after = k.at(4, (s: string) => ran.push(s), 'fourth');
    expect(k.cancel(ranOld)).toBe(false);
    expect(k.cancel(reused)).toBe(false);
    k.runUntilIdle();
    expect(ran).toEqual(['new', 'third', 'fourth']);
    expect(k.cancel(after)).toBe(false);
  });

  it('grows past its initial capacity and keeps order', () => {
    const k = new Kernel();
    const rng = new RngStreams(3).stream('growth');
    const times = Array.from({ length: 50_000 }, () => rng.int(20_000));
    const ran: number[] = [];
    times.forEach((t, i) => k.at(t, (j: number) => ran.push(j), i));
    expect(k.pending).toBe(times.length);
    expect(k.runUntilIdle()).toBe(times.length);
    const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((e) => e.i);
    expect(ran).toEqual(expected);
    expect(k.executed).toBe(times.length);
  });

  it('keeps order when most events crowd into a small part of a long span', () => {
    // Dense traffic near now with a few far-future timers: rungs must split crowded buckets.
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 3 }), fc.double({ min: 1e5, max: 1e6, noNaN: true })), {
          minLength: 500,
          maxLength: 3000,
        }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (times, childDelayMs) => {
          const k = new Kernel();
          const model = new ModelQueue();
          const ran: number[] = [];
          const expected: number[] = [];
          const onEvent = (label: number): void => {
            ran.push(label);
            // Every tenth event begets one more, landing among the crowd.
            if (label % 10 === 0 && label < 1e6) {
              k.after(childDelayMs, onEvent, label + 1e6);
              model.add(k.now + childDelayMs, label + 1e6);
            }
          };
          times.forEach((t, i) => {
            k.at(t, onEvent, i);
            model.add(t, i);
          });
          while (k.step()) {
            const e = model.next()!;
            model.remove(e.seq);
            expected.push(e.label);
          }
          expect(ran).toEqual(expected);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('keeps order, and its bottom heap small, when a rung built over a wide span from few events fills with dense traffic', () => {
    // Two events, at 1 ms and at 60 s, make the first rung: one bucket over the whole minute.
    // Then a self-scheduling crowd lives within that span, as a network's packets do after a
    // quiet start: everything lands before the taken bucket, in the bottom heap, which must be
    // spread into a rung rather than grow to the whole crowd.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 700, max: 1200 }), (seed, crowd) => {
        const rng = new RngStreams(seed).stream('heap-spill');
        const kernel = new Kernel();
        const queue = (kernel as unknown as { queue: { heapSize: number } }).queue;
        let maxHeap = 0;
        runAgainstModel(
          kernel,
          rng,
          0.05,
          (schedule) => {
            schedule(1);
            schedule(60_000);
          },
          (scheduled, schedule) => {
            maxHeap = Math.max(maxHeap, queue.heapSize);
            if (scheduled === 2) for (let i = 0; i < crowd; i++) schedule(rng.next() * 100);
            else if (scheduled < 10 * crowd) schedule(rng.chance(0.1) ? 0 : rng.next() * 100);
          },
        );
        expect(maxHeap).toBeLessThan(600);
      }),
      { numRuns: 10 },
    );
  });

  it('reports the next live time, skipping cancelled events, and Infinity when idle', () => {
    const k = new Kernel();
    expect(k.nextTime()).toBe(Infinity);
    const first = k.at(3, () => {}, null);
    k.at(7, () => {}, null);
    expect(k.nextTime()).toBe(3);
    k.cancel(first);
    expect(k.nextTime()).toBe(7);
    expect(k.now).toBe(0);
    k.runUntilIdle();
    expect(k.nextTime()).toBe(Infinity);
    expect(k.step()).toBe(false);
  });

  it('stops runUntilIdle after maxEvents', () => {
    const k = new Kernel();
    const tick = (): void => void k.after(1, tick, null);
    k.at(0, tick, null);
    expect(k.runUntilIdle(25)).toBe(25);
    expect(k.now).toBe(24);
    expect(k.pending).toBe(1);
  });

  it('does not run an event twice when its handler throws', () => {
    const k = new Kernel();
    const ran: string[] = [];
    k.at(1, () => {
      ran.push('throws');
      throw new Error('handler failed');
    }, null);
    k.at(2, (s: string) => ran.push(s), 'next');
    expect(() => k.step()).toThrow('handler failed');
    expect(k.pending).toBe(1);
    k.runUntilIdle();
    expect(ran).toEqual(['throws', 'next']);
  });
});
