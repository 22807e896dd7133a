/**
 * The ordinary host (SC): the client a user runs. It logs in (BS-9, BS-10, BS-11), keeps its
 * super node (BS-15), re-logs in when the SN is lost, and - when elected (election.ts) or
 * configured as a bootstrap SN - also serves as a super node (super-node.ts) in the same node.
 *
 * What it models, in the order of a login (login.ts has the state table):
 *   1. HC entries in order (host-cache.ts): UDP probe, 5 s; TCP to the SN's port; TCP 80;
 *      TCP 443; next entry; after the round's last entry 6 s and the next round; 5 rounds,
 *      then failure (BS-9). The exact order and its open choices are in login.ts's header.
 *   2. Connected: the acceptor's `challenge` tells whether it serves as an SN (else next entry)
 *      and gives the nonce the attach must sign.
 *   3. Authenticate with the LS over TCP (name, password, the LS's nonce, our public key) -
 *      on the LS's port, falling back to 80 then 443 like the SN ladder (the port that worked
 *      is tried first next time; before any LS connection worked, a fall-back port that was the
 *      only way through to an SN is tried first - `rememberFallbackPort`, login.ts);
 *      receive the signed credential (BS-8). A valid credential from earlier in this process
 *      is re-used (no LS visit on re-login). The LS connection stays open as the session link.
 *      LS busy / unreachable / silent: back off (`authBusy`'s retry time, or lsRetryDelayMs,
 *      times 1 + a uniform draw, to spread a storm) and retry, at most lsTriesMax tries.
 *   4. Attach to the SN with the credential and the signed nonce; refused (full, ...) -> next
 *      HC entry; redirected (`attachRedirect`, the SN knows lighter SNs) -> the SNs it names go
 *      to the front of the HC and are tried next in this round (login.ts). Attached: the SN's
 *      list refreshes the HC, keep-alives start.
 *   5. NAT and firewall type detection against SNs (nat-detection.ts, BS-11).
 *   6. Presence announce; the SN's reply refreshes the HC (BS-9 step 6). Online.
 *   Online: keep-alive every 60 s (BS-15) by UDP (TCP when UDP is blocked, BS-10), sequence
 *   numbered; `keepAliveMissLimit` unanswered in a row, the TCP connection closing, or the SN's
 *   `superNodeLeaving` mean the SN is lost: the host marks it failed in the HC (to the end) and
 *   logs in again from the HC (a new login, trigger `reconnect`); a leaving SN's
 *   `superNodeLeavingTo` names SNs to try first (hints, login.ts). Every `hostCacheRefreshIntervalMs` online, the host
 *   re-announces its presence and the SN's reply refreshes the HC (OT-2), so the entries a
 *   re-login tries are at most that old. A `handOff` from the SN (it is loaded, and
 *   names lighter SNs) is not a loss: those SNs go to the front of the HC, the SN keeps its
 *   place after them, and the host logs in again (trigger `handOff`; a valid credential skips
 *   the LS, so it costs a probe, a connect, the attach and NAT detection).
 *   Logout (user): `detach` to the SN, close SN and LS connections, stop serving if serving.
 *   The LS ending the session (`sessionEnded`, a newer login of the name): the same, cause
 *   `replaced`.
 *   The LS session (ours; login-server.ts has the LS's side): from the credential's arrival
 *   until offline the host sends `sessionKeepAlive` on the session link every
 *   `lsSessionKeepAliveMs`; the LS's ack confirms the session. When the session link closes
 *   (FIN, RST - the LS restarted - or TCP giving up on a keep-alive: the LS crashed, a
 *   partition), the host stays online and re-validates on a new LS connection: the LS ports as
 *   at login (the one that worked first, then its own, 80, 443), the LS's challenge, then
 *   `sessionResume{name, credential, signature of the nonce}`. `sessionResumed`: that
 *   connection is the session link. `sessionEnded` or `authRefused`: offline, cause `replaced`
 *   (`refused` for a bad credential). Unreachable, closed or silent for lsReplyTimeoutMs: back
 *   off as at login (lsRetryDelayMs x (1 + a uniform draw)) and try again, with no try limit.
 *   Lease: when nothing the LS confirmed (the login, a keep-alive ack, a re-validation) was sent
 *   within the last `lsSessionLeaseMs`, the host goes offline by itself, cause `lapsed` - by
 *   then the LS counts the session as over and may have accepted a newer login of the name
 *   elsewhere, so two machines are never online under one name. The price: an LS unreachable
 *   for longer than the lease takes its users offline (they can log in again once it is back).
 *   Known limit: a host whose credential expired and which loses its SN logs in to the LS
 *   afresh - a new login, which wins over a machine that logged in elsewhere meanwhile.
 *   Helping a NAT test: when its SN has no overlay link it may ask an online client to be the
 *   "other node" (`natForward` on the SN link): one natProbeReply from the client's UDP port to
 *   the tested host (not while UDP-blocked or not yet online).
 *
 * Inputs: start; user login / logout; datagrams (probeReply, natProbeReply, keepAliveAck for
 * the client; probe, natProbe, keepAlive, overlayCheck / overlayCheckReply for the SN service);
 * connection events and data of its SN link (challenge, attachAccepted / attachRefused /
 * attachRedirect, presenceAck, keepAliveAck, promoteRequest, handOff, superNodeLeaving /
 * superNodeLeavingTo), its LS
 * connection, accepted connections (first message attach / overlayJoin,
 * handed to the SN service, refused when not serving) and the service's connections; timers
 * (one dispatch point, `onTimer`). An input with no entry in the current state is counted
 * (`trace unexpected`); an input on a connection this node already closed, or a reply to a
 * probe or NAT test whose step is over, is counted as `late`;
 * bad bytes as `malformed`. None changes state.
 *
 * Ports: one UDP and one TCP port with the same number, chosen at random at install (BS-3:
 * drawn at the first start, kept in `disk.port`; a bootstrap SN is configured with 33033).
 * A host found to have a public address (NAT class open) also listens on TCP 80 and 443 (BS-3);
 * serving as an SN adds them too (the BS-9 fall-backs) and UDP port + 1 (NAT tests).
 *
 * What it abstracts: the host knows its interface address (`localIp`) and machine
 * (`config`) from the runtime; the UDP-blocked inference, the remembered fall-back port and
 * the NAT class are per process (not persisted); a credential is kept in memory only. It
 * remembers the addresses it sent UDP to lately (for the NAT test's `contacted` rule).
 *
 * Calls, relaying, chat and presence: calls.ts (CallService: the host's calls and their media
 * port), relay.ts (RelayService: relaying for others while the host is public), chat.ts
 * (ChatService: chat and presence to buddies); their messages reach the host through its SN link
 * (`routed`), its media port, accepted connections (a direct call, a relay leg over TCP) and
 * its own port (relay probes, joins and media it forwards). A call outlives a re-login.
 *
 * User search (BS-16 - BS-20): host-search.ts (whom a host asks, by its class), user-search.ts
 * (the rounds), user-index.ts (where records live), sn-search.ts (the SN's part). The host
 * sends `indexAnnounce` (its port and NAT class) with every presence, so its SN indexes it;
 * the user action `search` and `searchUser` start a search; searchReply (UDP, SN link),
 * accountReply (LS session link) and the `searchRound` timer are routed to host-search.ts.
 *
 * Metrics: loginTimeMs (labels outcome ok|failed, natClass, trigger user|reconnect|handOff),
 * loginAttempts, loginRounds and loginRedirects (labels outcome), loginFailure (value 1; label cause:
 * noSuperNode | badCredentials | rateLimited | nameInUse | badNonce | loginServerBusy |
 * loginServerUnreachable | badCredential | replaced), natDetectionMs (label natClass),
 * snLost (value 1; label cause), sessionEnd (value 1; label cause logout | replaced | lapsed | refused), promotion / demotion
 * (election.ts), the SN's snClients, and searchMs / searchMessages (host-search.ts).
 * Traces: loginStarted, loginStep (one per UDP probe or TCP connect), loginEntryFailed, loginRoundFailed, udpBlocked,
 * fallbackPortRemembered, loginRedirected, handedOff, natReplyDiscounted,
 * natClassified, loginSucceeded, loginFailed, loginAborted, snLost, loggedOut, sessionEnded,
 * loginServerLinkClosed, sessionResumeStarted, sessionResumed, sessionLapsed, natForwardServed,
 * natForwardDeclined, promoted, demoted, promoteDeclined, notServing, searchStarted, searchRound,
 * searchFinished, plus the SN's.
 */

import type { KeyObject } from 'node:crypto';
import type { ConnId, CloseReason, Ctx, Endpoint, Input, ProtocolNode, Random } from '../node.js';
import { decodeCredential, signChallenge } from '../crypto/credentials.js';
import { deriveSigningKeyPair, randomBytesFrom, SEED_BYTES, signingPublicKey, type KeyPair } from '../crypto/keys.js';
import type { ProtocolParams } from '../params.js';
import { ATTACH_REFUSAL, AUTH_REFUSAL, NAT_CLASS, PRESENCE_STATUS, ROLE, ROUTE_FAILURE, OVERLAY_REFUSAL, codeName, type Message, type MessageOf } from '../wire/messages.js';
import { decodeMessage, encodeMessage, isDecodeError, messageName } from '../wire/codec.js';
import type { Obfuscator } from '../wire/obfuscation.js';
import { checkEligibility, eligibleFromMs, type EligibilityState, type HostConfig } from './election.js';
import { HostCache, type HostCacheDisk } from './host-cache.js';
import { HostSearches, strayReply, type SearchResult } from './host-search.js';
import { CHALLENGE_NONCE_BYTES } from './login-server.js';
import { LoginLadder, LoginMachine, type LadderStep, type LoginEvent, type LoginState } from './login.js';
import { NatDetector, type NatClass, type NatStep } from './nat-detection.js';
import { CALL_TIMERS, CallService, type CallIdentity, type CallTimer, type Contact } from './calls.js';
import { CHAT_TIMERS, ChatService, checkChatText, type ChatTimer, type OwnPresence } from './chat.js';
import { RELAY_TIMERS, RelayService, type RelayTimer } from './relay.js';
import { NOWHERE } from './routing.js';
import { SUPER_NODE_TIMERS, SuperNodeService, type SuperNodeTimer } from './super-node.js';
import { IntMap, RecentIds, formatEndpoint, isUsableEndpoint, randomInt, randomU32, unexpected } from './support.js';
import { Timers } from './timers.js';
import { sharedObfuscator, Transport } from './transport.js';

/** What the user (the workload, churn) does. */
export type HostAction =
  | { readonly type: 'login'; readonly name: string; readonly password: string }
  | { readonly type: 'logout' }
  /** Call user `callee`; hang up after `durationMs` (0: only when told, `hangUp`). */
  | { readonly type: 'call'; readonly callee: string; readonly durationMs: number }
  | { readonly type: 'hangUp' }
  | { readonly type: 'hold'; readonly held: boolean }
  | { readonly type: 'chat'; readonly to: string; readonly text: string }
  /** SkypeOut: call a phone number through the PSTN gateway. */
  | { readonly type: 'pstnCall'; readonly number: string; readonly durationMs: number }
  /** The user searches for `name` (BS-17 - BS-20; host-search.ts). */
  | { readonly type: 'search'; readonly name: string };

