// The wire codec: round trips for every message of the protocol's table (arbitraries built
// from the field specs, so new messages are covered without new tests), peer bytes that can
// only ever give a message or an error value, and caller misuse that throws at the edge.
// A second table using every field kind covers the kinds the protocol's table does not use yet.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildCodec,
  decodeMessage,
  encodeMessage,
  encodeMessageInto,
  isDecodeError,
  MESSAGE_BYTES_MAX,
  messageName,
  messageWireSize,
  type Codec,
  type DecodeError,
} from '../../../protocol/wire/codec.js';
import { MESSAGES, type Message } from '../../../protocol/wire/messages.js';
import type { FieldKind, MessageSpec } from '../../../protocol/wire/schema.js';
import { anyMessageArbitrary, INVALID_VALUES, messageArbitrary, type AnyMessage, type SpecTable } from './arbitraries.js';

/** Every field kind, an empty message, and the extreme ids. */
const ALL_KINDS = {
  everything: {
    id: 1,
    fields: { a: 'u8', b: 'u16', c: 'u32', d: 'f64', e: 'bool', f: 'str', g: 'bytes', h: 'endpoint', i: 'endpoints', j: 'strs' },
  },
  nothing: { id: 2, fields: {} },
  twoStrs: { id: 255, fields: { x: 'str', y: 'str' } },
  oneBool: { id: 7, fields: { flag: 'bool' } },
} as const satisfies Record<string, MessageSpec>;

type Untyped = Codec<AnyMessage>;
const protocolCodec: Untyped = {
  encode: (m) => encodeMessage(m as unknown as Message),
  encodeInto: (m, t, o) => encodeMessageInto(m as unknown as Message, t, o),
  wireSize: (m) => messageWireSize(m as unknown as Message),
  decode: (b, end) => decodeMessage(b, end) as AnyMessage | DecodeError,
  nameOf: (id) => (messageName(id) === 'unknown' ? undefined : messageName(id)),
};
const allKindsCodec = buildCodec(ALL_KINDS) as unknown as Untyped;

const TABLES: readonly [string, SpecTable, Untyped][] = [
  ['the protocol table (MESSAGES)', MESSAGES, protocolCodec],
  ['a table with every field kind', ALL_KINDS, allKindsCodec],
];

const hasF64 = (table: SpecTable, type: string) => Object.values(table[type].fields).includes('f64');

/** Peer bytes: mostly with a known type id so decoding gets past the first byte. */
function peerBytes(table: SpecTable): fc.Arbitrary<Uint8Array> {
  const ids = Object.values(table).map((s) => s.id);
  return fc.tuple(fc.oneof(fc.constantFrom(...ids), fc.nat({ max: 255 })), fc.uint8Array({ maxLength: 200 })).map(([id, rest]) => Uint8Array.of(id, ...rest));
}

/** A valid encoding with one byte changed, inserted or removed. */
function mutatedEncoding(table: SpecTable, codec: Untyped): fc.Arbitrary<Uint8Array> {
  return fc.tuple(anyMessageArbitrary(table), fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('set', 'insert', 'delete')).map(([m, at, value, how]) => {
    const b = Array.from(codec.encode(m));
    const i = at % (b.length + 1);
    if (how === 'set') b[i % b.length] = value;
    else if (how === 'insert') b.splice(i, 0, value);
    else b.splice(i % b.length, 1);
    return Uint8Array.from(b);
  });
}

