/**
 * Calls (BS-21 - BS-28): the host's side of voice calls to other users and to the PSTN. The
 * host node (ordinary-host.ts) owns one CallService and routes to it the call messages, the
 * media datagrams and connections, and its timers.
 *
 * One call at a time per host (a second incoming call is refused `busy`; a second outgoing one
 * the user places is counted `callFailure{cause: busy}`).
 *
 * Set-up (caller):
 *   1. Locate the callee: a buddy's or earlier contact's record (presence, a search), else a
 *      search first (BS-21). Not found: the call fails, cause `notFound`.
 *   2. Choose the path from the two NAT classes (the callee's from its record):
 *        both `open`                 direct: TCP signalling to the callee's address, UDP media
 *                                    between the two media ports (BS-22);
 *        either UDP-blocked          relayed over TCP: signalling routed through the SNs, the
 *                                    UDP-blocked party's media on a TCP connection to the relay
 *                                    (BS-24; the other party uses UDP to the relay if it can);
 *        else (a NAT involved)       relayed over UDP: signalling routed through the SNs, media
 *                                    over UDP through the relay (BS-23); with `holePunching`
 *                                    on and neither NAT symmetric, hole-punched first (below).
 *   3. Relayed: select the relay (relay-selection.ts: `relayPolicy` over `relayCandidates` of
 *      the host cache, without the caller's SN and the callee's), join it (`relayJoin` from the
 *      media port, or over TCP), the next candidate when one refuses or is silent for
 *      `relayReplyTimeoutMs`. No relay: the call fails, cause `noRelay`.
 *   4. `callInvite` (direct, or routed): the caller's LS-signed credential and a signature of
 *      (callId, callee, keyShare), its X25519 key share, the path, where it receives media.
 *   Callee: checks the credential against the LS key and the name the SNs vouch for (`routed`
 *   stamps the sender's authenticated name; on a direct connection the invite's `caller`), and
 *   the signature - a forged or foreign credential is refused (`badCredential`,
 *   `badSignature`); busy -> `busy`; relayed -> joins the relay; then `callAccept` with its own
 *   proofs and key share. The callee answers at once (the model measures the protocol, not
 *   people). Both derive the AES-256 media key (crypto/media.ts).
 *   No answer within `callSetupTimeoutMs`: the call fails, cause `timeout`. A routed call
 *   message that comes back `routeFailed` fails the set-up: cause `offline` (the callee is
 *   not there), `overBudget` (the caller's SN refused it: signalling-budget.ts), else
 *   `unreachable`.
 * Media: a voice frame every `voiceFrameMs` each way, sized so that the wire rate per direction,
 * IP and UDP headers included, is `voiceBitsPerSec` (BS-25: about 3 kB/s), no silence
 * suppression (BS-26); on hold one packet every `holdPacketIntervalMs` (BS-27). Signalling is
 * TCP on the host's port, media UDP on its own media port (BS-28). `mediaMode: flow` sends one
 * aggregate every `flowIntervalMs` standing for the frames due since the last one (the network
 * counts and loses them one by one, protocol/node.ts), and the rest when the voice stops (hold, the
 * end): the same bytes and loss as packets mode; the delay and jitter are sampled once per
 * aggregate instead of per frame.
 * Relay failure: nothing heard for `relayFailureTimeoutMs` (media, or hold packets) on a relayed
 * call. The caller selects another relay if `relayReselect` (at most RESELECTIONS_MAX times),
 * joins it and tells the callee (`callRelayChanged`), which joins it too; else the call ends,
 * cause `relayFailed`. On a direct or hole-punched path the same silence ends the call, cause
 * `peerLost`.
 * Hole punching (off in the 2004 profile): each side learns its media port's public mapping
 * from its SN (a `natProbe` mapping test from the media port), puts it in the invite / accept,
 * and sends `punch` datagrams to the other's until one arrives (then media flows directly) or
 * `holePunchTimeoutMs` passes; then the caller falls back to a relay (`callRelayChanged`).
 * PSTN (the seed): SkypeOut - `pstnDial` routed through the host's SN to the gateway on
 * `pstnGatewayPort`; the gateway's `pstnAnswer` names its media endpoint; media as on a direct
 * path (UDP from the media port; a UDP-blocked host on a TCP connection to the gateway's port).
 * SkypeIn - the gateway's `pstnIncoming` routed through the SNs; the host answers `pstnAnswer`.
 *
 * Metrics: callSetupMs (caller; labels outcome, path, natPair, policy), callFailure (value 1;
 * labels cause, role), callPath (value 1 per answered call; labels path, natPair), per
 * direction at the end of a call (the receiving side): callDelayMs, callLossRatio,
 * callJitterMs, callMos (labels path, policy), relaySelectionMs and relayProbes (labels
 * policy), relayReselections, pstnSetupMs (labels direction). Traces: callPlaced,
 * callRelayChosen, callAnswered, callRefused, callFailed, callEnded (detail: callId, role,
 * peer, path, relay, delay, loss, jitter, mos), callRelayFailed, holePunched, holePunchFailed.
 *
 * What it abstracts: the E-model (protocol/media/e-model.ts) gets the measured one-way delay
 * plus a jitter buffer of twice the jitter; the clocks of the two ends are the simulator's
 * one clock (real hosts could not measure one-way delay this way).
 */

import type { KeyObject } from 'node:crypto';
import type { ConnId, Ctx, Endpoint } from '../node.js';
import { signChallenge, verifyChallenge, verifyCredential } from '../crypto/credentials.js';
import { deriveAgreementKeyPair, type KeyPair } from '../crypto/keys.js';
import { agreeMediaKey, encryptMedia, MediaKey, type MediaDirection } from '../crypto/media.js';
import { eModel, effectiveDelayMs } from '../media/e-model.js';
import { ReceiverStats } from '../media/receiver-stats.js';
import type { ProtocolParams } from '../params.js';
import { isDecodeError, messageWireSize } from '../wire/codec.js';
import { CALL_END, CALL_PATH, CALL_REFUSAL, NAT_CLASS, RELAY_REFUSAL, codeName, type Message, type MessageOf } from '../wire/messages.js';
import { FRAME_HEADER_BYTES } from '../wire/obfuscation.js';
import type { NatClass } from './nat-detection.js';
import { RelaySelection, type RelayDecision, type RelaySelectionStep } from './relay-selection.js';
import { NOWHERE } from './routing.js';
import { RecentIds, formatEndpoint, isUsableEndpoint, randomU32, sameEndpoint, unexpected } from './support.js';
import type { TimerSet } from './super-node.js';
import type { Transport } from './transport.js';

export type CallTimer =
  /** fires when: a placed call was not answered within callSetupTimeoutMs. */
  | 'callSetup'
  /** fires when: the call the user placed has lasted its duration: hang up. */
  | 'callDuration'
  /** fires when: the next voice frame (or aggregate, or hold packet) is due. */
  | 'mediaTick'
  /** fires when: nothing was heard from the media path for relayFailureTimeoutMs. */
  | 'mediaWatch'
  /** fires when: relay probes or a relay's answer to a join are overdue. */
  | 'relayWait'
  /** fires when: hole punching got nothing from the peer within holePunchTimeoutMs, or the next punch is due. */
  | 'holePunch';

export const CALL_TIMERS: readonly CallTimer[] = ['callSetup', 'callDuration', 'mediaTick', 'mediaWatch', 'relayWait', 'holePunch'];

