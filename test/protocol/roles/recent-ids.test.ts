// RecentIds against a model of its contract: the last `max` ids added and not deleted, oldest
// forgotten first, an add of a remembered id changing nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../../protocol/roles/support.js';

type Op = { op: 'add' | 'delete'; id: number };

describe('RecentIds', () => {
  it('remembers exactly what an insertion-ordered list of at most max live ids would', () => {
    // Few distinct ids, so adds repeat, deletes hit, and ids come back after being forgotten;
    // u32s over 2^31 and negative ones (accepted connections' ids) among them.
    const id = (i: number): number => (i < 6 ? i * 0x2000_0001 : 5 - i);
    const op: fc.Arbitrary<Op> = fc.record({ op: fc.constantFrom('add', 'add', 'delete'), id: fc.integer({ min: 0, max: 7 }).map(id) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
        const ids = new RecentIds(max);
        const model: number[] = [];
        for (const o of ops) {
          if (o.op === 'add') {
            ids.add(o.id);
            if (!model.includes(o.id)) model.push(o.id);
            if (model.length > max) model.shift();
          } else {
            ids.delete(o.id);
            const at = model.indexOf(o.id);
            if (at >= 0) model.splice(at, 1);
          }
          for (let i = 0; i <= 7; i++) expect(ids.has(id(i))).toBe(model.includes(id(i)));
        }
      }),
      // Cheap runs; the bug it is after (a stale pair evicting a re-added id) needs a delete, a re-add and an eviction in a row.
      { numRuns: 1000 },
    );
  });

  it('counts an id deleted and added again as new: it outlives ids added before it', () => {
    const ids = new RecentIds(2);
    ids.add(1);
    ids.delete(1);
    ids.add(2);
    ids.add(1);
    ids.add(3);
    expect([ids.has(1), ids.has(2), ids.has(3)]).toEqual([true, false, true]);
  });

  it('keeps its memory bounded however many ids pass through, with or without deletes', () => {
    const ids = new RecentIds(16);
    for (let i = 0; i < 100_000; i++) {
      ids.add(i);
      if (i % 3 === 0) ids.delete(i);
    }
    const queue = (ids as unknown as { queue: number[] }).queue;
    expect(queue.length).toBeLessThanOrEqual(8 * (16 + 8));
    expect(ids.has(99_998)).toBe(true);
    expect(ids.has(99_998 - 48)).toBe(false);
  });
});
