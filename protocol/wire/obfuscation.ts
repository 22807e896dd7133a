/**
 * The obfuscation layer: every packet (UDP datagram or modelled TCP write) is one frame.
 *
 * Frame layout (PROTOCOL.md "Obfuscation layer", after OT-12's reading of the real format):
 *
 *   offset 0  u16  frame id      chosen by the sender (a counter or its Random), big-endian
 *   offset 2  u8   payload type  what the payload holds (below); sent in the clear
 *   offset 3  ...  payload       XORed with an AES keystream
 *
 * The keystream is AES-128-CTR under a fixed key that every client knows (here, a constant
 * derived below), with IV = srcIp || dstIp || frameId (u32, u32, u32 with the id in the low 16
 * bits) || block counter - built only from data an observer sees, so the layer hides message
 * structure from a casual eye but protects nothing: faithful to the real system, whose
 * obfuscation (the RC4 layer described in the later studies) also keyed off public addresses
 * and a frame id. Nothing authenticates the payload: unwrapping with the wrong addresses gives
 * garbage that the codec then rejects (or, rarely, decodes as some other message).
 *
 * Which addresses: both ends must feed the same (srcIp, dstIp). Behind a NAT the receiver sees
 * the mapped address, so the role that sends must use the address the receiver will see (for
 * example its public address as learned at login); the layer just takes what it is given.
 *
 * Payload types (one byte; every other value is reserved and rejected on unwrap):
 *   0x02  PAYLOAD_MESSAGE  a protocol message in the codec's format (codec.ts)
 *   0x03  PAYLOAD_MEDIA    a media frame, already AES-256 encrypted end to end (crypto/media.ts)
 *
 * Modes: `real` runs the cipher; `modelled` copies the payload as is - identical frame layout
 * and byte counts, no cipher CPU (PROTOCOL.md's `crypto: modelled`). The two modes do not
 * interoperate, by design: a run uses one.
 *
 * Cost: one long-lived AES-ECB cipher per Obfuscator (crypto/keystream.ts), one native call and
 * two small allocations per frame. One Obfuscator should serve every node of a run: its memo
 * then lets a receiver's unwrap reuse the keystream its sender's wrap computed.
 */

import { createHash } from 'node:crypto';
import { checkCryptoMode, CounterKeystream, type CryptoMode } from '../crypto/keystream.js';
import type { DecodeError } from './codec.js';

export const PAYLOAD_MESSAGE = 0x02;
export const PAYLOAD_MEDIA = 0x03;

export const FRAME_HEADER_BYTES = 3;

/** Largest frame: the largest IPv4 UDP payload (65,535 - 20 IP - 8 UDP). */
export const FRAME_BYTES_MAX = 65_507;

/**
 * The fixed obfuscation key: public, like the constants built into every real client. Derived
 * from a label rather than typed in, so where it comes from is plain.
 */
export const OBFUSCATION_KEY: Uint8Array = Uint8Array.from(createHash('sha256').update('supernode-sim obfuscation key v1').digest().subarray(0, 16));

/** Memo slots by default: about 16k frames in flight, a few MB at most. */
export const DEFAULT_MEMO_SLOTS = 16_384;

export interface Frame {
  readonly frameId: number;
  readonly payloadType: number;
  readonly payload: Uint8Array;
}

const TRUNCATED: DecodeError = Object.freeze({ error: 'truncated', detail: 'frame shorter than its 3-byte header' });
const TOO_LONG: DecodeError = Object.freeze({ error: 'too-long', detail: `frame over ${FRAME_BYTES_MAX} bytes` });

export class Obfuscator {
  readonly mode: CryptoMode;
  private readonly keystream: CounterKeystream | undefined;

  /**
   * `memoSlots` (a power of two, or 0 for none) sizes the keystream memo of crypto/keystream.ts:
   * share one Obfuscator among all nodes of a run and a frame's unwrap reuses the AES work of its
   * wrap while the frame is among the last few thousand sent. Bytes are the same with or without.
   */
  constructor(mode: CryptoMode, options: { readonly memoSlots?: number } = {}) {
    this.mode = checkCryptoMode(mode);
    this.keystream = mode === 'real' ? new CounterKeystream(OBFUSCATION_KEY, options.memoSlots ?? DEFAULT_MEMO_SLOTS) : undefined;
  }

  /** Bytes a frame carrying `payloadBytes` takes on the wire. */
  frameSize(payloadBytes: number): number {
    return FRAME_HEADER_BYTES + payloadBytes;
  }

  /**
   * Builds a frame. `frameId` a u16, `payloadType` one of the PAYLOAD_* values, addresses
   * u32 IPv4 as the receiver will see them. Throws RangeError on misuse; `payload` is not
   * modified.
   */
  wrap(frameId: number, payloadType: number, payload: Uint8Array, srcIp: number, dstIp: number): Uint8Array {
    if (typeof frameId !== 'number' || (frameId & 0xffff) !== frameId) throw new RangeError(`frame id must be a u16, got ${frameId}`);
    if (payloadType !== PAYLOAD_MESSAGE && payloadType !== PAYLOAD_MEDIA) throw new RangeError(`unknown payload type ${payloadType}`);
    checkIp(srcIp, 'source');
    checkIp(dstIp, 'destination');
    const size = FRAME_HEADER_BYTES + payload.length;
    if (size > FRAME_BYTES_MAX) throw new RangeError(`a ${payload.length}-byte payload makes a frame over ${FRAME_BYTES_MAX} bytes`);
    const frame = new Uint8Array(size);
    frame[0] = frameId >>> 8;
    frame[1] = frameId;
    frame[2] = payloadType;
    if (this.keystream) this.keystream.xor(srcIp, dstIp, frameId, payload, 0, frame, FRAME_HEADER_BYTES, payload.length);
    else frame.set(payload, FRAME_HEADER_BYTES);
    return frame;
  }

  /**
   * Reads a frame from a peer. Never throws on any bytes: a short or oversized frame, or an
   * unknown payload type, is a `DecodeError`. Wrong addresses are not detectable here: they
   * give a garbage payload. Throws RangeError only on caller misuse (addresses not u32).
   */
  unwrap(bytes: Uint8Array, srcIp: number, dstIp: number): Frame | DecodeError {
    checkIp(srcIp, 'source');
    checkIp(dstIp, 'destination');
    if (bytes.length < FRAME_HEADER_BYTES) return TRUNCATED;
    if (bytes.length > FRAME_BYTES_MAX) return TOO_LONG;
    const payloadType = bytes[2];
    if (payloadType !== PAYLOAD_MESSAGE && payloadType !== PAYLOAD_MEDIA) return { error: 'unknown-payload-type', detail: `payload type ${payloadType}` };
    const frameId = (bytes[0] << 8) | bytes[1];
    // A fresh array (never Buffer#slice, which aliases): the caller's bytes stay untouched.
    const payload = new Uint8Array(bytes.length - FRAME_HEADER_BYTES);
    if (this.keystream) this.keystream.xor(srcIp, dstIp, frameId, bytes, FRAME_HEADER_BYTES, payload, 0, payload.length);
    else payload.set(bytes.subarray(FRAME_HEADER_BYTES));
    return { frameId, payloadType, payload };
  }
}

function checkIp(ip: number, which: string): void {
  if (typeof ip !== 'number' || ip >>> 0 !== ip) throw new RangeError(`${which} address must be a u32 IPv4 address, got ${ip}`);
}