export type CallPath = keyof typeof CALL_PATH;

/** Where a user is, as a search or a presence notice told (user-search.ts's UserRecord carries the same). */
export interface Contact {
  readonly superNode: Endpoint;
  readonly address: Endpoint;
  readonly natClass: NatClass;
}

/** The host's state a call needs; undefined while the host is not online. */
export interface CallIdentity {
  readonly name: string;
  readonly credential: Uint8Array;
  readonly identity: KeyPair;
  readonly natClass: NatClass;
  readonly udpBlocked: boolean;
  readonly superNode: Endpoint;
  /** The host's own public address (its interface address when public). */
  readonly localIp: number;
}

export interface CallDeps {
  readonly params: ProtocolParams;
  readonly transport: Transport;
  readonly timers: TimerSet<CallTimer>;
  readonly lsPublicKey: KeyObject;
  /** The UDP port media uses (BS-28: not the signalling port). */
  readonly mediaPort: number;
  readonly pstnGateway: Endpoint | undefined;
  me(): CallIdentity | undefined;
  /** SNs of the host cache, in order (relay candidates). */
  hostCacheEntries(): readonly Endpoint[];
  /** TCP ports to try to reach `to`, in order (its own, then the fall-backs, a remembered one first). */
  tcpPorts(to: Endpoint): readonly number[];
  /** Where `name` is (search, BS-21). */
  locate(ctx: Ctx, name: string, done: (ctx: Ctx, contact: Contact | undefined) => void): void;
  /** Sends `msg` to `to` through the SNs; false if the host has no SN link. */
  sendRouted(ctx: Ctx, to: string, toSuperNode: Endpoint, msg: Message): boolean;
  openConnection(ctx: Ctx, to: Endpoint): ConnId;
  closeConnection(ctx: Ctx, conn: ConnId): void;
  /** Sends a NAT mapping test from the media port to the SN (hole punching); the reply comes back as `onMappingReply`. */
  probeMediaMapping(ctx: Ctx): void;
}

const NO_NONCE = new Uint8Array(0);
/** Call ids of routed invites a callee remembers, to refuse a replayed one (ours). */
const SEEN_INVITES_MAX = 256;

/** Reselections of the relay one call may make (ours). */
const RESELECTIONS_MAX = 2;
/** Interval of punch datagrams while hole punching (ours). */
const PUNCH_INTERVAL_MS = 100;
/** IP + UDP header bytes of a datagram (sim/net counts them too). */
const UDP_HEADER_BYTES = 28;

type Role = 'caller' | 'callee';
type Kind = 'peer' | 'pstnOut' | 'pstnIn';
type Phase = 'locating' | 'selecting' | 'joining' | 'connecting' | 'inviting' | 'punching' | 'active';

/** How this party's media leaves it. */
type MediaOut = { readonly kind: 'udp'; readonly to: Endpoint } | { readonly kind: 'tcp'; readonly conn: ConnId; open: boolean };

interface RelayState {
  endpoint: Endpoint;
  order: readonly Endpoint[];
  index: number;
  selection: RelaySelection | undefined;
  selectionStartedMs: number;
  /** TCP leg to the relay (UDP-blocked party): the connection and the port index tried. */
  conn: ConnId | undefined;
  portIndex: number;
  joined: boolean;
  reselections: number;
  /** Callee: this relay went silent and the caller has not named another yet (a second silence ends the call). */
  silent: boolean;
  probeConns: Map<ConnId, { to: Endpoint; nonce: number; open: boolean }>;
}

interface Call {
  readonly id: number;
  /**
   * The host as it was when the call began. A call outlives a re-login (its SN lost, the host
   * logs in again while media still flows through the relay): what it needs of the host - its
   * name, credential, key, NAT class - does not change within a process.
   */
  readonly me: CallIdentity;
  readonly role: Role;
  readonly kind: Kind;
  /** The other party's user name (a phone number for PSTN calls). */
  readonly peer: string;
  phase: Phase;
  path: CallPath;
  readonly placedAtMs: number;
  answeredAtMs: number;
  readonly durationMs: number;
  contact: Contact | undefined;
  /** Direct signalling connection (direct path), else routed through the SNs. */
  signalConn: ConnId | undefined;
  signalOpen: boolean;
  readonly agreement: KeyPair;
  key: MediaKey | undefined;
  /** Where the peer (or the relay, or the gateway) receives this party's media. */
  out: MediaOut | undefined;
  relay: RelayState | undefined;
  /** The peer's public media mapping, while hole punching. */
  punchTo: Endpoint | undefined;
  ownMapping: Endpoint | undefined;
  seqOut: number;
  /** Flow mode: when the current run of voice began (NaN: none), and the frames of it sent so far. */
  runFromMs: number;
  runFrames: number;
  held: boolean;
  readonly stats: ReceiverStats;
  /** The peer's SN as its last routed message said (answers go there directly). */
  peerSuperNode: Endpoint;
  /** The SN holding the PSTN leg (PSTN calls). */
  pstnSuperNode: Endpoint;
  invite: MessageOf<'callInvite'> | undefined;
  /** Both proofs checked and the media key agreed (the callee accepted): a relay joined from now on is a change of relay. */
  accepted: boolean;
}

/** How a call message reached us: routed (the SNs vouch for `from`) or on a direct connection (whose challenge nonce we sent). */
export type SignalVia = { readonly from: string; readonly fromSuperNode: Endpoint } | { readonly conn: ConnId; readonly nonce?: Uint8Array };

export class CallService {
  private call: Call | undefined;
  /** Call ids of routed invites lately answered or refused, oldest first (replay protection). */
  private readonly seenInvites = new RecentIds(SEEN_INVITES_MAX);
  private readonly frameVoiceBytes: number;

  constructor(private readonly d: CallDeps) {
    this.frameVoiceBytes = voiceBytesPerFrame(d.params);
  }

  get inCall(): boolean {
    return this.call !== undefined;
  }

  /** The current call, for tests and checkers. */
  get current(): { readonly id: number; readonly role: Role; readonly peer: string; readonly phase: Phase; readonly path: CallPath; readonly relay: Endpoint | undefined; readonly held: boolean } | undefined {
    const c = this.call;
    return c && { id: c.id, role: c.role, peer: c.peer, phase: c.phase, path: c.path, relay: c.relay?.joined ? c.relay.endpoint : undefined, held: c.held };
  }

  owns(conn: ConnId): boolean {
    const c = this.call;
    if (!c) return false;
    return c.signalConn === conn || (c.out?.kind === 'tcp' && c.out.conn === conn) || c.relay?.conn === conn || (c.relay?.probeConns.has(conn) ?? false);
  }

  // --- user actions ---------------------------------------------------------------------------

  place(ctx: Ctx, callee: string, durationMs: number): void {
    const me = this.d.me();
    if (!me) return this.failEarly(ctx, 'offline', 'peer');
    if (this.call) return this.failEarly(ctx, 'busy', 'peer');
    const call = this.newCall(ctx, me, 'caller', 'peer', callee, randomU32(ctx.rng), durationMs);
    ctx.out.push({ kind: 'trace', event: 'callPlaced', detail: { callId: call.id, callee } });
    this.d.timers.set(ctx, 'callSetup', this.d.params.callSetupTimeoutMs);
    this.d.locate(ctx, callee, (c, contact) => {
      if (this.call !== call) return;
      if (!contact) return this.fail(c, 'notFound');
      call.contact = contact;
      this.choosePath(c, call);
    });
  }

