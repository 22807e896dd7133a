// AddressBook against a Map model: whatever is bound where, every lookup finds exactly it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressBook, NO_NODE, PUBLIC_SPACE } from '../../sim/net/address.js';

// Addresses near the ones handed out (public 1.0.0.x, private 10.0.0.x) and far from them, so
// that lookups fall inside, below and above each space's bound range.
const ip = fc.oneof(
  fc.integer({ min: 0x01000000, max: 0x01000010 }),
  fc.integer({ min: 0x0a000000, max: 0x0a000010 }),
  fc.constantFrom(0, 0x7f000001, 0xc0a80001, 0xffffffff),
);

describe('AddressBook', () => {
  it('finds every bound (space, address) and nothing else, in the public and private spaces', () => {
    const bind = fc.record({ space: fc.integer({ min: 0, max: 3 }), ip: fc.option(ip, { nil: undefined }), node: fc.integer({ min: -5, max: 1000 }) });
    fc.assert(
      fc.property(fc.array(bind, { maxLength: 60 }), fc.array(fc.record({ space: fc.integer({ min: 0, max: 3 }), ip }), { maxLength: 60 }), (binds, probes) => {
        const book = new AddressBook();
        for (let s = 1; s <= 3; s++) book.addSpace();
        const model = new Map<string, number>();
        for (const b of binds) {
          const taken = b.ip !== undefined && model.has(`${b.space}:${b.ip}`);
          if (taken) {
            expect(() => book.bind(b.space, b.node, b.ip)).toThrow(/already in use/);
            continue;
          }
          const addr = book.bind(b.space, b.node, b.ip);
          expect(model.has(`${b.space}:${addr}`)).toBe(false);
          model.set(`${b.space}:${addr}`, b.node);
        }
        for (const [key, node] of model) {
          const [space, addr] = key.split(':').map(Number);
          expect(book.lookup(space, addr)).toBe(node);
        }
        for (const p of probes) expect(book.lookup(p.space, p.ip)).toBe(model.get(`${p.space}:${p.ip}`) ?? NO_NODE);
      }),
    );
  });

  it('answers a private space asked for a public address without finding anything', () => {
    const book = new AddressBook();
    const space = book.addSpace();
    const host = book.bind(space, 7);
    expect(book.lookup(space, host)).toBe(7);
    expect(book.lookup(space, 0x01000001)).toBe(NO_NODE);
    expect(book.lookup(PUBLIC_SPACE, host)).toBe(NO_NODE);
  });
});
