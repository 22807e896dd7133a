// Credentials signed by the login server: a valid one verifies; one not signed by the LS,
// expired, not yet valid, issued to another name, or altered in any byte is rejected; any bytes
// from a peer give an error value. Challenge signatures prove the holder of the key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCredential,
  encodeCredential,
  issueCredential,
  NAME_BYTES_MAX,
  signChallenge,
  verifyChallenge,
  verifyCredential,
  type Credential,
} from '../../../protocol/crypto/credentials.js';
import { deriveSigningKeyPair } from '../../../protocol/crypto/keys.js';
import { isDecodeError } from '../../../protocol/wire/codec.js';
import { seededRandom } from './random.js';

const rng = seededRandom(2004);
const ls = deriveSigningKeyPair(rng);
const otherLs = deriveSigningKeyPair(rng);
const alice = deriveSigningKeyPair(rng);
const bob = deriveSigningKeyPair(rng);

const DAY_MS = 86_400_000;
const issuedAtMs = 1_000_000;
const cred = issueCredential(ls.privateKey, 'alice', alice.publicKey, issuedAtMs, DAY_MS);
const credBytes = encodeCredential(cred);

const name = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => Buffer.byteLength(s) <= NAME_BYTES_MAX);

describe('credentials', () => {
  it('a credential the LS issued verifies, from bytes or object, with the LS key as object or raw bytes', () => {
    for (const c of [credBytes, cred]) {
      for (const key of [ls.publicKeyObject, ls.publicKey]) {
        const r = verifyCredential(c, key, 'alice', issuedAtMs + 1000);
        expect(r).toEqual({ ok: true, credential: cred });
      }
    }
  });

  it('encodes and decodes any credential to itself', () => {
    fc.assert(
      fc.property(name, fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), (n, now, life) => {
        const c = issueCredential(ls.privateKey, n, bob.publicKey, now, life);
        expect(decodeCredential(encodeCredential(c))).toEqual(c);
        expect(verifyCredential(encodeCredential(c), ls.publicKeyObject, n, now)).toMatchObject({ ok: life > 0 });
      }),
      { numRuns: 50 },
    );
  });

  it('rejects a credential signed by another key', () => {
    const forged = issueCredential(otherLs.privateKey, 'alice', alice.publicKey, issuedAtMs, DAY_MS);
    expect(verifyCredential(encodeCredential(forged), ls.publicKeyObject, 'alice', issuedAtMs)).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('rejects a credential outside its validity window: before issue, at and after expiry', () => {
    expect(verifyCredential(credBytes, ls.publicKeyObject, 'alice', issuedAtMs)).toMatchObject({ ok: true });
    expect(verifyCredential(credBytes, ls.publicKeyObject, 'alice', issuedAtMs + DAY_MS - 1)).toMatchObject({ ok: true });
    expect(verifyCredential(credBytes, ls.publicKeyObject, 'alice', issuedAtMs + DAY_MS)).toEqual({ ok: false, error: 'expired' });
    expect(verifyCredential(credBytes, ls.publicKeyObject, 'alice', issuedAtMs - 1)).toEqual({ ok: false, error: 'not-yet-valid' });
  });

  it('rejects a credential issued to another name', () => {
    expect(verifyCredential(credBytes, ls.publicKeyObject, 'bob', issuedAtMs)).toEqual({ ok: false, error: 'wrong-name' });
    expect(verifyCredential(credBytes, ls.publicKeyObject, 'Alice', issuedAtMs)).toEqual({ ok: false, error: 'wrong-name' });
  });

  it('rejects the credential with any byte altered', () => {
    for (let i = 0; i < credBytes.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const t = Uint8Array.from(credBytes);
        t[i] ^= mask;
        const r = verifyCredential(t, ls.publicKeyObject, 'alice', issuedAtMs + 1000);
        expect(r.ok, `byte ${i} ^ ${mask}`).toBe(false);
      }
    }
  });

  it('rejects an object credential whose fields were altered', () => {
    const altered: Credential[] = [
      { ...cred, name: 'alicf' },
      { ...cred, publicKey: bob.publicKey },
      { ...cred, expiresAtMs: cred.expiresAtMs + 1 },
      { ...cred, issuedAtMs: cred.issuedAtMs - 1 },
      { ...cred, signature: cred.signature.slice(1) },
      { ...cred, expiresAtMs: -1 },
    ];
    for (const c of altered) expect(verifyCredential(c, ls.publicKeyObject, c.name, issuedAtMs + 1000).ok).toBe(false);
  });

  it('decodes any bytes to a credential or an error, never a throw; verifying them never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 120 })).map(([n, rest]) => Uint8Array.of(1, n, ...rest)),
          fc.tuple(fc.nat({ max: credBytes.length }), fc.uint8Array({ maxLength: 3 })).map(([cut, add]) => Uint8Array.from([...credBytes.subarray(0, cut), ...add])),
        ),
        (bytes) => {
          const d = decodeCredential(bytes);
          if (!isDecodeError(d)) expect(encodeCredential(d)).toEqual(bytes);
          const r = verifyCredential(bytes, ls.publicKeyObject, 'alice', issuedAtMs);
          if (!Buffer.from(bytes).equals(credBytes)) expect(r.ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names what is malformed: unknown version, empty name, wrong length, bad UTF-8, bad times', () => {
    const withByte = (i: number, v: number) => Uint8Array.from(credBytes, (x, j) => (j === i ? v : x));
    expect(decodeCredential(withByte(0, 2))).toMatchObject({ error: 'malformed', detail: 'unknown version 2' });
    expect(decodeCredential(withByte(1, 0))).toMatchObject({ error: 'malformed', detail: 'empty name' });
    expect(decodeCredential(credBytes.subarray(1))).toMatchObject({ error: 'malformed' });
    expect(decodeCredential(withByte(2, 0xff))).toMatchObject({ error: 'malformed', detail: 'name is not UTF-8' });
    const timeAt = 2 + 5 + 32; // after the version, name length, "alice" and the key
    expect(decodeCredential(withByte(timeAt, 0x80 | credBytes[timeAt]))).toMatchObject({ error: 'malformed', detail: 'times out of range' });
    expect(verifyCredential(withByte(0, 2), ls.publicKeyObject, 'alice', issuedAtMs)).toEqual({ ok: false, error: 'malformed' });
  });

  it('is deterministic: the same Random gives byte-identical credentials', () => {
    const issue = (seed: number) => {
      const r = seededRandom(seed);
      const lsKeys = deriveSigningKeyPair(r);
      const user = deriveSigningKeyPair(r);
      return encodeCredential(issueCredential(lsKeys.privateKey, 'carol', user.publicKey, 5, 10));
    };
    expect(issue(7)).toEqual(issue(7));
    expect(issue(7)).not.toEqual(issue(8));
  });

  it('throws RangeError when the LS misuses issueCredential', () => {
    expect(() => issueCredential(ls.privateKey, '', alice.publicKey, 0, 1)).toThrow(RangeError);
    expect(() => issueCredential(ls.privateKey, 'x'.repeat(NAME_BYTES_MAX + 1), alice.publicKey, 0, 1)).toThrow(RangeError);
    expect(() => issueCredential(ls.privateKey, 'bad \uD800', alice.publicKey, 0, 1)).toThrow(RangeError);
    expect(() => issueCredential(ls.privateKey, 'alice', alice.publicKey.subarray(1), 0, 1)).toThrow(RangeError);
    expect(() => issueCredential(ls.privateKey, 'alice', alice.publicKey, -1, 1)).toThrow(RangeError);
    expect(() => issueCredential(ls.privateKey, 'alice', alice.publicKey, 0, 1.5)).toThrow(RangeError);
    expect(() => issueCredential(ls.privateKey, 'alice', alice.publicKey, Number.MAX_SAFE_INTEGER, 1)).toThrow(RangeError);
    expect(() => verifyCredential(credBytes, new Uint8Array(31), 'alice', 0)).toThrow(RangeError);
  });
});