  dialPstn(ctx: Ctx, number: string, durationMs: number): void {
    const me = this.d.me();
    if (!me) return this.failEarly(ctx, 'offline', 'pstnOut');
    if (this.call) return this.failEarly(ctx, 'busy', 'pstnOut');
    if (!this.d.pstnGateway) return this.failEarly(ctx, 'noGateway', 'pstnOut');
    const call = this.newCall(ctx, me, 'caller', 'pstnOut', number, randomU32(ctx.rng), durationMs);
    call.phase = 'inviting';
    call.path = 'direct';
    this.d.timers.set(ctx, 'callSetup', this.d.params.callSetupTimeoutMs);
    const dial: Message = { type: 'pstnDial', callId: call.id, caller: me.name, number, credential: me.credential, keyShare: call.agreement.publicKey, media: this.ownMediaEndpoint(me) };
    if (!this.d.sendRouted(ctx, '', this.d.pstnGateway, dial)) return this.fail(ctx, 'offline');
    ctx.out.push({ kind: 'trace', event: 'callPlaced', detail: { callId: call.id, callee: number, pstn: true } });
  }

  hangUp(ctx: Ctx): void {
    if (!this.call) return;
    this.end(ctx, 'hangUp', true);
  }

  hold(ctx: Ctx, held: boolean): void {
    const c = this.call;
    if (!c || c.phase !== 'active' || c.held === held) return;
    this.flushRun(ctx, c);
    c.held = held;
    if (c.kind === 'peer') this.signal(ctx, c, { type: 'callHold', callId: c.id, held });
    this.scheduleMedia(ctx, c);
  }

  /** The host goes offline (logout, lost session): the call ends. */
  stop(ctx: Ctx): void {
    if (this.call) this.end(ctx, 'loggedOut', true);
  }

  // --- signalling in ----------------------------------------------------------------------------

  /**
   * A call message, routed (`from` the sender's authenticated name, `fromSuperNode` its SN) or
   * on a direct connection (`conn`). False if it has no entry here (counted by the host).
   */
  onSignal(ctx: Ctx, msg: Message, via: SignalVia): boolean {
    const c = this.call;
    const fromPeer = !('from' in via) || (c !== undefined && (c.kind === 'peer' ? via.from === c.peer : via.from === ''));
    if ('from' in via && c && fromPeer) c.peerSuperNode = via.fromSuperNode;
    // A routed message about the call in progress must come from its other party (the SNs stamp
    // the sender's authenticated name): a third party that learnt the call id cannot end, hold,
    // refuse or move the call. (On a direct connection the host hands over only the call's own.)
    if (!fromPeer && c && msg.type !== 'callInvite' && 'callId' in msg && msg.callId === c.id) {
      unexpected(ctx, msg.type, 'notFromPeer');
      return true;
    }
    switch (msg.type) {
      case 'callInvite':
        this.onInvite(ctx, msg, via);
        return true;
      case 'callAccept':
        if (!c || c.id !== msg.callId || c.role !== 'caller' || c.phase !== 'inviting') return this.stale(ctx, msg);
        this.onAccept(ctx, c, msg);
        return true;
      case 'callRefused':
        if (!c || c.id !== msg.callId) return this.stale(ctx, msg);
        this.fail(ctx, codeName(CALL_REFUSAL, msg.reason, 'refused'));
        return true;
      case 'callEnd':
        if (!c || c.id !== msg.callId) return this.stale(ctx, msg);
        this.end(ctx, codeName(CALL_END, msg.reason, 'hangUp'), false);
        return true;
      case 'callHold':
        if (!c || c.id !== msg.callId || c.phase !== 'active') return this.stale(ctx, msg);
        this.flushRun(ctx, c);
        c.held = msg.held;
        this.scheduleMedia(ctx, c);
        return true;
      case 'callRelayChanged':
        if (!c || c.id !== msg.callId || c.role !== 'callee') return this.stale(ctx, msg);
        this.onRelayChanged(ctx, c, msg.relay);
        return true;
      case 'pstnAnswer':
        if (!c || c.id !== msg.callId || c.kind !== 'pstnOut' || c.phase !== 'inviting') return this.stale(ctx, msg);
        if ('from' in via) c.pstnSuperNode = via.fromSuperNode;
        this.onPstnAnswer(ctx, c, msg);
        return true;
      case 'pstnIncoming':
        if (!('from' in via)) return false;
        this.onPstnIncoming(ctx, msg, via.fromSuperNode);
        return true;
      case 'pstnHangUp':
        if (!c || c.id !== msg.callId || c.kind === 'peer') return this.stale(ctx, msg);
        this.end(ctx, codeName(CALL_END, msg.reason, 'hangUp'), false);
        return true;
      default:
        return false;
    }
  }

  /** A routed message of ours came back undeliverable (routeFailed for a call message). */
  onRouteFailed(ctx: Ctx, reason: string): void {
    const c = this.call;
    if (!c || c.phase === 'active') return;
    this.fail(ctx, reason === 'offline' || reason === 'notFound' ? 'offline' : reason === 'overBudget' ? 'overBudget' : 'unreachable');
  }

  // --- media and relay datagrams ----------------------------------------------------------------

  /** A datagram on the media port (media, relay answers, punches). False if it has no entry. */
  onMediaDatagram(ctx: Ctx, from: Endpoint, msg: Message, packets: number): boolean {
    const c = this.call;
    switch (msg.type) {
      case 'mediaFrame':
        if (!c || msg.callId !== c.id || !this.mediaSourceOk(c, from)) return this.stale(ctx, msg);
        this.onMedia(ctx, c, msg, packets);
        return true;
      case 'relayProbeReply':
        return this.onProbeReply(ctx, from, msg);
      case 'relayJoined':
      case 'relayRefused':
        if (!c || msg.callId !== c.id || !c.relay || !sameEndpoint(from, c.relay.endpoint)) return this.stale(ctx, msg);
        this.onRelayAnswer(ctx, c, msg);
        return true;
      case 'punch':
        if (!c || msg.callId !== c.id || c.phase !== 'punching') return this.stale(ctx, msg);
        this.onPunched(ctx, c, from);
        return true;
      default:
        return false;
    }
  }

  /** The reflexive address of the media port (hole punching). */
  onMappingReply(ctx: Ctx, reflexive: Endpoint): void {
    const c = this.call;
    if (!c || c.ownMapping || !isUsableEndpoint(reflexive)) return;
    c.ownMapping = reflexive;
    if (c.role === 'caller' && c.phase === 'punching' && !c.invite) this.sendInvite(ctx, c, reflexive);
    else if (c.role === 'callee' && c.phase === 'punching') this.accept(ctx, c, reflexive);
  }

  // --- connections ------------------------------------------------------------------------------

  onConnected(ctx: Ctx, conn: ConnId): void {
    const c = this.call!;
    if (c.signalConn === conn) c.signalOpen = true;
    const probe = c.relay?.probeConns.get(conn);
    if (probe) probe.open = true;
    if (c.out?.kind === 'tcp' && c.out.conn === conn) c.out.open = true;
  }

