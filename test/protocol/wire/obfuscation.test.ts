// The obfuscation layer: frames round-trip in both crypto modes with identical layout and byte
// counts; real mode is standard AES-128-CTR keyed by public data (checked against OpenSSL's
// own CTR mode); wrong addresses or any peer bytes give garbage or an error, never a throw.
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, isDecodeError } from '../../../protocol/wire/codec.js';
import { MESSAGES } from '../../../protocol/wire/messages.js';
import {
  FRAME_BYTES_MAX,
  FRAME_HEADER_BYTES,
  OBFUSCATION_KEY,
  Obfuscator,
  PAYLOAD_MEDIA,
  PAYLOAD_MESSAGE,
  framePayloadType,
  type Frame,
} from '../../../protocol/wire/obfuscation.js';
import { anyMessageArbitrary } from './arbitraries.js';

const real = new Obfuscator('real');
const modelled = new Obfuscator('modelled');

const ip = fc.nat({ max: 0xffffffff });
const frameId = fc.nat({ max: 0xffff });
const payloadType = fc.constantFrom(PAYLOAD_MESSAGE, PAYLOAD_MEDIA);
// Up to 80 AES blocks, and sizes around block boundaries.
const payload = fc.oneof(fc.uint8Array({ maxLength: 1280 }), fc.integer({ min: 0, max: 3 }).chain((k) => fc.uint8Array({ minLength: 16 * k, maxLength: 16 * k + 1 })));

