// Password records: the right password verifies, a wrong one does not; the work factor and the
// salt (drawn from the Random) both change the hash; the same Random gives the same record.
import { pbkdf2Sync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashPassword, HASH_BYTES, SALT_BYTES, verifyPassword } from '../../../protocol/crypto/passwords.js';
import { seededRandom } from './random.js';

describe('passwords', () => {
  it('the right password verifies, any other does not', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), fc.nat(), (pw, other, seed) => {
        const rec = hashPassword(pw, seededRandom(seed), 3);
        expect(verifyPassword(rec, pw)).toBe(true);
        expect(verifyPassword(rec, other)).toBe(other === pw);
      }),
      { numRuns: 200 },
    );
  });

  it('is PBKDF2-HMAC-SHA256 with the work factor as iterations and a salt from the Random', () => {
    const rec = hashPassword('hunter2', seededRandom(1), 1000);
    expect(rec.algorithm).toBe('pbkdf2-sha256');
    expect(rec.iterations).toBe(1000);
    expect(rec.salt.length).toBe(SALT_BYTES);
    expect(rec.hash.length).toBe(HASH_BYTES);
    expect(Buffer.from(rec.hash).equals(pbkdf2Sync('hunter2', rec.salt, 1000, 32, 'sha256'))).toBe(true);
  });

  it('the work factor changes the hash; the same Random gives the same record; another Random another salt', () => {
    const a = hashPassword('pw', seededRandom(5), 1);
    const b = hashPassword('pw', seededRandom(5), 2);
    expect(a.salt).toEqual(b.salt);
    expect(a.hash).not.toEqual(b.hash);
    expect(hashPassword('pw', seededRandom(5), 2)).toEqual(b);
    const c = hashPassword('pw', seededRandom(6), 2);
    expect(c.salt).not.toEqual(b.salt);
    expect(c.hash).not.toEqual(b.hash);
  });

  it('a record with an altered hash, salt or work factor no longer verifies', () => {
    const rec = hashPassword('pw', seededRandom(9), 2);
    const flip = (b: Uint8Array) => Uint8Array.from(b, (x, i) => (i === 0 ? x ^ 1 : x));
    expect(verifyPassword({ ...rec, hash: flip(rec.hash) }, 'pw')).toBe(false);
    expect(verifyPassword({ ...rec, salt: flip(rec.salt) }, 'pw')).toBe(false);
    expect(verifyPassword({ ...rec, iterations: 3 }, 'pw')).toBe(false);
    expect(verifyPassword({ ...rec, hash: rec.hash.subarray(1) }, 'pw')).toBe(false);
  });

  it('throws RangeError on misuse', () => {
    expect(() => hashPassword('pw', seededRandom(1), 0)).toThrow(RangeError);
    expect(() => hashPassword('pw', seededRandom(1), 1.5)).toThrow(RangeError);
    expect(() => hashPassword(1 as never, seededRandom(1), 1)).toThrow(RangeError);
    expect(() => verifyPassword({ ...hashPassword('pw', seededRandom(1), 1), iterations: 0 }, 'pw')).toThrow(RangeError);
  });
});
