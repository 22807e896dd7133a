// TupleMap against a Map model: any sequence of sets and deletes leaves both agreeing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TupleMap } from '../../sim/net/tuple-map.js';

type Op = { op: 'set'; key: number[]; value: number } | { op: 'delete'; key: number[] };

describe('TupleMap', () => {
  it('agrees with a Map model under sets and deletes (growth and backward-shift deletion)', () => {
    // Few distinct words so keys collide often and deletes hit clusters.
    const word = fc.integer({ min: 0, max: 6 }).map((w) => (w === 6 ? 0xffffffff : w));
    const key = fc.array(word, { minLength: 3, maxLength: 3 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key, value: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }),
      fc.record({ op: fc.constant('delete' as const), key }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const map = new TupleMap(3, 2);
        const model = new Map<string, number>();
        for (const o of ops) {
          map.key.set(o.key);
          if (o.op === 'set') {
            map.set(o.value);
            model.set(o.key.join(), o.value);
          } else {
            expect(map.delete()).toBe(model.delete(o.key.join()));
          }
          expect(map.size).toBe(model.size);
        }
        for (let a = 0; a < 7; a++) {
          for (let b = 0; b < 7; b++) {
            for (let c = 0; c < 7; c++) {
              const k = [a, b, c].map((w) => (w === 6 ? 0xffffffff : w));
              map.key.set(k);
              expect(map.get()).toBe(model.get(k.join()) ?? -1);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
