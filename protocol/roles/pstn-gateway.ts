/**
 * The PSTN gateway: SkypeOut (a user calls a phone number) and SkypeIn (a phone calls a user).
 *
 * What it models (seed, "Call Between Skype and PSTN"; PROTOCOL.md "Chat, presence, PSTN"): the
 * gateways are "a separate part of the architecture and not a part of the overlay network";
 * for SkypeOut the client "contacts the super node and then the PSTN gateway at port 12340";
 * SkypeIn goes the opposite way. A gateway is infrastructure, like the LS: public, always
 * listening on TCP and UDP `params.pstnGatewayPort`, never an SN, never logged in.
 *
 * Inputs, by what they are for:
 *   start                   listen on TCP and UDP `port`
 *   accepted                send `challenge{role: pstnGateway, nonce}` (every acceptor does);
 *                           the first message then says what the connection is:
 *     data pstnDial         a signalling link from an SN (SkypeOut). The caller's credential
 *                           must be LS-signed, issued to `caller` and valid now, and `keyShare`
 *                           a usable X25519 key; else `pstnHangUp{callId, hangUp}` on the link
 *                           and the call is refused. Accepted: the phone rings (trace
 *                           pstnDialed) and answers `answerDelayMs` later: `pstnAnswer{callId,
 *                           keyShare, media}` on the same link (the SN forwards it to the host).
 *                           One link may carry many calls (any number of dials).
 *     data mediaFrame       a media link of a UDP-blocked host (BS-24): the frame must name a
 *                           call of the table; the link is that call's media path from now on.
 *   datagram mediaFrame     media of a call over UDP
 *   data pstnHangUp         from the call's signalling link: the call is over
 *   closed                  signalling link: each of its calls ends (peerLost); a call's media
 *                           link: that call ends (peerLost)
 *   user incoming           SkypeIn: see below
 *   timer ring | noAnswer | talkEnd | media   see the timer list
 *   anything else           counted (`trace unexpected`), state unchanged; bad bytes: `malformed`
 *
 * SkypeIn (`{type: 'incoming', callee, number, durationMs}`): TCP to the bootstrap SNs
 * (`superNodes`) in order until one connects and challenges as an SN (refused, timed out, closed
 * or another role: the next one); on it `pstnIncoming{callId, number, callee, keyShare, media}`.
 * The SN routes it to the callee, whose `pstnAnswer` comes back on that connection. The gateway
 * hangs up (`pstnHangUp{hangUp}`, then closes the connection) `durationMs` after the answer -
 * the talk time - unless the callee hangs up first (`pstnHangUp` or the connection closing). No
 * answer within `params.callSetupTimeoutMs` (30 s) of the action: the call fails, cause timeout.
 * A `routeFailed` from the SN (the callee could not be reached) fails it at once.
 *
 * Media (BS-25, BS-26; the message table's `mediaFrame`): the gateway never sends first. It
 * latches the source of the first frame a call receives - a datagram's source address, or the
 * TCP connection it came on - and sends its own frames there, so a NATed host is reached through
 * the mapping its own frames opened (the `media` endpoint a host names may be private; it is
 * kept only for the trace). Only frames from the latched source count afterwards. Frames go out
 * from the first media tick after the latch, once the call is answered (the media key needs both
 * key shares): in `packets` mode one frame every `voiceFrameMs`; in `flow` mode one aggregate
 * every `flowIntervalMs` standing for the frames of that interval (`packets` on the output,
 * `mediaFrame.frames` the same count, `seq` the first frame's number). Each frame's size is
 * chosen so that the wire rate is `voiceBitsPerSec` per direction counting 28 bytes of IP and
 * UDP header, the 3-byte obfuscation frame and the encoded message: the voice field takes what
 * is left (at least 0 bytes). Over TCP the same frames are written (TCP's larger header is not
 * compensated). Voice is AES-256-CTR under the call's key (crypto/media.ts): the host is the
 * caller (direction 0) in SkypeOut, the gateway in SkypeIn. Received voice is decrypted (the
 * gateway plays it into the phone network) and dropped. Hold frames (BS-27) count as media like
 * any other frame; the phone side never holds.
 *
 * Wire framing: a mediaFrame travels in an obfuscation frame of payload type media (wire/
 * obfuscation.ts), every other message in a frame of payload type message (roles/transport.ts);
 * a frame whose payload type does not match its message is counted as malformed.
 *
 * Call ids: a SkypeOut call keeps the caller's callId; SkypeIn ids are drawn by the gateway. One
 * table for both, keyed by callId: a pstnDial naming a callId the table holds is counted as
 * unexpected and dropped (media frames carry only the callId, so two live calls cannot share one).
 *
 * What it abstracts: the phone network. The called phone answers after a fixed `answerDelayMs`
 * (ours: ring time; a real PSTN leg can be busy or unanswered - not modelled, a SkypeOut call
 * always answers); the caller of a SkypeIn call talks for the `durationMs` the action gives.
 * Billing, number plans and the gateway's PSTN-side capacity are not modelled. The gateway
 * checks the caller's credential but, like the SN path it comes through, no signature over the
 * dial (pstnDial carries none): the credential says who is billed.
 *
 * Timers (one instance per name, set to the earliest deadline among the calls that need it):
 *   ring      fires when: the earliest ringing SkypeOut call's phone answers
 *   noAnswer  fires when: the earliest SkypeIn call still unanswered reaches callSetupTimeoutMs
 *   talkEnd   fires when: the earliest answered SkypeIn call has lasted its durationMs
 *   media     fires when: a media tick is due (every voiceFrameMs in packets mode, flowIntervalMs
 *             in flow mode) while any call is answered: send the frames due, end silent calls
 *
 * Silence: an answered call that received no frame for `mediaSilenceMs` (10 s, ours) ends,
 * reason peerLost, with a `pstnHangUp{peerLost}` on its signalling link; checked at media ticks.
 *
 * Metrics and traces:
 *   pstnCallMs   {direction: out|in, outcome: ok|failed|refused}: ok - answer to end (talk
 *                time); failed - start (dial arrived, or the action) to failure; refused - 0
 *   pstnSetupMs  {direction: in}: SkypeIn, action to answer. (SkypeOut's set-up is the host's to
 *                measure, as its user sees it: the gateway's part is just answerDelayMs.)
 *   trace        pstnDialed (ringing), pstnAnswered, pstnEnded (an answered call is over),
 *                pstnRefused (bad credential or key share), pstnFailed (over before an answer;
 *                cause timeout | unreachable | declined | cancelled | peerLost | badKeyShare),
 *                pstnMediaLatched (where the call's media goes). Frames still in flight when a
 *                call ends arrive for no call: counted as unexpected, like any stray frame.
 */