  /** The acceptor's challenge on a connection of ours: now we may write. */
  onChallenge(ctx: Ctx, conn: ConnId, nonce: Uint8Array): void {
    const c = this.call!;
    if (c.signalConn === conn && c.role === 'caller' && c.phase === 'connecting') return this.sendInvite(ctx, c, this.ownMediaEndpoint(c.me), nonce);
    const probe = c.relay?.probeConns.get(conn);
    if (probe) return this.d.transport.write(ctx, conn, { type: 'relayProbe', nonce: probe.nonce });
    if (c.relay?.conn === conn) return this.d.transport.write(ctx, conn, { type: 'relayJoin', callId: c.id, party: c.role === 'caller' ? 0 : 1 });
    if (c.out?.kind === 'tcp' && c.out.conn === conn && c.kind !== 'peer') this.sendFrame(ctx, c, 1);
  }

  /** A message on a connection of the call; TCP loses nothing, so an aggregate arrives with all its frames. */
  onData(ctx: Ctx, conn: ConnId, msg: Message): boolean {
    const c = this.call!;
    if (c.signalConn === conn) return this.onSignal(ctx, msg, { conn });
    if (c.relay?.probeConns.has(conn) && msg.type === 'relayProbeReply') {
      const probe = c.relay.probeConns.get(conn)!;
      return this.onProbeReply(ctx, probe.to, msg);
    }
    if (msg.type === 'mediaFrame' && msg.callId === c.id) {
      this.onMedia(ctx, c, msg, msg.frames);
      return true;
    }
    if ((msg.type === 'relayJoined' || msg.type === 'relayRefused') && c.relay?.conn === conn && msg.callId === c.id) {
      this.onRelayAnswer(ctx, c, msg);
      return true;
    }
    return false;
  }

  onConnectFailed(ctx: Ctx, conn: ConnId): void {
    const c = this.call!;
    if (c.signalConn === conn) {
      c.signalConn = undefined;
      return this.fail(ctx, 'unreachable');
    }
    if (c.relay?.probeConns.delete(conn)) return;
    if (c.relay?.conn === conn) return this.retryRelayTcp(ctx, c);
    if (c.out?.kind === 'tcp' && c.out.conn === conn) this.end(ctx, 'peerLost', true);
  }

  onClosed(ctx: Ctx, conn: ConnId): void {
    const c = this.call!;
    // Nothing more may be written on it, not even the last frames of a flow-mode run at the end.
    if (c.out?.kind === 'tcp' && c.out.conn === conn) c.out.open = false;
    if (c.relay?.probeConns.delete(conn)) return;
    if (c.signalConn === conn) {
      c.signalConn = undefined;
      return this.end(ctx, 'peerLost', false);
    }
    if (c.relay?.conn === conn) {
      c.relay.conn = undefined;
      c.relay.joined = false;
      return this.onRelayLost(ctx, c);
    }
    if (c.out?.kind === 'tcp' && c.out.conn === conn) this.end(ctx, 'peerLost', false);
  }

  // --- timers -----------------------------------------------------------------------------------

  onTimer(ctx: Ctx, name: CallTimer): void {
    const c = this.call;
    if (!c) return;
    switch (name) {
      case 'callSetup':
        return this.fail(ctx, 'timeout');
      case 'callDuration':
        return this.end(ctx, 'hangUp', true);
      case 'mediaTick':
        return this.onMediaTick(ctx, c);
      case 'mediaWatch':
        return c.relay && c.path !== 'direct' && c.path !== 'holePunched' ? this.onRelayLost(ctx, c) : this.end(ctx, 'peerLost', true);
      case 'relayWait':
        return this.onRelayWait(ctx, c);
      case 'holePunch':
        return this.onPunchTimer(ctx, c);
    }
  }

  // --- set-up -----------------------------------------------------------------------------------

  private newCall(ctx: Ctx, me: CallIdentity, role: Role, kind: Kind, peer: string, id: number, durationMs: number): Call {
    const call: Call = {
      id,
      me,
      role,
      kind,
      peer,
      phase: 'locating',
      path: 'direct',
      placedAtMs: ctx.now,
      answeredAtMs: 0,
      durationMs,
      contact: undefined,
      signalConn: undefined,
      signalOpen: false,
      agreement: deriveAgreementKeyPair(ctx.rng),
      key: undefined,
      out: undefined,
      relay: undefined,
      punchTo: undefined,
      ownMapping: undefined,
      seqOut: 0,
      runFromMs: Number.NaN,
      runFrames: 0,
      held: false,
      stats: new ReceiverStats(),
      peerSuperNode: NOWHERE,
      pstnSuperNode: NOWHERE,
      invite: undefined,
      accepted: false,
    };
    this.call = call;
    return call;
  }

  private choosePath(ctx: Ctx, call: Call): void {
    const me = call.me;
    const peer = call.contact!;
    const p = this.d.params;
    if (me.natClass === 'open' && peer.natClass === 'open') {
      call.path = 'direct';
      call.phase = 'connecting';
      call.signalConn = this.d.openConnection(ctx, peer.address);
      return;
    }
    if (me.udpBlocked || peer.natClass === 'udp-blocked') call.path = 'relayedTcp';
    else if (p.holePunching && me.natClass !== 'symmetric' && peer.natClass !== 'symmetric' && peer.natClass !== 'unknown') {
      call.path = 'holePunched';
      call.phase = 'punching';
      return this.d.probeMediaMapping(ctx);
    } else call.path = 'relayedUdp';
    this.selectRelay(ctx, call);
  }

  private selectRelay(ctx: Ctx, call: Call, exclude: readonly Endpoint[] = []): void {
    const p = this.d.params;
    const skip = [this.d.me()?.superNode ?? call.me.superNode, call.contact?.superNode ?? NOWHERE, ...exclude];
    const candidates = this.d.hostCacheEntries().filter((e) => !skip.some((s) => sameEndpoint(s, e)));
    const selection = new RelaySelection({ policy: p.relayPolicy, candidates, probeCount: p.relayCandidates, probeTimeoutMs: p.relayProbeTimeoutMs, nextNonce: () => randomU32(ctx.rng), random: ctx.rng });
    call.relay = { endpoint: NOWHERE, order: [], index: 0, selection, selectionStartedMs: ctx.now, conn: undefined, portIndex: 0, joined: false, reselections: call.relay ? call.relay.reselections + 1 : 0, silent: false, probeConns: new Map() };
    call.phase = 'selecting';
    this.applySelection(ctx, call, selection.start(ctx.now));
  }

  private applySelection(ctx: Ctx, call: Call, steps: readonly RelaySelectionStep[]): void {
    const me = call.me;
    for (const step of steps) {
      if (step.kind === 'probe') {
        if (me.udpBlocked) {
          const conn = this.d.openConnection(ctx, { ip: step.to.ip, port: this.d.tcpPorts(step.to)[0] });
          call.relay!.probeConns.set(conn, { to: step.to, nonce: step.nonce, open: false });
        } else {
          this.d.transport.sendDatagram(ctx, this.d.mediaPort, step.to, { type: 'relayProbe', nonce: step.nonce });
        }
      } else if (step.kind === 'wait') {
        this.d.timers.set(ctx, 'relayWait', step.ms);
      } else {
        this.onSelected(ctx, call, step);
      }
    }
  }