describe('challenge signatures', () => {
  const challenge = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

  it('prove the holder of the credential key, and only for that challenge', () => {
    const sig = signChallenge(alice.privateKey, challenge);
    expect(verifyChallenge(cred.publicKey, challenge, sig)).toBe(true);
    expect(verifyChallenge(alice.publicKeyObject, challenge, sig)).toBe(true);
    expect(verifyChallenge(bob.publicKey, challenge, sig)).toBe(false);
    expect(verifyChallenge(cred.publicKey, challenge.subarray(1), sig)).toBe(false);
    expect(verifyChallenge(cred.publicKey, challenge, signChallenge(bob.privateKey, challenge))).toBe(false);
  });

  it('cannot stand in for a credential signature, nor the reverse (separate domain tags)', () => {
    // The LS signing "a challenge" equal to the credential body must not yield a valid credential signature.
    const body = credBytes.subarray(0, credBytes.length - 64);
    const challengeSig = signChallenge(ls.privateKey, body);
    expect(verifyCredential({ ...cred, signature: challengeSig }, ls.publicKeyObject, 'alice', issuedAtMs).ok).toBe(false);
    expect(verifyChallenge(ls.publicKey, body, cred.signature)).toBe(false);
  });

  it('never throw on any peer bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ maxLength: 70 }), (key, ch, sig) => {
        expect(verifyChallenge(key, ch, sig)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('flipping any bit of the signature breaks it', () => {
    const sig = signChallenge(alice.privateKey, challenge);
    for (let bit = 0; bit < sig.length * 8; bit += 7) {
      const t = Uint8Array.from(sig);
      t[bit >>> 3] ^= 1 << (bit & 7);
      expect(verifyChallenge(alice.publicKey, challenge, t)).toBe(false);
    }
  });
});