import type { KeyObject } from 'node:crypto';
import { agreeMediaKey, decryptMedia, encryptMedia, MediaKey, type MediaDirection } from '../crypto/media.js';
import { verifyCredential } from '../crypto/credentials.js';
import { deriveAgreementKeyPair, randomBytesFrom, signingPublicKey, type KeyPair } from '../crypto/keys.js';
import type { CloseReason, ConnId, Ctx, Endpoint, Input, ProtocolNode } from '../node.js';
import type { ProtocolParams } from '../params.js';
import { allocBytes, encodeMessage, isDecodeError, messageWireSize } from '../wire/codec.js';
import { CALL_END, ROLE, type Message, type MessageOf } from '../wire/messages.js';
import { FRAME_HEADER_BYTES, PAYLOAD_MEDIA, type Obfuscator } from '../wire/obfuscation.js';
import { formatEndpoint, randomU32, unexpected } from './support.js';
import { Timers } from './timers.js';
import { readFrame, sharedObfuscator, Transport } from './transport.js';

export const PSTN_CHALLENGE_NONCE_BYTES = 16;

/** IPv4 (20) + UDP (8) header bytes, counted in the voice wire rate (BS-25). */
export const IP_UDP_HEADER_BYTES = 28;

/** Default ring time before the called phone answers (ours). */
export const DEFAULT_ANSWER_DELAY_MS = 5_000;

/** Default time without media after which an answered call is dropped (ours). */
export const DEFAULT_MEDIA_SILENCE_MS = 10_000;

/** The gateway's timers (see the header). */
export type PstnGatewayTimer = 'ring' | 'noAnswer' | 'talkEnd' | 'media';

/** Timers armed at the earliest deadline of a call field. */
type DeadlineTimer = Exclude<PstnGatewayTimer, 'media'>;

/** What the runtime or a scenario asks the gateway to do: a phone calls `callee` (SkypeIn). */
export type PstnGatewayAction = { readonly type: 'incoming'; readonly callee: string; readonly number: string; readonly durationMs: number };

export interface PstnGatewayOptions {
  readonly params: ProtocolParams;
  /** The gateway's public address: its media endpoint in pstnAnswer / pstnIncoming. */
  readonly localIp: number;
  /** The LS's public key (raw 32 bytes or a key object): SkypeOut credentials are checked against it. */
  readonly lsPublicKey: KeyObject | Uint8Array;
  /** SNs a SkypeIn call is handed to, tried in order (the bootstrap SNs). */
  readonly superNodes: readonly Endpoint[];
  /** TCP and UDP port; default `params.pstnGatewayPort`. */
  readonly port?: number;
  /** Ring time of a dialled phone (default DEFAULT_ANSWER_DELAY_MS). */
  readonly answerDelayMs?: number;
  /** An answered call with no media for this long ends (default DEFAULT_MEDIA_SILENCE_MS). */
  readonly mediaSilenceMs?: number;
  /** Default: the process-wide obfuscator of `params.cryptoMode`. */
  readonly obfuscator?: Obfuscator;
}