  private onProbeReply(ctx: Ctx, from: Endpoint, msg: MessageOf<'relayProbeReply'>): boolean {
    const c = this.call;
    const selection = c?.relay?.selection;
    if (!c || !selection || c.phase !== 'selecting') return this.stale(ctx, msg);
    const decision = selection.onReply(msg.nonce, from, msg.calls, msg.capacity, ctx.now);
    if (decision) this.onSelected(ctx, c, decision);
    return true;
  }

  private onSelected(ctx: Ctx, call: Call, decision: RelayDecision): void {
    const relay = call.relay!;
    this.d.timers.cancel(ctx, 'relayWait');
    for (const conn of relay.probeConns.keys()) this.d.closeConnection(ctx, conn);
    relay.probeConns.clear();
    relay.selection = undefined;
    const policy = this.d.params.relayPolicy;
    ctx.out.push({ kind: 'metric', name: 'relaySelectionMs', value: ctx.now - relay.selectionStartedMs, labels: { policy } });
    ctx.out.push({ kind: 'metric', name: 'relayProbes', value: decision.probes, labels: { policy } });
    if (decision.kind === 'none') return this.relayExhausted(ctx, call);
    relay.order = decision.order;
    relay.index = 0;
    this.joinRelay(ctx, call);
  }

  /** Joins relay.order[relay.index]: a relayJoin from the media port, or over TCP when UDP is blocked. */
  private joinRelay(ctx: Ctx, call: Call): void {
    const relay = call.relay!;
    const me = call.me;
    if (relay.index >= relay.order.length) return this.relayExhausted(ctx, call);
    relay.endpoint = relay.order[relay.index];
    relay.joined = false;
    call.phase = 'joining';
    if (me.udpBlocked) {
      relay.portIndex = 0;
      relay.conn = this.d.openConnection(ctx, { ip: relay.endpoint.ip, port: this.d.tcpPorts(relay.endpoint)[0] });
    } else {
      this.d.transport.sendDatagram(ctx, this.d.mediaPort, relay.endpoint, { type: 'relayJoin', callId: call.id, party: call.role === 'caller' ? 0 : 1 });
    }
    this.d.timers.set(ctx, 'relayWait', this.d.params.relayReplyTimeoutMs);
  }

  private retryRelayTcp(ctx: Ctx, call: Call): void {
    const relay = call.relay!;
    const ports = this.d.tcpPorts(relay.endpoint);
    relay.portIndex++;
    if (relay.portIndex < ports.length) {
      relay.conn = this.d.openConnection(ctx, { ip: relay.endpoint.ip, port: ports[relay.portIndex] });
      return;
    }
    relay.conn = undefined;
    this.nextRelay(ctx, call, 'unreachable');
  }

  private nextRelay(ctx: Ctx, call: Call, cause: string): void {
    const relay = call.relay!;
    ctx.out.push({ kind: 'trace', event: 'relayCandidateFailed', detail: { callId: call.id, relay: formatEndpoint(relay.endpoint), cause } });
    if (relay.conn !== undefined) this.d.closeConnection(ctx, relay.conn);
    relay.conn = undefined;
    relay.index++;
    this.joinRelay(ctx, call);
  }

  private onRelayWait(ctx: Ctx, call: Call): void {
    const relay = call.relay;
    if (!relay) return;
    if (relay.selection) return this.onSelected(ctx, call, relay.selection.onTimeout());
    if (call.phase === 'joining' || (call.phase === 'active' && !relay.joined)) this.nextRelay(ctx, call, 'silent');
  }

  private onRelayAnswer(ctx: Ctx, call: Call, msg: MessageOf<'relayJoined'> | MessageOf<'relayRefused'>): void {
    const relay = call.relay!;
    if (msg.type === 'relayRefused') return this.nextRelay(ctx, call, codeName(RELAY_REFUSAL, msg.reason, 'refused'));
    if (relay.joined) return this.heard(ctx, call);
    relay.joined = true;
    this.d.timers.cancel(ctx, 'relayWait');
    call.out = relay.conn !== undefined ? { kind: 'tcp', conn: relay.conn, open: true } : { kind: 'udp', to: relay.endpoint };
    ctx.out.push({ kind: 'trace', event: 'callRelayChosen', detail: { callId: call.id, relay: formatEndpoint(relay.endpoint), role: call.role, reselections: relay.reselections } });
    if (call.accepted) {
      // A new relay (after a failed one, or a failed hole punch): the caller tells the callee.
      if (call.role === 'caller') this.signal(ctx, call, { type: 'callRelayChanged', callId: call.id, relay: relay.endpoint });
      if (call.answeredAtMs === 0) return this.activate(ctx, call);
      call.phase = 'active';
      this.scheduleMedia(ctx, call);
      this.watch(ctx, call);
      return;
    }
    if (call.role === 'caller') return this.sendInvite(ctx, call, relay.endpoint);
    this.accept(ctx, call, relay.endpoint);
  }

  private relayExhausted(ctx: Ctx, call: Call): void {
    if (call.answeredAtMs > 0) return this.end(ctx, 'relayFailed', true);
    if (call.role === 'callee') this.signal(ctx, call, { type: 'callRefused', callId: call.id, reason: CALL_REFUSAL.noRelay });
    this.fail(ctx, 'noRelay');
  }

  /** `nonce`: the callee's challenge nonce on a direct connection (none when routed). */
  private sendInvite(ctx: Ctx, call: Call, media: Endpoint, nonce: Uint8Array = NO_NONCE): void {
    const me = call.me;
    const keyShare = call.agreement.publicKey;
    const invite: MessageOf<'callInvite'> = {
      type: 'callInvite',
      callId: call.id,
      caller: me.name,
      callee: call.peer,
      credential: me.credential,
      signature: signChallenge(me.identity.privateKey, proof(call.id, call.peer, keyShare, nonce)),
      keyShare,
      path: CALL_PATH[call.path],
      media,
      natClass: NAT_CLASS[me.natClass],
    };
    call.invite = invite;
    call.phase = 'inviting';
    this.signal(ctx, call, invite);
  }

  private onInvite(ctx: Ctx, msg: MessageOf<'callInvite'>, via: SignalVia): void {
    const me = this.d.me();
    const claimed = 'from' in via ? via.from : msg.caller;
    const refuse = (reason: keyof typeof CALL_REFUSAL): void => {
      const refusal: Message = { type: 'callRefused', callId: msg.callId, reason: CALL_REFUSAL[reason] };
      if ('conn' in via) this.d.transport.write(ctx, via.conn, refusal);
      else this.d.sendRouted(ctx, via.from, via.fromSuperNode, refusal);
      ctx.out.push({ kind: 'trace', event: 'callRefused', detail: { callId: msg.callId, caller: claimed, reason } });
      ctx.out.push({ kind: 'metric', name: 'callRefused', value: 1, labels: { reason } });
    };
    if (!me || msg.callee !== me.name) return refuse('unreachable');
    const check = verifyCredential(msg.credential, this.d.lsPublicKey, claimed, ctx.now);
    if (!check.ok) return refuse('badCredential');
    const nonce = 'conn' in via ? (via.nonce ?? NO_NONCE) : NO_NONCE;
    if (!verifyChallenge(check.credential.publicKey, proof(msg.callId, msg.callee, msg.keyShare, nonce), msg.signature)) return refuse('badSignature');
    // A direct invite is fresh by its nonce; a routed one is refused if its call id came before.
    if ('from' in via) {
      if (this.seenInvites.has(msg.callId)) return refuse('badSignature');
      this.seenInvites.add(msg.callId);
    }
    if (this.call) return refuse('busy');
    const path = codeName(CALL_PATH, msg.path, 'direct');
    const call = this.newCall(ctx, me, 'callee', 'peer', claimed, msg.callId, 0);
    call.path = path;
    call.invite = msg;
    if ('conn' in via) {
      call.signalConn = via.conn;
      call.signalOpen = true;
    } else call.peerSuperNode = via.fromSuperNode;
    if (!this.agree(ctx, call, msg.keyShare)) return;
    this.d.timers.set(ctx, 'callSetup', this.d.params.callSetupTimeoutMs);
    if (path === 'direct') return this.accept(ctx, call, this.ownMediaEndpoint(me), msg.media);
    if (path === 'holePunched') {
      call.punchTo = msg.media;
      call.phase = 'punching';
      return this.d.probeMediaMapping(ctx);
    }
    call.relay = { endpoint: msg.media, order: [msg.media], index: 0, selection: undefined, selectionStartedMs: ctx.now, conn: undefined, portIndex: 0, joined: false, reselections: 0, silent: false, probeConns: new Map() };
    this.joinRelay(ctx, call);
  }