/** The ordinary host's own timers; with SuperNodeTimer they form the node's closed set. */
export type HostTimer =
  /** fires when: the current HC entry's UDP probe had no reply for probeTimeoutMs (BS-9: 5 s). */
  | 'probeTimeout'
  /** fires when: the wait between two login rounds (BS-9: 6 s) is over. */
  | 'roundDelay'
  /** fires when: the SN (snReplyTimeoutMs) or the LS (lsReplyTimeoutMs) did not answer the current login step. */
  | 'replyTimeout'
  /** fires when: the back-off before the next LS attempt is over. */
  | 'lsRetry'
  /** fires when: the current NAT test's retransmit interval is over. */
  | 'natTest'
  /** fires when: the next keep-alive to the SN is due (BS-15: every 60 s). */
  | 'keepAlive'
  /** fires when: online for another hostCacheRefreshIntervalMs: re-announce presence, whose reply refreshes the HC (OT-2). */
  | 'hostCacheRefresh'
  /** fires when: the host's uptime and restart-hold conditions for SN eligibility are met. */
  | 'eligibilityCheck'
  /** fires when: the next keep-alive on the LS session link is due (every lsSessionKeepAliveMs). */
  | 'lsKeepAlive'
  /** fires when: lsSessionLeaseMs passed since the send of the last request the LS confirmed: the session lapsed. */
  | 'lsLease'
  /** fires when: the back-off before the next session re-validation try is over, or the current try had no LS answer for lsReplyTimeoutMs. */
  | 'lsResume'
  /** fires when: the earliest deadline of the user searches under way (a round, the SN on behalf, the LS; host-search.ts). */
  | 'searchRound';

export type NodeTimer = HostTimer | SuperNodeTimer | CallTimer | ChatTimer | RelayTimer;

/** What a relay takes on the host's own port (relay.ts). */
const RELAY_MESSAGES: ReadonlySet<Message['type']> = new Set(['relayProbe', 'relayJoin', 'relayLeave', 'mediaFrame']);

/** Chat sequence numbers one process may use (chat.ts: numbers never repeat across restarts). */
const CHAT_SEQ_PER_START = 1_000_000;

const HOST_TIMERS: readonly HostTimer[] = ['probeTimeout', 'roundDelay', 'replyTimeout', 'lsRetry', 'natTest', 'keepAlive', 'hostCacheRefresh', 'eligibilityCheck', 'lsKeepAlive', 'lsLease', 'lsResume', 'searchRound'];
/** Timers of the LS session (keep-alive, lease, re-validation): they run across logins, until offline. */
const SESSION_TIMERS: readonly HostTimer[] = ['lsKeepAlive', 'lsLease', 'lsResume'];
/** Timers of one login step: leaving a state disarms them. */
const STEP_TIMERS: readonly HostTimer[] = ['probeTimeout', 'roundDelay', 'replyTimeout', 'lsRetry', 'natTest'];

const ALL_TIMERS: readonly NodeTimer[] = [...HOST_TIMERS, ...SUPER_NODE_TIMERS, ...CALL_TIMERS, ...CHAT_TIMERS, ...RELAY_TIMERS];

/** What the host keeps across crashes and restarts (the runtime keeps the object alive). */
export interface HostDisk extends HostCacheDisk {
  /** The UDP/TCP port chosen at install. */
  port?: number;
  /** Seed of the user's Ed25519 identity key, drawn at the first login. */
  identitySeed?: Uint8Array;
  /** Served as an SN when it last stopped (OT-4 restart delay). */
  wasSuperNode?: boolean;
  /** Starts so far. */
  starts?: number;
  /** The UDP port media uses (BS-28), drawn at install. */
  mediaPort?: number;
  /** The last chat sequence number delivered, per sender (chat.ts). */
  chatDelivered?: Map<string, number>;
}

export interface HostOptions {
  readonly params: ProtocolParams;
  readonly disk: HostDisk;
  /** The host's interface address (private behind a NAT). */
  readonly localIp: number;
  /** UDP and TCP port; default `disk.port`, else drawn at the first start and stored. */
  readonly port?: number;
  /** The bootstrap SNs of a fresh install (BS-7: 7 SNs on port 33033). */
  readonly bootstrap: readonly Endpoint[];
  readonly loginServer: Endpoint;
  /** The LS's Ed25519 public key (raw 32 bytes or a key object). */
  readonly lsPublicKey: Uint8Array | KeyObject;
  readonly config: HostConfig;
  /** Serve as a (bootstrap) SN from the first start; never elected, never demoted. Its address must be public. */
  readonly bootstrapSuperNode?: boolean;
  readonly obfuscator?: Obfuscator;
  /** The user's buddies (presence goes to them, chat comes from them). */
  readonly buddies?: readonly string[];
  /** The PSTN gateway (SkypeOut); none: PSTN calls fail. */
  readonly pstnGateway?: Endpoint;
}

type ConnOwner = 'sn' | 'ls' | 'inbound' | 'service' | 'call' | 'relay';

type LoginTrigger = 'user' | 'reconnect' | 'handOff';

/** The login in progress. */
interface LoginProcess {
  readonly trigger: LoginTrigger;
  readonly startedAtMs: number;
  readonly ladder: LoginLadder;
  probeNonce: number;
  /** The SN connection was lost while the LS was being asked: go to the next entry after. */
  snLostDuringAuth: boolean;
  lsTries: number;
  lsBusy: boolean;
  /** attachRedirects followed in this login. */
  redirects: number;
  nat: NatDetector | undefined;
  natStartedAtMs: number;
}

/** The host's connection to its SN (during login from TCP connect on, and online). */
interface SnLink {
  /** The HC entry (the SN's UDP endpoint). */
  readonly entry: Endpoint;
  readonly conn: ConnId;
  /** The TCP port the connection went to (the SN's own, or a fall-back). */
  readonly port: number;
  nonce: Uint8Array | undefined;
  /** The id the SN gave this client at attach; keep-alives carry it. */
  clientId: number | undefined;
  seq: number;
  ackedSeq: number;
  misses: number;
}

interface LsLink {
  conn: ConnId;
  /** Index into the LS's port list (its port, then the fall-back ports). */
  portIndex: number;
  /**
   * `session`: the credential came; the connection is the session link. `resume*`: a new
   * connection re-validating the session after the link was lost (connect, challenge, answer).
   */
  phase: 'connecting' | 'challenge' | 'verdict' | 'session' | 'resumeConnecting' | 'resumeChallenge' | 'resumeVerdict';
}

const LATE_CONNS_MAX = 1024;
const SENT_NONCES_MAX = 64;
/** Addresses remembered for the NAT test's `contacted` rule (nat-detection.ts). */
const UDP_CONTACTS_MAX = 256;

export class HostNode implements ProtocolNode<HostAction> {
  private readonly params: ProtocolParams;
  private readonly disk: HostDisk;
  private readonly transport: Transport;
  private readonly timers = new Timers<NodeTimer>();
  private readonly hostCache: HostCache;
  private readonly machine = new LoginMachine();
  private readonly lsKey: KeyObject;
  private readonly conns = new IntMap<ConnOwner>();
  private readonly inbound = new IntMap<{ remote: Endpoint; nonce: Uint8Array }>();
  /** Connections this node closed: inputs on them are late, not errors. */
  private readonly lateConns = new RecentIds(LATE_CONNS_MAX);
  private readonly listeningTcp = new Set<number>();
  private readonly listeningUdp = new Set<number>();
  private nextConn = 1;
  /** The Random and the time of the input being handled (NAT tests draw nonces through it, and ask what is recent). */
  private rng: Random = { next: () => 0 };
  private nowMs = 0;
  /** Nonces of probes and NAT tests sent lately: a reply to one of them after its step is over is late, not unexpected. */
  private readonly sentNonces = new RecentIds(SENT_NONCES_MAX);
  /** Address -> when the client last sent it a datagram (probe, NAT test, keep-alive); oldest first. */
  private readonly udpContacts = new Map<number, number>();
  private started = false;
  private startedAtMs = 0;
  private holdUntilMs = 0;
  private portNumber = 0;

  private user: { name: string; password: string } | undefined;
  private identity: KeyPair | undefined;
  private credential: { bytes: Uint8Array; expiresAtMs: number } | undefined;
  private udpBlockedFlag = false;
  /** When the pending authRequest was sent: a new session's lease runs from there. */
  private authSentMs = 0;
  private lsWorkingPort: number | undefined;
  /** A fall-back port that was the only way through to an SN in this process (rememberFallbackPort). */
  private fallbackPortFirst: number | undefined;
  private natClassValue: NatClass = 'unknown';
  private natKnownAtMs = 0;
  private reportedEligible = false;

  private login: LoginProcess | undefined;
  private sn: SnLink | undefined;
  private ls: LsLink | undefined;
  /**
   * The LS session (from the credential's arrival until offline): whether there is one, when the
   * request the LS last confirmed was sent (the lease runs from there), the send times of the
   * keep-alives not yet acknowledged (oldest first), and the re-validation tries in a row.
   */
  private session: { confirmedSentMs: number; pendingKeepAlives: number[]; resumeTries: number; resumeSentMs: number } | undefined;

  private service: SuperNodeService | undefined;
  private promotedAtMs = 0;
  /** Made at the first search (most hosts of a large run never search: no per-host cost for them). */
  private searchesObject: HostSearches | undefined;

  private mediaPortNumber = 0;
  /** Where users are, as presence notices and searches told (calls go there without a search). */
  // Made at first use, like the search state: most of a large run's hosts never call, chat or
  // relay, and a hundred thousand idle services would cost hundreds of megabytes.
  private contactsMap: Map<string, Contact> | undefined;
  private callsObject: CallService | undefined;
  private chatObject: ChatService | undefined;
  private relayObject: RelayService | undefined;

  constructor(private readonly options: HostOptions) {
    this.params = options.params;
    this.disk = options.disk;
    this.transport = new Transport(options.obfuscator ?? sharedObfuscator(options.params.cryptoMode));
    this.hostCache = new HostCache(options.params.hostCacheMax, options.disk, options.bootstrap);
    const key = options.lsPublicKey instanceof Uint8Array ? signingPublicKey(options.lsPublicKey) : options.lsPublicKey;
    if (isDecodeError(key)) throw new RangeError(`lsPublicKey: ${key.error}`);
    this.lsKey = key;
  }

  private get contacts(): Map<string, Contact> {
    return (this.contactsMap ??= new Map());
  }