type Direction = 'out' | 'in';

/** ringing: set up, not answered yet; talking: answered, media flows. */
type CallState = 'ringing' | 'talking';

interface Call {
  readonly callId: number;
  readonly direction: Direction;
  state: CallState;
  /** The signalling link: the SN's connection (out); our connection to the SN being tried (in; undefined between tries). */
  conn: ConnId | undefined;
  readonly number: string;
  /** The host's user: the caller (out) or the callee (in). */
  readonly user: string;
  readonly startedAtMs: number;
  readonly ownKey: KeyPair;
  key: MediaKey | undefined;
  /** out: when the phone answers; in: Infinity. */
  ringAtMs: number;
  /** in: when an unanswered call fails; out: Infinity. */
  noAnswerAtMs: number;
  /** in: when the gateway hangs up (answer + durationMs); Infinity before the answer and for out. */
  talkEndAtMs: number;
  readonly durationMs: number;
  answeredAtMs: number;
  /** Latched media path: a UDP source, or a TCP connection (UDP-blocked host). */
  mediaTo: Endpoint | undefined;
  mediaConn: ConnId | undefined;
  /** Time of the first frame we send (the first media tick after both answer and latch; Infinity before); frame k is due k voiceFrameMs later. */
  mediaFromMs: number;
  framesSent: number;
  lastHeardMs: number;
  /** in: the next SN to try. */
  nextSuperNode: number;
}

/** What an accepted or opened connection carries. */
type ConnKind =
  /** Accepted, no message yet. */
  | { kind: 'pending' }
  /** From an SN: SkypeOut dials and their hang-ups. */
  | { kind: 'signalling' }
  /** A UDP-blocked host's media for one call. */
  | { kind: 'media'; callId: number }
  /** Ours, to an SN, for one SkypeIn call; `challenged` once the SN said what it is. */
  | { kind: 'incoming'; callId: number; connected: boolean; challenged: boolean };

export class PstnGatewayNode implements ProtocolNode<PstnGatewayAction> {
  private readonly params: ProtocolParams;
  private readonly transport: Transport;
  private readonly obfuscator: Obfuscator;
  private readonly lsKey: KeyObject;
  private readonly timers = new Timers<PstnGatewayTimer>();
  /** Deadline each deadline timer is armed for (Infinity: not armed). */
  private readonly armedAtMs: Record<DeadlineTimer, number> = { ring: Infinity, noAnswer: Infinity, talkEnd: Infinity };
  private readonly calls = new Map<number, Call>();
  private readonly conns = new Map<ConnId, ConnKind>();
  private nextConn = 1;
  private nextMediaFrameId = 0;
  private started = false;
  /** Length of the voice field that makes one media datagram voiceBitsPerSec x voiceFrameMs on the wire (voiceBytesFor). */
  private readonly voiceBytes: number;

  constructor(private readonly options: PstnGatewayOptions) {
    this.params = options.params;
    this.obfuscator = options.obfuscator ?? sharedObfuscator(options.params.cryptoMode);
    this.transport = new Transport(this.obfuscator);
    const key = options.lsPublicKey instanceof Uint8Array ? signingPublicKey(options.lsPublicKey) : options.lsPublicKey;
    if (isDecodeError(key)) throw new RangeError(`pstn gateway: lsPublicKey is not an Ed25519 public key: ${key.error}`);
    this.lsKey = key;
    for (const [name, v] of [['answerDelayMs', options.answerDelayMs], ['mediaSilenceMs', options.mediaSilenceMs]] as const) {
      if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw new RangeError(`pstn gateway: ${name} must be a finite number >= 0, got ${v}`);
    }
    this.voiceBytes = voiceBytesFor(this.params);
  }

  get port(): number {
    return this.options.port ?? this.params.pstnGatewayPort;
  }

  /** Calls in the table: ringing or answered. */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** Ids of the calls in the table, with their direction and state (for checks and tests). */
  callList(): { callId: number; direction: Direction; state: CallState }[] {
    return [...this.calls.values()].map((c) => ({ callId: c.callId, direction: c.direction, state: c.state }));
  }

  handle(input: Input<PstnGatewayAction>, ctx: Ctx): void {
    if (input.kind !== 'start' && !this.started) throw new RangeError(`pstn gateway: input ${input.kind} before start`);
    switch (input.kind) {
      case 'start':
        return this.onStart(ctx);
      case 'accepted':
        return this.onAccepted(ctx, input.conn, input.localPort);
      case 'data':
        return this.onData(ctx, input.conn, input.bytes);
      case 'datagram':
        return this.onDatagram(ctx, input.localPort, input.from, input.bytes);
      case 'connected':
        return this.onConnected(ctx, input.conn);
      case 'connectFailed':
        return this.onConnectLost(ctx, input.conn, 'connectFailed');
      case 'closed':
        return this.onClosed(ctx, input.conn, input.reason);
      case 'timer':
        return this.onTimer(ctx, input.name, input.tag);
      case 'user':
        return this.onAction(ctx, input.action);
    }
  }