  /** Callee: answer. `media` is where we receive; `peerMedia` where the caller does (direct path). */
  private accept(ctx: Ctx, call: Call, media: Endpoint, peerMedia?: Endpoint): void {
    const me = call.me;
    const keyShare = call.agreement.publicKey;
    call.accepted = true;
    this.signal(ctx, call, { type: 'callAccept', callId: call.id, credential: me.credential, signature: signChallenge(me.identity.privateKey, proof(call.id, call.peer, keyShare)), keyShare, media });
    if (call.path === 'holePunched') {
      this.startPunching(ctx, call);
      return;
    }
    if (peerMedia) call.out = this.udpOrTcpOut(ctx, call, peerMedia);
    this.activate(ctx, call);
  }

  private onAccept(ctx: Ctx, call: Call, msg: MessageOf<'callAccept'>): void {
    const check = verifyCredential(msg.credential, this.d.lsPublicKey, call.peer, ctx.now);
    if (!check.ok) return this.fail(ctx, 'badCredential');
    if (!verifyChallenge(check.credential.publicKey, proof(call.id, call.me.name, msg.keyShare), msg.signature)) return this.fail(ctx, 'badSignature');
    if (!this.agree(ctx, call, msg.keyShare)) return;
    call.accepted = true;
    if (call.path === 'direct') call.out = { kind: 'udp', to: msg.media };
    if (call.path === 'holePunched') {
      call.punchTo = msg.media;
      return this.startPunching(ctx, call);
    }
    this.activate(ctx, call);
  }

  private agree(ctx: Ctx, call: Call, peerShare: Uint8Array): boolean {
    const key = agreeMediaKey(call.agreement, peerShare);
    if (isDecodeError(key)) {
      this.fail(ctx, 'badKeyShare');
      return false;
    }
    call.key = new MediaKey(key, this.d.params.cryptoMode);
    return true;
  }

  /** The call is answered: metrics (caller), media starts, the caller's hang-up is scheduled. */
  private activate(ctx: Ctx, call: Call): void {
    call.phase = 'active';
    call.answeredAtMs = ctx.now;
    this.d.timers.cancel(ctx, 'callSetup');
    const labels = this.labels(call);
    if (call.role === 'caller') {
      ctx.out.push({ kind: 'metric', name: call.kind === 'peer' ? 'callSetupMs' : 'pstnSetupMs', value: ctx.now - call.placedAtMs, labels: call.kind === 'peer' ? { outcome: 'ok', ...labels } : { direction: 'out' } });
      if (call.kind === 'peer') ctx.out.push({ kind: 'metric', name: 'callPath', value: 1, labels });
      if (call.durationMs > 0) this.d.timers.set(ctx, 'callDuration', call.durationMs);
    }
    ctx.out.push({ kind: 'trace', event: 'callAnswered', detail: { callId: call.id, role: call.role, peer: call.peer, path: call.path, setupMs: ctx.now - call.placedAtMs } });
    this.scheduleMedia(ctx, call);
    this.watch(ctx, call);
  }

  // --- hole punching ----------------------------------------------------------------------------

  private startPunching(ctx: Ctx, call: Call): void {
    call.phase = 'punching';
    this.d.timers.set(ctx, 'callSetup', this.d.params.holePunchTimeoutMs);
    this.onPunchTimer(ctx, call);
  }

  private onPunchTimer(ctx: Ctx, call: Call): void {
    if (call.phase !== 'punching' || !call.punchTo) return;
    this.d.transport.sendDatagram(ctx, this.d.mediaPort, call.punchTo, { type: 'punch', callId: call.id });
    this.d.timers.set(ctx, 'holePunch', PUNCH_INTERVAL_MS);
  }

  private onPunched(ctx: Ctx, call: Call, from: Endpoint): void {
    this.d.timers.cancel(ctx, 'holePunch');
    // The peer's packet got through: answer it so its side opens too, then media flows directly.
    this.d.transport.sendDatagram(ctx, this.d.mediaPort, from, { type: 'punch', callId: call.id });
    call.out = { kind: 'udp', to: from };
    ctx.out.push({ kind: 'trace', event: 'holePunched', detail: { callId: call.id, role: call.role, peer: formatEndpoint(from) } });
    this.activate(ctx, call);
  }

  /** Punching timed out (the set-up timer ran holePunchTimeoutMs): the caller falls back to a relay. */
  private punchFailed(ctx: Ctx, call: Call): void {
    ctx.out.push({ kind: 'trace', event: 'holePunchFailed', detail: { callId: call.id, role: call.role } });
    this.d.timers.cancel(ctx, 'holePunch');
    if (call.role === 'callee') {
      // The caller's relay comes with callRelayChanged; wait for it as for an answer.
      call.phase = 'joining';
      this.d.timers.set(ctx, 'callSetup', this.d.params.callSetupTimeoutMs);
      return;
    }
    call.path = 'relayedUdp';
    this.selectRelay(ctx, call);
  }

  private onRelayChanged(ctx: Ctx, call: Call, relay: Endpoint): void {
    if (!isUsableEndpoint(relay)) return;
    if (call.path === 'holePunched') call.path = 'relayedUdp';
    const reselections = call.relay ? call.relay.reselections + 1 : 0;
    if (call.relay?.conn !== undefined) this.d.closeConnection(ctx, call.relay.conn);
    call.relay = { endpoint: relay, order: [relay], index: 0, selection: undefined, selectionStartedMs: ctx.now, conn: undefined, portIndex: 0, joined: false, reselections, silent: false, probeConns: new Map() };
    this.joinRelay(ctx, call);
  }

  // --- media ------------------------------------------------------------------------------------

  /** Media (re)starts: at the answer, on (un)hold, on a new relay. Frames missed in between are not sent. */
  private scheduleMedia(ctx: Ctx, call: Call): void {
    if (call.phase !== 'active') return;
    call.runFromMs = Number.NaN;
    this.onMediaTick(ctx, call);
  }