  private get calls(): CallService {
    const host = this;
    return (this.callsObject ??= new CallService({
      params: this.params,
      transport: this.transport,
      timers: this.timers,
      lsPublicKey: this.lsKey,
      get mediaPort() {
        return host.mediaPortNumber;
      },
      pstnGateway: this.options.pstnGateway,
      me: () => this.callIdentity(),
      hostCacheEntries: () => this.hostCache.entries(),
      tcpPorts: (to) => this.tcpPortsTo(to),
      locate: (c, name, done) => this.locate(c, name, done),
      sendRouted: (c, to, toSuperNode, msg) => this.sendRouted(c, to, toSuperNode, msg),
      openConnection: (c, to) => this.openConnection(c, 'call', to),
      closeConnection: (c, conn) => this.closeConnection(c, conn),
      probeMediaMapping: (c) => this.probeMediaMapping(c),
    }));
  }

  private get chat(): ChatService {
    const host = this;
    return (this.chatObject ??= new ChatService({
      chatRetryMs: this.params.chatRetryMs,
      chatSendsMax: this.params.chatSendsMax,
      timers: this.timers,
      buddies: this.options.buddies ?? [],
      get firstSeq() {
        return 1 + ((host.disk.starts ?? 1) - 1) * CHAT_SEQ_PER_START;
      },
      lastDelivered: (this.disk.chatDelivered ??= new Map()),
      contact: (name) => this.contactsMap?.get(name),
      learn: (name, contact) => (contact ? this.contacts.set(name, contact) : this.contactsMap?.delete(name)),
      sendRouted: (c, to, toSuperNode, msg) => this.sendRouted(c, to, toSuperNode, msg),
    }));
  }

  private get relay(): RelayService {
    const host = this;
    return (this.relayObject ??= new RelayService({
      params: this.params,
      transport: this.transport,
      timers: this.timers,
      get self() {
        return { ip: host.options.localIp, port: host.portNumber };
      },
      isPublic: () => this.natClassValue === 'open' && (this.machine.state === 'online' || this.service !== undefined),
    }));
  }

  private get searches(): HostSearches {
    return (this.searchesObject ??= new HostSearches({
      params: this.params,
      transport: this.transport,
      online: () => this.machine.state === 'online',
      natClass: () => this.natClassValue,
      udpBlocked: () => this.udpBlockedFlag,
      superNodeLink: () => (this.sn?.clientId !== undefined ? this.sn : undefined),
      loginServerLink: () => (this.ls?.phase === 'session' ? this.ls.conn : undefined),
      hostCacheEntries: () => this.hostCache.entries(),
      service: () => this.service,
      sendUdp: (ctx, to, msg) => this.sendUdp(ctx, to, msg),
      setTimer: (ctx, delayMs) => this.timers.set(ctx, 'searchRound', delayMs),
      cancelTimer: (ctx) => this.timers.cancel(ctx, 'searchRound'),
    }));
  }

  /**
   * Searches for user `name` (BS-17 - BS-20, host-search.ts); `done` is called exactly once, with
   * the outcome (and the record when found). Several searches may run at once. Not online: done
   * at once, notFound.
   */
  searchUser(ctx: Ctx, name: string, done: (ctx: Ctx, result: SearchResult) => void): void {
    this.searches.start(ctx, name, done);
  }

  // --- observation (tests, checkers, the runtime's samplers) --------------------------------

  get state(): LoginState {
    return this.machine.state;
  }
  get port(): number {
    return this.portNumber;
  }
  get natClass(): NatClass {
    return this.natClassValue;
  }
  get udpBlocked(): boolean {
    return this.udpBlockedFlag;
  }
  get isSuperNode(): boolean {
    return this.service !== undefined;
  }
  get superNode(): SuperNodeService | undefined {
    return this.service;
  }
  /** The HC entry of the SN this host is attached to (or logging in through). */
  get currentSuperNode(): Endpoint | undefined {
    return this.sn?.entry;
  }
  hostCacheEntries(): readonly Endpoint[] {
    return this.hostCache.entries();
  }
  get mediaPort(): number {
    return this.mediaPortNumber;
  }
  /** The call in progress, if any. */
  get call(): CallService['current'] {
    return this.callsObject?.current;
  }
  get relayService(): RelayService {
    return this.relay;
  }
  contactOf(name: string): Contact | undefined {
    return this.contactsMap?.get(name);
  }

  // --- the entry point ----------------------------------------------------------------------

  handle(input: Input<HostAction>, ctx: Ctx): void {
    if (input.kind !== 'start' && !this.started) throw new RangeError(`host: input ${input.kind} before start`);
    this.rng = ctx.rng;
    this.nowMs = ctx.now;
    switch (input.kind) {
      case 'start':
        return this.onStart(ctx);
      case 'user':
        return this.onAction(ctx, input.action);
      case 'datagram':
        return this.onDatagram(ctx, input.localPort, input.from, input.bytes, input.packets ?? 1);
      case 'accepted':
        return this.onAccepted(ctx, input.conn, input.remote);
      case 'connected':
        return this.onConnected(ctx, input.conn);
      case 'connectFailed':
        return this.onConnectFailed(ctx, input.conn);
      case 'data':
        return this.onData(ctx, input.conn, input.bytes);
      case 'closed':
        return this.onClosed(ctx, input.conn, input.reason);
      case 'timer':
        return this.onTimer(ctx, input.name, input.tag);
    }
  }

  private onStart(ctx: Ctx): void {
    if (this.started) throw new RangeError('host: started twice');
    this.started = true;
    this.startedAtMs = ctx.now;
    this.disk.starts = (this.disk.starts ?? 0) + 1;
    this.portNumber = this.options.port ?? this.disk.port ?? 1024 + randomInt(ctx.rng, 65534 - 1024);
    this.disk.port = this.portNumber;
    this.mediaPortNumber = this.disk.mediaPort ?? drawMediaPort(ctx.rng, this.portNumber, this.params.snAlternatePortOffset);
    this.disk.mediaPort = this.mediaPortNumber;
    this.listenUdp(ctx, this.mediaPortNumber);
    this.holdUntilMs = this.disk.wasSuperNode ? ctx.now + this.params.snRestartDelayMs : ctx.now;
    this.listenUdp(ctx, this.portNumber);
    this.listenTcp(ctx, this.portNumber);
    if (!this.options.bootstrapSuperNode) return;
    this.natClassValue = 'open';
    this.natKnownAtMs = ctx.now;
    if (this.holdUntilMs > ctx.now) this.timers.set(ctx, 'eligibilityCheck', this.holdUntilMs - ctx.now);
    else this.promote(ctx, 'bootstrap');
  }

  private onAction(ctx: Ctx, action: HostAction): void {
    switch (action.type) {
      case 'login':
        if (!this.accepts(ctx, 'login')) return;
        this.user = { name: action.name, password: action.password };
        return this.startLogin(ctx, 'user', 'login');
      case 'logout':
        if (!this.accepts(ctx, 'logout')) return;
        return this.endSession(ctx, 'logout', 'logout');
      case 'call':
        return this.calls.place(ctx, action.callee, action.durationMs);
      case 'hangUp':
        return this.calls.hangUp(ctx);
      case 'hold':
        return this.calls.hold(ctx, action.held);
      case 'pstnCall':
        return this.calls.dialPstn(ctx, action.number, action.durationMs);
      case 'chat':
        checkChatText(action.text);
        if (this.machine.state !== 'online') {
          ctx.out.push({ kind: 'metric', name: 'chatOutcome', value: 1, labels: { outcome: 'undelivered' } });
          return;
        }
        return this.chat.send(ctx, action.to, action.text);
      case 'search':
        if (this.machine.state !== 'online') return unexpected(ctx, 'search', this.machine.state);
        return this.searchUser(ctx, action.name, () => undefined);
      default:
        throw new RangeError(`host: unknown action ${(action as { type: unknown }).type}`);
    }
  }

  /** The one dispatch point of the node's timers. */
  private onTimer(ctx: Ctx, name: string, tag: number): void {
    if (!ALL_TIMERS.includes(name as NodeTimer)) throw new RangeError(`host: unknown timer ${name}`);
    const timer = name as NodeTimer;
    if (!this.timers.take(timer, tag)) return;
    switch (timer) {
      case 'probeTimeout':
        return this.onProbeTimeout(ctx);
      case 'roundDelay':
        return this.onRoundDelay(ctx);
      case 'replyTimeout':
        return this.onReplyTimeout(ctx);
      case 'lsRetry':
        return this.onLsRetry(ctx);
      case 'natTest':
        return this.applyNatStep(ctx, this.login!.nat!.onTimeout());
      case 'keepAlive':
        return this.onKeepAliveDue(ctx);
      case 'hostCacheRefresh':
        return this.onHostCacheRefreshDue(ctx);
      case 'eligibilityCheck':
        return this.onEligibilityCheck(ctx);
      case 'lsKeepAlive':
        return this.onLsKeepAliveDue(ctx);
      case 'lsLease':
        return this.onLeaseLapsed(ctx);
      case 'lsResume':
        return this.onResumeTimer(ctx);
      case 'searchRound':
        return this.searches.onTimer(ctx);
      case 'clientSweep':
      case 'overlayMaintain':
      case 'loadCheck':
      case 'superNodeSearch':
        if (this.service?.onTimer(ctx, timer)) this.demote(ctx, 'underused');
        return;
      case 'callSetup':
      case 'callDuration':
      case 'mediaTick':
      case 'mediaWatch':
      case 'relayWait':
      case 'holePunch':
        return this.calls.onTimer(ctx, timer);
      case 'chatRetry':
        return this.chat.onTimer(ctx);
      case 'relaySweep':
        return this.relay.onTimer(ctx, timer);
    }
  }

  // --- login: the BS-9 ladder ---------------------------------------------------------------

  /** Checks the table (and `also`, a condition of the event's own); an event with no entry is counted and dropped. */
  private accepts(ctx: Ctx, event: LoginEvent, also = true): boolean {
    if (also && this.machine.accepts(event)) return true;
    unexpected(ctx, event, this.machine.state);
    return false;
  }

  /** Moves the machine; leaving a state disarms the step timers. */
  private move(ctx: Ctx, event: LoginEvent, to: LoginState): void {
    const from = this.machine.state;
    this.machine.move(event, to);
    if (from !== to) this.timers.cancelAll(ctx, STEP_TIMERS);
  }

  /** A new login; `hints` are SNs a hand-off named (login.ts: tried the cheap way). */
  private startLogin(ctx: Ctx, trigger: LoginTrigger, event: LoginEvent, hints: readonly Endpoint[] = []): void {
    const ladder = new LoginLadder(
      this.params,
      () => this.hostCache.loginCandidates(this.params.loginEntriesPerRound),
      () => this.fallbackPortFirst,
    );
    ladder.addHints(hints);
    this.login = { trigger, startedAtMs: ctx.now, ladder, probeNonce: 0, snLostDuringAuth: false, lsTries: 0, lsBusy: false, redirects: 0, nat: undefined, natStartedAtMs: 0 };
    ctx.out.push({ kind: 'trace', event: 'loginStarted', detail: { trigger, udpBlocked: this.udpBlockedFlag } });
    this.step(ctx, event, ladder.begin(this.udpBlockedFlag));
  }

