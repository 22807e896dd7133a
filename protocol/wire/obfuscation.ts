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
 * Cost: one long-lived AES-ECB cipher shared by every real-mode Obfuscator (crypto/keystream.ts),
 * one native call and one small allocation per frame (a sender encodes its message straight
 * into the frame and seals it in place, `seal`). The shared cipher's memo lets a receiver's
 * unwrap reuse the keystream its sender's wrap computed: in a simulation AES runs about once
 * per frame instead of twice, and less while frame ids repeat.
 */

import { createHash } from 'node:crypto';
import { checkCryptoMode, CounterKeystream, type CryptoMode } from '../crypto/keystream.js';
import { allocBytes, type DecodeError } from './codec.js';

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

/**
 * Slots of the shared keystream memo: one per frame id (frames are keyed by their id alone, see
 * roles/transport.ts), 16 MB (64k x 256 bytes).
 */
export const DEFAULT_MEMO_SLOTS = 65_536;

export interface Frame {
  readonly frameId: number;
  readonly payloadType: number;
  readonly payload: Uint8Array;
}

const TRUNCATED: DecodeError = Object.freeze({ error: 'truncated', detail: 'frame shorter than its 3-byte header' });
const TOO_LONG: DecodeError = Object.freeze({ error: 'too-long', detail: `frame over ${FRAME_BYTES_MAX} bytes` });

/**
 * The keystream every real-mode Obfuscator shares: the key is a public constant, so one cipher
 * and one memo serve them all, however the runtime hands Obfuscators to nodes. Created on first
 * use, so a modelled run never allocates it. It caches a pure function: sharing it changes no
 * byte and no replay.
 */
let sharedKeystream: CounterKeystream | undefined;

export class Obfuscator {
  readonly mode: CryptoMode;
  private readonly keystream: CounterKeystream | undefined;

  /**
   * `options.memoSlots` gives this Obfuscator its own cipher and memo of that many slots (a power
   * of two, or 0 for none) instead of the shared one - for tests and benchmarks.
   */
  constructor(mode: CryptoMode, options: { readonly memoSlots?: number } = {}) {
    this.mode = checkCryptoMode(mode);
    if (mode === 'modelled') this.keystream = undefined;
    else if (options.memoSlots !== undefined) this.keystream = new CounterKeystream(OBFUSCATION_KEY, options.memoSlots);
    else this.keystream = sharedKeystream ??= new CounterKeystream(OBFUSCATION_KEY, DEFAULT_MEMO_SLOTS);
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
    const frame = allocBytes(FRAME_HEADER_BYTES + payload.length);
    frame.set(payload, FRAME_HEADER_BYTES);
    return this.seal(frame, frameId, payloadType, srcIp, dstIp);
  }

  /**
   * Makes `frame` a frame in place, for a sender that wrote its payload straight after the
   * FRAME_HEADER_BYTES it left free (codec.ts's encodeMessage with a header): writes the header
   * and obfuscates the payload. Returns `frame`. Arguments and errors as `wrap`.
   */
  seal(frame: Uint8Array, frameId: number, payloadType: number, srcIp: number, dstIp: number): Uint8Array {
    if (typeof frameId !== 'number' || (frameId & 0xffff) !== frameId) throw new RangeError(`frame id must be a u16, got ${frameId}`);
    if (payloadType !== PAYLOAD_MESSAGE && payloadType !== PAYLOAD_MEDIA) throw new RangeError(`unknown payload type ${payloadType}`);
    checkIp(srcIp, 'source');
    checkIp(dstIp, 'destination');
    if (frame.length < FRAME_HEADER_BYTES) throw new RangeError(`a frame needs its ${FRAME_HEADER_BYTES}-byte header, got ${frame.length} bytes`);
    if (frame.length > FRAME_BYTES_MAX) throw new RangeError(`a ${frame.length - FRAME_HEADER_BYTES}-byte payload makes a frame over ${FRAME_BYTES_MAX} bytes`);
    frame[0] = frameId >>> 8;
    frame[1] = frameId;
    frame[2] = payloadType;
    // In place: the keystream XOR reads each byte before it writes it.
    if (this.keystream) this.keystream.xor(srcIp, dstIp, frameId, frame, FRAME_HEADER_BYTES, frame, FRAME_HEADER_BYTES, frame.length - FRAME_HEADER_BYTES);
    return frame;
  }

  /**
   * Reads a frame from a peer. Never throws on any bytes: a short or oversized frame, or an
   * unknown payload type, is a `DecodeError`. Wrong addresses are not detectable here: they
   * give a garbage payload. Throws RangeError only on caller misuse (addresses not u32).
   */
  unwrap(bytes: Uint8Array, srcIp: number, dstIp: number): Frame | DecodeError {
    const invalid = this.check(bytes, srcIp, dstIp);
    if (invalid) return invalid;
    // A fresh array (never Buffer#slice, which aliases): the caller's bytes stay untouched.
    const payload = allocBytes(bytes.length - FRAME_HEADER_BYTES);
    this.open(bytes, srcIp, dstIp, payload);
    return { frameId: frameIdOf(bytes), payloadType: framePayloadType(bytes), payload };
  }

  /**
   * `unwrap` for a reader done with one payload before it reads the next: writes the payload to
   * `into` from index 0 and returns its length (the frame's header fields are its own bytes,
   * framePayloadType). `into` must hold FRAME_BYTES_MAX - FRAME_HEADER_BYTES bytes. Errors as
   * `unwrap`.
   */
  unwrapInto(bytes: Uint8Array, srcIp: number, dstIp: number, into: Uint8Array): number | DecodeError {
    if (into.length < FRAME_BYTES_MAX - FRAME_HEADER_BYTES) throw new RangeError(`an unwrap target needs ${FRAME_BYTES_MAX - FRAME_HEADER_BYTES} bytes, got ${into.length}`);
    const invalid = this.check(bytes, srcIp, dstIp);
    if (invalid) return invalid;
    this.open(bytes, srcIp, dstIp, into);
    return bytes.length - FRAME_HEADER_BYTES;
  }

  private check(bytes: Uint8Array, srcIp: number, dstIp: number): DecodeError | undefined {
    checkIp(srcIp, 'source');
    checkIp(dstIp, 'destination');
    if (bytes.length < FRAME_HEADER_BYTES) return TRUNCATED;
    if (bytes.length > FRAME_BYTES_MAX) return TOO_LONG;
    const payloadType = bytes[2];
    if (payloadType !== PAYLOAD_MESSAGE && payloadType !== PAYLOAD_MEDIA) return { error: 'unknown-payload-type', detail: `payload type ${payloadType}` };
    return undefined;
  }

  /** The payload of a checked frame, in the clear, to `into` from 0. */
  private open(bytes: Uint8Array, srcIp: number, dstIp: number, into: Uint8Array): void {
    const length = bytes.length - FRAME_HEADER_BYTES;
    if (this.keystream) this.keystream.xor(srcIp, dstIp, frameIdOf(bytes), bytes, FRAME_HEADER_BYTES, into, 0, length);
    else into.set(bytes.subarray(FRAME_HEADER_BYTES));
  }
}

/** The payload type of a frame that unwraps (sent in the clear). */
export function framePayloadType(frame: Uint8Array): number {
  return frame[2];
}

function frameIdOf(frame: Uint8Array): number {
  return (frame[0] << 8) | frame[1];
}

function checkIp(ip: number, which: string): void {
  if (typeof ip !== 'number' || ip >>> 0 !== ip) throw new RangeError(`${which} address must be a u32 IPv4 address, got ${ip}`);
}