  // --- set-up ------------------------------------------------------------------------------

  private onStart(ctx: Ctx): void {
    if (this.started) throw new RangeError('pstn gateway: started twice');
    this.started = true;
    ctx.out.push({ kind: 'listenTcp', port: this.port });
    ctx.out.push({ kind: 'listenUdp', port: this.port });
  }

  private onAccepted(ctx: Ctx, conn: ConnId, localPort: number): void {
    if (localPort !== this.port) return unexpected(ctx, 'accepted', `port ${localPort}`);
    this.conns.set(conn, { kind: 'pending' });
    this.transport.write(ctx, conn, { type: 'challenge', role: ROLE.pstnGateway, nonce: randomBytesFrom(ctx.rng, PSTN_CHALLENGE_NONCE_BYTES), full: false, superNodes: [] });
  }

  private onData(ctx: Ctx, conn: ConnId, bytes: Uint8Array): void {
    const c = this.conns.get(conn);
    if (!c) return unexpected(ctx, 'data', 'unknownConnection');
    const msg = this.read(ctx, bytes, 'tcp', `conn ${conn}`);
    if (!msg) return;
    switch (c.kind) {
      case 'pending':
        if (msg.type === 'pstnDial') {
          this.conns.set(conn, { kind: 'signalling' });
          return this.onDial(ctx, conn, msg);
        }
        if (msg.type === 'mediaFrame') return this.onTcpMediaLatch(ctx, conn, msg);
        return unexpected(ctx, msg.type, 'pendingConnection');
      case 'signalling':
        if (msg.type === 'pstnDial') return this.onDial(ctx, conn, msg);
        if (msg.type === 'pstnHangUp') return this.onHangUp(ctx, conn, msg);
        return unexpected(ctx, msg.type, 'signallingConnection');
      case 'media': {
        const call = this.calls.get(c.callId);
        if (msg.type !== 'mediaFrame' || msg.callId !== c.callId || !call || call.mediaConn !== conn) return unexpected(ctx, msg.type, 'mediaConnection');
        return this.onMedia(ctx, call, msg);
      }
      case 'incoming':
        return this.onIncomingData(ctx, conn, c, msg);
    }
  }

  /** SkypeOut: an SN forwards a host's dial. */
  private onDial(ctx: Ctx, conn: ConnId, msg: MessageOf<'pstnDial'>): void {
    if (this.calls.has(msg.callId)) return unexpected(ctx, 'pstnDial', 'callIdInUse');
    const check = verifyCredential(msg.credential, this.lsKey, msg.caller, ctx.now);
    if (!check.ok) return this.refuse(ctx, conn, msg, check.error);
    const ownKey = deriveAgreementKeyPair(ctx.rng);
    const agreed = agreeMediaKey(ownKey, msg.keyShare);
    if (isDecodeError(agreed)) return this.refuse(ctx, conn, msg, 'badKeyShare');
    const call = this.newCall(ctx, msg.callId, 'out', conn, msg.number, msg.caller, ownKey, 0);
    call.key = new MediaKey(agreed, this.params.cryptoMode);
    call.ringAtMs = ctx.now + (this.options.answerDelayMs ?? DEFAULT_ANSWER_DELAY_MS);
    this.calls.set(call.callId, call);
    ctx.out.push({ kind: 'trace', event: 'pstnDialed', detail: { callId: call.callId, direction: 'out', caller: msg.caller, number: msg.number, media: formatEndpoint(msg.media) } });
    this.arm(ctx, 'ring');
  }

  private refuse(ctx: Ctx, conn: ConnId, msg: MessageOf<'pstnDial'>, reason: string): void {
    this.transport.write(ctx, conn, { type: 'pstnHangUp', callId: msg.callId, reason: CALL_END.hangUp });
    ctx.out.push({ kind: 'trace', event: 'pstnRefused', detail: { callId: msg.callId, caller: msg.caller, reason } });
    ctx.out.push({ kind: 'metric', name: 'pstnCallMs', value: 0, labels: { direction: 'out', outcome: 'refused' } });
  }

