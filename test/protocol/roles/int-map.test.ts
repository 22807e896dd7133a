// IntMap against a Map: same answers to get, has and size after any run of sets, deletes and
// clears. Each run draws its own pool of keys: consecutive ids of both signs (connection ids)
// and random 32-bit ones, enough that probe runs form, collide and wrap around the table's end,
// so that deletes must move entries back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntMap } from '../../../protocol/roles/support.js';

type Op = { op: 'set' | 'delete' | 'clear'; at: number; value: number };

describe('IntMap', () => {
  const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((k) => k !== 0);
  const pool = fc.tuple(fc.integer({ min: -40, max: 40 }), fc.uniqueArray(int32, { minLength: 30, maxLength: 90 })).map(([from, random]) => [
    ...new Set([...Array.from({ length: 20 }, (_, i) => from + i).filter((k) => k !== 0), ...random]),
  ]);
  const op: fc.Arbitrary<Op> = fc.record({
    op: fc.oneof({ arbitrary: fc.constant('set' as const), weight: 12 }, { arbitrary: fc.constant('delete' as const), weight: 9 }, { arbitrary: fc.constant('clear' as const), weight: 1 }),
    at: fc.nat(),
    value: fc.integer(),
  });

  it('answers as a Map would', () => {
    fc.assert(
      fc.property(pool, fc.array(op, { minLength: 150, maxLength: 400 }), (keys, ops) => {
        const map = new IntMap<number>();
        const model = new Map<number, number>();
        for (const o of ops) {
          const key = keys[o.at % keys.length];
          if (o.op === 'set') {
            map.set(key, o.value);
            model.set(key, o.value);
          } else if (o.op === 'delete') {
            expect(map.delete(key)).toBe(model.delete(key));
          } else {
            map.clear();
            model.clear();
          }
          expect(map.size).toBe(model.size);
          expect(map.get(key)).toBe(model.get(key));
        }
        // A lost or misplaced entry stays so: every key is looked up once the run is over.
        for (const k of keys) {
          expect(map.has(k)).toBe(model.has(k));
          expect(map.get(k)).toBe(model.get(k));
        }
      }),
    );
  });

  it('refuses key 0 and keys that are not 32-bit integers, and finds none of them', () => {
    const map = new IntMap<string>();
    for (const k of [0, 1.5, 2 ** 31, NaN]) {
      expect(() => map.set(k, 'x')).toThrow(RangeError);
      expect(map.has(k)).toBe(false);
      expect(map.get(k)).toBeUndefined();
    }
  });
});