describe.each(TABLES)('codec over %s', (_label, table, codec) => {
  it('names every type id of the table, and no other id', () => {
    const byId = new Map(Object.entries(table).map(([name, spec]) => [spec.id, name]));
    for (let id = 0; id < 256; id++) expect(codec.nameOf(id)).toBe(byId.get(id));
  });

  describe.each(Object.keys(table))('message %s', (type) => {
    it('round-trips: decode(encode(m)) equals m', () => {
      fc.assert(
        fc.property(messageArbitrary(table, type), (m) => {
          expect(codec.decode(codec.encode(m))).toEqual(m);
        }),
      );
    });

    it('starts with its type id and is exactly wireSize bytes', () => {
      fc.assert(
        fc.property(messageArbitrary(table, type), (m) => {
          const bytes = codec.encode(m);
          expect(bytes[0]).toBe(table[type].id);
          expect(codec.wireSize(m)).toBe(bytes.length);
        }),
      );
    });

    it('encodes into a larger buffer at an offset, byte for byte', () => {
      fc.assert(
        fc.property(messageArbitrary(table, type), fc.nat({ max: 20 }), (m, offset) => {
          const alone = codec.encode(m);
          const target = new Uint8Array(offset + alone.length + 3).fill(0xee);
          expect(codec.encodeInto(m, target, offset)).toBe(offset + alone.length);
          expect(target.subarray(offset, offset + alone.length)).toEqual(alone);
          expect(target.subarray(0, offset).every((b) => b === 0xee)).toBe(true);
          expect(() => codec.encodeInto(m, new Uint8Array(offset + alone.length - 1), offset)).toThrow(RangeError);
        }),
      );
    });

    it('decodes its encoding at the front of a longer array up to an end, sharing no memory with it', () => {
      fc.assert(
        fc.property(messageArbitrary(table, type), fc.uint8Array({ maxLength: 10 }), (m, after) => {
          const alone = codec.encode(m);
          const reused = new Uint8Array(alone.length + after.length);
          reused.set(alone);
          reused.set(after, alone.length);
          const r = codec.decode(reused, alone.length);
          const expected = codec.decode(alone);
          // The array's next use must not reach into the message.
          reused.fill(0xa5);
          expect(r).toEqual(expected);
        }),
      );
    });

    it('rejects every strict prefix of an encoding', () => {
      fc.assert(
        fc.property(messageArbitrary(table, type), (m) => {
          const bytes = codec.encode(m);
          for (let n = 0; n < bytes.length; n++) {
            const r = codec.decode(bytes.subarray(0, n));
            expect(isDecodeError(r), `prefix of ${n}/${bytes.length} bytes`).toBe(true);
            expect((r as DecodeError).error).toBe(n === 0 ? 'empty' : 'truncated');
          }
        }),
      );
    });

    it('rejects trailing bytes after an encoding', () => {
      fc.assert(
        fc.property(messageArbitrary(table, type), fc.uint8Array({ minLength: 1, maxLength: 10 }), (m, extra) => {
          const bytes = codec.encode(m);
          const longer = new Uint8Array(bytes.length + extra.length);
          longer.set(bytes);
          longer.set(extra, bytes.length);
          const r = codec.decode(longer);
          // Extra bytes can also extend a final variable-length field, which then runs short.
          expect(isDecodeError(r) && ['trailing-bytes', 'truncated', 'bad-utf8', 'bad-bool'].includes(r.error)).toBe(true);
        }),
      );
    });

    it.each(Object.keys(table[type].fields))('throws RangeError when field %s is missing or invalid', (field) => {
      const kind = table[type].fields[field] as FieldKind;
      fc.assert(
        fc.property(messageArbitrary(table, type), fc.constantFrom(...INVALID_VALUES[kind]), (m, bad) => {
          const broken = { ...m, [field]: bad };
          if (bad === undefined) delete broken[field];
          expect(() => codec.encode(broken)).toThrow(RangeError);
          expect(() => codec.wireSize(broken)).toThrow(RangeError);
        }),
      );
    });
  });

  it('decodes any bytes to a message or an error, never an exception; a message re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.oneof(peerBytes(table), mutatedEncoding(table, codec), fc.uint8Array({ maxLength: 64 })), (bytes) => {
        const r = codec.decode(bytes);
        if (isDecodeError(r)) {
          expect(typeof r.error).toBe('string');
          return;
        }
        expect(Object.keys(table)).toContain(r.type);
        const again = codec.encode(r);
        // NaN payload bits do not survive a JavaScript number, so f64 encodings are canonical up to NaN.
        if (hasF64(table, r.type)) expect(codec.decode(again)).toEqual(r);
        else expect(again).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every type id not in the table', () => {
    const known = new Set(Object.values(table).map((s) => s.id));
    for (let id = 0; id < 256; id++) {
      if (known.has(id)) continue;
      const r = codec.decode(Uint8Array.of(id, 0, 0, 0, 0, 0, 0));
      expect(r).toMatchObject({ error: 'unknown-type' });
    }
  });

  it('rejects empty and oversized input', () => {
    expect(codec.decode(new Uint8Array(0))).toMatchObject({ error: 'empty' });
    const big = new Uint8Array(MESSAGE_BYTES_MAX + 1);
    big[0] = Object.values(table)[0].id;
    expect(codec.decode(big)).toMatchObject({ error: 'too-long' });
  });

  it('throws RangeError for a message type not in the table', () => {
    expect(() => codec.encode({ type: 'no such message' })).toThrow(RangeError);
    expect(() => codec.encode(null as unknown as AnyMessage)).toThrow(RangeError);
  });
});