  /** SkypeIn: a phone calls `callee`. Caller input: a malformed action throws. */
  private onAction(ctx: Ctx, action: PstnGatewayAction): void {
    if (action.type !== 'incoming') throw new RangeError(`pstn gateway: unknown action ${(action as { type: unknown }).type}`);
    if (typeof action.callee !== 'string' || action.callee.length === 0) throw new RangeError('pstn gateway: incoming needs a callee name');
    if (typeof action.number !== 'string') throw new RangeError('pstn gateway: incoming needs a number');
    if (!(action.durationMs >= 0 && Number.isFinite(action.durationMs))) throw new RangeError(`pstn gateway: durationMs must be a finite number >= 0, got ${action.durationMs}`);
    let callId = randomU32(ctx.rng);
    while (callId === 0 || this.calls.has(callId)) callId = randomU32(ctx.rng);
    const call = this.newCall(ctx, callId, 'in', undefined, action.number, action.callee, deriveAgreementKeyPair(ctx.rng), action.durationMs);
    call.noAnswerAtMs = ctx.now + this.params.callSetupTimeoutMs;
    this.calls.set(callId, call);
    this.arm(ctx, 'noAnswer');
    this.tryNextSuperNode(ctx, call);
  }

  private newCall(ctx: Ctx, callId: number, direction: Direction, conn: ConnId | undefined, number: string, user: string, ownKey: KeyPair, durationMs: number): Call {
    return {
      callId,
      direction,
      state: 'ringing',
      conn,
      number,
      user,
      startedAtMs: ctx.now,
      ownKey,
      key: undefined,
      ringAtMs: Infinity,
      noAnswerAtMs: Infinity,
      talkEndAtMs: Infinity,
      durationMs,
      answeredAtMs: NaN,
      mediaTo: undefined,
      mediaConn: undefined,
      mediaFromMs: Infinity,
      framesSent: 0,
      lastHeardMs: ctx.now,
      nextSuperNode: 0,
    };
  }

  /** SkypeIn: opens TCP to the next SN of the list; with none left the call fails. */
  private tryNextSuperNode(ctx: Ctx, call: Call): void {
    const sn = this.options.superNodes[call.nextSuperNode++];
    if (!sn) return this.end(ctx, call, 'unreachable', undefined);
    const conn = this.nextConn++;
    call.conn = conn;
    this.conns.set(conn, { kind: 'incoming', callId: call.callId, connected: false, challenged: false });
    ctx.out.push({ kind: 'connect', conn, to: sn });
  }

  private onConnected(ctx: Ctx, conn: ConnId): void {
    const c = this.conns.get(conn);
    if (!c || c.kind !== 'incoming' || c.connected) return unexpected(ctx, 'connected', 'unknownConnection');
    c.connected = true;
  }

  /** Our connection to an SN failed or closed before the SN challenged: try the next SN. */
  private onConnectLost(ctx: Ctx, conn: ConnId, input: string): void {
    const c = this.conns.get(conn);
    if (!c || c.kind !== 'incoming') return unexpected(ctx, input, 'unknownConnection');
    this.conns.delete(conn);
    const call = this.calls.get(c.callId);
    if (!call || call.conn !== conn) return;
    call.conn = undefined;
    if (c.challenged) return this.end(ctx, call, 'peerLost', undefined);
    this.tryNextSuperNode(ctx, call);
  }

  private onIncomingData(ctx: Ctx, conn: ConnId, c: Extract<ConnKind, { kind: 'incoming' }>, msg: Message): void {
    const call = this.calls.get(c.callId);
    if (!call || call.conn !== conn) return unexpected(ctx, msg.type, 'staleConnection');
    if (!c.challenged) {
      if (msg.type !== 'challenge') return unexpected(ctx, msg.type, 'awaitingChallenge');
      if (msg.role !== ROLE.superNode) {
        // Not an SN (any more): this one cannot route the call.
        ctx.out.push({ kind: 'close', conn });
        this.conns.delete(conn);
        call.conn = undefined;
        return this.tryNextSuperNode(ctx, call);
      }
      c.challenged = true;
      const media = { ip: this.options.localIp, port: this.port };
      this.transport.write(ctx, conn, { type: 'pstnIncoming', callId: call.callId, number: call.number, callee: call.user, keyShare: call.ownKey.publicKey, media });
      ctx.out.push({ kind: 'trace', event: 'pstnDialed', detail: { callId: call.callId, direction: 'in', callee: call.user, number: call.number } });
      return;
    }
    if (msg.type === 'pstnAnswer' && msg.callId === call.callId && call.state === 'ringing') return this.onIncomingAnswer(ctx, call, msg);
    if (msg.type === 'pstnHangUp' && msg.callId === call.callId) return this.onHangUp(ctx, conn, msg);
    if (msg.type === 'routeFailed' && call.state === 'ringing') return this.end(ctx, call, 'unreachable', CALL_END.hangUp);
    return unexpected(ctx, msg.type, `incoming ${call.state}`);
  }