  private step(ctx: Ctx, event: LoginEvent, step: LadderStep): void {
    const login = this.login!;
    switch (step.kind) {
      case 'probe': {
        this.move(ctx, event, 'probing');
        login.probeNonce = this.drawNonce(ctx.rng);
        this.sendUdp(ctx, step.entry, { type: 'probe', nonce: login.probeNonce });
        this.timers.set(ctx, 'probeTimeout', this.params.probeTimeoutMs);
        this.traceStep(ctx, step.entry, 'udp', step.entry.port);
        return;
      }
      case 'connect': {
        this.move(ctx, event, 'connecting');
        const conn = this.openConnection(ctx, 'sn', { ip: step.entry.ip, port: step.port });
        this.sn = { entry: step.entry, conn, port: step.port, nonce: undefined, clientId: undefined, seq: 0, ackedSeq: 0, misses: 0 };
        this.traceStep(ctx, step.entry, 'tcp', step.port);
        return;
      }
      case 'wait':
        this.move(ctx, event, 'roundWait');
        ctx.out.push({ kind: 'trace', event: 'loginRoundFailed', detail: { round: login.ladder.round } });
        this.timers.set(ctx, 'roundDelay', this.params.loginRoundDelayMs);
        return;
      case 'fail':
        this.move(ctx, event, 'offline');
        return this.finishLogin(ctx, 'failed', 'noSuperNode');
    }
  }

  private traceStep(ctx: Ctx, entry: Endpoint, transport: 'udp' | 'tcp', port: number): void {
    const round = this.login!.ladder.round;
    ctx.out.push({ kind: 'trace', event: 'loginStep', detail: { entry: formatEndpoint(entry), transport, port, round } });
  }

  private onProbeReply(ctx: Ctx, msg: MessageOf<'probeReply'>): void {
    if (!this.machine.accepts('probeReply') || msg.nonce !== this.login?.probeNonce) return this.staleReply(ctx, 'probeReply', msg.nonce);
    this.hostCache.refresh(msg.hostCache);
    if (msg.full) return this.entryFailed(ctx, 'probeReply', 'full');
    this.step(ctx, 'probeReply', this.login.ladder.afterProbe(false));
  }

  private onProbeTimeout(ctx: Ctx): void {
    const ladder = this.login!.ladder;
    const entry = ladder.entry;
    const step = ladder.afterProbe(true, this.udpBlockedFlag);
    if (entry && ladder.entry !== entry) ctx.out.push({ kind: 'trace', event: 'loginEntryFailed', detail: { entry: formatEndpoint(entry), cause: 'hintSilent' } });
    this.step(ctx, 'probeTimeout', step);
  }

  private onRoundDelay(ctx: Ctx): void {
    this.step(ctx, 'roundDelayOver', this.login!.ladder.nextRound(this.udpBlockedFlag));
  }

  /** The current HC entry failed after its TCP connection opened: mark it failed in the HC, next entry. */
  private entryFailed(ctx: Ctx, event: LoginEvent, cause: string): void {
    const entry = this.sn?.entry ?? this.login!.ladder.entry;
    this.dropSnLink(ctx);
    if (entry) {
      this.hostCache.markFailed(entry);
      ctx.out.push({ kind: 'trace', event: 'loginEntryFailed', detail: { entry: formatEndpoint(entry), cause } });
    }
    this.step(ctx, event, this.login!.ladder.nextEntry(this.udpBlockedFlag));
  }

  private onSnConnected(ctx: Ctx): void {
    if (!this.accepts(ctx, 'snConnected')) return;
    this.rememberFallbackPort(ctx, this.sn!);
    this.move(ctx, 'snConnected', 'greeting');
    this.timers.set(ctx, 'replyTimeout', this.params.snReplyTimeoutMs);
  }

  /**
   * The connection got through on a fall-back port only after the SN's own port failed: the
   * host's firewall lets out that port and not the other (BS-10); later TCP steps start there.
   */
  private rememberFallbackPort(ctx: Ctx, sn: SnLink): void {
    if (!this.params.rememberFallbackPort || sn.port === sn.entry.port || this.fallbackPortFirst === sn.port) return;
    if (!this.params.fallbackTcpPorts.includes(sn.port)) return;
    this.fallbackPortFirst = sn.port;
    ctx.out.push({ kind: 'trace', event: 'fallbackPortRemembered', detail: { port: sn.port, entry: formatEndpoint(sn.entry) } });
  }

  private onSnConnectFailed(ctx: Ctx): void {
    if (!this.accepts(ctx, 'snConnectFailed')) return;
    const entry = this.sn!.entry;
    this.forgetConnection(this.sn!.conn);
    this.sn = undefined;
    const ladder = this.login!.ladder;
    const step = ladder.afterConnectFailed(this.udpBlockedFlag);
    if (ladder.entry !== entry) {
      this.hostCache.markFailed(entry);
      ctx.out.push({ kind: 'trace', event: 'loginEntryFailed', detail: { entry: formatEndpoint(entry), cause: 'unreachable' } });
    }
    this.step(ctx, 'snConnectFailed', step);
  }

  private onSnChallenge(ctx: Ctx, msg: MessageOf<'challenge'>): void {
    if (!this.accepts(ctx, 'snChallenge')) return;
    const sn = this.sn!;
    if (msg.role !== ROLE.superNode) return this.entryFailed(ctx, 'snChallenge', 'notSuperNode');
    sn.nonce = msg.nonce;
    if (this.login!.ladder.probeTimedOut && !this.udpBlockedFlag) {
      // The SN is alive and serving, yet its UDP probe went unanswered: UDP is blocked (BS-10).
      this.udpBlockedFlag = true;
      ctx.out.push({ kind: 'trace', event: 'udpBlocked', detail: { entry: formatEndpoint(sn.entry) } });
    }
    if (msg.full) return msg.superNodes.length > 0 ? this.followRedirect(ctx, 'snChallenge', msg.superNodes) : this.entryFailed(ctx, 'snChallenge', 'full');
    if (this.credentialValid(ctx.now)) this.sendAttach(ctx, 'snChallenge');
    else this.startAuth(ctx, 'snChallenge');
  }

  // --- login: the LS ------------------------------------------------------------------------

  private credentialValid(nowMs: number): boolean {
    return this.credential !== undefined && nowMs + this.params.snReplyTimeoutMs < this.credential.expiresAtMs;
  }

  private startAuth(ctx: Ctx, event: LoginEvent): void {
    const login = this.login!;
    this.closeLs(ctx);
    this.timers.cancel(ctx, 'lsResume');
    login.lsTries++;
    this.move(ctx, event, 'authenticating');
    const conn = this.openConnection(ctx, 'ls', this.lsEndpoint(0));
    this.ls = { conn, portIndex: 0, phase: 'connecting' };
  }

  /** The LS's ports to try: the one that worked last (else the SN fall-back port that did), its own, then the fall-back ports. */
  private lsPorts(): number[] {
    const first = this.lsWorkingPort ?? this.fallbackPortFirst ?? this.options.loginServer.port;
    const ports = [first, this.options.loginServer.port, ...this.params.fallbackTcpPorts];
    return ports.filter((p, i) => ports.indexOf(p) === i);
  }

  private lsEndpoint(portIndex: number): Endpoint {
    return { ip: this.options.loginServer.ip, port: this.lsPorts()[portIndex] };
  }

  private onLsConnected(ctx: Ctx): void {
    if (this.ls?.phase === 'resumeConnecting') {
      this.ls.phase = 'resumeChallenge';
      this.lsWorkingPort = this.lsPorts()[this.ls.portIndex];
      this.timers.set(ctx, 'lsResume', this.params.lsReplyTimeoutMs);
      return;
    }
    if (!this.accepts(ctx, 'lsConnected', this.ls?.phase === 'connecting')) return;
    this.ls!.phase = 'challenge';
    this.lsWorkingPort = this.lsPorts()[this.ls!.portIndex];
    this.move(ctx, 'lsConnected', 'authenticating');
    this.timers.set(ctx, 'replyTimeout', this.params.lsReplyTimeoutMs);
  }

  private onLsMessage(ctx: Ctx, msg: Message): void {
    const ls = this.ls!;
    if (ls.phase === 'resumeChallenge' || ls.phase === 'resumeVerdict') return this.onResumeMessage(ctx, ls, msg);
    switch (msg.type) {
      case 'sessionKeepAliveAck':
        if (ls.phase !== 'session' || !this.session || this.session.pendingKeepAlives.length === 0) return unexpected(ctx, msg.type, 'loginServerLink');
        return this.confirmSession(ctx, this.session.pendingKeepAlives.shift()!);
      case 'challenge':
        if (!this.accepts(ctx, 'lsChallenge', ls.phase === 'challenge' && msg.role === ROLE.loginServer)) return;
        return this.sendAuthRequest(ctx, msg.nonce);
      case 'authAccepted':
        if (!this.accepts(ctx, 'authAccepted', ls.phase === 'verdict')) return;
        return this.onAuthAccepted(ctx, msg);
      case 'authRefused':
        if (!this.accepts(ctx, 'authRefused', ls.phase === 'verdict')) return;
        this.closeLs(ctx);
        this.dropSnLink(ctx);
        this.move(ctx, 'authRefused', 'offline');
        return this.finishLogin(ctx, 'failed', codeName(AUTH_REFUSAL, msg.reason, 'unknownRefusal'));
      case 'authBusy':
        if (!this.accepts(ctx, 'authBusy', ls.phase === 'verdict')) return;
        this.login!.lsBusy = true;
        return this.lsBackoff(ctx, 'authBusy', msg.retryAfterMs);
      case 'sessionEnded':
        if (!this.accepts(ctx, 'sessionEnded', ls.phase === 'session')) return;
        return this.endSession(ctx, 'sessionEnded', 'replaced');
      case 'accountReply':
        if (ls.phase !== 'session' || !this.searches.onAccountReply(ctx, msg)) strayReply(ctx, msg, 'loginServerLink', this.searches);
        return;
      default:
        return unexpected(ctx, msg.type, 'loginServerLink');
    }
  }

  private sendAuthRequest(ctx: Ctx, nonce: Uint8Array): void {
    const ls = this.ls!;
    const identity = this.ensureIdentity(ctx);
    this.transport.write(ctx, ls.conn, { type: 'authRequest', name: this.user!.name, password: this.user!.password, nonce, publicKey: identity.publicKey });
    ls.phase = 'verdict';
    this.authSentMs = ctx.now;
    this.move(ctx, 'lsChallenge', 'authenticating');
    this.timers.set(ctx, 'replyTimeout', this.params.lsReplyTimeoutMs);
  }

  private onAuthAccepted(ctx: Ctx, msg: MessageOf<'authAccepted'>): void {
    const login = this.login!;
    const credential = decodeCredential(msg.credential);
    if (isDecodeError(credential)) {
      ctx.out.push({ kind: 'trace', event: 'malformed', detail: { transport: 'tcp', source: 'loginServer', error: credential.error, detail: credential.detail ?? '' } });
      this.closeLs(ctx);
      this.dropSnLink(ctx);
      this.move(ctx, 'authAccepted', 'offline');
      return this.finishLogin(ctx, 'failed', 'badCredential');
    }
    this.credential = { bytes: msg.credential, expiresAtMs: credential.expiresAtMs };
    this.ls!.phase = 'session';
    this.beginSession(ctx, this.authSentMs);
    if (login.snLostDuringAuth) {
      login.snLostDuringAuth = false;
      return this.entryFailed(ctx, 'authAccepted', 'lostDuringAuth');
    }
    this.sendAttach(ctx, 'authAccepted');
  }

