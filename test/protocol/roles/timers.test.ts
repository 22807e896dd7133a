// Timers: `take` is true exactly once for the armed instance of a name, never for a replaced,
// cancelled or already taken one; `cancel` outputs only for an armed name. Checked against a
// model over random sequences of set, cancel and firings (of live and stale tags alike).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ctx, Output } from '../../../protocol/node.js';
import { Timers } from '../../../protocol/roles/timers.js';

type Name = 'a' | 'b' | 'c';
const name = fc.constantFrom<Name>('a', 'b', 'c');
const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), name }),
  fc.record({ kind: fc.constant('cancel' as const), name }),
  // Fires the k-th tag ever set (mod their count), or (stale) tag 0, which no instance has.
  fc.record({ kind: fc.constant('fire' as const), name, stale: fc.boolean(), k: fc.nat(40) }),
);

describe('Timers', () => {
  it('agrees with a model: one live tag per name, taken at most once', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const timers = new Timers<Name>();
        const model = new Map<Name, number>();
        const issued: { name: Name; tag: number }[] = [];
        const out: Output[] = [];
        const ctx: Ctx = { now: 0, rng: { next: () => 0.5 }, out };
        for (const o of ops) {
          out.length = 0;
          if (o.kind === 'set') {
            timers.set(ctx, o.name, 10);
            const set = out[0] as Extract<Output, { kind: 'setTimer' }>;
            expect(issued.some((x) => x.tag === set.tag)).toBe(false);
            issued.push({ name: o.name, tag: set.tag });
            model.set(o.name, set.tag);
          } else if (o.kind === 'cancel') {
            timers.cancel(ctx, o.name);
            const armed = model.get(o.name);
            expect(out).toEqual(armed === undefined ? [] : [{ kind: 'cancelTimer', name: o.name, tag: armed }]);
            model.delete(o.name);
          } else {
            const tag = issued.length === 0 || o.stale ? 0 : issued[o.k % issued.length].tag;
            const expected = model.get(o.name) === tag;
            expect(timers.take(o.name, tag)).toBe(expected);
            if (expected) model.delete(o.name);
          }
          for (const n of ['a', 'b', 'c'] as const) expect(timers.isSet(n)).toBe(model.has(n));
        }
      }),
      { numRuns: 500 },
    );
  });
});
