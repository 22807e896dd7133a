// Media keys and frames: both peers agree the same key (and the documented HKDF of the X25519
// secret), frames are AES-256-CTR as media.ts documents (OpenSSL as reference), same length,
// separate keystreams per direction and frame; a bad peer key is an error value.
import { createCipheriv, diffieHellman, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveAgreementKeyPair, deriveSigningKeyPair } from '../../../protocol/crypto/keys.js';
import { agreeMediaKey, decryptMedia, encryptMedia, MediaKey, type MediaDirection } from '../../../protocol/crypto/media.js';
import { isDecodeError } from '../../../protocol/wire/codec.js';
import { seededRandom } from './random.js';

const caller = deriveAgreementKeyPair(seededRandom(11));
const callee = deriveAgreementKeyPair(seededRandom(12));
const third = deriveAgreementKeyPair(seededRandom(13));

describe('agreeMediaKey', () => {
  it('gives both peers the same 32-byte key, and a third party another', () => {
    const k1 = agreeMediaKey(caller, callee.publicKey) as Uint8Array;
    const k2 = agreeMediaKey(callee, caller.publicKey) as Uint8Array;
    expect(k1.length).toBe(32);
    expect(k1).toEqual(k2);
    expect(agreeMediaKey(caller, third.publicKey)).not.toEqual(k1);
  });

  it('is HKDF-SHA256 of the X25519 secret, salted with the two public keys in byte order', () => {
    const shared = diffieHellman({ privateKey: caller.privateKey, publicKey: callee.publicKeyObject });
    const [lo, hi] = Buffer.compare(caller.publicKey, callee.publicKey) < 0 ? [caller.publicKey, callee.publicKey] : [callee.publicKey, caller.publicKey];
    const expected = new Uint8Array(hkdfSync('sha256', shared, Buffer.concat([lo, hi]), 'supernode-sim media key v1', 32));
    expect(agreeMediaKey(caller, callee.publicKey)).toEqual(expected);
  });

  it('throws RangeError if our own pair is not an X25519 pair', () => {
    expect(() => agreeMediaKey(deriveSigningKeyPair(seededRandom(1)), callee.publicKey)).toThrow(RangeError);
  });

  it('returns an error value for a peer key of the wrong length or a low-order point, never a throw', () => {
    expect(agreeMediaKey(caller, new Uint8Array(31))).toMatchObject({ error: 'malformed' });
    expect(agreeMediaKey(caller, new Uint8Array(32))).toMatchObject({ error: 'malformed' }); // the zero point
    const one = new Uint8Array(32);
    one[0] = 1; // u = 1: order 4
    expect(agreeMediaKey(caller, one)).toMatchObject({ error: 'malformed' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
        const r = agreeMediaKey(caller, raw);
        if (raw.length !== 32) expect(isDecodeError(r)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('media frames', () => {
  const keyBytes = agreeMediaKey(caller, callee.publicKey) as Uint8Array;
  const real = new MediaKey(keyBytes, 'real');
  const modelled = new MediaKey(keyBytes, 'modelled');
  const direction = fc.constantFrom<MediaDirection>(0, 1);
  const seq = fc.nat({ max: 0xffffffff });
  const frame = fc.uint8Array({ maxLength: 400 });

  it('real mode is AES-256-CTR with IV = direction, seq, 0, block counter (OpenSSL as reference), same length', () => {
    fc.assert(
      fc.property(direction, seq, frame, (d, s, plain) => {
        const iv = Buffer.alloc(16);
        iv.writeUInt32BE(d, 0);
        iv.writeUInt32BE(s, 4);
        const c = createCipheriv('aes-256-ctr', keyBytes, iv);
        const expected = Buffer.concat([c.update(plain), c.final()]);
        const got = encryptMedia(real, d, s, plain);
        expect(Buffer.from(got).equals(expected)).toBe(true);
        expect(got.length).toBe(plain.length);
      }),
    );
  });

  it.each([
    ['real', real],
    ['modelled', modelled],
  ])('round-trips in %s mode without touching the input', (_mode, key) => {
    fc.assert(
      fc.property(direction, seq, frame, (d, s, plain) => {
        const copy = Uint8Array.from(plain);
        const sealed = encryptMedia(key, d, s, copy);
        expect(copy).toEqual(plain);
        expect(sealed.length).toBe(plain.length);
        expect(decryptMedia(key, d, s, sealed)).toEqual(plain);
      }),
    );
  });

  it('each direction and each frame number has its own keystream; modelled copies the frame', () => {
    fc.assert(
      fc.property(seq, fc.uint8Array({ minLength: 8, maxLength: 100 }), (s, plain) => {
        const a = encryptMedia(real, 0, s, plain);
        expect(a).not.toEqual(plain);
        expect(encryptMedia(real, 1, s, plain)).not.toEqual(a);
        expect(encryptMedia(real, 0, (s + 1) >>> 0, plain)).not.toEqual(a);
        expect(encryptMedia(modelled, 0, s, plain)).toEqual(plain);
      }),
    );
  });

  it('the wrong key gives noise, not the frame', () => {
    const wrong = new MediaKey(agreeMediaKey(caller, third.publicKey) as Uint8Array, 'real');
    const plain = new Uint8Array(60).fill(42);
    expect(decryptMedia(wrong, 0, 1, encryptMedia(real, 0, 1, plain))).not.toEqual(plain);
  });

  it('throws RangeError on misuse', () => {
    expect(() => new MediaKey(new Uint8Array(16), 'real')).toThrow(RangeError);
    expect(() => new MediaKey(keyBytes, 'fast' as never)).toThrow(RangeError);
    expect(() => encryptMedia(real, 2 as MediaDirection, 0, new Uint8Array(1))).toThrow(RangeError);
    expect(() => encryptMedia(real, 0, -1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => encryptMedia(real, 0, 2 ** 32, new Uint8Array(1))).toThrow(RangeError);
  });
});