  /** The LS was busy, unreachable, silent or closed: wait and retry, or fail after lsTriesMax. */
  private lsBackoff(ctx: Ctx, event: LoginEvent, retryAfterMs: number | undefined): void {
    const login = this.login!;
    this.closeLs(ctx);
    if (login.lsTries >= this.params.lsTriesMax) {
      this.dropSnLink(ctx);
      this.move(ctx, event, 'offline');
      return this.finishLogin(ctx, 'failed', login.lsBusy ? 'loginServerBusy' : 'loginServerUnreachable');
    }
    this.move(ctx, event, 'lsBackoff');
    const baseMs = retryAfterMs ?? this.params.lsRetryDelayMs;
    this.timers.set(ctx, 'lsRetry', baseMs * (1 + ctx.rng.next()));
  }

  private onLsRetry(ctx: Ctx): void {
    this.startAuth(ctx, 'lsRetryOver');
  }

  private onLsClosed(ctx: Ctx, reason: CloseReason): void {
    const ls = this.ls!;
    if (ls.phase === 'session' || ls.phase.startsWith('resume')) {
      this.forgetConnection(ls.conn);
      this.ls = undefined;
      ctx.out.push({ kind: 'trace', event: 'loginServerLinkClosed', detail: { reason, phase: ls.phase } });
      if (!this.session) return;
      if (ls.phase === 'session') return this.startResume(ctx);
      return this.resumeBackoff(ctx);
    }
    if (!this.accepts(ctx, 'lsClosed')) return;
    this.lsBackoff(ctx, 'lsClosed', undefined);
  }

  private onLsConnectFailed(ctx: Ctx): void {
    if (this.ls?.phase === 'resumeConnecting') {
      const ls = this.ls;
      this.forgetConnection(ls.conn);
      if (ls.portIndex + 1 < this.lsPorts().length) {
        ls.portIndex++;
        ls.conn = this.openConnection(ctx, 'ls', this.lsEndpoint(ls.portIndex));
        return;
      }
      this.ls = undefined;
      return this.resumeBackoff(ctx);
    }
    if (!this.accepts(ctx, 'lsConnectFailed')) return;
    const ls = this.ls!;
    this.forgetConnection(ls.conn);
    if (ls.portIndex + 1 < this.lsPorts().length) {
      ls.portIndex++;
      ls.conn = this.openConnection(ctx, 'ls', this.lsEndpoint(ls.portIndex));
      return this.move(ctx, 'lsConnectFailed', 'authenticating');
    }
    this.ls = undefined;
    this.lsBackoff(ctx, 'lsConnectFailed', undefined);
  }

  private ensureIdentity(ctx: Ctx): KeyPair {
    if (!this.identity) {
      const seed = this.disk.identitySeed ?? randomBytesFrom(ctx.rng, SEED_BYTES);
      this.disk.identitySeed = seed;
      this.identity = deriveSigningKeyPair(replay(seed));
    }
    return this.identity;
  }

  // --- login: attach, NAT detection, presence -----------------------------------------------

  private sendAttach(ctx: Ctx, event: LoginEvent): void {
    const sn = this.sn!;
    const signature = signChallenge(this.ensureIdentity(ctx).privateKey, sn.nonce!);
    this.transport.write(ctx, sn.conn, { type: 'attach', name: this.user!.name, credential: this.credential!.bytes, signature });
    this.move(ctx, event, 'attaching');
    this.timers.set(ctx, 'replyTimeout', this.params.snReplyTimeoutMs);
  }

  private onSnMessage(ctx: Ctx, msg: Message): void {
    switch (msg.type) {
      case 'challenge':
        return this.onSnChallenge(ctx, msg);
      case 'attachAccepted':
        if (!this.accepts(ctx, 'attachAccepted')) return;
        return this.onAttachAccepted(ctx, msg);
      case 'attachRefused': {
        if (!this.accepts(ctx, 'attachRefused')) return;
        const reason = codeName(ATTACH_REFUSAL, msg.reason, 'unknownRefusal');
        if (reason === 'badCredential' || reason === 'badSignature') this.credential = undefined;
        return this.entryFailed(ctx, 'attachRefused', reason);
      }
      case 'attachRedirect':
        if (!this.accepts(ctx, 'attachRedirected')) return;
        return this.followRedirect(ctx, 'attachRedirected', msg.superNodes);
      case 'handOff':
        if (!this.accepts(ctx, 'handOff')) return;
        return this.onHandOff(ctx, msg);
      case 'presenceAck':
        if (!this.accepts(ctx, 'presenceAck')) return;
        return this.onPresenceAck(ctx, msg);
      case 'keepAliveAck':
        return this.onKeepAliveAck(ctx, msg);
      case 'promoteRequest':
        return this.onPromoteRequest(ctx);
      case 'natForward':
        return this.onNatForward(ctx, msg);
      case 'superNodeLeaving':
        return this.onSnLost(ctx, 'superNodeLeft');
      case 'superNodeLeavingTo':
        return this.onSnLost(ctx, 'superNodeLeft', msg.superNodes.filter(isUsableEndpoint));
      case 'routed':
        return this.onRouted(ctx, msg);
      case 'searchReply':
        if (!this.searches.onReply(ctx, 'superNodeLink', msg)) strayReply(ctx, msg, 'superNodeLink', this.searches);
        return;
      default:
        return unexpected(ctx, msg.type, 'superNodeLink');
    }
  }

  /**
   * Our SN has no overlay link and asks us, its client, to be the "other node" of another
   * client's NAT test: one natProbeReply from our UDP port to `target`. Not done while UDP is
   * blocked or before our own login is complete (the SN asks only clients that announced).
   */
  private onNatForward(ctx: Ctx, msg: MessageOf<'natForward'>): void {
    if (this.machine.state !== 'online' || this.udpBlockedFlag || !isUsableEndpoint(msg.target)) {
      ctx.out.push({ kind: 'trace', event: 'natForwardDeclined', detail: { state: this.machine.state, udpBlocked: this.udpBlockedFlag } });
      return;
    }
    this.transport.sendDatagram(ctx, this.portNumber, msg.target, { type: 'natProbeReply', nonce: msg.nonce, reflexive: msg.target });
    ctx.out.push({ kind: 'trace', event: 'natForwardServed', detail: { target: formatEndpoint(msg.target) } });
  }

  /**
   * The SN (in its redirect, or in its challenge when it is full) knows lighter SNs: they go to
   * the front of the HC and come next in this round.
   */
  private followRedirect(ctx: Ctx, event: 'attachRedirected' | 'snChallenge', superNodes: readonly Endpoint[]): void {
    const login = this.login!;
    const entry = this.sn!.entry;
    this.dropSnLink(ctx);
    login.redirects++;
    this.hostCache.refresh(superNodes);
    const next = superNodes.filter((e) => isUsableEndpoint(e) && this.hostCache.has(e));
    ctx.out.push({ kind: 'trace', event: 'loginRedirected', detail: { entry: formatEndpoint(entry), superNodes: next.length } });
    this.step(ctx, event, login.ladder.redirect(next, this.udpBlockedFlag));
  }

  /** Online, and the SN hands us off to lighter SNs: log in again, trying them first. */
  private onHandOff(ctx: Ctx, msg: MessageOf<'handOff'>): void {
    const entry = this.sn!.entry;
    ctx.out.push({ kind: 'trace', event: 'handedOff', detail: { superNode: formatEndpoint(entry), superNodes: msg.superNodes.length } });
    this.dropSnLink(ctx);
    const hints = msg.superNodes.filter(isUsableEndpoint);
    this.hostCache.refresh(hints);
    this.startLogin(ctx, 'handOff', 'handOff', hints);
  }

  private onAttachAccepted(ctx: Ctx, msg: MessageOf<'attachAccepted'>): void {
    const sn = this.sn!;
    sn.clientId = msg.clientId;
    this.hostCache.refresh(msg.hostCache);
    this.hostCache.confirm(sn.entry);
    this.move(ctx, 'attachAccepted', 'detectingNat');
    this.timers.set(ctx, 'keepAlive', this.params.keepAliveIntervalMs);
    this.startNatDetection(ctx);
  }

  private startNatDetection(ctx: Ctx): void {
    const login = this.login!;
    login.natStartedAtMs = ctx.now;
    if (this.udpBlockedFlag) return this.applyNatStep(ctx, { kind: 'done', natClass: 'udp-blocked', reflexive: undefined });
    const entry = this.sn!.entry;
    const second = this.hostCache.entries().find((e) => e.ip !== entry.ip);
    login.nat = new NatDetector({
      local: { ip: this.options.localIp, port: this.portNumber },
      superNode: entry,
      secondSuperNode: second,
      sends: this.params.natTestSends,
      nextNonce: () => this.drawNonce(this.rng),
      contacted: (ip) => (this.udpContacts.get(ip) ?? -Infinity) >= this.nowMs - this.params.natContactMemoryMs,
    });
    this.applyNatStep(ctx, login.nat.start());
  }

  private applyNatStep(ctx: Ctx, step: NatStep): void {
    if (step.kind === 'send') {
      this.sendUdp(ctx, step.to, step.msg);
      this.timers.set(ctx, 'natTest', this.params.natTestRetransmitMs);
      return;
    }
    if (step.kind === 'discounted') {
      ctx.out.push({ kind: 'trace', event: 'natReplyDiscounted', detail: { test: step.test, from: formatEndpoint(step.from) } });
      return;
    }
    const login = this.login!;
    this.natClassValue = step.natClass;
    if (step.natClass === 'open') for (const port of this.params.fallbackTcpPorts) this.listenTcp(ctx, port);
    this.natKnownAtMs = ctx.now;
    if (step.natClass === 'udp-blocked') this.udpBlockedFlag = true;
    ctx.out.push({ kind: 'trace', event: 'natClassified', detail: { natClass: step.natClass, reflexive: step.reflexive ? formatEndpoint(step.reflexive) : '' } });
    ctx.out.push({ kind: 'metric', name: 'natDetectionMs', value: ctx.now - login.natStartedAtMs, labels: { natClass: step.natClass } });
    this.sendPresence(ctx);
    this.move(ctx, 'natDone', 'announcing');
    this.timers.set(ctx, 'replyTimeout', this.params.snReplyTimeoutMs);
  }

  /** A client datagram from our port; remembers the address for the NAT test's `contacted` rule. */
  private sendUdp(ctx: Ctx, to: Endpoint, msg: Message): void {
    this.udpContacts.delete(to.ip);
    this.udpContacts.set(to.ip, ctx.now);
    if (this.udpContacts.size > UDP_CONTACTS_MAX) this.udpContacts.delete(this.udpContacts.keys().next().value!);
    this.transport.sendDatagram(ctx, this.portNumber, to, msg);
  }

