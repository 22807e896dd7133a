/**
 * Password records kept by the login server: salted, hashed, with a tunable work factor.
 *
 * Published behaviour: the LS checks the user's password at login (BS-8, PROTOCOL.md Login
 * step 4). How the real LS stored passwords is not published; this is the ordinary modern
 * practice - PBKDF2-HMAC-SHA256 with a per-record random salt - so the LS pays a realistic,
 * scenario-chosen CPU cost per login check.
 *
 * The work factor is the PBKDF2 iteration count, a parameter: a scenario with many logins
 * may turn it down. The salt is drawn from the LS's `Random`, so records replay from the seed.
 * `verifyPassword` recomputes with the record's own salt and work factor and compares in
 * constant time. The password is taken as its UTF-8 bytes, without Unicode normalization.
 */

import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import type { Random } from '../node.js';
import { randomBytesFrom } from './keys.js';

export const SALT_BYTES = 16;
export const HASH_BYTES = 32;

export interface PasswordRecord {
  readonly algorithm: 'pbkdf2-sha256';
  /** The work factor: PBKDF2 iterations. */
  readonly iterations: number;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

/** Salts (from `rng`) and hashes `password` with `workFactor` PBKDF2 iterations (an integer >= 1). */
export function hashPassword(password: string, rng: Random, workFactor: number): PasswordRecord {
  if (typeof password !== 'string') throw new RangeError('password must be a string');
  if (!Number.isSafeInteger(workFactor) || workFactor < 1) throw new RangeError(`workFactor must be an integer >= 1, got ${workFactor}`);
  const salt = randomBytesFrom(rng, SALT_BYTES);
  return { algorithm: 'pbkdf2-sha256', iterations: workFactor, salt, hash: derive(password, salt, workFactor) };
}

/** True iff `password` is the one the record was made from. */
export function verifyPassword(record: PasswordRecord, password: string): boolean {
  if (typeof password !== 'string') return false;
  if (record.algorithm !== 'pbkdf2-sha256' || !Number.isSafeInteger(record.iterations) || record.iterations < 1) {
    throw new RangeError('not a password record made by hashPassword');
  }
  const candidate = derive(password, record.salt, record.iterations);
  // timingSafeEqual throws on unequal lengths; a record's hash is always HASH_BYTES long.
  return record.hash.length === HASH_BYTES && timingSafeEqual(candidate, record.hash);
}

function derive(password: string, salt: Uint8Array, iterations: number): Uint8Array {
  return new Uint8Array(pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha256'));
}