  private onIncomingAnswer(ctx: Ctx, call: Call, msg: MessageOf<'pstnAnswer'>): void {
    const agreed = agreeMediaKey(call.ownKey, msg.keyShare);
    if (isDecodeError(agreed)) return this.end(ctx, call, 'badKeyShare', CALL_END.hangUp);
    call.key = new MediaKey(agreed, this.params.cryptoMode);
    call.noAnswerAtMs = Infinity;
    call.talkEndAtMs = ctx.now + call.durationMs;
    this.answer(ctx, call, formatEndpoint(msg.media));
    this.arm(ctx, 'noAnswer');
    this.arm(ctx, 'talkEnd');
  }

  /** The call is answered (both directions): media may flow. */
  private answer(ctx: Ctx, call: Call, media: string): void {
    call.state = 'talking';
    call.answeredAtMs = ctx.now;
    call.lastHeardMs = ctx.now;
    ctx.out.push({ kind: 'trace', event: 'pstnAnswered', detail: { callId: call.callId, direction: call.direction, user: call.user, media } });
    if (call.direction === 'in') ctx.out.push({ kind: 'metric', name: 'pstnSetupMs', value: ctx.now - call.startedAtMs, labels: { direction: 'in' } });
    if (!this.timers.isSet('media')) this.timers.set(ctx, 'media', this.mediaTickMs());
  }

  private onHangUp(ctx: Ctx, conn: ConnId, msg: MessageOf<'pstnHangUp'>): void {
    const call = this.calls.get(msg.callId);
    if (!call || call.conn !== conn) return unexpected(ctx, 'pstnHangUp', 'unknownCall');
    this.end(ctx, call, call.state === 'talking' ? 'hangUp' : call.direction === 'out' ? 'cancelled' : 'declined', undefined);
  }

  // --- media -------------------------------------------------------------------------------

  private onDatagram(ctx: Ctx, localPort: number, from: Endpoint, bytes: Uint8Array): void {
    if (localPort !== this.port) return unexpected(ctx, 'datagram', `port ${localPort}`);
    const msg = this.read(ctx, bytes, 'udp', formatEndpoint(from));
    if (!msg) return;
    if (msg.type !== 'mediaFrame') return unexpected(ctx, msg.type, 'udp');
    const call = this.calls.get(msg.callId);
    if (!call || call.mediaConn !== undefined) return unexpected(ctx, 'mediaFrame', 'unknownCall');
    if (!call.mediaTo) {
      call.mediaTo = { ip: from.ip, port: from.port };
      this.latched(ctx, call, formatEndpoint(from));
    } else if (call.mediaTo.ip !== from.ip || call.mediaTo.port !== from.port) {
      return unexpected(ctx, 'mediaFrame', 'otherSource');
    }
    this.onMedia(ctx, call, msg);
  }

  /** A UDP-blocked host's media connection: its first frame names the call. */
  private onTcpMediaLatch(ctx: Ctx, conn: ConnId, msg: MessageOf<'mediaFrame'>): void {
    const call = this.calls.get(msg.callId);
    if (!call || call.mediaTo || call.mediaConn !== undefined) return unexpected(ctx, 'mediaFrame', 'unknownCall');
    this.conns.set(conn, { kind: 'media', callId: call.callId });
    call.mediaConn = conn;
    this.latched(ctx, call, `conn ${conn}`);
    this.onMedia(ctx, call, msg);
  }

  private latched(ctx: Ctx, call: Call, source: string): void {
    ctx.out.push({ kind: 'trace', event: 'pstnMediaLatched', detail: { callId: call.callId, source } });
  }

  private onMedia(ctx: Ctx, call: Call, msg: MessageOf<'mediaFrame'>): void {
    call.lastHeardMs = ctx.now;
    // The host's frames: it is the caller (direction 0) of a SkypeOut call, the callee of a SkypeIn one.
    if (call.key) decryptMedia(call.key, call.direction === 'out' ? 0 : 1, msg.seq, msg.voice);
  }

  private mediaTickMs(): number {
    return this.params.mediaMode === 'flow' ? this.params.flowIntervalMs : this.params.voiceFrameMs;
  }

  /** A media tick: every answered call sends the frames due since its media start; silent calls end. */
  private onMediaTick(ctx: Ctx): void {
    const silenceMs = this.options.mediaSilenceMs ?? DEFAULT_MEDIA_SILENCE_MS;
    let talking = false;
    for (const call of [...this.calls.values()]) {
      if (call.state !== 'talking') continue;
      if (ctx.now - call.lastHeardMs >= silenceMs) {
        this.end(ctx, call, 'peerLost', CALL_END.peerLost);
        continue;
      }
      talking = true;
      if (!call.mediaTo && call.mediaConn === undefined) continue;
      // Started on a tick, so that packets mode sends exactly one frame per tick.
      if (call.mediaFromMs === Infinity) call.mediaFromMs = ctx.now;
      this.sendDue(ctx, call);
    }
    if (talking) this.timers.set(ctx, 'media', this.mediaTickMs());
  }