  private onNatProbeReply(ctx: Ctx, msg: MessageOf<'natProbeReply'>, from: Endpoint): void {
    const nat = this.machine.state === 'detectingNat' ? this.login?.nat : undefined;
    const step = nat?.onReply(msg.nonce, msg.reflexive, from);
    if (!step) return this.staleReply(ctx, 'natProbeReply', msg.nonce);
    this.applyNatStep(ctx, step);
  }

  private sendPresence(ctx: Ctx): void {
    this.reportedEligible = this.service === undefined && this.isEligible(ctx.now);
    this.transport.write(ctx, this.sn!.conn, { type: 'presence', status: PRESENCE_STATUS.online, natClass: NAT_CLASS[this.natClassValue], eligible: this.reportedEligible });
    this.transport.write(ctx, this.sn!.conn, { type: 'indexAnnounce', port: this.portNumber, natClass: NAT_CLASS[this.natClassValue] });
  }

  private onPresenceAck(ctx: Ctx, msg: MessageOf<'presenceAck'>): void {
    const sn = this.sn!;
    this.hostCache.refresh(msg.hostCache);
    this.hostCache.confirm(sn.entry);
    if (this.machine.state === 'online') return this.move(ctx, 'presenceAck', 'online');
    this.move(ctx, 'presenceAck', 'online');
    this.timers.set(ctx, 'hostCacheRefresh', this.params.hostCacheRefreshIntervalMs);
    this.finishLogin(ctx, 'ok', undefined);
    this.scheduleEligibilityCheck(ctx);
    this.chat.announce(ctx, this.ownPresence());
  }

  /** Login over (online, or failed - already offline): metrics and, on failure, cleanup. */
  private finishLogin(ctx: Ctx, outcome: 'ok' | 'failed', cause: string | undefined): void {
    const login = this.login!;
    const labels = { outcome, natClass: this.natClassValue, trigger: login.trigger };
    ctx.out.push({ kind: 'metric', name: 'loginTimeMs', value: ctx.now - login.startedAtMs, labels });
    ctx.out.push({ kind: 'metric', name: 'loginAttempts', value: login.ladder.entriesTried, labels: { outcome } });
    ctx.out.push({ kind: 'metric', name: 'loginRounds', value: login.ladder.round, labels: { outcome } });
    ctx.out.push({ kind: 'metric', name: 'loginRedirects', value: login.redirects, labels: { outcome } });
    if (outcome === 'ok') {
      ctx.out.push({ kind: 'trace', event: 'loginSucceeded', detail: { superNode: formatEndpoint(this.sn!.entry), ms: ctx.now - login.startedAtMs } });
    } else {
      ctx.out.push({ kind: 'metric', name: 'loginFailure', value: 1, labels: { cause: cause ?? 'unknown' } });
      ctx.out.push({ kind: 'trace', event: 'loginFailed', detail: { cause: cause ?? 'unknown', rounds: login.ladder.round } });
      this.goOffline(ctx);
    }
    this.login = undefined;
  }

  private onReplyTimeout(ctx: Ctx): void {
    if (!this.accepts(ctx, 'replyTimeout')) return;
    if (this.machine.state === 'authenticating') return this.lsBackoff(ctx, 'replyTimeout', undefined);
    this.entryFailed(ctx, 'replyTimeout', 'silent');
  }

  // --- online: keep-alives, SN loss, logout -------------------------------------------------

  private onKeepAliveDue(ctx: Ctx): void {
    const sn = this.sn!;
    sn.misses = sn.ackedSeq < sn.seq ? sn.misses + 1 : 0;
    if (sn.misses >= this.params.keepAliveMissLimit) return this.onSnLost(ctx, 'keepAliveTimeout');
    sn.seq = (sn.seq + 1) >>> 0;
    const msg: Message = { type: 'keepAlive', clientId: sn.clientId!, seq: sn.seq };
    if (this.udpBlockedFlag) this.transport.write(ctx, sn.conn, msg);
    else this.sendUdp(ctx, sn.entry, msg);
    this.timers.set(ctx, 'keepAlive', this.params.keepAliveIntervalMs);
  }

  private onHostCacheRefreshDue(ctx: Ctx): void {
    if (this.machine.state !== 'online' || this.sn?.clientId === undefined) return;
    this.sendPresence(ctx);
    this.timers.set(ctx, 'hostCacheRefresh', this.params.hostCacheRefreshIntervalMs);
  }

  private onKeepAliveAck(ctx: Ctx, msg: MessageOf<'keepAliveAck'>): void {
    const sn = this.sn;
    if (!sn || sn.clientId === undefined || msg.seq > sn.seq) return unexpected(ctx, 'keepAliveAck', this.machine.state);
    sn.ackedSeq = Math.max(sn.ackedSeq, msg.seq);
  }

  /** The SN connection closed, keep-alives went unanswered, or the SN left (naming `successors` to try first). */
  private onSnLost(ctx: Ctx, cause: string, successors: readonly Endpoint[] = []): void {
    if (!this.accepts(ctx, 'snLost')) return;
    const state = this.machine.state;
    const entry = this.sn!.entry;
    ctx.out.push({ kind: 'trace', event: 'snLost', detail: { superNode: formatEndpoint(entry), cause, state } });
    if (state === 'authenticating' || state === 'lsBackoff') {
      this.dropSnLink(ctx);
      this.login!.snLostDuringAuth = true;
      return this.move(ctx, 'snLost', state);
    }
    if (state !== 'online') return this.entryFailed(ctx, 'snLost', cause);
    ctx.out.push({ kind: 'metric', name: 'snLost', value: 1, labels: { cause } });
    this.dropSnLink(ctx);
    this.hostCache.markFailed(entry);
    this.hostCache.refresh(successors);
    this.startLogin(ctx, 'reconnect', 'snLost', successors);
  }

  /** Logout by the user, or the LS ended the session: detach, close everything, offline. */
  private endSession(ctx: Ctx, event: LoginEvent, cause: 'logout' | 'replaced' | 'lapsed' | 'refused'): void {
    if (this.login) {
      ctx.out.push({ kind: 'trace', event: 'loginAborted', detail: { cause } });
      this.login = undefined;
    }
    this.callsObject?.stop(ctx);
    if (this.sn?.clientId !== undefined && this.machine.state === 'online') this.chatObject?.goodbye(ctx, this.ownPresence());
    if (this.sn?.clientId !== undefined) this.transport.write(ctx, this.sn.conn, { type: 'detach' });
    this.move(ctx, event, 'offline');
    ctx.out.push({ kind: 'trace', event: cause === 'logout' ? 'loggedOut' : 'sessionEnded', detail: { cause } });
    ctx.out.push({ kind: 'metric', name: 'sessionEnd', value: 1, labels: { cause } });
    this.goOffline(ctx);
  }

  /** Closes the SN and LS connections, disarms the host's timers, stops serving. */
  private goOffline(ctx: Ctx): void {
    this.callsObject?.stop(ctx);
    this.chatObject?.stop(ctx);
    this.relayObject?.stop(ctx);
    this.searchesObject?.abortAll(ctx);
    this.dropSnLink(ctx);
    this.closeLs(ctx);
    this.session = undefined;
    // A bootstrap SN in its restart hold keeps waiting to serve, whatever its user does.
    this.timers.cancelAll(ctx, this.options.bootstrapSuperNode ? STEP_TIMERS.concat('keepAlive', 'hostCacheRefresh', ...SESSION_TIMERS) : HOST_TIMERS);
    if (this.service && !this.options.bootstrapSuperNode) this.demote(ctx, 'offline');
  }

  private dropSnLink(ctx: Ctx): void {
    if (!this.sn) return;
    this.closeConnection(ctx, this.sn.conn);
    this.sn = undefined;
    this.timers.cancel(ctx, 'keepAlive');
    this.timers.cancel(ctx, 'hostCacheRefresh');
    this.timers.cancel(ctx, 'natTest');
  }

  private closeLs(ctx: Ctx): void {
    if (!this.ls) return;
    this.closeConnection(ctx, this.ls.conn);
    this.ls = undefined;
  }

  // --- the LS session: keep-alive, lease, re-validation ---------------------------------------

  /** The LS accepted a login (or a re-validation) whose request went out at `sentMs`. */
  private beginSession(ctx: Ctx, sentMs: number): void {
    this.session = { confirmedSentMs: sentMs, pendingKeepAlives: [], resumeTries: 0, resumeSentMs: 0 };
    this.confirmSession(ctx, sentMs);
  }

  /** The LS confirmed a request sent at `sentMs`: the lease runs from there; keep-alives go on. */
  private confirmSession(ctx: Ctx, sentMs: number): void {
    const session = this.session!;
    session.confirmedSentMs = Math.max(session.confirmedSentMs, sentMs);
    this.timers.set(ctx, 'lsLease', Math.max(0, session.confirmedSentMs + this.params.lsSessionLeaseMs - ctx.now));
    if (!this.timers.isSet('lsKeepAlive')) this.timers.set(ctx, 'lsKeepAlive', this.params.lsSessionKeepAliveMs);
  }

  private onLsKeepAliveDue(ctx: Ctx): void {
    const session = this.session;
    if (!session) return;
    this.timers.set(ctx, 'lsKeepAlive', this.params.lsSessionKeepAliveMs);
    if (this.ls?.phase !== 'session') return;
    this.transport.write(ctx, this.ls.conn, { type: 'sessionKeepAlive' });
    session.pendingKeepAlives.push(ctx.now);
  }

  /** Nothing the LS confirmed for a lease: the LS may have given the name to a newer login. */
  private onLeaseLapsed(ctx: Ctx): void {
    if (!this.session) return;
    ctx.out.push({ kind: 'trace', event: 'sessionLapsed', detail: { sinceMs: ctx.now - this.session.confirmedSentMs } });
    if (this.machine.state === 'offline') {
      this.session = undefined;
      return this.goOffline(ctx);
    }
    this.endSession(ctx, 'sessionEnded', 'lapsed');
  }

  /** The session link was lost: re-validate on a new LS connection (LS ports as at login). */
  private startResume(ctx: Ctx): void {
    const session = this.session!;
    if (!this.credential || !this.user) return;
    this.closeLs(ctx);
    session.resumeTries++;
    session.pendingKeepAlives = [];
    const conn = this.openConnection(ctx, 'ls', this.lsEndpoint(0));
    this.ls = { conn, portIndex: 0, phase: 'resumeConnecting' };
    ctx.out.push({ kind: 'trace', event: 'sessionResumeStarted', detail: { tries: session.resumeTries } });
  }

  /** A re-validation try failed (unreachable, closed, silent): back off as at login and try again, until the lease ends. */
  private resumeBackoff(ctx: Ctx): void {
    this.closeLs(ctx);
    this.timers.set(ctx, 'lsResume', this.params.lsRetryDelayMs * (1 + ctx.rng.next()));
  }

  private onResumeTimer(ctx: Ctx): void {
    if (!this.session) return;
    if (this.ls?.phase === 'resumeChallenge' || this.ls?.phase === 'resumeVerdict') return this.resumeBackoff(ctx);
    if (this.ls === undefined) this.startResume(ctx);
  }