  private onMediaTick(ctx: Ctx, call: Call): void {
    if (call.phase !== 'active') return;
    const p = this.d.params;
    if (call.held) {
      this.sendFrame(ctx, call, 1, true);
      this.d.timers.set(ctx, 'mediaTick', p.holdPacketIntervalMs);
      return;
    }
    if (p.mediaMode !== 'flow') {
      this.sendFrame(ctx, call, 1);
      this.d.timers.set(ctx, 'mediaTick', p.voiceFrameMs);
      return;
    }
    if (Number.isNaN(call.runFromMs)) {
      call.runFromMs = ctx.now;
      call.runFrames = 0;
    }
    this.sendDue(ctx, call);
    this.d.timers.set(ctx, 'mediaTick', Math.max(1, Math.round(p.flowIntervalMs / p.voiceFrameMs)) * p.voiceFrameMs);
  }

  /**
   * Flow mode: one aggregate for the frames due so far in this run (frame k is due at runFromMs +
   * k x voiceFrameMs), as the PSTN gateway does. An aggregate stands for frames already spoken,
   * never for frames ahead: a call that ends (or holds) mid-interval sends what packets mode would.
   */
  private sendDue(ctx: Ctx, call: Call): void {
    // The epsilon keeps a tick landing a hair before a frame boundary (float times) from missing it.
    const due = Math.floor((ctx.now - call.runFromMs + 1e-6) / this.d.params.voiceFrameMs) + 1 - call.runFrames;
    if (due <= 0) return;
    const frames = Math.min(due, 0xffff);
    this.sendFrame(ctx, call, frames);
    call.runFrames += frames;
  }

  /** Flow mode: before the voice stops (hold, the end), the frames due since the last aggregate. */
  private flushRun(ctx: Ctx, call: Call): void {
    if (this.d.params.mediaMode !== 'flow' || call.phase !== 'active' || call.held || Number.isNaN(call.runFromMs)) return;
    this.sendDue(ctx, call);
  }

  private sendFrame(ctx: Ctx, call: Call, frames: number, hold = false): void {
    const out = call.out;
    if (!out || !call.key) return;
    const direction: MediaDirection = call.role === 'caller' ? 0 : 1;
    const voice = encryptMedia(call.key, direction, call.seqOut >>> 0, new Uint8Array(hold ? 0 : this.frameVoiceBytes));
    const msg: Message = { type: 'mediaFrame', callId: call.id, seq: call.seqOut >>> 0, sentAtMs: ctx.now, frames, hold, voice };
    call.seqOut += frames;
    if (out.kind === 'udp') this.d.transport.sendDatagram(ctx, this.d.mediaPort, out.to, msg, frames);
    else if (out.open) this.d.transport.write(ctx, out.conn, msg, frames);
  }

  private onMedia(ctx: Ctx, call: Call, msg: MessageOf<'mediaFrame'>, packets: number): void {
    if (call.phase !== 'active') {
      // A relayed callee's first frames can beat the accept to the caller: nothing to measure yet.
      ctx.out.push({ kind: 'trace', event: 'late', detail: { input: 'mediaFrame', phase: call.phase } });
      return;
    }
    if (msg.frames < 1 || !Number.isFinite(msg.sentAtMs) || packets < 1) {
      ctx.out.push({ kind: 'trace', event: 'malformed', detail: { transport: 'media', source: call.peer, error: 'bad-frame-header', detail: `frames ${msg.frames}` } });
      return;
    }
    if (!msg.hold) call.stats.onFrame(msg.seq, msg.sentAtMs, ctx.now, Math.min(packets, msg.frames), msg.frames);
    this.heard(ctx, call);
  }

  private heard(ctx: Ctx, call: Call): void {
    if (call.phase === 'active') this.watch(ctx, call);
  }

  private watch(ctx: Ctx, call: Call): void {
    const p = this.d.params;
    this.d.timers.set(ctx, 'mediaWatch', Math.max(p.relayFailureTimeoutMs, call.held ? 2 * p.holdPacketIntervalMs : 0));
  }

  /** Nothing heard on a relayed path: the caller re-selects (relayReselect), the callee waits for it; else the call ends. */
  private onRelayLost(ctx: Ctx, call: Call): void {
    const p = this.d.params;
    const relay = call.relay!;
    ctx.out.push({ kind: 'trace', event: 'callRelayFailed', detail: { callId: call.id, role: call.role, relay: formatEndpoint(relay.endpoint) } });
    if (!p.relayReselect || relay.reselections >= RESELECTIONS_MAX || relay.silent) return this.end(ctx, 'relayFailed', true);
    if (call.role === 'callee') {
      // The caller notices too and names a new relay; if it does not, the call is lost. (The
      // count of reselections stays the caller's, so the callee allows the same number.)
      this.d.timers.set(ctx, 'mediaWatch', p.relayFailureTimeoutMs + p.relayProbeTimeoutMs + p.relayReplyTimeoutMs);
      relay.silent = true;
      return;
    }
    ctx.out.push({ kind: 'metric', name: 'relayReselections', value: 1, labels: { policy: p.relayPolicy } });
    if (relay.conn !== undefined) this.d.closeConnection(ctx, relay.conn);
    // The call stays answered while a new relay is found; media resumes once it is joined.
    call.out = undefined;
    this.selectRelay(ctx, call, [relay.endpoint]);
  }

  // --- PSTN -------------------------------------------------------------------------------------

  private onPstnAnswer(ctx: Ctx, call: Call, msg: MessageOf<'pstnAnswer'>): void {
    if (!this.agree(ctx, call, msg.keyShare)) return;
    call.out = this.udpOrTcpOut(ctx, call, msg.media);
    this.activate(ctx, call);
  }

  private onPstnIncoming(ctx: Ctx, msg: MessageOf<'pstnIncoming'>, superNode: Endpoint): void {
    const me = this.d.me();
    if (!me || this.call) {
      const refusal: Message = { type: 'pstnHangUp', callId: msg.callId, reason: CALL_END.hangUp };
      this.d.sendRouted(ctx, '', superNode, refusal);
      ctx.out.push({ kind: 'metric', name: 'callRefused', value: 1, labels: { reason: 'busy' } });
      return;
    }
    const call = this.newCall(ctx, me, 'callee', 'pstnIn', msg.number, msg.callId, 0);
    call.pstnSuperNode = superNode;
    call.path = 'direct';
    if (!this.agree(ctx, call, msg.keyShare)) return;
    call.out = this.udpOrTcpOut(ctx, call, msg.media);
    this.d.sendRouted(ctx, '', superNode, { type: 'pstnAnswer', callId: call.id, keyShare: call.agreement.publicKey, media: this.ownMediaEndpoint(me) });
    this.activate(ctx, call);
  }

  // --- the end ----------------------------------------------------------------------------------

  /** Media out over UDP to `to`, or on a TCP connection to it when this host's UDP is blocked. */
  private udpOrTcpOut(ctx: Ctx, call: Call, to: Endpoint): MediaOut {
    if (!call.me.udpBlocked) return { kind: 'udp', to };
    return { kind: 'tcp', conn: this.d.openConnection(ctx, to), open: false };
  }

  private ownMediaEndpoint(me: CallIdentity): Endpoint {
    return { ip: me.localIp, port: this.d.mediaPort };
  }

  /** Media must come from where this party sends it (the relay, the gateway, the punched peer), or over the path's TCP connection. */
  private mediaSourceOk(call: Call, from: Endpoint): boolean {
    if (call.out?.kind === 'udp') return sameEndpoint(call.out.to, from) || (call.kind !== 'peer' && from.ip === call.out.to.ip);
    return call.path === 'direct';
  }