  /** Frame k is due at mediaFromMs + k * voiceFrameMs; sends those not sent yet. */
  private sendDue(ctx: Ctx, call: Call): void {
    const due = Math.floor((ctx.now - call.mediaFromMs) / this.params.voiceFrameMs) + 1 - call.framesSent;
    if (due <= 0) return;
    if (this.params.mediaMode === 'flow') {
      this.sendFrames(ctx, call, Math.min(due, 0xffff));
      return;
    }
    for (let i = 0; i < due; i++) this.sendFrames(ctx, call, 1);
  }

  /** One datagram (or TCP write) standing for `frames` frames of the call. */
  private sendFrames(ctx: Ctx, call: Call, frames: number): void {
    const key = call.key;
    if (!key) return;
    const seq = call.framesSent >>> 0;
    call.framesSent += frames;
    const direction: MediaDirection = call.direction === 'out' ? 1 : 0;
    const voice = encryptMedia(key, direction, seq, allocBytes(this.voiceBytes));
    const msg: MessageOf<'mediaFrame'> = { type: 'mediaFrame', callId: call.callId, seq, sentAtMs: ctx.now, frames, hold: false, voice };
    const bytes = this.mediaBytes(msg);
    const packets = frames === 1 ? undefined : frames;
    if (call.mediaConn !== undefined) {
      ctx.out.push(packets === undefined ? { kind: 'write', conn: call.mediaConn, bytes, msgType: 'mediaFrame' } : { kind: 'write', conn: call.mediaConn, bytes, msgType: 'mediaFrame', packets });
    } else if (call.mediaTo) {
      const base = { kind: 'sendDatagram', fromPort: this.port, to: call.mediaTo, bytes, msgType: 'mediaFrame' } as const;
      ctx.out.push(packets === undefined ? base : { ...base, packets });
    }
  }

  private mediaBytes(msg: MessageOf<'mediaFrame'>): Uint8Array {
    const frameId = this.nextMediaFrameId;
    this.nextMediaFrameId = (frameId + 1) & 0xffff;
    // Keyed with 0.0.0.0 for both addresses, as every frame (transport.ts explains why).
    return this.obfuscator.wrap(frameId, PAYLOAD_MEDIA, encodeMessage(msg), 0, 0);
  }

  // --- the end of a call -------------------------------------------------------------------

  /**
   * Takes the call out of the table. `cause` says why; `tell` (a CALL_END code) sends
   * pstnHangUp on the signalling link when the gateway is the one ending the call.
   */
  private end(ctx: Ctx, call: Call, cause: string, tell: number | undefined): void {
    if (this.calls.get(call.callId) !== call) return;
    this.calls.delete(call.callId);
    if (tell !== undefined && call.conn !== undefined && this.canWrite(call.conn)) {
      this.transport.write(ctx, call.conn, { type: 'pstnHangUp', callId: call.callId, reason: tell });
    }
    // A SkypeIn connection is this call's alone; an SN's SkypeOut link serves others too.
    if (call.direction === 'in' && call.conn !== undefined && this.conns.has(call.conn)) {
      ctx.out.push({ kind: 'close', conn: call.conn });
      this.conns.delete(call.conn);
    }
    if (call.mediaConn !== undefined && this.conns.has(call.mediaConn)) {
      ctx.out.push({ kind: 'close', conn: call.mediaConn });
      this.conns.delete(call.mediaConn);
    }
    const answered = call.state === 'talking';
    const detail = { callId: call.callId, direction: call.direction, user: call.user, number: call.number, cause };
    if (answered) {
      ctx.out.push({ kind: 'trace', event: 'pstnEnded', detail: { ...detail, framesSent: call.framesSent } });
      ctx.out.push({ kind: 'metric', name: 'pstnCallMs', value: ctx.now - call.answeredAtMs, labels: { direction: call.direction, outcome: 'ok' } });
    } else {
      ctx.out.push({ kind: 'trace', event: 'pstnFailed', detail });
      ctx.out.push({ kind: 'metric', name: 'pstnCallMs', value: ctx.now - call.startedAtMs, labels: { direction: call.direction, outcome: 'failed' } });
    }
    // Only a timer armed for this very call needs a new deadline.
    for (const name of DEADLINE_TIMERS) if (dueOf(call, name) === this.armedAtMs[name] && this.armedAtMs[name] !== Infinity) this.arm(ctx, name);
    if (this.calls.size === 0) this.timers.cancel(ctx, 'media');
  }

  /** True for a connection we may write on: known, and (ours to an SN) past the SN's challenge. */
  private canWrite(conn: ConnId): boolean {
    const c = this.conns.get(conn);
    return c !== undefined && (c.kind !== 'incoming' || c.challenged);
  }

