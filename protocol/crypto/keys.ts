/**
 * Key pairs derived from a node's `Random`, so a run replays from its seed.
 *
 * A key pair is built from a 32-byte seed drawn from the Random: the seed is the private key
 * itself (RFC 8032 for Ed25519, RFC 7748 for X25519), imported as a JWK (RFC 8037 `OKP`).
 * Ed25519 signatures are deterministic too, so the same seed gives the same keys, credentials
 * and signatures on any machine.
 *
 * Why JWK and not DER: Node hands raw OKP key bytes from a JWK straight to OpenSSL, while a
 * PKCS#8 or SPKI DER blob goes through OpenSSL's generic decoder - measured here, 350 us per
 * private key and 77 us per public key by DER against 38 us and 6 us by JWK. A run derives a
 * key at every host start and every call, and imports a public key at every credential check.
 * A private JWK must carry the public half `x` as a string, but Node derives the key from `d`
 * alone and ignores `x`; we pass an empty one and read the real public key back.
 *
 *   Ed25519 (signing): the user's identity key, certified by the login server (BS-8, and
 *                      PROTOCOL.md "Login and calls use real keys"); the LS's own key.
 *   X25519 (agreement): a per-call key pair from which two peers agree the media key (media.ts).
 *
 * What it abstracts: these keys are as strong as the simulation's PRNG, i.e. not at all -
 * the point is a real cipher's bytes and CPU cost, replayable, not secrecy.
 *
 * Public keys travel as their raw 32 bytes. Turning a peer's 32 bytes into a key object is
 * peer input: it returns a DecodeError rather than throwing.
 */

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Random } from '../node.js';
import type { DecodeError } from '../wire/codec.js';

export const SEED_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;

type Curve = 'Ed25519' | 'X25519';

export interface KeyPair {
  readonly privateKey: KeyObject;
  /** The private key's object form of the public half, ready for verify / agreement. */
  readonly publicKeyObject: KeyObject;
  /** The raw 32 bytes, as they travel on the wire. */
  readonly publicKey: Uint8Array;
}

/**
 * `n` bytes from `rng`, one draw per byte (the top 8 bits of each draw), so any Random with
 * at least 8 bits of resolution gives uniform bytes.
 */
export function randomBytesFrom(rng: Random, n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`byte count must be a non-negative integer, got ${n}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng.next() * 256);
  return out;
}

/** An Ed25519 identity key pair from 32 bytes of `rng`. */
export function deriveSigningKeyPair(rng: Random): KeyPair {
  return keyPairFromSeed('Ed25519', randomBytesFrom(rng, SEED_BYTES));
}

/** An X25519 agreement key pair from 32 bytes of `rng`. */
export function deriveAgreementKeyPair(rng: Random): KeyPair {
  return keyPairFromSeed('X25519', randomBytesFrom(rng, SEED_BYTES));
}

/** A peer's raw Ed25519 public key as a key object, or a DecodeError if it is not 32 bytes. */
export function signingPublicKey(raw: Uint8Array): KeyObject | DecodeError {
  return publicKeyFromRaw('Ed25519', raw);
}

/** A peer's raw X25519 public key as a key object, or a DecodeError if it is not 32 bytes. */
export function agreementPublicKey(raw: Uint8Array): KeyObject | DecodeError {
  return publicKeyFromRaw('X25519', raw);
}

function keyPairFromSeed(crv: Curve, seed: Uint8Array): KeyPair {
  const d = Buffer.from(seed.buffer, seed.byteOffset, seed.byteLength).toString('base64url');
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv, d, x: '' }, format: 'jwk' });
  const publicKeyObject = createPublicKey(privateKey);
  const x = publicKeyObject.export({ format: 'jwk' }).x!;
  return { privateKey, publicKeyObject, publicKey: Uint8Array.from(Buffer.from(x, 'base64url')) };
}

/**
 * Public keys imported lately, by curve and raw bytes. Importing costs about 6 us, and a peer
 * presents the same key again and again (every attach of a host that keeps retrying its login
 * is checked against its key). A key object is immutable and the import a pure function, so
 * sharing one changes nothing but CPU. Bounded: emptied when full.
 */
const importedKeys = new Map<string, KeyObject | DecodeError>();
const IMPORTED_KEYS_MAX = 4096;

function publicKeyFromRaw(crv: Curve, raw: Uint8Array): KeyObject | DecodeError {
  if (!(raw instanceof Uint8Array) || raw.length !== PUBLIC_KEY_BYTES) return { error: 'malformed', detail: 'public key is not 32 bytes' };
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
  const memoKey = crv + x;
  let key = importedKeys.get(memoKey);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });
    } catch {
      // OpenSSL may refuse some byte strings as points; that is the peer's fault, not ours.
      key = { error: 'malformed', detail: 'public key rejected by the key parser' };
    }
    if (importedKeys.size >= IMPORTED_KEYS_MAX) importedKeys.clear();
    importedKeys.set(memoKey, key);
  }
  return key;
}
