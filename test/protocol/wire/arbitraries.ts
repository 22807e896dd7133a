// fast-check arbitraries generated from a spec table, so every message a table describes -
// including ones added after these tests were written - is covered without new test code.
import fc from 'fast-check';
import type { Endpoint } from '../../../protocol/node.js';
import type { FieldKind, MessageSpec } from '../../../protocol/wire/schema.js';

export type AnyMessage = { type: string } & Record<string, unknown>;
export type SpecTable = Readonly<Record<string, MessageSpec>>;

const endpoint: fc.Arbitrary<Endpoint> = fc.record({ ip: fc.nat({ max: 0xffffffff }), port: fc.nat({ max: 0xffff }) });

// Both ASCII (the codec's fast path) and any code point (multi-byte UTF-8, surrogate pairs).
const str = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));

const FIELD_ARBITRARIES: Readonly<Record<FieldKind, fc.Arbitrary<unknown>>> = {
  u8: fc.nat({ max: 0xff }),
  u16: fc.nat({ max: 0xffff }),
  u32: fc.nat({ max: 0xffffffff }),
  f64: fc.double(),
  bool: fc.boolean(),
  str,
  bytes: fc.uint8Array({ maxLength: 80 }),
  endpoint,
  endpoints: fc.array(endpoint, { maxLength: 20 }),
  strs: fc.array(str, { maxLength: 6 }),
};

export function fieldArbitrary(kind: FieldKind): fc.Arbitrary<unknown> {
  return FIELD_ARBITRARIES[kind];
}

/** Arbitrary messages of one table entry, with fields in declaration order. */
export function messageArbitrary(table: SpecTable, name: string): fc.Arbitrary<AnyMessage> {
  const fields = table[name].fields;
  const names = Object.keys(fields);
  return fc.tuple(...names.map((f) => fieldArbitrary(fields[f]))).map((values) => {
    const msg: AnyMessage = { type: name };
    names.forEach((f, i) => (msg[f] = values[i]));
    return msg;
  });
}

/** Arbitrary messages of any entry of the table. */
export function anyMessageArbitrary(table: SpecTable): fc.Arbitrary<AnyMessage> {
  return fc.oneof(...Object.keys(table).map((name) => messageArbitrary(table, name)));
}

/** Values of the wrong type or out of range for each kind: encoding them is caller misuse. */
export const INVALID_VALUES: Readonly<Record<FieldKind, readonly unknown[]>> = {
  u8: [undefined, 256, -1, 1.5, NaN, '1', null],
  u16: [undefined, 65536, -1, 0.5, Infinity, '1'],
  u32: [undefined, 2 ** 32, -1, 0.5, NaN, '1', 1n],
  f64: [undefined, '1', null, 1n],
  bool: [undefined, 0, 1, 'true', null],
  str: [undefined, 1, 'lone \uD800 high', 'lone \uDC00 low', 'x'.repeat(65536), ['a']],
  bytes: [undefined, [1, 2], 'ab', new Uint8Array(65536)],
  endpoint: [undefined, null, { ip: -1, port: 1 }, { ip: 1, port: 65536 }, { ip: 2 ** 32, port: 0 }, { port: 1 }],
  endpoints: [undefined, {}, [{ ip: 1.5, port: 1 }], [null], new Array(65536).fill({ ip: 1, port: 1 })],
  strs: [undefined, 'ab', ['\uDC00'], [1], new Array(65536).fill('')],
};
