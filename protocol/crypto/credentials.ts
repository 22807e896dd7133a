/**
 * User credentials signed by the login server, and proof of holding the credential's key.
 *
 * Published behaviour (BS-8, PROTOCOL.md "Login and calls use real keys"): at login the LS
 * signs the user's public key; peers verify that signature at call set-up. Here a credential
 * binds a user name to an Ed25519 public key for a validity window:
 *
 *   { name, publicKey (raw 32 bytes), issuedAtMs, expiresAtMs, signature (64 bytes) }
 *
 * Encoding (big-endian; the signature covers a domain tag then every byte before it):
 *
 *   u8   version (1)
 *   u8   name length (1..255) + UTF-8 name
 *   32   public key
 *   f64  issuedAtMs     (an integer >= 0)
 *   f64  expiresAtMs    (an integer >= issuedAtMs)
 *   64   Ed25519 signature
 *
 * A credential is public: holding one proves nothing. A peer proves it is the credential's
 * holder by signing a fresh challenge the other side drew (`signChallenge`/`verifyChallenge`);
 * the challenge signature has its own domain tag, so neither kind can pass for the other.
 *
 * Whose fault is it: bytes from a peer decode to a DecodeError / verify to an error value,
 * never an exception; the LS's own misuse (a bad name, a negative lifetime) throws RangeError.
 *
 * Modes: there is no `modelled` variant. Signing and verifying happen once per login and per
 * call set-up, not per packet (see bench/crypto.ts for their cost), so real Ed25519 is kept in
 * every run.
 */

import { KeyObject, sign, verify } from 'node:crypto';
import type { DecodeError } from '../wire/codec.js';
import { PUBLIC_KEY_BYTES, signingPublicKey } from './keys.js';

export const CREDENTIAL_VERSION = 1;
export const NAME_BYTES_MAX = 255;
export const SIGNATURE_BYTES = 64;

const CREDENTIAL_TAG = new TextEncoder().encode('supernode-sim credential v1\0');
const CHALLENGE_TAG = new TextEncoder().encode('supernode-sim challenge v1\0');
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface Credential {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly signature: Uint8Array;
}

export type CredentialFailure = 'bad-signature' | 'expired' | 'not-yet-valid' | 'wrong-name' | 'malformed';

export type CredentialCheck = { readonly ok: true; readonly credential: Credential } | { readonly ok: false; readonly error: CredentialFailure };

/**
 * The LS signs `userPublicKey` (raw 32 bytes) for `name`, valid from `nowMs` for `lifetimeMs`.
 * Throws RangeError on misuse: an empty or over-long name, a key not 32 bytes, times not
 * non-negative integers.
 */