describe('codec details (on a table with every field kind)', () => {
  const c = allKindsCodec;
  const sample: AnyMessage = {
    type: 'everything',
    a: 0xab,
    b: 0x0102,
    c: 0x01020304,
    d: 1.5,
    e: true,
    f: 'hé',
    g: Uint8Array.of(9, 8),
    h: { ip: 0x0a000001, port: 33033 },
    i: [{ ip: 0xc0a80001, port: 80 }],
    j: ['', 'z'],
  };

  it('lays out fields big-endian in declaration order, as schema.ts documents', () => {
    // prettier-ignore
    const expected = [
      1,                                  // type id
      0xab,                               // u8
      0x01, 0x02,                         // u16
      0x01, 0x02, 0x03, 0x04,             // u32
      0x3f, 0xf8, 0, 0, 0, 0, 0, 0,       // f64 1.5
      1,                                  // bool
      0, 3, 0x68, 0xc3, 0xa9,             // str: u16 byte length, UTF-8
      0, 2, 9, 8,                         // bytes
      10, 0, 0, 1, 0x81, 0x09,            // endpoint 10.0.0.1:33033
      0, 1, 192, 168, 0, 1, 0, 80,        // endpoints: count, then each
      0, 2, 0, 0, 0, 1, 0x7a,             // strs: count, then each str
    ];
    expect(Array.from(c.encode(sample))).toEqual(expected);
    expect(c.decode(Uint8Array.from(expected))).toEqual(sample);
  });

  it('keeps the protocol table ids on the wire (probe is id 1, a u32 nonce)', () => {
    expect(Array.from(encodeMessage({ type: 'probe', nonce: 0x01020304 }))).toEqual([1, 1, 2, 3, 4]);
  });

  it('round-trips strings that a lenient decoder would alter: a leading BOM, surrogate pairs, NUL', () => {
    for (const s of ['\uFEFFname', '😀 emoji', 'a\u0000b', '\u07ff\u0800\uffff', '𐍈'.repeat(40)]) {
      const m = { type: 'twoStrs', x: s, y: s };
      expect(c.decode(c.encode(m))).toEqual(m);
    }
  });

  it('rejects invalid UTF-8: stray continuation, overlong, surrogate, beyond U+10FFFF, cut short, 0xff', () => {
    const invalid = [[0x80], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xff], [0x61, 0xfe]];
    for (const seq of invalid) {
      const r = c.decode(Uint8Array.of(255, 0, seq.length, ...seq, 0, 0));
      expect(r, JSON.stringify(seq)).toMatchObject({ error: 'bad-utf8' });
    }
  });

  it('accepts a str exactly when its bytes are valid UTF-8 (checked against Node lenient decoding)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
        const valid = Buffer.from(Buffer.from(raw).toString('utf8'), 'utf8').equals(raw);
        const r = c.decode(Uint8Array.of(255, 0, raw.length, ...raw, 0, 0));
        expect(isDecodeError(r)).toBe(!valid);
        if (!valid) expect(r).toMatchObject({ error: 'bad-utf8' });
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a bool byte other than 0 or 1', () => {
    expect(c.decode(Uint8Array.of(7, 0))).toEqual({ type: 'oneBool', flag: false });
    expect(c.decode(Uint8Array.of(7, 1))).toEqual({ type: 'oneBool', flag: true });
    for (let b = 2; b < 256; b++) expect(c.decode(Uint8Array.of(7, b))).toMatchObject({ error: 'bad-bool' });
  });

  it('rejects a length or count that runs past the end', () => {
    expect(c.decode(Uint8Array.of(255, 0xff, 0xff, 0x61))).toMatchObject({ error: 'truncated', detail: 'twoStrs.x' });
  });

  it('throws RangeError for a message over MESSAGE_BYTES_MAX, and decodes one at the limit', () => {
    // Two strs: 1 + (2 + x) + (2 + y) bytes.
    const x = 'a'.repeat(40_000);
    const fits = { type: 'twoStrs', x, y: 'b'.repeat(MESSAGE_BYTES_MAX - 5 - x.length) };
    const bytes = c.encode(fits);
    expect(bytes.length).toBe(MESSAGE_BYTES_MAX);
    expect(c.decode(bytes)).toEqual(fits);
    expect(() => c.encode({ ...fits, y: `${fits.y}b` })).toThrow(RangeError);
  });

  it('decodeMessage refuses an end outside the array (caller misuse)', () => {
    const bytes = encodeMessage({ type: 'probe', nonce: 7 });
    for (const end of [-1, bytes.length + 1, 1.5, NaN]) expect(() => decodeMessage(bytes, end)).toThrow(RangeError);
    expect(decodeMessage(bytes, bytes.length)).toEqual({ type: 'probe', nonce: 7 });
  });

  it('copies bytes fields out of the input, even from a Buffer', () => {
    const input = Buffer.from(c.encode(sample));
    const r = c.decode(input) as AnyMessage;
    input.fill(0);
    expect(r.g).toEqual(Uint8Array.of(9, 8));
  });

  it('refuses a malformed table', () => {
    expect(() => buildCodec({ a: { id: 1, fields: {} }, b: { id: 1, fields: {} } })).toThrow(/already used/);
    expect(() => buildCodec({ a: { id: 0, fields: {} } })).toThrow(RangeError);
    expect(() => buildCodec({ a: { id: 256, fields: {} } })).toThrow(RangeError);
    expect(() => buildCodec({ a: { id: 1.5, fields: {} } })).toThrow(RangeError);
    expect(() => buildCodec({ a: { id: 1, fields: { type: 'u8' } } })).toThrow(/type/);
    expect(() => buildCodec({ a: { id: 1, fields: { x: 'u64' as FieldKind } } })).toThrow(/unknown field kind/);
    expect(() => buildCodec({ a: { id: 1, fields: { x: 'toString' as FieldKind } } })).toThrow(/unknown field kind/);
  });

  it('tells errors from messages and decoded frames', () => {
    expect(isDecodeError({ error: 'truncated' })).toBe(true);
    expect(isDecodeError({ type: 'probe', nonce: 1 })).toBe(false);
    expect(isDecodeError({ type: 'x', error: 'a field named error' })).toBe(false);
    expect(isDecodeError({ frameId: 1, payloadType: 2, payload: new Uint8Array() })).toBe(false);
    expect(isDecodeError(null)).toBe(false);
  });
});