  private onResumeMessage(ctx: Ctx, ls: LsLink, msg: Message): void {
    const session = this.session;
    if (!session) return unexpected(ctx, msg.type, 'loginServerLink');
    switch (msg.type) {
      case 'challenge': {
        if (ls.phase !== 'resumeChallenge' || msg.role !== ROLE.loginServer) return unexpected(ctx, msg.type, ls.phase);
        const signature = signChallenge(this.ensureIdentity(ctx).privateKey, msg.nonce);
        this.transport.write(ctx, ls.conn, { type: 'sessionResume', name: this.user!.name, credential: this.credential!.bytes, signature });
        ls.phase = 'resumeVerdict';
        session.resumeSentMs = ctx.now;
        this.timers.set(ctx, 'lsResume', this.params.lsReplyTimeoutMs);
        return;
      }
      case 'sessionResumed':
        if (ls.phase !== 'resumeVerdict') return unexpected(ctx, msg.type, ls.phase);
        this.timers.cancel(ctx, 'lsResume');
        ls.phase = 'session';
        ctx.out.push({ kind: 'trace', event: 'sessionResumed', detail: { tries: session.resumeTries } });
        session.resumeTries = 0;
        return this.confirmSession(ctx, session.resumeSentMs);
      case 'sessionEnded':
        if (ls.phase !== 'resumeVerdict') return unexpected(ctx, msg.type, ls.phase);
        return this.endSessionByLs(ctx, 'replaced');
      case 'authRefused': {
        if (ls.phase !== 'resumeVerdict') return unexpected(ctx, msg.type, ls.phase);
        const reason = codeName(AUTH_REFUSAL, msg.reason, 'unknownRefusal');
        return this.endSessionByLs(ctx, reason === 'nameInUse' ? 'replaced' : 'refused');
      }
      default:
        return unexpected(ctx, msg.type, ls.phase);
    }
  }

  /** The LS ended the session (or refused its re-validation): offline, whatever the login machine is doing. */
  private endSessionByLs(ctx: Ctx, cause: 'replaced' | 'refused'): void {
    if (this.machine.state === 'offline') {
      ctx.out.push({ kind: 'trace', event: 'sessionEnded', detail: { cause } });
      return this.goOffline(ctx);
    }
    this.endSession(ctx, 'sessionEnded', cause);
  }

  // --- routed signalling: calls, chat, presence, PSTN ------------------------------------------

  /** Sends `msg` to user `to` through our SN (routing.ts); false when there is no SN link to send on. */
  private sendRouted(ctx: Ctx, to: string, toSuperNode: Endpoint, msg: Message): boolean {
    const sn = this.sn;
    if (!sn || sn.clientId === undefined) {
      ctx.out.push({ kind: 'trace', event: 'routeUnavailable', detail: { to, msgType: msg.type, state: this.machine.state } });
      return false;
    }
    this.transport.write(ctx, sn.conn, { type: 'routed', from: this.user?.name ?? '', fromSuperNode: NOWHERE, to, toSuperNode, hops: 0, payload: encodeMessage(msg) });
    return true;
  }

  /** A routed message for us, down our SN link: the SN vouches for `from` (it stamped the sender's authenticated name). */
  private onRouted(ctx: Ctx, msg: MessageOf<'routed'>): void {
    const inner = decodeMessage(msg.payload);
    if (isDecodeError(inner)) {
      ctx.out.push({ kind: 'trace', event: 'malformed', detail: { transport: 'routed', source: msg.from, error: inner.error, detail: inner.detail ?? '' } });
      return;
    }
    if (inner.type === 'routeFailed') return this.onRouteFailed(ctx, inner);
    const via = { from: msg.from, fromSuperNode: msg.fromSuperNode };
    if (this.chat.onMessage(ctx, msg.from, msg.fromSuperNode, inner, this.machine.state === 'online' ? this.ownPresence() : undefined)) return;
    if (!this.calls.onSignal(ctx, inner, via)) unexpected(ctx, inner.type, 'routed');
  }

  private onRouteFailed(ctx: Ctx, msg: MessageOf<'routeFailed'>): void {
    const reason = codeName(ROUTE_FAILURE, msg.reason, 'unknown');
    const payload = messageName(msg.payloadType);
    ctx.out.push({ kind: 'trace', event: 'routeFailedBack', detail: { to: msg.to, reason, payload } });
    if (reason === 'offline' || reason === 'notFound') this.contactsMap?.delete(msg.to);
    if (payload.startsWith('call') || payload.startsWith('pstn')) this.callsObject?.onRouteFailed(ctx, reason);
  }

  /** Where `name` is: a contact (presence, an earlier search), else a search (BS-21: a non-buddy is searched first). */
  private locate(ctx: Ctx, name: string, done: (ctx: Ctx, contact: Contact | undefined) => void): void {
    const known = this.contactsMap?.get(name);
    if (known) return done(ctx, known);
    this.searchUser(ctx, name, (c, result) => {
      const record = result.outcome === 'found' ? result.record : undefined;
      if (!record) return done(c, undefined);
      const contact: Contact = { superNode: record.superNode, address: record.address, natClass: record.natClass };
      this.contacts.set(name, contact);
      done(c, contact);
    });
  }

  private callIdentity(): CallIdentity | undefined {
    if (this.machine.state !== 'online' || !this.sn || !this.credential || !this.user || !this.identity) return undefined;
    return { name: this.user.name, credential: this.credential.bytes, identity: this.identity, natClass: this.natClassValue, udpBlocked: this.udpBlockedFlag, superNode: this.sn.entry, localIp: this.options.localIp };
  }

  private ownPresence(): OwnPresence {
    const address = this.natClassValue === 'open' ? { ip: this.options.localIp, port: this.portNumber } : NOWHERE;
    return { superNode: this.sn?.entry ?? NOWHERE, address, natClass: this.natClassValue };
  }

  /** TCP ports to reach `to` on, in the login ladder's order: a remembered fall-back port first, its own, then the fall-backs. */
  private tcpPortsTo(to: Endpoint): number[] {
    const ports = [this.fallbackPortFirst ?? to.port, to.port, ...this.params.fallbackTcpPorts];
    return ports.filter((p, i) => ports.indexOf(p) === i);
  }

  /** Hole punching: the media port's public mapping, by the NAT test "mapping" against our SN. */
  private probeMediaMapping(ctx: Ctx): void {
    const sn = this.sn;
    if (!sn) return;
    this.transport.sendDatagram(ctx, this.mediaPortNumber, sn.entry, { type: 'natProbe', nonce: this.drawNonce(ctx.rng), test: 1 });
  }

  // --- election -----------------------------------------------------------------------------

  private eligibilityState(): EligibilityState {
    return { natClass: this.natClassValue, startedAtMs: this.startedAtMs, holdUntilMs: this.holdUntilMs };
  }

  private isEligible(nowMs: number): boolean {
    return checkEligibility(this.params, this.options.config, this.eligibilityState(), nowMs).eligible;
  }

  /** When eligible (the exact instant): arm eligibilityCheck, or act now. */
  private scheduleEligibilityCheck(ctx: Ctx): void {
    if (this.service || this.options.bootstrapSuperNode) return;
    const fromMs = eligibleFromMs(this.params, this.options.config, this.eligibilityState());
    if (fromMs === undefined) return;
    if (fromMs > ctx.now) this.timers.set(ctx, 'eligibilityCheck', fromMs - ctx.now);
    else this.onEligibilityCheck(ctx);
  }

  private onEligibilityCheck(ctx: Ctx): void {
    if (this.service) return;
    if (this.options.bootstrapSuperNode) return this.promote(ctx, 'bootstrap');
    if (this.machine.state !== 'online' || !this.isEligible(ctx.now)) return;
    if (this.params.electionPolicy === 'promote-when-eligible') return this.promote(ctx, 'eligible');
    if (!this.reportedEligible) {
      this.sendPresence(ctx);
    }
  }

  private onPromoteRequest(ctx: Ctx): void {
    const reason = this.service
      ? 'alreadySuperNode'
      : this.machine.state !== 'online'
        ? 'notOnline'
        : (() => {
            const e = checkEligibility(this.params, this.options.config, this.eligibilityState(), ctx.now);
            return e.eligible ? undefined : e.reason;
          })();
    if (reason) {
      ctx.out.push({ kind: 'trace', event: 'promoteDeclined', detail: { reason } });
      return;
    }
    this.promote(ctx, 'request');
  }

  private promote(ctx: Ctx, trigger: 'bootstrap' | 'eligible' | 'request'): void {
    if (this.service) return;
    const self = { ip: this.options.localIp, port: this.portNumber };
    const eligibleSinceMs = trigger === 'bootstrap' ? ctx.now : Math.max(eligibleFromMs(this.params, this.options.config, this.eligibilityState()) ?? ctx.now, this.natKnownAtMs);
    this.service = new SuperNodeService({
      params: this.params,
      transport: this.transport,
      timers: this.timers,
      hostCache: this.hostCache,
      self,
      lsPublicKey: this.lsKey,
      bootstrap: this.options.bootstrapSuperNode === true,
      openConnection: (c, to) => this.openConnection(c, 'service', to),
      closeConnection: (c, conn) => this.closeConnection(c, conn),
      listenTcp: (c, port) => this.listenTcp(c, port),
      listenUdp: (c, port) => this.listenUdp(c, port),
    });
    this.hostCache.setSelf(self);
    this.disk.wasSuperNode = true;
    this.promotedAtMs = ctx.now;
    this.timers.cancel(ctx, 'eligibilityCheck');
    const policy = this.options.bootstrapSuperNode ? 'bootstrap' : this.params.electionPolicy;
    ctx.out.push({ kind: 'trace', event: 'promoted', detail: { policy, trigger, self: formatEndpoint(self) } });
    // Rounded to the microsecond: a promotion at the eligibility instant is 0, not float noise.
    ctx.out.push({ kind: 'metric', name: 'promotion', value: Math.max(0, Math.round((ctx.now - eligibleSinceMs) * 1000) / 1000), labels: { policy, trigger } });
    this.service.start(ctx);
    if (this.sn?.clientId !== undefined && this.machine.state === 'online' && this.reportedEligible) this.sendPresence(ctx);
  }

  private demote(ctx: Ctx, cause: 'underused' | 'offline'): void {
    const service = this.service;
    if (!service) return;
    service.stop(ctx);
    this.service = undefined;
    this.hostCache.setSelf(undefined);
    if (cause === 'underused') this.disk.wasSuperNode = false;
    const policy = this.params.electionPolicy;
    ctx.out.push({ kind: 'trace', event: 'demoted', detail: { policy, cause } });
    ctx.out.push({ kind: 'metric', name: 'demotion', value: ctx.now - this.promotedAtMs, labels: { policy, cause } });
    if (cause === 'underused' && this.machine.state === 'online') this.sendPresence(ctx);
  }