  private signal(ctx: Ctx, call: Call, msg: Message): void {
    if (call.signalConn !== undefined) {
      if (call.signalOpen) this.d.transport.write(ctx, call.signalConn, msg);
      return;
    }
    if (call.kind !== 'peer') {
      if (msg.type === 'callEnd') this.d.sendRouted(ctx, '', call.pstnSuperNode, { type: 'pstnHangUp', callId: call.id, reason: msg.reason });
      return;
    }
    const to = isUsableEndpoint(call.peerSuperNode) ? call.peerSuperNode : (call.contact?.superNode ?? NOWHERE);
    this.d.sendRouted(ctx, call.peer, to, msg);
  }

  private labels(call: Call): Record<string, string> {
    const mine = call.me.natClass;
    const theirs = call.contact?.natClass ?? (call.invite ? codeName(NAT_CLASS, call.invite.natClass, 'unknown') : 'unknown');
    const natPair = call.role === 'caller' ? `${mine}>${theirs}` : `${theirs}>${mine}`;
    const relayed = call.path === 'relayedUdp' || call.path === 'relayedTcp';
    return { path: call.path, natPair, policy: relayed ? this.d.params.relayPolicy : 'none' };
  }

  /** A call that was never answered. */
  private fail(ctx: Ctx, cause: string): void {
    const call = this.call;
    if (!call) return;
    if (call.phase === 'punching' && cause === 'timeout') return this.punchFailed(ctx, call);
    if (call.answeredAtMs > 0) return this.end(ctx, cause, true);
    const labels = this.labels(call);
    ctx.out.push({ kind: 'trace', event: 'callFailed', detail: { callId: call.id, role: call.role, peer: call.peer, cause, phase: call.phase } });
    ctx.out.push({ kind: 'metric', name: 'callFailure', value: 1, labels: { cause, role: call.role, kind: call.kind } });
    if (call.role === 'caller' && call.kind === 'peer') ctx.out.push({ kind: 'metric', name: 'callSetupMs', value: ctx.now - call.placedAtMs, labels: { outcome: 'failed', ...labels } });
    if (call.invite && call.role === 'caller') this.signal(ctx, call, { type: 'callEnd', callId: call.id, reason: CALL_END.hangUp });
    this.release(ctx, call);
  }

  private failEarly(ctx: Ctx, cause: string, kind: Kind): void {
    ctx.out.push({ kind: 'metric', name: 'callFailure', value: 1, labels: { cause, role: 'caller', kind } });
    ctx.out.push({ kind: 'trace', event: 'callFailed', detail: { cause, phase: 'idle' } });
  }

  /** An answered call ends: the other side is told (if `tell`), quality of what we received is reported. */
  private end(ctx: Ctx, cause: string, tell: boolean): void {
    const call = this.call!;
    if (call.answeredAtMs === 0) return this.fail(ctx, cause === 'hangUp' ? 'cancelled' : cause);
    const reason = cause in CALL_END ? CALL_END[cause as keyof typeof CALL_END] : CALL_END.hangUp;
    this.flushRun(ctx, call);
    if (tell) this.signal(ctx, call, { type: 'callEnd', callId: call.id, reason });
    const labels = this.labels(call);
    const s = call.stats.summary();
    // Nothing received (the relay died at the answer, say): no delay to rate; the trace says 0
    // for the delay and the MOS (below its floor of 1: not measured) and frames 0.
    const delayMs = s.frames > 0 ? s.meanDelayMs : 0;
    const mos = s.frames > 0 ? eModel({ oneWayDelayMs: effectiveDelayMs(delayMs, s.jitterMs), packetLossRatio: s.lossRatio }).mos : 0;
    const byPath = { path: labels.path, policy: labels.policy };
    if (s.frames > 0) {
      ctx.out.push({ kind: 'metric', name: 'callDelayMs', value: delayMs, labels: byPath });
      ctx.out.push({ kind: 'metric', name: 'callLossRatio', value: s.lossRatio, labels: byPath });
      ctx.out.push({ kind: 'metric', name: 'callJitterMs', value: s.jitterMs, labels: byPath });
      ctx.out.push({ kind: 'metric', name: 'callMos', value: mos, labels: byPath });
    }
    ctx.out.push({ kind: 'metric', name: 'callEnd', value: 1, labels: { cause, role: call.role, kind: call.kind } });
    ctx.out.push({
      kind: 'trace',
      event: 'callEnded',
      detail: {
        callId: call.id,
        role: call.role,
        kind: call.kind,
        peer: call.peer,
        path: call.path,
        cause,
        relay: call.relay?.joined ? formatEndpoint(call.relay.endpoint) : '',
        answeredMs: ctx.now - call.answeredAtMs,
        frames: s.frames,
        delayMs,
        lossRatio: s.lossRatio,
        jitterMs: s.jitterMs,
        mos,
      },
    });
    this.release(ctx, call);
  }

  /** Forgets the call: leaves the relay, closes its connections, disarms its timers. */
  private release(ctx: Ctx, call: Call): void {
    const relay = call.relay;
    if (relay?.joined) {
      const leave: Message = { type: 'relayLeave', callId: call.id };
      if (relay.conn !== undefined) this.d.transport.write(ctx, relay.conn, leave);
      else this.d.transport.sendDatagram(ctx, this.d.mediaPort, relay.endpoint, leave);
    }
    for (const conn of [call.signalConn, relay?.conn, call.out?.kind === 'tcp' ? call.out.conn : undefined, ...(relay?.probeConns.keys() ?? [])]) {
      if (conn !== undefined) this.d.closeConnection(ctx, conn);
    }
    for (const t of CALL_TIMERS) this.d.timers.cancel(ctx, t);
    this.call = undefined;
  }

  private stale(ctx: Ctx, msg: Message): true {
    ctx.out.push({ kind: 'trace', event: 'late', detail: { input: msg.type } });
    return true;
  }
}

/**
 * The bytes a signature at call set-up covers: the call id, the other party's name, the signer's
 * key share and - for an invite on a direct connection - the callee's challenge nonce of that
 * connection, so an invite captured on one connection is worthless on another.
 */
function proof(callId: number, name: string, keyShare: Uint8Array, nonce: Uint8Array = NO_NONCE): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const out = new Uint8Array(4 + nameBytes.length + keyShare.length + nonce.length);
  new DataView(out.buffer).setUint32(0, callId >>> 0);
  out.set(nameBytes, 4);
  out.set(keyShare, 4 + nameBytes.length);
  out.set(nonce, 4 + nameBytes.length + keyShare.length);
  return out;
}

/**
 * Voice bytes per frame so that one frame's datagram - IP/UDP header, obfuscation header, the
 * mediaFrame fields and the voice - is voiceBitsPerSec x voiceFrameMs on the wire (BS-25). A
 * rate too low for the headers leaves no voice bytes (the frame is all header).
 */
export function voiceBytesPerFrame(p: ProtocolParams): number {
  const frameBytes = Math.round((p.voiceBitsPerSec / 8) * (p.voiceFrameMs / 1000));
  const empty = messageWireSize({ type: 'mediaFrame', callId: 0, seq: 0, sentAtMs: 0, frames: 1, hold: false, voice: new Uint8Array(0) });
  return Math.max(0, frameBytes - UDP_HEADER_BYTES - FRAME_HEADER_BYTES - empty);
}