  private onClosed(ctx: Ctx, conn: ConnId, reason: CloseReason): void {
    const c = this.conns.get(conn);
    if (!c) return unexpected(ctx, 'closed', 'unknownConnection');
    switch (c.kind) {
      case 'pending':
        this.conns.delete(conn);
        return;
      case 'signalling':
        this.conns.delete(conn);
        for (const call of [...this.calls.values()]) if (call.direction === 'out' && call.conn === conn) this.end(ctx, call, 'peerLost', undefined);
        return;
      case 'media': {
        this.conns.delete(conn);
        const call = this.calls.get(c.callId);
        if (call && call.mediaConn === conn) {
          call.mediaConn = undefined;
          this.end(ctx, call, 'peerLost', CALL_END.peerLost);
        }
        return;
      }
      case 'incoming':
        return this.onConnectLost(ctx, conn, `closed ${reason}`);
    }
  }

  // --- timers ------------------------------------------------------------------------------

  private onTimer(ctx: Ctx, name: string, tag: number): void {
    if (!isTimerName(name)) throw new RangeError(`pstn gateway: timer ${name} was never set`);
    if (!this.timers.take(name, tag)) return;
    if (name === 'media') return this.onMediaTick(ctx);
    this.armedAtMs[name] = Infinity;
    for (const call of [...this.calls.values()]) {
      if (dueOf(call, name) > ctx.now) continue;
      if (name === 'ring') this.onRing(ctx, call);
      else if (name === 'noAnswer') this.end(ctx, call, 'timeout', CALL_END.hangUp);
      else this.end(ctx, call, 'hangUp', CALL_END.hangUp);
    }
    this.arm(ctx, name);
  }

  /** SkypeOut: the dialled phone answers; pstnAnswer goes back on the SN's link. */
  private onRing(ctx: Ctx, call: Call): void {
    call.ringAtMs = Infinity;
    if (call.conn === undefined || !this.conns.has(call.conn)) return;
    const media = { ip: this.options.localIp, port: this.port };
    this.transport.write(ctx, call.conn, { type: 'pstnAnswer', callId: call.callId, keyShare: call.ownKey.publicKey, media });
    this.answer(ctx, call, formatEndpoint(media));
  }

  /** Arms `name` at the earliest deadline among the calls, or cancels it if none. */
  private arm(ctx: Ctx, name: DeadlineTimer): void {
    let atMs = Infinity;
    for (const call of this.calls.values()) atMs = Math.min(atMs, dueOf(call, name));
    if (atMs === this.armedAtMs[name]) return;
    this.armedAtMs[name] = atMs;
    if (atMs === Infinity) this.timers.cancel(ctx, name);
    else this.timers.set(ctx, name, atMs - ctx.now);
  }

  // --- reading -----------------------------------------------------------------------------

  /** The message in a frame from a peer, or undefined (traced as malformed). */
  private read(ctx: Ctx, bytes: Uint8Array, transport: 'udp' | 'tcp', source: string): Message | undefined {
    const msg = readFrame(this.obfuscator, bytes);
    return isDecodeError(msg) ? malformed(ctx, transport, source, msg.error, msg.detail) : msg;
  }
}

const TIMER_NAMES: readonly string[] = ['ring', 'noAnswer', 'talkEnd', 'media'] satisfies readonly PstnGatewayTimer[];
const DEADLINE_TIMERS: readonly DeadlineTimer[] = ['ring', 'noAnswer', 'talkEnd'];

function isTimerName(name: string): name is PstnGatewayTimer {
  return TIMER_NAMES.includes(name);
}

function dueOf(call: Call, name: DeadlineTimer): number {
  return name === 'ring' ? call.ringAtMs : name === 'noAnswer' ? call.noAnswerAtMs : call.talkEndAtMs;
}

/**
 * Voice bytes per media frame so that one frame on the wire - IP/UDP header, obfuscation frame
 * header, encoded mediaFrame - is voiceBitsPerSec x voiceFrameMs (rounded to a byte), or 0 if the
 * headers alone exceed that.
 */
export function voiceBytesFor(params: ProtocolParams): number {
  const frameBytes = Math.round((params.voiceBitsPerSec / 8) * (params.voiceFrameMs / 1000));
  const empty = messageWireSize({ type: 'mediaFrame', callId: 0, seq: 0, sentAtMs: 0, frames: 1, hold: false, voice: new Uint8Array(0) });
  return Math.max(0, frameBytes - IP_UDP_HEADER_BYTES - FRAME_HEADER_BYTES - empty);
}

function malformed(ctx: Ctx, transport: 'udp' | 'tcp', source: string, error: string, detail: string | undefined): undefined {
  ctx.out.push({ kind: 'trace', event: 'malformed', detail: { transport, source, error, detail: detail ?? '' } });
  return undefined;
}
