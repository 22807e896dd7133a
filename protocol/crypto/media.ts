/**
 * End-to-end media encryption: AES-256 with a key the two peers of a call agree (BS-30).
 *
 * Agreement (our design; the real negotiation is unpublished): each side of a call derives
 * a fresh X25519 key pair from its Random (keys.ts) and sends the raw public key in its call
 * signalling, signed with its credential key (`signChallenge` over the 32 bytes, checked
 * with `verifyChallenge` against the peer's verified credential), so a relay or super node
 * in the signalling path cannot substitute its own. Both then compute
 *
 *   mediaKey = HKDF-SHA256(ikm = X25519(own, peer), salt = lower key || higher key,
 *                          info = "supernode-sim media key v1", 32 bytes)
 *
 * ordering the two public keys bytewise so caller and callee need not know who is who.
 *
 * Frames: AES-256 in counter mode (crypto/keystream.ts) with IV = direction || seq || 0 || block
 * (u32 each), so a voice frame's ciphertext is exactly as long as its plaintext and the media
 * byte rate (BS-25, about 3 kB/s) is unchanged. Direction 0 is caller -> callee, 1 the
 * reverse: the two directions share a key but never a keystream. No integrity tag: a frame
 * altered in flight decodes to noise, as in a voice codec fed bad bits.
 *
 * Modes: `real` runs AES; `modelled` copies frames as is (same sizes, no cipher CPU).
 * Agreement itself always runs real X25519: once per call.
 */

import { diffieHellman, hkdfSync, KeyObject } from 'node:crypto';
import { allocBytes, type DecodeError } from '../wire/codec.js';
import { agreementPublicKey, PUBLIC_KEY_BYTES, type KeyPair } from './keys.js';
import { checkCryptoMode, CounterKeystream, type CryptoMode } from './keystream.js';

export const MEDIA_KEY_BYTES = 32;

/** 0: caller -> callee, 1: callee -> caller. */
export type MediaDirection = 0 | 1;

const MEDIA_KEY_INFO = new TextEncoder().encode('supernode-sim media key v1');

/**
 * The 32-byte media key from our X25519 key pair and the peer's raw public key. A peer key
 * that is not 32 bytes, or a low-order point that yields no shared secret, is a DecodeError.
 */
export function agreeMediaKey(own: KeyPair, peerPublicKey: Uint8Array): Uint8Array | DecodeError {
  // Our own key of the wrong kind is our bug, not the peer's: say so rather than blame the peer.
  if (own.privateKey.asymmetricKeyType !== 'x25519') throw new RangeError('agreeMediaKey needs an X25519 key pair (deriveAgreementKeyPair)');
  const peer = agreementPublicKey(peerPublicKey);
  if (!(peer instanceof KeyObject)) return peer;
  let shared: Uint8Array;
  try {
    shared = diffieHellman({ privateKey: own.privateKey, publicKey: peer });
  } catch {
    return { error: 'malformed', detail: 'peer public key gives no shared secret' };
  }
  // RFC 7748 section 6.1: an all-zero secret means a low-order point; refuse it.
  if (shared.every((b) => b === 0)) return { error: 'malformed', detail: 'peer public key is a low-order point' };
  const [low, high] = Buffer.compare(own.publicKey, peerPublicKey) <= 0 ? [own.publicKey, peerPublicKey] : [peerPublicKey, own.publicKey];
  const salt = new Uint8Array(2 * PUBLIC_KEY_BYTES);
  salt.set(low, 0);
  salt.set(high, PUBLIC_KEY_BYTES);
  return new Uint8Array(hkdfSync('sha256', shared, salt, MEDIA_KEY_INFO, MEDIA_KEY_BYTES));
}

/** A call's media key, ready to use: holds its long-lived cipher (real mode). */
export class MediaKey {
  readonly mode: CryptoMode;
  /** @internal */
  readonly keystream: CounterKeystream | undefined;

  constructor(key: Uint8Array, mode: CryptoMode) {
    this.mode = checkCryptoMode(mode);
    if (!(key instanceof Uint8Array) || key.length !== MEDIA_KEY_BYTES) throw new RangeError(`media key must be ${MEDIA_KEY_BYTES} bytes`);
    this.keystream = mode === 'real' ? new CounterKeystream(key) : undefined;
  }
}

/** Encrypts frame number `seq` (a u32) in `direction`; returns a new array of the same length. */
export function encryptMedia(key: MediaKey, direction: MediaDirection, seq: number, plaintext: Uint8Array): Uint8Array {
  return crypt(key, direction, seq, plaintext);
}

/** Decrypts what `encryptMedia` made with the same key, direction and seq. Never throws on the bytes. */
export function decryptMedia(key: MediaKey, direction: MediaDirection, seq: number, ciphertext: Uint8Array): Uint8Array {
  return crypt(key, direction, seq, ciphertext);
}

function crypt(key: MediaKey, direction: MediaDirection, seq: number, input: Uint8Array): Uint8Array {
  if (direction !== 0 && direction !== 1) throw new RangeError(`media direction must be 0 or 1, got ${direction}`);
  if (typeof seq !== 'number' || seq >>> 0 !== seq) throw new RangeError(`media frame seq must be a u32, got ${seq}`);
  const out = allocBytes(input.length);
  if (key.keystream) key.keystream.xor(direction, seq, 0, input, 0, out, 0, input.length);
  else out.set(input);
  return out;
}
