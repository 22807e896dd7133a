import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../sim/kernel/kernel.js';

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

  it('refuses to go backwards', () => {
    const k = new Kernel();
    k.runUntil(100);
    expect(() => k.at(99, () => {}, null)).toThrow(RangeError);
    expect(() => k.runUntil(50)).toThrow(RangeError);
  });
});