  /** A fresh u32 nonce, remembered so a late reply to it is recognised. */
  private drawNonce(rng: Random): number {
    const nonce = randomU32(rng);
    this.sentNonces.add(nonce);
    return nonce;
  }

  /** A probe or NAT-test reply that is not for the current step: late (a retransmit's twin, a reply after the timeout) or unexpected. */
  private staleReply(ctx: Ctx, input: string, nonce: number): void {
    if (this.sentNonces.has(nonce)) ctx.out.push({ kind: 'trace', event: 'late', detail: { input } });
    else unexpected(ctx, input, this.machine.state);
  }

  // --- datagrams ----------------------------------------------------------------------------

  private onDatagram(ctx: Ctx, localPort: number, from: Endpoint, bytes: Uint8Array, packets: number): void {
    const msg = this.transport.readDatagram(ctx, bytes, from);
    if (!msg) return;
    if (localPort === this.mediaPortNumber) return this.onMediaPortDatagram(ctx, from, msg, packets);
    if (RELAY_MESSAGES.has(msg.type)) {
      this.relay.onMessage(ctx, { localPort, from }, msg, packets);
      return;
    }
    switch (msg.type) {
      case 'probeReply':
        return this.onProbeReply(ctx, msg);
      case 'natProbeReply':
        return this.onNatProbeReply(ctx, msg, from);
      case 'keepAliveAck':
        return this.onKeepAliveAck(ctx, msg);
      case 'probe':
        if (!this.service) return this.notServing(ctx, msg.type);
        return this.service.onProbe(ctx, localPort, from, msg);
      case 'natProbe':
        if (!this.service) return this.notServing(ctx, msg.type);
        if (!this.service.onNatProbe(ctx, localPort, from, msg)) unexpected(ctx, `natProbe test ${msg.test}`, 'superNode');
        return;
      case 'keepAlive':
        if (!this.service) return this.notServing(ctx, msg.type);
        return this.service.onKeepAlive(ctx, msg, { localPort, from });
      case 'overlayCheck':
        if (!this.service) return this.notServing(ctx, msg.type);
        return this.service.onOverlayCheck(ctx, localPort, from, msg);
      case 'overlayCheckReply':
        if (!this.service?.onOverlayCheckReply(ctx, from, msg)) unexpected(ctx, msg.type, 'udp');
        return;
      case 'searchReply':
        if (!this.searches.onReply(ctx, from, msg) && !this.service?.search.onReply(ctx, from, msg)) strayReply(ctx, msg, 'udp', this.searches, this.service?.search);
        return;
      case 'searchRequest':
        if (!this.service) return this.notServing(ctx, msg.type);
        return this.service.search.onRequest(ctx, msg, { localPort, from });
      case 'indexStore':
        if (!this.service) return this.notServing(ctx, msg.type);
        return this.service.search.onStore(ctx, msg);
      default:
        return unexpected(ctx, msg.type, 'udp');
    }
  }

  /** The media port: the call's media, relay answers, punches, and the media port's NAT mapping test. */
  private onMediaPortDatagram(ctx: Ctx, from: Endpoint, msg: Message, packets: number): void {
    if (msg.type === 'natProbeReply') {
      if (!this.sentNonces.has(msg.nonce)) return unexpected(ctx, msg.type, 'mediaPort');
      return this.calls.onMappingReply(ctx, msg.reflexive);
    }
    if (!this.calls.onMediaDatagram(ctx, from, msg, packets)) unexpected(ctx, msg.type, 'mediaPort');
  }

  /** An SN request to a host that does not serve (a stale HC entry elsewhere): counted, no answer. */
  private notServing(ctx: Ctx, msgType: string): void {
    ctx.out.push({ kind: 'trace', event: 'notServing', detail: { msgType } });
  }

  // --- connections --------------------------------------------------------------------------

  private openConnection(ctx: Ctx, owner: ConnOwner, to: Endpoint): ConnId {
    const conn = this.nextConn++;
    this.conns.set(conn, owner);
    ctx.out.push({ kind: 'connect', conn, to });
    return conn;
  }

  /** Closes a connection (connecting or open) and remembers it as late. */
  private closeConnection(ctx: Ctx, conn: ConnId): void {
    if (!this.conns.has(conn)) return;
    ctx.out.push({ kind: 'close', conn });
    this.forgetConnection(conn);
    this.lateConns.add(conn);
  }

  private forgetConnection(conn: ConnId): void {
    this.conns.delete(conn);
    this.inbound.delete(conn);
  }

  /** The owner of `conn`, or undefined after counting the input as late or unexpected. */
  private ownerOf(ctx: Ctx, conn: ConnId, input: string): ConnOwner | undefined {
    const owner = this.conns.get(conn);
    if (owner) return owner;
    if (this.lateConns.has(conn)) {
      if (input === 'closed') this.lateConns.delete(conn);
      ctx.out.push({ kind: 'trace', event: 'late', detail: { input, conn } });
    } else {
      unexpected(ctx, input, 'unknownConnection');
    }
    return undefined;
  }

  private onAccepted(ctx: Ctx, conn: ConnId, remote: Endpoint): void {
    const nonce = randomBytesFrom(ctx.rng, CHALLENGE_NONCE_BYTES);
    this.conns.set(conn, 'inbound');
    this.inbound.set(conn, { remote, nonce });
    const { full, superNodes } = this.service?.challengeReferral(ctx) ?? { full: false, superNodes: [] };
    this.transport.write(ctx, conn, { type: 'challenge', role: this.service ? ROLE.superNode : ROLE.host, nonce, full, superNodes });
  }

  private onConnected(ctx: Ctx, conn: ConnId): void {
    switch (this.ownerOf(ctx, conn, 'connected')) {
      case 'sn':
        return this.onSnConnected(ctx);
      case 'ls':
        return this.onLsConnected(ctx);
      case 'service':
        return this.service?.onConnected(ctx, conn);
      case 'call':
        return this.calls.onConnected(ctx, conn);
      case 'inbound':
      case 'relay':
        return unexpected(ctx, 'connected', 'inbound');
    }
  }

  private onConnectFailed(ctx: Ctx, conn: ConnId): void {
    switch (this.ownerOf(ctx, conn, 'connectFailed')) {
      case 'sn':
        return this.onSnConnectFailed(ctx);
      case 'ls':
        return this.onLsConnectFailed(ctx);
      case 'service':
        this.forgetConnection(conn);
        return this.service?.onConnectFailed(ctx, conn);
      case 'call':
        this.forgetConnection(conn);
        return this.calls.onConnectFailed(ctx, conn);
      case 'inbound':
      case 'relay':
        return unexpected(ctx, 'connectFailed', 'inbound');
    }
  }

  private onData(ctx: Ctx, conn: ConnId, bytes: Uint8Array): void {
    const owner = this.ownerOf(ctx, conn, 'data');
    if (!owner) return;
    const msg = this.transport.readData(ctx, bytes, conn);
    if (!msg) return;
    switch (owner) {
      case 'call':
        if (msg.type === 'challenge') return this.calls.onChallenge(ctx, conn, msg.nonce);
        if (!this.calls.onData(ctx, conn, msg)) unexpected(ctx, msg.type, 'callConnection');
        return;
      case 'relay':
        return this.onRelayConnMessage(ctx, conn, msg);
      case 'sn':
        return this.onSnMessage(ctx, msg);
      case 'ls':
        return this.onLsMessage(ctx, msg);
      case 'inbound':
        return this.onInboundMessage(ctx, conn, msg);
      case 'service':
        if (!this.service?.onData(ctx, conn, msg)) unexpected(ctx, msg.type, 'superNodeConnection');
        return;
    }
  }

  /** A message on a connection a relay party opened to us (BS-24). TCP loses nothing: an aggregate arrives with all its frames. */
  private onRelayConnMessage(ctx: Ctx, conn: ConnId, msg: Message): void {
    const packets = msg.type === 'mediaFrame' ? Math.max(1, msg.frames) : 1;
    if (!this.relay.onMessage(ctx, { conn }, msg, packets)) unexpected(ctx, msg.type, 'relayConnection');
  }

  /** The first message on an accepted connection. */
  private onInboundMessage(ctx: Ctx, conn: ConnId, msg: Message): void {
    const pending = this.inbound.get(conn)!;
    if (msg.type === 'relayProbe' || msg.type === 'relayJoin') {
      this.inbound.delete(conn);
      this.conns.set(conn, 'relay');
      return this.onRelayConnMessage(ctx, conn, msg);
    }
    if (msg.type === 'callInvite') {
      this.calls.onSignal(ctx, msg, { conn, nonce: pending.nonce });
      if (this.calls.owns(conn)) {
        this.inbound.delete(conn);
        this.conns.set(conn, 'call');
      }
      return;
    }
    if (this.service) {
      if (!this.service.onInbound(ctx, conn, pending.remote, pending.nonce, msg)) return unexpected(ctx, msg.type, 'inbound');
      this.inbound.delete(conn);
      this.conns.set(conn, 'service');
      return;
    }
    if (msg.type === 'attach') return this.transport.write(ctx, conn, { type: 'attachRefused', reason: ATTACH_REFUSAL.notSuperNode });
    if (msg.type === 'overlayJoin') return this.transport.write(ctx, conn, { type: 'overlayRefused', reason: OVERLAY_REFUSAL.notSuperNode });
    unexpected(ctx, msg.type, 'inbound');
  }

  private onClosed(ctx: Ctx, conn: ConnId, reason: CloseReason): void {
    const owner = this.ownerOf(ctx, conn, 'closed');
    switch (owner) {
      case 'sn':
        this.forgetConnection(conn);
        if (this.sn?.conn === conn) this.onSnLost(ctx, reason);
        return;
      case 'ls':
        return this.onLsClosed(ctx, reason);
      case 'inbound':
        return this.forgetConnection(conn);
      case 'service':
        this.forgetConnection(conn);
        return this.service?.onClosed(ctx, conn);
      case 'call':
        this.forgetConnection(conn);
        return this.calls.onClosed(ctx, conn);
      case 'relay':
        this.forgetConnection(conn);
        return this.relay.onConnClosed(ctx, conn);
    }
  }

  private listenTcp(ctx: Ctx, port: number): void {
    if (this.listeningTcp.has(port)) return;
    this.listeningTcp.add(port);
    ctx.out.push({ kind: 'listenTcp', port });
  }

  private listenUdp(ctx: Ctx, port: number): void {
    if (this.listeningUdp.has(port)) return;
    this.listeningUdp.add(port);
    ctx.out.push({ kind: 'listenUdp', port });
  }
}

/** The media port drawn at install: not the host's port, nor the one after it (an SN's second UDP port). */
function drawMediaPort(rng: Random, port: number, alternateOffset: number): number {
  for (;;) {
    const candidate = 1024 + randomInt(rng, 65534 - 1024);
    if (candidate !== port && candidate !== ((port + alternateOffset) & 0xffff)) return candidate;
  }
}

/** A Random that replays `bytes` (one byte per draw), so a stored seed re-derives the same key. */
function replay(bytes: Uint8Array): Random {
  let i = 0;
  return { next: () => (bytes[i++ % bytes.length] + 0.5) / 256 };
}
