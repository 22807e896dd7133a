/**
 * The one way a role puts a message on the wire and reads one off it.
 *
 * Sending: encode (wire/codec.ts) -> wrap in an obfuscation frame (wire/obfuscation.ts) with the
 * next frame id of this node's counter -> a `sendDatagram` or `write` output whose `msgType`
 * is the message name (traffic accounting counts by it; the bytes are obfuscated).
 *
 * Receiving: unwrap -> decode. A frame or message that does not decode is the peer's fault
 * (STYLE.md 5): a `trace` output with event `malformed` is recorded, `undefined` returned, and
 * the caller drops the packet with its state unchanged. Nothing here throws on peer bytes.
 *
 * Design choice (documented for the wire layer): the obfuscation keystream takes the source
 * and destination IPv4 addresses "as the receiver sees them". Behind a NAT neither end knows
 * that pair before NAT detection has run (the sender does not know its mapped address, the
 * receiver does not know the public address it was reached at), yet the first probe of a login
 * must already decode. The real client solved this with an extra clear-text NACK carrying the
 * address the receiver saw, which we do not model; instead every frame is keyed with 0.0.0.0
 * for both addresses. The keystream still changes with the frame id, the byte counts and the
 * cipher work are those of the real layer - only the address binding is dropped.
 *
 * Media frames travel with payload type media (OT-12's reading of the real format); every other
 * message with payload type message. A frame whose payload type does not match its message is
 * counted as malformed.
 */

import type { ConnId, Ctx, Endpoint } from '../node.js';
import type { CryptoMode } from '../crypto/keystream.js';
import { decodeMessage, encodeMessage, isDecodeError, type DecodeError } from '../wire/codec.js';
import type { Message } from '../wire/messages.js';
import { FRAME_BYTES_MAX, FRAME_HEADER_BYTES, framePayloadType, Obfuscator, PAYLOAD_MEDIA, PAYLOAD_MESSAGE } from '../wire/obfuscation.js';
import { formatEndpoint } from './support.js';

/** The address pair every frame is keyed with (see the header). */
const FRAME_ADDRESS = 0;

const obfuscators = new Map<CryptoMode, Obfuscator>();

/** One Obfuscator per mode for the whole process: it holds no per-node state. */
export function sharedObfuscator(mode: CryptoMode): Obfuscator {
  let o = obfuscators.get(mode);
  if (!o) {
    o = new Obfuscator(mode);
    obfuscators.set(mode, o);
  }
  return o;
}

export class Transport {
  private nextFrameId = 0;

  constructor(private readonly obfuscator: Obfuscator) {}

  /** Sends `msg` as one UDP datagram from our `fromPort` to `to`; `packets` > 1 makes it an aggregate (protocol/node.ts). */
  sendDatagram(ctx: Ctx, fromPort: number, to: Endpoint, msg: Message, packets = 1): void {
    const bytes = this.frame(msg);
    if (packets === 1) ctx.out.push({ kind: 'sendDatagram', fromPort, to, bytes, msgType: msg.type });
    else ctx.out.push({ kind: 'sendDatagram', fromPort, to, bytes, msgType: msg.type, packets });
  }

  /** Writes `msg` as one modelled TCP message on `conn`; `packets` > 1 makes it stand for that many writes. */
  write(ctx: Ctx, conn: ConnId, msg: Message, packets = 1): void {
    const bytes = this.frame(msg);
    if (packets === 1) ctx.out.push({ kind: 'write', conn, bytes, msgType: msg.type });
    else ctx.out.push({ kind: 'write', conn, bytes, msgType: msg.type, packets });
  }

  /** The message in a datagram from `from`, or undefined (counted as malformed). */
  readDatagram(ctx: Ctx, bytes: Uint8Array, from: Endpoint): Message | undefined {
    return this.read(ctx, bytes, 'udp', from);
  }

  /** The message in one TCP write received on `conn`, or undefined (counted as malformed). */
  readData(ctx: Ctx, bytes: Uint8Array, conn: ConnId): Message | undefined {
    return this.read(ctx, bytes, 'tcp', conn);
  }

  private frame(msg: Message): Uint8Array {
    const frameId = this.nextFrameId;
    this.nextFrameId = (this.nextFrameId + 1) & 0xffff;
    return this.obfuscator.seal(encodeMessage(msg, FRAME_HEADER_BYTES), frameId, payloadTypeOf(msg.type), FRAME_ADDRESS, FRAME_ADDRESS);
  }

  /** `source` (the sender, or the connection) is named in the trace of a malformed message only, so it is formatted only then. */
  private read(ctx: Ctx, bytes: Uint8Array, transport: 'udp' | 'tcp', source: Endpoint | ConnId): Message | undefined {
    const msg = readFrame(this.obfuscator, bytes);
    return isDecodeError(msg) ? malformed(ctx, transport, source, msg.error, msg.detail) : msg;
  }
}

/**
 * The message in a frame from a peer, or why there is none: the frame does not unwrap, its
 * payload does not decode, or the payload type is not the message's.
 */
export function readFrame(obfuscator: Obfuscator, bytes: Uint8Array): Message | DecodeError {
  const length = obfuscator.unwrapInto(bytes, FRAME_ADDRESS, FRAME_ADDRESS, payloadScratch);
  if (typeof length !== 'number') return length;
  const msg = decodeMessage(payloadScratch, length);
  if (isDecodeError(msg)) return msg;
  const payloadType = framePayloadType(bytes);
  if (payloadType !== payloadTypeOf(msg.type)) return { error: 'unexpected-payload-type', detail: `payload type ${payloadType} for ${msg.type}` };
  return msg;
}

/**
 * Where every frame's payload is unwrapped to be decoded: the decoded message keeps nothing of
 * it (codec.ts), so one array serves every read, and reading a frame allocates only its message.
 */
const payloadScratch = new Uint8Array(FRAME_BYTES_MAX - FRAME_HEADER_BYTES);

function payloadTypeOf(type: Message['type']): number {
  return type === 'mediaFrame' ? PAYLOAD_MEDIA : PAYLOAD_MESSAGE;
}

function malformed(ctx: Ctx, transport: 'udp' | 'tcp', from: Endpoint | ConnId, error: string, detail: string | undefined): undefined {
  const source = typeof from === 'number' ? `conn ${from}` : formatEndpoint(from);
  ctx.out.push({ kind: 'trace', event: 'malformed', detail: { transport, source, error, detail: detail ?? '' } });
  return undefined;
}