export function issueCredential(lsPrivateKey: KeyObject, name: string, userPublicKey: Uint8Array, nowMs: number, lifetimeMs: number): Credential {
  if (!isTimeMs(nowMs)) throw new RangeError(`nowMs must be a non-negative integer, got ${nowMs}`);
  if (!isTimeMs(lifetimeMs) || !isTimeMs(nowMs + lifetimeMs)) throw new RangeError(`lifetimeMs must be a non-negative integer with nowMs + lifetimeMs safe, got ${lifetimeMs}`);
  if (!(userPublicKey instanceof Uint8Array) || userPublicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError('userPublicKey must be 32 raw bytes');
  const unsigned = encodeUnsigned(name, userPublicKey, nowMs, nowMs + lifetimeMs);
  const signature = new Uint8Array(sign(null, concat(CREDENTIAL_TAG, unsigned), lsPrivateKey));
  return { name, publicKey: Uint8Array.from(userPublicKey), issuedAtMs: nowMs, expiresAtMs: nowMs + lifetimeMs, signature };
}

/** The credential's bytes, to carry in a protocol message's `bytes` field. Throws RangeError on a malformed credential. */
export function encodeCredential(c: Credential): Uint8Array {
  if (!(c.signature instanceof Uint8Array) || c.signature.length !== SIGNATURE_BYTES) throw new RangeError('signature must be 64 bytes');
  if (!(c.publicKey instanceof Uint8Array) || c.publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError('publicKey must be 32 bytes');
  if (!isTimeMs(c.issuedAtMs) || !isTimeMs(c.expiresAtMs) || c.expiresAtMs < c.issuedAtMs) throw new RangeError('credential times must be integers with 0 <= issuedAtMs <= expiresAtMs');
  return concat(encodeUnsigned(c.name, c.publicKey, c.issuedAtMs, c.expiresAtMs), c.signature);
}

/** Parses a peer's credential bytes (without checking the signature). Never throws. */
export function decodeCredential(bytes: Uint8Array): Credential | DecodeError {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) return malformed('shorter than its header');
  if (bytes[0] !== CREDENTIAL_VERSION) return malformed(`unknown version ${bytes[0]}`);
  const nameBytes = bytes[1];
  if (nameBytes === 0) return malformed('empty name');
  const expected = 2 + nameBytes + PUBLIC_KEY_BYTES + 16 + SIGNATURE_BYTES;
  if (bytes.length !== expected) return malformed(`${bytes.length} bytes, expected ${expected}`);
  let name: string;
  try {
    name = utf8Decoder.decode(bytes.subarray(2, 2 + nameBytes));
  } catch {
    return malformed('name is not UTF-8');
  }
  let p = 2 + nameBytes;
  const publicKey = new Uint8Array(bytes.subarray(p, p + PUBLIC_KEY_BYTES));
  p += PUBLIC_KEY_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const issuedAtMs = view.getFloat64(p);
  const expiresAtMs = view.getFloat64(p + 8);
  p += 16;
  if (!isTimeMs(issuedAtMs) || !isTimeMs(expiresAtMs) || expiresAtMs < issuedAtMs) return malformed('times out of range');
  const signature = new Uint8Array(bytes.subarray(p, p + SIGNATURE_BYTES));
  return { name, publicKey, issuedAtMs, expiresAtMs, signature };
}

/**
 * Checks a credential a peer presented: well-formed, signed by the LS key, issued to
 * `expectedName`, and valid at `nowMs` (issuedAtMs <= nowMs < expiresAtMs). Never throws on
 * the credential; throws RangeError if `lsPublicKey` (our own configuration) is not a key.
 */
export function verifyCredential(credential: Uint8Array | Credential, lsPublicKey: KeyObject | Uint8Array, expectedName: string, nowMs: number): CredentialCheck {
  const lsKey = lsPublicKey instanceof Uint8Array ? signingPublicKey(lsPublicKey) : lsPublicKey;
  if (!isKeyObject(lsKey)) throw new RangeError(`lsPublicKey is not an Ed25519 public key: ${lsKey.error}`);
  let c: Credential;
  let bytes: Uint8Array;
  if (credential instanceof Uint8Array) {
    const decoded = decodeCredential(credential);
    if ('error' in decoded) return { ok: false, error: 'malformed' };
    c = decoded;
    bytes = credential;
  } else {
    c = credential;
    try {
      bytes = encodeCredential(credential);
    } catch {
      return { ok: false, error: 'malformed' };
    }
  }
  const signed = concat(CREDENTIAL_TAG, bytes.subarray(0, bytes.length - SIGNATURE_BYTES));
  if (!safeVerify(signed, lsKey, c.signature)) return { ok: false, error: 'bad-signature' };
  if (c.name !== expectedName) return { ok: false, error: 'wrong-name' };
  if (nowMs < c.issuedAtMs) return { ok: false, error: 'not-yet-valid' };
  if (nowMs >= c.expiresAtMs) return { ok: false, error: 'expired' };
  return { ok: true, credential: c };
}

/** Signs a challenge (e.g. a fresh nonce the verifier drew) with the credential's private key. */
export function signChallenge(privateKey: KeyObject, challenge: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, concat(CHALLENGE_TAG, challenge), privateKey));
}

/**
 * True iff `signature` is the holder of `publicKey` (raw 32 bytes, e.g. from a verified
 * credential, or a key object) signing `challenge`. Never throws on peer bytes.
 */
export function verifyChallenge(publicKey: Uint8Array | KeyObject, challenge: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKey instanceof Uint8Array ? signingPublicKey(publicKey) : publicKey;
  if (!isKeyObject(key)) return false;
  if (!(challenge instanceof Uint8Array)) return false;
  return safeVerify(concat(CHALLENGE_TAG, challenge), key, signature);
}

function safeVerify(data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

function encodeUnsigned(name: string, publicKey: Uint8Array, issuedAtMs: number, expiresAtMs: number): Uint8Array {
  if (typeof name !== 'string' || name.length === 0) throw new RangeError('name must be a non-empty string');
  const nameUtf8 = new TextEncoder().encode(name);
  if (nameUtf8.length > NAME_BYTES_MAX) throw new RangeError(`name must be at most ${NAME_BYTES_MAX} UTF-8 bytes`);
  if (utf8Decoder.decode(nameUtf8) !== name) throw new RangeError('name must be a well-formed string (no lone surrogates)');
  const out = new Uint8Array(2 + nameUtf8.length + PUBLIC_KEY_BYTES + 16);
  out[0] = CREDENTIAL_VERSION;
  out[1] = nameUtf8.length;
  out.set(nameUtf8, 2);
  let p = 2 + nameUtf8.length;
  out.set(publicKey, p);
  p += PUBLIC_KEY_BYTES;
  const view = new DataView(out.buffer);
  view.setFloat64(p, issuedAtMs);
  view.setFloat64(p + 8, expiresAtMs);
  return out;
}

function isTimeMs(t: number): boolean {
  return Number.isSafeInteger(t) && t >= 0;
}

function isKeyObject(k: KeyObject | DecodeError): k is KeyObject {
  return k instanceof KeyObject;
}

function malformed(detail: string): DecodeError {
  return { error: 'malformed', detail };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