/** The keystream as OpenSSL's AES-128-CTR computes it, with the IV obfuscation.ts documents. */
function referenceCtr(data: Uint8Array, src: number, dst: number, id: number): Uint8Array {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(src, 0);
  iv.writeUInt32BE(dst, 4);
  iv.writeUInt32BE(id, 8);
  const c = createCipheriv('aes-128-ctr', OBFUSCATION_KEY, iv);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

describe('Obfuscator', () => {
  it.each([
    ['real', real],
    ['modelled', modelled],
  ])('round-trips frames in %s mode', (_mode, obf) => {
    fc.assert(
      fc.property(frameId, payloadType, payload, ip, ip, (id, type, p, src, dst) => {
        const frame = obf.wrap(id, type, p, src, dst);
        expect(obf.unwrap(frame, src, dst)).toEqual({ frameId: id, payloadType: type, payload: p });
      }),
    );
  });

  it('real mode is AES-128-CTR with IV = srcIp, dstIp, frame id, block counter (OpenSSL as reference)', () => {
    fc.assert(
      fc.property(frameId, payloadType, payload, ip, ip, (id, type, p, src, dst) => {
        const frame = real.wrap(id, type, p, src, dst);
        expect(frame.subarray(FRAME_HEADER_BYTES)).toEqual(referenceCtr(p, src, dst, id));
      }),
    );
  });

  it('gives the same bytes with or without the keystream memo, whatever the order, collisions and lengths', () => {
    // Few ids and addresses so nonces repeat, with lengths that grow and shrink; a 2-slot memo collides often.
    const length = fc.oneof(fc.nat({ max: 40 }), fc.integer({ min: 200, max: 300 }), fc.integer({ min: 1000, max: 1100 }));
    const op = fc.record({ id: fc.nat({ max: 1 }), src: fc.nat({ max: 1 }), dst: fc.nat({ max: 1 }), p: length.map((n) => new Uint8Array(n).fill(n)), unwrap: fc.boolean() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.constantFrom(1, 2, 4), (ops, memoSlots) => {
        const memo = new Obfuscator('real', { memoSlots });
        const plain = new Obfuscator('real', { memoSlots: 0 });
        for (const { id, src, dst, p, unwrap } of ops) {
          if (unwrap) expect(memo.unwrap(Uint8Array.of(0, id, PAYLOAD_MEDIA, ...p), src, dst)).toEqual(plain.unwrap(Uint8Array.of(0, id, PAYLOAD_MEDIA, ...p), src, dst));
          else expect(memo.wrap(id, PAYLOAD_MESSAGE, p, src, dst)).toEqual(plain.wrap(id, PAYLOAD_MESSAGE, p, src, dst));
        }
      }),
      { numRuns: 300 },
    );
    expect(() => new Obfuscator('real', { memoSlots: 3 })).toThrow(RangeError);
  });

  it('both modes give the same layout and byte count: id big-endian, type in the clear; modelled copies the payload', () => {
    fc.assert(
      fc.property(frameId, payloadType, payload, ip, ip, (id, type, p, src, dst) => {
        const r = real.wrap(id, type, p, src, dst);
        const m = modelled.wrap(id, type, p, src, dst);
        expect(r.length).toBe(FRAME_HEADER_BYTES + p.length);
        expect(m.length).toBe(r.length);
        expect(real.frameSize(p.length)).toBe(r.length);
        expect(Array.from(r.subarray(0, 3))).toEqual([id >>> 8, id & 0xff, type]);
        expect(m.subarray(0, 3)).toEqual(r.subarray(0, 3));
        expect(m.subarray(FRAME_HEADER_BYTES)).toEqual(p);
      }),
    );
  });

  it('real mode changes the payload bytes, differently per frame id and per address pair', () => {
    fc.assert(
      fc.property(frameId, fc.uint8Array({ minLength: 8, maxLength: 200 }), ip, ip, (id, p, src, dst) => {
        const frame = real.wrap(id, PAYLOAD_MESSAGE, p, src, dst);
        expect(frame.subarray(FRAME_HEADER_BYTES)).not.toEqual(p);
        expect(real.wrap(id ^ 1, PAYLOAD_MESSAGE, p, src, dst).subarray(FRAME_HEADER_BYTES)).not.toEqual(frame.subarray(FRAME_HEADER_BYTES));
        expect(real.wrap(id, PAYLOAD_MESSAGE, p, (src ^ 1) >>> 0, dst).subarray(FRAME_HEADER_BYTES)).not.toEqual(frame.subarray(FRAME_HEADER_BYTES));
        expect(real.wrap(id, PAYLOAD_MESSAGE, p, src, (dst ^ 1) >>> 0).subarray(FRAME_HEADER_BYTES)).not.toEqual(frame.subarray(FRAME_HEADER_BYTES));
      }),
    );
  });

  it('unwrapping with the wrong addresses gives garbage that decodes to an error or another message, never a throw', () => {
    // Nothing authenticates a frame: a short garbage payload can parse (a 1-byte message matches
    // 1 time in 256), so "not the original" is claimed from 4 bytes on, "mostly dropped" from 8.
    let longRuns = 0;
    let longRejected = 0;
    fc.assert(
      fc.property(anyMessageArbitrary(MESSAGES), frameId, ip, ip, ip, (msg, id, src, dst, wrongSrc) => {
        fc.pre(wrongSrc !== src);
        const bytes = encodeMessage(msg as never);
        const frame = real.wrap(id, PAYLOAD_MESSAGE, bytes, src, dst);
        const got = real.unwrap(frame, wrongSrc, dst) as Frame;
        expect(got.payload.length).toBe(bytes.length);
        const decoded = decodeMessage(got.payload);
        if (bytes.length >= 4) {
          expect(got.payload).not.toEqual(bytes);
          expect(decoded).not.toEqual(msg);
        }
        if (bytes.length >= 8) {
          longRuns++;
          if (isDecodeError(decoded)) longRejected++;
        }
      }),
      { numRuns: 1000 },
    );
    if (longRuns >= 100) expect(longRejected / longRuns).toBeGreaterThan(0.5);
  });

  it.each([
    ['real', real],
    ['modelled', modelled],
  ])('unwraps any bytes to a frame or an error, never a throw, leaving the input untouched (%s)', (_mode, obf) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), ip, ip, (bytes, src, dst) => {
        const copy = Buffer.from(bytes);
        const r = obf.unwrap(copy, src, dst);
        expect(copy.equals(bytes)).toBe(true);
        const typeOk = bytes.length >= 3 && (bytes[2] === PAYLOAD_MESSAGE || bytes[2] === PAYLOAD_MEDIA);
        expect(isDecodeError(r)).toBe(!typeOk);
        if (!isDecodeError(r)) expect(r.payload.length).toBe(bytes.length - FRAME_HEADER_BYTES);
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['real', real],
    ['modelled', modelled],
  ])('in %s mode, a message encoded after the header and sealed in place is the frame wrap makes of its encoding', (_mode, obf) => {
    fc.assert(
      fc.property(frameId, payloadType, anyMessageArbitrary(MESSAGES), ip, ip, (id, type, msg, src, dst) => {
        const sealed = obf.seal(encodeMessage(msg as never, FRAME_HEADER_BYTES), id, type, src, dst);
        expect(sealed).toEqual(obf.wrap(id, type, encodeMessage(msg as never), src, dst));
      }),
    );
    expect(() => real.seal(new Uint8Array(2), 1, PAYLOAD_MESSAGE, 1, 2)).toThrow(RangeError);
  });

  it.each([
    ['real', real],
    ['modelled', modelled],
  ])('in %s mode, unwrapInto gives what unwrap gives, into one array reused for frame after frame', (_mode, obf) => {
    const into = new Uint8Array(FRAME_BYTES_MAX - FRAME_HEADER_BYTES);
    const frameOrGarbage = fc.oneof(
      fc.tuple(frameId, payloadType, payload, ip, ip).map(([id, type, p, src, dst]) => ({ bytes: obf.wrap(id, type, p, src, dst), src, dst })),
      fc.tuple(fc.uint8Array({ maxLength: 40 }), ip, ip).map(([bytes, src, dst]) => ({ bytes, src, dst })),
    );
    fc.assert(
      fc.property(fc.array(frameOrGarbage, { minLength: 1, maxLength: 8 }), (frames) => {
        for (const { bytes, src, dst } of frames) {
          const whole = obf.unwrap(bytes, src, dst);
          const length = obf.unwrapInto(bytes, src, dst, into);
          if (isDecodeError(whole)) {
            expect(length).toEqual(whole);
          } else {
            expect(into.subarray(0, length as number)).toEqual(whole.payload);
            expect(framePayloadType(bytes)).toBe(whole.payloadType);
          }
        }
      }),
    );
    expect(() => obf.unwrapInto(Uint8Array.of(0, 1, PAYLOAD_MESSAGE), 1, 2, new Uint8Array(100))).toThrow(RangeError);
  });

  it('names the errors: short, oversized, unknown payload type', () => {
    expect(real.unwrap(Uint8Array.of(0, 1), 1, 2)).toMatchObject({ error: 'truncated' });
    expect(real.unwrap(new Uint8Array(FRAME_BYTES_MAX + 1).fill(PAYLOAD_MESSAGE), 1, 2)).toMatchObject({ error: 'too-long' });
    expect(real.unwrap(Uint8Array.of(0, 1, 0x07, 5), 1, 2)).toMatchObject({ error: 'unknown-payload-type' });
    expect(real.unwrap(Uint8Array.of(0, 1, PAYLOAD_MESSAGE), 1, 2)).toEqual({ frameId: 1, payloadType: PAYLOAD_MESSAGE, payload: new Uint8Array(0) });
  });

  it('does not modify the payload it wraps', () => {
    const p = Uint8Array.of(1, 2, 3, 4, 5);
    real.wrap(9, PAYLOAD_MESSAGE, p, 1, 2);
    expect(Array.from(p)).toEqual([1, 2, 3, 4, 5]);
  });

  it('throws RangeError on caller misuse', () => {
    const p = new Uint8Array(4);
    expect(() => real.wrap(65536, PAYLOAD_MESSAGE, p, 1, 2)).toThrow(RangeError);
    expect(() => real.wrap(-1, PAYLOAD_MESSAGE, p, 1, 2)).toThrow(RangeError);
    expect(() => real.wrap(1, 0x07, p, 1, 2)).toThrow(RangeError);
    expect(() => real.wrap(1, PAYLOAD_MESSAGE, p, -1, 2)).toThrow(RangeError);
    expect(() => real.wrap(1, PAYLOAD_MESSAGE, p, 1, 2 ** 32)).toThrow(RangeError);
    expect(() => real.wrap(1, PAYLOAD_MESSAGE, new Uint8Array(FRAME_BYTES_MAX - 2), 1, 2)).toThrow(RangeError);
    expect(real.wrap(1, PAYLOAD_MESSAGE, new Uint8Array(FRAME_BYTES_MAX - 3), 1, 2).length).toBe(FRAME_BYTES_MAX);
    expect(() => real.unwrap(new Uint8Array(4), 1.5, 2)).toThrow(RangeError);
    expect(() => new Obfuscator('fast' as never)).toThrow(RangeError);
  });
});
