/**
 * The super-node (SN) service: the second job of a host that was promoted (or configured as a
 * bootstrap SN). The host node (ordinary-host.ts) owns it while serving and routes to it the
 * inputs below; the same node object stays attached to its own SN as a client meanwhile.
 *
 * What it models (BS-1, BS-2, OT-2):
 *   - client attachment over TCP, up to `snClientCapacity` ("several hundred", OT-2); beyond
 *     it `attachRefused{full}` (or a redirect, below) and the client tries its next HC entry.
 *     An attach carries the LS-signed credential (checked against the LS key) and a signature
 *     of this connection's challenge nonce (so a replayed attach fails);
 *   - UDP probes answered with a host-cache refresh (OT-2): `probeReply{hostCache, full}`.
 *     `full` (ours): the SN is at capacity and knows no neighbour with room to redirect to -
 *     what an attach would get is `attachRefused{full}`, so the host skips the TCP connection,
 *     the challenge and its signature, and tries its next HC entry (measured: in a saturated
 *     overlay, hosts' signatures for attaches refused `full` were a quarter of a run's CPU).
 *     The challenge of every connection this SN accepts says what an attach would get while
 *     the SN is at capacity: `challenge{full, superNodes}`, the redirect (below) in
 *     `superNodes`, or none for a refusal. So neither a host that cannot probe (UDP blocked)
 *     nor one whose probe heard "not full" because the SN could redirect signs anything for an
 *     attach that cannot be taken (measured in saturated overlays: at 20,000 hosts three in
 *     five attaches were UDP-blocked hosts' attaches refused `full`; at 100,000 hosts 188,000
 *     of 200,000 attaches reached a full SN, half of them refused because the room its
 *     neighbours had when it answered was gone). The SN cannot tell an attach from another
 *     connection (an overlay join, a routed-signalling link) before the first message, so such
 *     a connection to a full SN counts too: a referral that is never followed weighs on the
 *     target's estimate for `snReferralSettleMs`. Every such answer counts as a refused attach
 *     for promote-on-demand. A client that is still attached here (after losing its connection)
 *     may be told `full` where its attach would have been taken back: it goes to its next
 *     entry;
 *   - keep-alives from clients (UDP, or TCP for UDP-blocked clients) acknowledged; a client
 *     silent for `snClientTimeoutMs` is dropped (checked every keep-alive period);
 *   - presence of its clients (status, NAT class, SN eligibility) with `presenceAck{hostCache}`;
 *   - NAT tests (BS-11): reply with the reflexive address from the port the probe came to,
 *     from the other port (port + snAlternatePortOffset), or ask an overlay neighbour to reply
 *     (`natForward`, the "reply from another node" test; each send goes to the next distinct
 *     neighbour, so a retransmit is answered by another node). With no overlay link up (the only
 *     SN of the network, a partition, the first moments after start) it asks one of its own
 *     clients instead, over that client's TCP link: one that announced a NAT class other than
 *     udp-blocked and is seen at an address other than the tested host's and its own (a client
 *     behind a NAT sends from its NAT's address: still another node, which is all the test
 *     needs). Ours: an SN cannot reply "from another node" from an address it owns (it has one),
 *     and a UDP request to an SN known only from the host cache may go to a dead or cut-off SN,
 *     while a client link is known to be alive. With neither a neighbour nor such a client (a
 *     lone SN whose only client is the tested host) it sends nothing (`natForwardUnavailable`)
 *     and the host's test fails: it is classed conservatively (restricted, never open);
 *   - the overlay: TCP links to `overlayDegree` other SNs taken from the host cache, accepting
 *     up to `overlayLinksMax` in all; every `overlayMaintainIntervalMs` it sends its SN list and
 *     its load (`superNodeLoad`: clients, capacity) on each link, drops links silent for
 *     `overlayLinkTimeoutMs` and opens links up to the degree. SN lists received refresh the
 *     host cache, which feeds probe replies - so a newly promoted SN spreads to clients through
 *     the overlay. The acceptor of a join checks the joiner's claim before it accepts (ours): it
 *     sends `overlayCheck` over UDP to the claimed endpoint (the join's address, the port the
 *     join names), again every overlay period, and accepts the join when an SN answers from
 *     there (`overlayCheckReply`); silent for `overlayLinkTimeoutMs`, the join is refused
 *     (`unverified`, `overlayJoinRefused`). Without the check, a join from any host - or a few
 *     stray bytes that decode as one - put an endpoint where no SN serves into the acceptor's
 *     host cache and SN lists, and from there into its clients' host caches. A link is `up`
 *     once the join was accepted (for the acceptor, once the check was answered);
 *     only an up link can go down (`overlayLinkDown`). A join that never came up (the peer
 *     unreachable, not an SN, full, silent, closed) is `overlayJoinFailed`, and that peer is
 *     not tried again for `overlayRetryDelayMs`, doubling with each failure in a row up to
 *     `overlayRetryDelayMaxMs` (a link coming up with it clears the count). Without the delay a
 *     full or dead SN at the top of many host caches drew a join from every SN every period;
 *   - load spreading (ours; the studies say only that an SN serves "several hundred", OT-2).
 *     Each SN reports its load on every link when the link comes up, at every overlay period,
 *     and whenever its client count has moved by half the margin (at least one client) since
 *     its last report on that link - so no neighbour's view drifts by a margin. It estimates a
 *     neighbour's load as the last report plus the clients it sent there within the last
 *     `snReferralSettleMs` (so it does not send a whole crowd on one report). "Lighter" below
 *     means: that estimate is at least `snLoadMarginRatio` (of capacity) below this SN's load,
 *     and the move leaves the target no more loaded than this SN (a move never just swaps who
 *     is heavier). Only neighbours count: an SN knows nothing of the rest of the overlay.
 *       redirect  an attach from a name not attached here, at or above `snRedirectAboveRatio`
 *                 (default 0: any load), when a lighter neighbour is known: `attachRedirect`
 *                 with up to `snReferralsMax` of them, lightest first, instead of attaching.
 *                 A full SN redirects to any neighbour with room (else refuses `full`). A name
 *                 redirected here within the last overlay period is taken (if there is room):
 *                 a host sent in a circle by stale reports ends its tour where it began.
 *       hand-off  at each load check, at or above `snHandOffAboveRatio`, up to
 *                 `snHandOffPerCheck` clients that completed their login (most recently
 *                 attached first) get `handOff` with the lighter neighbours and are dropped;
 *                 they log in again there (break before make: each is offline for one
 *                 credential-reusing login, about a second). This is what moves the clients a
 *                 bootstrap SN collected before any SN was promoted.
 *       lists     SN lists (probe, attach, presence replies) name up neighbours lightest first,
 *                 so host caches - and later logins - lean towards light SNs.
 *     `snReferralsMax: 0` switches redirects and hand-offs off (attach until full, as before);
 *     `snHandOffPerCheck: 0` hand-offs alone. Defaults (params.ts): margin 5% (25 of 500
 *     clients), redirect at any load, hand-off from 20% (100 clients), 10 per minute, 4 SNs
 *     named. The hand-off floor is there because a hand-off costs a user a re-login: an SN
 *     well below capacity keeps the clients it has and only steers new ones;
 *   - the promote-on-demand policy's SN side (election.ts `decideLoad`): load checks every
 *     `loadCheckIntervalMs` (also a `snClients` metric sample), promotion requests to an
 *     eligible client, and the underuse verdict the host turns into a demotion.
 *
 * Inputs it takes (all while serving; the host answers "not serving" itself):
 *   datagram probe / natProbe / keepAlive / overlayCheck / overlayCheckReply;  accepted
 *   connection's first message attach / overlayJoin;  data on a client connection: keepAlive,
 *   presence, detach;  data on an overlay link: challenge, overlayAccepted, overlayRefused,
 *   superNodeList, superNodeLoad, natForward;  connected / connectFailed / closed of its
 *   connections;  timers clientSweep, overlayMaintain, loadCheck;
 *   user search (sn-search.ts): indexAnnounce and searchRequest on a client link, datagrams
 *   indexStore / searchRequest / searchReply (routed by the host to `search`), timer
 *   superNodeSearch.
 *   Anything else is reported back (`false`) and the host counts it as unexpected.
 *
 * Each client session has a signalling budget (OT-2's 5 KB/s, `snSignallingBitsPerSec`): the
 * routed messages it hands this SN are metered by a token bucket (signalling-budget.ts), and
 * one over budget is refused (`signallingOverBudget` trace, `routeFailed{overBudget}`).
 *
 * What it abstracts: the user index is sn-search.ts's, routed signalling (calls, chat,
 * presence to buddies, PSTN legs) routing.ts's, and relaying the host's (relay.ts), which any
 * public online host does, SN or not. Load is
 * the client count alone (no CPU or bandwidth measure); a hand-off does not spare a client in a
 * call (its relayed media goes on; its signalling resumes after the re-login).
 *
 * Design choices (ours): the SN lists an SN hands out are its up overlay neighbours first
 * (lightest first), then its host cache, at most `snHostCacheReplySize`; in overlay exchanges the sender puts itself
 * first. A second attach of a name replaces the first on this SN. The SN that ends a
 * relationship (demotion, logout) sends `superNodeLeavingTo` with its up neighbours and closes;
 * a refused client closes itself.
 */

import type { KeyObject } from 'node:crypto';
import type { ConnId, Ctx, Endpoint } from '../node.js';
import { verifyChallenge, verifyCredential } from '../crypto/credentials.js';
import type { ProtocolParams } from '../params.js';
import { messageWireSize } from '../wire/codec.js';
import { ATTACH_REFUSAL, NAT_CLASS, NAT_TEST, OVERLAY_REFUSAL, ROLE, codeName, type Message, type MessageOf } from '../wire/messages.js';
import { decideLoad } from './election.js';
import type { HostCache } from './host-cache.js';
import type { NatClass } from './nat-detection.js';
import { SignalRouter } from './routing.js';
import { SignallingBudget } from './signalling-budget.js';
import { SuperNodeSearch } from './sn-search.js';
import { endpointKey, formatEndpoint, randomU32, sameEndpoint } from './support.js';
import type { Transport } from './transport.js';
import type { UserRecord } from './user-index.js';

/** The SN service's timers (dispatched by the host node's one dispatch point). */
export type SuperNodeTimer =
  /** fires when: a keep-alive period has passed; clients silent for snClientTimeoutMs are dropped. */
  | 'clientSweep'
  /** fires when: an overlay period has passed; exchange SN lists, drop silent links, open links up to the degree. */
  | 'overlayMaintain'
  /** fires when: a load-check period has passed; sample the client count, hand clients off, apply promote-on-demand. */
  | 'loadCheck'
  /** fires when: the earliest round deadline of the SN's user searches, or the next sweep of expired index records (sn-search.ts). */
  | 'superNodeSearch';

export const SUPER_NODE_TIMERS: readonly SuperNodeTimer[] = ['clientSweep', 'overlayMaintain', 'loadCheck', 'superNodeSearch'];

export interface TimerSet<N extends string> {
  set(ctx: Ctx, name: N, delayMs: number): void;
  cancel(ctx: Ctx, name: N): void;
}

/** What the host node lends its SN service. */
export interface SuperNodeDeps {
  readonly params: ProtocolParams;
  readonly transport: Transport;
  readonly timers: TimerSet<SuperNodeTimer>;
  readonly hostCache: HostCache;
  /** This SN's public endpoint: its address and its port (UDP and TCP). */
  readonly self: Endpoint;
  readonly lsPublicKey: KeyObject;
  readonly bootstrap: boolean;
  /** Opens an outbound TCP connection owned by the service; returns its id. */
  openConnection(ctx: Ctx, to: Endpoint): ConnId;
  /** Closes a connection of the service (the host forgets it). */
  closeConnection(ctx: Ctx, conn: ConnId): void;
  listenTcp(ctx: Ctx, port: number): void;
  listenUdp(ctx: Ctx, port: number): void;
}

interface Client {
  readonly clientId: number;
  readonly name: string;
  readonly conn: ConnId;
  /** The client's address as this SN sees it (its NAT's public address behind a NAT). */
  readonly remoteIp: number;
  readonly attachedAtMs: number;
  lastSeenMs: number;
  natClass: NatClass;
  eligible: boolean;
  askedToPromote: boolean;
  /** Sent its first presence: its login is complete, so it may be handed off. */
  announced: boolean;
  /** Its signalling budget; none when `snSignallingBitsPerSec` is 0. */
  readonly budget: SignallingBudget | undefined;
}

/** Outbound: connecting, greeting, joining, up. Inbound: checking (the joiner's claim), up. */
type LinkState = 'connecting' | 'greeting' | 'joining' | 'checking' | 'up';

interface Link {
  readonly conn: ConnId;
  readonly outbound: boolean;
  /** The other SN's endpoint (for an inbound link, known once it joined). */
  peer: Endpoint | undefined;
  state: LinkState;
  lastHeardMs: number;
  /** The client count this SN last reported on the link. */
  reportedClients: number;
  /** An inbound link being checked: the nonce of the `overlayCheck` sent to its peer. */
  checkNonce: number;
}

/** What this SN believes of a neighbour's load: its last report plus the clients sent to it since. */
interface PeerLoad {
  readonly peer: Endpoint;
  /** As last reported. */
  clients: number;
  capacity: number;
  /** When this SN sent it a client (redirect, hand-off) lately: counted on top of the report. */
  sentAtMs: number[];
}

/** Failed joins in a row to one SN, and when it may be tried again. */
interface JoinBackoff {
  readonly failures: number;
  readonly retryAtMs: number;
}

type Move = 'redirect' | 'redirectFull' | 'handOff';

interface Estimate {
  readonly load: PeerLoad;
  readonly ratio: number;
}

/**
 * Neighbours by load, lightest first, as a new array; a stable sort, so unreported neighbours
 * (load Infinity) keep their link order after the reported ones, and equal reported loads go
 * by endpoint.
 */
function lightestFirst<T extends { readonly e: Endpoint; readonly load: number }>(neighbours: readonly T[]): T[] {
  return [...neighbours].sort((a, b) => (a.load === b.load ? (a.load === Infinity ? 0 : endpointKey(a.e) - endpointKey(b.e)) : a.load < b.load ? -1 : 1));
}

/** Slack of the load comparisons (ratios of small integers). */
const LOAD_EPSILON = 1e-9;

export class SuperNodeService {
  private readonly clients = new Map<number, Client>();
  private readonly clientByConn = new Map<ConnId, number>();
  private readonly clientByName = new Map<string, number>();
  private readonly links = new Map<ConnId, Link>();
  private nextClientId = 1;
  private refusedSinceCheck = false;
  private underusedSinceMs: number | undefined;
  private lastPromoteRequestMs = -Infinity;
  private forwardCursor = 0;
  /** Neighbour loads by endpoint key (only while an up link to the neighbour exists). */
  private readonly peerLoads = new Map<number, PeerLoad>();
  /** Peers whose join failed, by endpoint key; oldest first. */
  private readonly joinBackoff = new Map<number, JoinBackoff>();
  /** The last superNodeList, and the host cache list and neighbour keys and loads it was made from. */
  private listMemo: { readonly list: readonly Endpoint[]; readonly hostCache: readonly Endpoint[]; readonly neighbours: readonly number[] } | undefined;
  /** Names this SN redirected, and when (taken if they come back within an overlay period). */
  private readonly redirectedAtMs = new Map<string, number>();

  /** Its share of the user index and its searches (sn-search.ts). */
  readonly search: SuperNodeSearch;
  /** Routed signalling (routing.ts): calls, chat, presence and PSTN legs between users. */
  private readonly router: SignalRouter;

  constructor(private readonly d: SuperNodeDeps) {
    this.search = new SuperNodeSearch({
      params: d.params,
      transport: d.transport,
      hostCache: d.hostCache,
      self: d.self,
      overlayPeers: () => this.overlayPeers(),
      isClientLink: (conn, name) => this.clients.get(this.clientByConn.get(conn) ?? 0)?.name === name,
      setTimer: (ctx, delayMs) => d.timers.set(ctx, 'superNodeSearch', delayMs),
      cancelTimer: (ctx) => d.timers.cancel(ctx, 'superNodeSearch'),
    });
    this.router = new SignalRouter({
      transport: d.transport,
      self: d.self,
      clientConn: (name) => {
        const id = this.clientByName.get(name);
        return id === undefined ? undefined : this.clients.get(id)!.conn;
      },
      overlayConn: (peer) => {
        for (const l of this.links.values()) if (l.state === 'up' && l.peer && sameEndpoint(l.peer, peer)) return l.conn;
        return undefined;
      },
      locate: (ctx, name, oneRound, done) => this.search.locate(ctx, name, (c, record) => done(c, record?.superNode), true, oneRound ? 1 : undefined),
      openConnection: (ctx, to) => d.openConnection(ctx, to),
      closeConnection: (ctx, conn) => d.closeConnection(ctx, conn),
    });
  }

  /** A user's record: its own clients', its store's and cache's first, then a search over the overlay (sn-search.ts). */
  locate(ctx: Ctx, name: string, done: (ctx: Ctx, record: UserRecord | undefined) => void): void {
    this.search.locate(ctx, name, done);
  }

  /** A user's record from its own clients, store and cache only. */
  lookupLocal(name: string): UserRecord | undefined {
    return this.search.lookupLocal(name);
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Overlay links that are up. */
  get overlayLinkCount(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.state === 'up') n++;
    return n;
  }

  clientNames(): string[] {
    return [...this.clients.values()].map((c) => c.name);
  }

  overlayPeers(): Endpoint[] {
    const out: Endpoint[] = [];
    for (const l of this.links.values()) if (l.state === 'up' && l.peer) out.push(l.peer);
    return out;
  }

  /** Owns `conn` (a client or a link)? */
  owns(conn: ConnId): boolean {
    return this.clientByConn.has(conn) || this.links.has(conn) || this.router.owns(conn);
  }

  start(ctx: Ctx): void {
    const p = this.d.params;
    for (const port of p.fallbackTcpPorts) this.d.listenTcp(ctx, port);
    this.d.listenUdp(ctx, this.alternatePort());
    this.d.timers.set(ctx, 'clientSweep', p.keepAliveIntervalMs);
    this.d.timers.set(ctx, 'loadCheck', p.loadCheckIntervalMs);
    this.maintainOverlay(ctx);
    this.search.start(ctx);
  }

  /**
   * Stops serving: clients are told, with the up neighbours to try first (each client gets the
   * list rotated by one more, so they do not all land on the same SN), and disconnected; links
   * closed, timers cancelled.
   */
  stop(ctx: Ctx): void {
    this.search.stop(ctx);
    const successors = this.neighboursLightestFirst().filter((e, i, all) => all.findIndex((x) => sameEndpoint(x, e)) === i);
    const size = Math.min(successors.length, Math.max(1, this.d.params.snReferralsMax));
    let turn = 0;
    for (const c of this.clients.values()) {
      const superNodes = Array.from({ length: size }, (_, i) => successors[(turn + i) % successors.length]);
      turn++;
      this.d.transport.write(ctx, c.conn, { type: 'superNodeLeavingTo', superNodes });
      this.d.closeConnection(ctx, c.conn);
    }
    for (const l of this.links.values()) this.d.closeConnection(ctx, l.conn);
    this.router.stop(ctx);
    this.clients.clear();
    this.clientByConn.clear();
    this.clientByName.clear();
    this.links.clear();
    this.peerLoads.clear();
    for (const t of SUPER_NODE_TIMERS) this.d.timers.cancel(ctx, t);
  }

  // --- UDP ----------------------------------------------------------------------------------

  onProbe(ctx: Ctx, localPort: number, from: Endpoint, msg: MessageOf<'probe'>): void {
    const full = this.atCapacity() && this.fullTargets(ctx.now).length === 0;
    if (full) this.countRefusal(ctx);
    this.d.transport.sendDatagram(ctx, localPort, from, { type: 'probeReply', nonce: msg.nonce, hostCache: this.superNodeList(), full });
  }

  /**
   * The `full` and `superNodes` of the challenge on a connection this SN accepted (see the
   * header): at capacity, the neighbours an attach would be redirected to (counted as sent
   * there), or none when it would be refused.
   */
  challengeReferral(ctx: Ctx): { full: boolean; superNodes: Endpoint[] } {
    if (!this.atCapacity()) return { full: false, superNodes: [] };
    this.countRefusal(ctx);
    const targets = this.fullTargets(ctx.now);
    if (targets.length === 0) return { full: true, superNodes: [] };
    const superNodes = this.refer(ctx.now, targets);
    ctx.out.push({ kind: 'trace', event: 'attachRedirected', detail: { name: '', to: formatEndpoint(superNodes[0]), clients: this.clients.size, full: true } });
    return { full: true, superNodes };
  }

  /** An attach refused or redirected for want of room (or a prober told so): promote-on-demand's signal. */
  private countRefusal(ctx: Ctx): void {
    this.refusedSinceCheck = true;
    this.requestPromotion(ctx);
  }

  private atCapacity(): boolean {
    return this.clients.size >= this.d.params.snClientCapacity;
  }

  /** Where an attach refused for want of room would be redirected (see redirectAttach); none with referrals off. */
  private fullTargets(nowMs: number): Estimate[] {
    return this.d.params.snReferralsMax > 0 ? this.lighterNeighbours(nowMs, 'redirectFull') : [];
  }

  /** Returns false for a test code it does not know (counted by the host). */
  onNatProbe(ctx: Ctx, localPort: number, from: Endpoint, msg: MessageOf<'natProbe'>): boolean {
    const reply: Message = { type: 'natProbeReply', nonce: msg.nonce, reflexive: from };
    switch (msg.test) {
      case NAT_TEST.mapping:
        this.d.transport.sendDatagram(ctx, localPort, from, reply);
        return true;
      case NAT_TEST.otherPort:
        this.d.transport.sendDatagram(ctx, this.alternatePort(), from, reply);
        return true;
      case NAT_TEST.otherNode:
        this.forwardNatTest(ctx, msg.nonce, from);
        return true;
      default:
        return false;
    }
  }

  /** A keep-alive by UDP (`conn` undefined) or on the client's TCP connection. */
  onKeepAlive(ctx: Ctx, msg: MessageOf<'keepAlive'>, via: { localPort: number; from: Endpoint } | { conn: ConnId }): void {
    const c = this.clients.get(msg.clientId);
    if (!c || ('conn' in via && via.conn !== c.conn)) {
      ctx.out.push({ kind: 'trace', event: 'unknownClient', detail: { clientId: msg.clientId } });
      return;
    }
    c.lastSeenMs = ctx.now;
    const ack: Message = { type: 'keepAliveAck', seq: msg.seq };
    if ('conn' in via) this.d.transport.write(ctx, via.conn, ack);
    else this.d.transport.sendDatagram(ctx, via.localPort, via.from, ack);
  }

  // --- TCP ----------------------------------------------------------------------------------

  /** The first message on an accepted connection. False if it is neither attach nor overlayJoin. */
  onInbound(ctx: Ctx, conn: ConnId, remote: Endpoint, nonce: Uint8Array, msg: Message): boolean {
    if (msg.type === 'attach') {
      this.onAttach(ctx, conn, remote, nonce, msg);
      return true;
    }
    if (msg.type === 'overlayJoin' && msg.port !== 0) {
      this.onOverlayJoin(ctx, conn, remote, msg);
      return true;
    }
    return this.router.onInbound(ctx, conn, msg);
  }

  /** A message on a client connection or an overlay link. False if it has no entry there. */
  onData(ctx: Ctx, conn: ConnId, msg: Message): boolean {
    const clientId = this.clientByConn.get(conn);
    if (clientId !== undefined) return this.onClientMessage(ctx, this.clients.get(clientId)!, msg);
    const link = this.links.get(conn);
    if (link) return this.onLinkMessage(ctx, link, msg);
    return this.router.onData(ctx, conn, msg);
  }

  onConnected(ctx: Ctx, conn: ConnId): void {
    if (this.router.owns(conn)) return this.router.onConnected(ctx, conn);
    const link = this.links.get(conn);
    if (link && link.state === 'connecting') {
      link.state = 'greeting';
      link.lastHeardMs = ctx.now;
    }
  }

  onConnectFailed(ctx: Ctx, conn: ConnId): void {
    if (this.router.owns(conn)) return this.router.onConnectFailed(ctx, conn);
    const link = this.links.get(conn);
    if (!link) return;
    this.endLink(ctx, link, 'unreachable', { close: false, markPeerFailed: true });
  }

  onClosed(ctx: Ctx, conn: ConnId): void {
    const clientId = this.clientByConn.get(conn);
    if (clientId !== undefined) {
      this.dropClient(ctx, this.clients.get(clientId)!, 'closed', false);
      return;
    }
    const link = this.links.get(conn);
    if (link) return this.endLink(ctx, link, 'closed', { close: false, markPeerFailed: false });
    this.router.onClosed(ctx, conn);
  }

  /** One of the SN timers fired (already checked live by the host). Returns true if the SN should demote. */
  onTimer(ctx: Ctx, name: SuperNodeTimer): boolean {
    switch (name) {
      case 'clientSweep':
        this.sweepClients(ctx);
        this.router.sweep(ctx);
        this.d.timers.set(ctx, 'clientSweep', this.d.params.keepAliveIntervalMs);
        return false;
      case 'overlayMaintain':
        this.maintainOverlay(ctx);
        return false;
      case 'loadCheck':
        this.d.timers.set(ctx, 'loadCheck', this.d.params.loadCheckIntervalMs);
        return this.checkLoad(ctx);
      case 'superNodeSearch':
        this.search.onTimer(ctx);
        return false;
    }
  }

  // --- clients ------------------------------------------------------------------------------

  private onAttach(ctx: Ctx, conn: ConnId, remote: Endpoint, nonce: Uint8Array, msg: MessageOf<'attach'>): void {
    const known = this.clientByName.has(msg.name);
    const full = this.atCapacity() && !known;
    if (full) {
      if (!this.redirectAttach(ctx, conn, msg.name, true)) this.refuseAttach(ctx, conn, msg.name, 'full');
      this.countRefusal(ctx);
      return;
    }
    if (!known && this.redirectAttach(ctx, conn, msg.name, false)) return;
    const check = verifyCredential(msg.credential, this.d.lsPublicKey, msg.name, ctx.now);
    if (!check.ok) return this.refuseAttach(ctx, conn, msg.name, 'badCredential', check.error);
    if (!verifyChallenge(check.credential.publicKey, nonce, msg.signature)) return this.refuseAttach(ctx, conn, msg.name, 'badSignature');
    const old = this.clientByName.get(msg.name);
    if (old !== undefined) this.dropClient(ctx, this.clients.get(old)!, 'replaced', true);
    const clientId = this.nextClientId;
    this.nextClientId = (this.nextClientId % 0xffffffff) + 1;
    const budgetBitsPerSec = this.d.params.snSignallingBitsPerSec;
    const client: Client = {
      clientId,
      name: msg.name,
      conn,
      remoteIp: remote.ip,
      attachedAtMs: ctx.now,
      lastSeenMs: ctx.now,
      natClass: 'unknown',
      eligible: false,
      askedToPromote: false,
      announced: false,
      budget: budgetBitsPerSec > 0 ? new SignallingBudget(budgetBitsPerSec, ctx.now) : undefined,
    };
    this.clients.set(clientId, client);
    this.clientByConn.set(conn, clientId);
    this.clientByName.set(msg.name, clientId);
    this.d.transport.write(ctx, conn, { type: 'attachAccepted', clientId, hostCache: this.superNodeList() });
    ctx.out.push({ kind: 'trace', event: 'clientAttached', detail: { name: msg.name, clientId, clients: this.clients.size } });
    this.reportLoadIfMoved(ctx);
  }

  /** Sends the attaching `name` to lighter neighbours, if the rules say so (see the header). True if it did. */
  private redirectAttach(ctx: Ctx, conn: ConnId, name: string, full: boolean): boolean {
    const p = this.d.params;
    if (p.snReferralsMax === 0) return false;
    if (!full) {
      if (this.clients.size / p.snClientCapacity < p.snRedirectAboveRatio - LOAD_EPSILON) return false;
      const at = this.redirectedAtMs.get(name);
      if (at !== undefined && ctx.now - at < p.overlayMaintainIntervalMs) return false;
    }
    const targets = this.lighterNeighbours(ctx.now, full ? 'redirectFull' : 'redirect');
    if (targets.length === 0) return false;
    const list = this.refer(ctx.now, targets);
    this.redirectedAtMs.delete(name);
    this.redirectedAtMs.set(name, ctx.now);
    this.d.transport.write(ctx, conn, { type: 'attachRedirect', superNodes: list });
    ctx.out.push({ kind: 'trace', event: 'attachRedirected', detail: { name, to: formatEndpoint(list[0]), clients: this.clients.size, full } });
    return true;
  }

  /**
   * Neighbours with a load report that a client may move to (`move`, see the header), lightest
   * first; ties by endpoint, so no map order decides.
   */
  private lighterNeighbours(nowMs: number, move: Move): Estimate[] {
    const p = this.d.params;
    const own = this.clients.size;
    const cap = p.snClientCapacity;
    const out: Estimate[] = [];
    for (const t of this.peerLoads.values()) {
      if (t.capacity <= 0) continue;
      const clients = this.estimatedClients(t, nowMs);
      const ok =
        move === 'redirectFull'
          ? clients < t.capacity
          : own / cap - clients / t.capacity >= p.snLoadMarginRatio - LOAD_EPSILON &&
            (move === 'redirect' ? (clients + 1) / t.capacity < (own + 1) / cap - LOAD_EPSILON : (clients + 1) / t.capacity <= (own - 1) / cap + LOAD_EPSILON);
      if (ok) out.push({ load: t, ratio: clients / t.capacity });
    }
    return out.sort((a, b) => a.ratio - b.ratio || endpointKey(a.load.peer) - endpointKey(b.load.peer));
  }

  /**
   * A neighbour's report plus the clients sent to it within the last `snReferralSettleMs` (by
   * then they have attached there, and its next report counts them). Between reports a
   * neighbour is off by less than half the margin (reportLoadIfMoved).
   */
  private estimatedClients(t: PeerLoad, nowMs: number): number {
    const horizonMs = nowMs - this.d.params.snReferralSettleMs;
    while (t.sentAtMs.length > 0 && t.sentAtMs[0] <= horizonMs) t.sentAtMs.shift();
    return t.clients + t.sentAtMs.length;
  }

  /** Lists `targets` (lightest first) and counts the client as sent to the first. */
  private refer(nowMs: number, targets: readonly Estimate[]): Endpoint[] {
    const list = targets.slice(0, this.d.params.snReferralsMax);
    list[0].load.sentAtMs.push(nowMs);
    return list.map((t) => t.load.peer);
  }

  private refuseAttach(ctx: Ctx, conn: ConnId, name: string, reason: keyof typeof ATTACH_REFUSAL, detail = ''): void {
    this.d.transport.write(ctx, conn, { type: 'attachRefused', reason: ATTACH_REFUSAL[reason] });
    ctx.out.push({ kind: 'trace', event: 'attachRefused', detail: { name, reason, detail } });
  }

  private onClientMessage(ctx: Ctx, c: Client, msg: Message): boolean {
    switch (msg.type) {
      case 'keepAlive':
        this.onKeepAlive(ctx, msg, { conn: c.conn });
        return true;
      case 'presence':
        c.lastSeenMs = ctx.now;
        c.announced = true;
        c.natClass = codeName(NAT_CLASS, msg.natClass, 'unknown');
        c.eligible = msg.eligible;
        this.d.transport.write(ctx, c.conn, { type: 'presenceAck', hostCache: this.superNodeList() });
        return true;
      case 'detach':
        this.dropClient(ctx, c, 'detached', true);
        return true;
      case 'routed': {
        const withinBudget = c.budget === undefined || c.budget.take(messageWireSize(msg), ctx.now);
        if (!withinBudget) ctx.out.push({ kind: 'trace', event: 'signallingOverBudget', detail: { name: c.name, bytes: messageWireSize(msg) } });
        this.router.fromClient(ctx, c.name, msg, withinBudget);
        return true;
      }
      case 'indexAnnounce':
        this.search.onAnnounce(ctx, c.name, c.remoteIp, msg);
        return true;
      case 'searchRequest':
        this.search.onRequest(ctx, msg, { conn: c.conn, client: c.name });
        return true;
      default:
        return false;
    }
  }

  /** Forgets a client; closes its connection if `close` (else the client already did / will). */
  private dropClient(ctx: Ctx, c: Client, cause: string, close: boolean): void {
    this.clients.delete(c.clientId);
    this.clientByConn.delete(c.conn);
    if (this.clientByName.get(c.name) === c.clientId) this.clientByName.delete(c.name);
    if (close) this.d.closeConnection(ctx, c.conn);
    ctx.out.push({ kind: 'trace', event: 'clientDropped', detail: { name: c.name, cause, clients: this.clients.size } });
    this.reportLoadIfMoved(ctx);
  }

  /** Load check, hand-off part: moves clients to lighter neighbours while the rules allow (see the header). */
  private handOffClients(ctx: Ctx): void {
    const p = this.d.params;
    if (p.snReferralsMax === 0 || p.snHandOffPerCheck === 0) return;
    const newestFirst = [...this.clients.values()].filter((c) => c.announced).reverse();
    let moved = 0;
    for (const c of newestFirst) {
      if (moved >= p.snHandOffPerCheck) return;
      if (this.clients.size / p.snClientCapacity < p.snHandOffAboveRatio - LOAD_EPSILON) return;
      const targets = this.lighterNeighbours(ctx.now, 'handOff');
      if (targets.length === 0) return;
      const list = this.refer(ctx.now, targets);
      this.d.transport.write(ctx, c.conn, { type: 'handOff', superNodes: list });
      ctx.out.push({ kind: 'trace', event: 'clientHandedOff', detail: { name: c.name, to: formatEndpoint(list[0]), clients: this.clients.size } });
      this.dropClient(ctx, c, 'handedOff', true);
      moved++;
    }
  }

  private sweepClients(ctx: Ctx): void {
    const deadline = ctx.now - this.d.params.snClientTimeoutMs;
    for (const c of [...this.clients.values()]) if (c.lastSeenMs < deadline) this.dropClient(ctx, c, 'keepAliveTimeout', true);
  }

  // --- NAT tests ----------------------------------------------------------------------------

  private alternatePort(): number {
    return (this.d.self.port + this.d.params.snAlternatePortOffset) & 0xffff || 1;
  }

  /**
   * Asks the next neighbour in turn (one link per neighbour: a retransmit goes to another one, if
   * there is one). With no overlay link up, asks the next of its own clients in turn that can
   * send UDP from another address (`natForwardViaClient`); with neither, sends nothing
   * (`natForwardUnavailable`) and the host's test fails - the conservative reading.
   */
  private forwardNatTest(ctx: Ctx, nonce: number, target: Endpoint): void {
    const seen = new Set<number>();
    const up = [...this.links.values()].filter((l) => {
      if (l.state !== 'up' || !l.peer || seen.has(endpointKey(l.peer))) return false;
      seen.add(endpointKey(l.peer));
      return true;
    });
    if (up.length > 0) {
      const link = up[this.forwardCursor++ % up.length];
      this.d.transport.write(ctx, link.conn, { type: 'natForward', nonce, target });
      return;
    }
    const helpers = [...this.clients.values()].filter((c) => c.announced && c.remoteIp !== target.ip && c.remoteIp !== this.d.self.ip && c.natClass !== 'udp-blocked' && c.natClass !== 'unknown');
    if (helpers.length > 0) {
      const helper = helpers[this.forwardCursor++ % helpers.length];
      this.d.transport.write(ctx, helper.conn, { type: 'natForward', nonce, target });
      ctx.out.push({ kind: 'trace', event: 'natForwardViaClient', detail: { target: formatEndpoint(target), client: helper.name } });
      return;
    }
    ctx.out.push({ kind: 'trace', event: 'natForwardUnavailable', detail: { target: formatEndpoint(target) } });
  }

  // --- overlay ------------------------------------------------------------------------------

  private onOverlayJoin(ctx: Ctx, conn: ConnId, remote: Endpoint, msg: MessageOf<'overlayJoin'>): void {
    if (this.links.size >= this.d.params.overlayLinksMax) {
      this.d.transport.write(ctx, conn, { type: 'overlayRefused', reason: OVERLAY_REFUSAL.full });
      return;
    }
    const link: Link = { conn, outbound: false, peer: { ip: remote.ip, port: msg.port }, state: 'checking', lastHeardMs: ctx.now, reportedClients: 0, checkNonce: randomU32(ctx.rng) };
    this.links.set(conn, link);
    this.sendCheck(ctx, link);
  }

  /** Asks the endpoint an inbound link's joiner claims whether an SN serves there. */
  private sendCheck(ctx: Ctx, link: Link): void {
    this.d.transport.sendDatagram(ctx, this.d.self.port, link.peer!, { type: 'overlayCheck', nonce: link.checkNonce });
  }

  /** Another SN checks that this one serves where it claimed in its overlayJoin. */
  onOverlayCheck(ctx: Ctx, localPort: number, from: Endpoint, msg: MessageOf<'overlayCheck'>): void {
    this.d.transport.sendDatagram(ctx, localPort, from, { type: 'overlayCheckReply', nonce: msg.nonce });
  }

  /** The answer to a check: the inbound link it names comes up. False if no link waits for it. */
  onOverlayCheckReply(ctx: Ctx, from: Endpoint, msg: MessageOf<'overlayCheckReply'>): boolean {
    for (const link of this.links.values()) {
      if (link.state !== 'checking' || link.checkNonce !== msg.nonce || !sameEndpoint(link.peer!, from)) continue;
      const peer = link.peer!;
      link.state = 'up';
      link.lastHeardMs = ctx.now;
      this.joinBackoff.delete(endpointKey(peer));
      this.d.hostCache.refresh([peer]);
      this.d.transport.write(ctx, link.conn, { type: 'overlayAccepted', superNodes: this.overlayList() });
      this.sendLoad(ctx, link);
      ctx.out.push({ kind: 'trace', event: 'overlayLinkUp', detail: { peer: formatEndpoint(peer), outbound: false } });
      return true;
    }
    return false;
  }

  private sendLoad(ctx: Ctx, link: Link): void {
    link.reportedClients = this.clients.size;
    this.d.transport.write(ctx, link.conn, { type: 'superNodeLoad', clients: this.clients.size, capacity: this.d.params.snClientCapacity });
  }

  /**
   * The client count changed: tell every up neighbour whose last report is off by half the
   * margin or more (at least one client), so no neighbour's view drifts by a margin between
   * the periodic reports.
   */
  private reportLoadIfMoved(ctx: Ctx): void {
    const p = this.d.params;
    const stepClients = Math.max(1, Math.floor((p.snLoadMarginRatio * p.snClientCapacity) / 2));
    for (const link of this.links.values()) {
      if (link.state === 'up' && Math.abs(this.clients.size - link.reportedClients) >= stepClients) this.sendLoad(ctx, link);
    }
  }

  private onLinkMessage(ctx: Ctx, link: Link, msg: Message): boolean {
    switch (msg.type) {
      case 'challenge':
        if (link.state !== 'greeting') return false;
        if (msg.role !== ROLE.superNode) {
          this.endLink(ctx, link, 'notSuperNode', { close: true, markPeerFailed: true });
          return true;
        }
        link.state = 'joining';
        this.d.transport.write(ctx, link.conn, { type: 'overlayJoin', port: this.d.self.port });
        return true;
      case 'overlayAccepted':
        if (link.state !== 'joining') return false;
        link.state = 'up';
        link.lastHeardMs = ctx.now;
        if (link.peer) this.joinBackoff.delete(endpointKey(link.peer));
        this.learn(msg.superNodes);
        this.sendLoad(ctx, link);
        ctx.out.push({ kind: 'trace', event: 'overlayLinkUp', detail: { peer: link.peer ? formatEndpoint(link.peer) : '', outbound: true } });
        return true;
      case 'overlayRefused':
        if (link.state !== 'joining') return false;
        this.endLink(ctx, link, codeName(OVERLAY_REFUSAL, msg.reason, 'unknown'), { close: true, markPeerFailed: msg.reason === OVERLAY_REFUSAL.notSuperNode });
        return true;
      case 'superNodeLoad':
        if (link.state !== 'up' || !link.peer) return false;
        link.lastHeardMs = ctx.now;
        this.onLoadReport(link.peer, msg);
        return true;
      case 'superNodeList':
        if (link.state !== 'up') return false;
        link.lastHeardMs = ctx.now;
        this.learn(msg.superNodes);
        return true;
      case 'natForward':
        if (link.state !== 'up') return false;
        this.d.transport.sendDatagram(ctx, this.d.self.port, msg.target, { type: 'natProbeReply', nonce: msg.nonce, reflexive: msg.target });
        return true;
      case 'routed':
        if (link.state !== 'up') return false;
        link.lastHeardMs = ctx.now;
        return this.router.fromOverlay(ctx, msg);
      default:
        return false;
    }
  }

  /**
   * Ends a link. One that was up goes down (`overlayLinkDown`; its peer's load is forgotten when
   * no other up link to it is left). One that never came up is a failed join: its peer waits
   * out the doubling retry delay (`overlayJoinFailed`).
   */
  private endLink(ctx: Ctx, link: Link, cause: string, o: { close: boolean; markPeerFailed: boolean }): void {
    this.links.delete(link.conn);
    if (o.close) this.d.closeConnection(ctx, link.conn);
    if (o.markPeerFailed && link.peer) this.d.hostCache.markFailed(link.peer);
    const peer = link.peer ? formatEndpoint(link.peer) : '';
    if (link.state === 'up') {
      if (link.peer && !this.hasUpLinkTo(link.peer)) this.peerLoads.delete(endpointKey(link.peer));
      ctx.out.push({ kind: 'trace', event: 'overlayLinkDown', detail: { peer, cause } });
      return;
    }
    if (link.state === 'checking') {
      ctx.out.push({ kind: 'trace', event: 'overlayJoinRefused', detail: { peer, cause } });
      return;
    }
    if (!link.peer) return;
    const key = endpointKey(link.peer);
    const p = this.d.params;
    const failures = (this.joinBackoff.get(key)?.failures ?? 0) + 1;
    const retryInMs = Math.min(p.overlayRetryDelayMs * 2 ** (failures - 1), p.overlayRetryDelayMaxMs);
    this.joinBackoff.delete(key);
    this.joinBackoff.set(key, { failures, retryAtMs: ctx.now + retryInMs });
    // Bounded like the host cache the candidates come from: the oldest record goes first.
    if (this.joinBackoff.size > 2 * p.hostCacheMax) this.joinBackoff.delete(this.joinBackoff.keys().next().value!);
    ctx.out.push({ kind: 'trace', event: 'overlayJoinFailed', detail: { peer, cause, failures, retryInMs } });
  }

  private onLoadReport(peer: Endpoint, msg: MessageOf<'superNodeLoad'>): void {
    const key = endpointKey(peer);
    const known = this.peerLoads.get(key);
    if (known) {
      known.clients = msg.clients;
      known.capacity = msg.capacity;
    } else {
      this.peerLoads.set(key, { peer, clients: msg.clients, capacity: msg.capacity, sentAtMs: [] });
    }
  }

  private hasUpLinkTo(peer: Endpoint): boolean {
    for (const l of this.links.values()) if (l.state === 'up' && l.peer && sameEndpoint(l.peer, peer)) return true;
    return false;
  }

  private learn(list: readonly Endpoint[]): void {
    this.d.hostCache.refresh(list.filter((e) => !sameEndpoint(e, this.d.self)));
  }

  private maintainOverlay(ctx: Ctx): void {
    const p = this.d.params;
    for (const link of [...this.links.values()]) {
      if (ctx.now - link.lastHeardMs <= p.overlayLinkTimeoutMs) continue;
      if (link.state === 'checking') this.d.transport.write(ctx, link.conn, { type: 'overlayRefused', reason: OVERLAY_REFUSAL.unverified });
      this.endLink(ctx, link, link.state === 'checking' ? 'unverified' : 'silent', { close: true, markPeerFailed: false });
    }
    const list = this.overlayList();
    for (const link of this.links.values()) {
      if (link.state === 'checking') this.sendCheck(ctx, link);
      if (link.state !== 'up') continue;
      this.d.transport.write(ctx, link.conn, { type: 'superNodeList', superNodes: list });
      this.sendLoad(ctx, link);
    }
    this.openLinks(ctx);
    this.d.timers.set(ctx, 'overlayMaintain', p.overlayMaintainIntervalMs);
  }

  /** Opens links to HC entries (in HC order, skipping peers in their retry delay) until `overlayDegree` links exist or are being set up. */
  private openLinks(ctx: Ctx): void {
    const linked = new Set<number>();
    for (const l of this.links.values()) if (l.peer) linked.add(endpointKey(l.peer));
    for (const candidate of this.d.hostCache.entries()) {
      if (this.links.size >= this.d.params.overlayDegree) return;
      if (linked.has(endpointKey(candidate)) || sameEndpoint(candidate, this.d.self)) continue;
      if ((this.joinBackoff.get(endpointKey(candidate))?.retryAtMs ?? -Infinity) > ctx.now) continue;
      const conn = this.d.openConnection(ctx, candidate);
      this.links.set(conn, { conn, outbound: true, peer: candidate, state: 'connecting', lastHeardMs: ctx.now, reportedClients: 0, checkNonce: 0 });
      linked.add(endpointKey(candidate));
    }
  }

  // --- SN lists -----------------------------------------------------------------------------

  /**
   * What clients get: up neighbours first (lightest first, unreported ones after), then the host
   * cache; at most snHostCacheReplySize. A full SN answers every prober with it, so the last
   * list is kept with what it was made from - the host cache's list (a new array on every
   * change) and each up neighbour's endpoint and load, in link order - and given again while
   * those are the same. Nobody changes a list once made: it only goes into messages.
   */
  private superNodeList(): readonly Endpoint[] {
    const hostCache = this.d.hostCache.entries();
    const memo = this.listMemo;
    if (memo !== undefined && memo.hostCache === hostCache && this.neighboursAre(memo.neighbours)) return memo.list;
    const max = this.d.params.snHostCacheReplySize;
    const out: Endpoint[] = [];
    const seen = new Set<number>([endpointKey(this.d.self)]);
    const add = (e: Endpoint): void => {
      if (out.length < max && !seen.has(endpointKey(e))) {
        seen.add(endpointKey(e));
        out.push(e);
      }
    };
    const neighbours = this.neighbourLoads();
    for (const { e } of lightestFirst(neighbours)) add(e);
    for (const e of hostCache) add(e);
    this.listMemo = { list: out, hostCache, neighbours: neighbours.flatMap((n) => [endpointKey(n.e), n.load]) };
    return out;
  }

  /** Up neighbours in link order, with their load (Infinity: unreported). */
  private neighbourLoads(): { e: Endpoint; load: number }[] {
    return this.overlayPeers().map((e) => ({ e, load: this.loadOf(e) }));
  }

  /** Whether the up neighbours are, in link order, those of `keysAndLoads` (endpoint key, load, ...), at those loads. */
  private neighboursAre(keysAndLoads: readonly number[]): boolean {
    let i = 0;
    for (const l of this.links.values()) {
      if (l.state !== 'up' || !l.peer) continue;
      if (i >= keysAndLoads.length || keysAndLoads[i] !== endpointKey(l.peer) || keysAndLoads[i + 1] !== this.loadOf(l.peer)) return false;
      i += 2;
    }
    return i === keysAndLoads.length;
  }

  private loadOf(e: Endpoint): number {
    const t = this.peerLoads.get(endpointKey(e));
    return t && t.capacity > 0 ? t.clients / t.capacity : Infinity;
  }

  private neighboursLightestFirst(): Endpoint[] {
    return lightestFirst(this.neighbourLoads()).map((x) => x.e);
  }

  /** What other SNs get: this SN first, then the client list. */
  private overlayList(): Endpoint[] {
    return [this.d.self, ...this.superNodeList()].slice(0, Math.max(1, this.d.params.snHostCacheReplySize));
  }

  // --- election (promote-on-demand, SN side) ------------------------------------------------

  private checkLoad(ctx: Ctx): boolean {
    ctx.out.push({ kind: 'metric', name: 'snClients', value: this.clients.size });
    this.forgetOldRedirects(ctx.now);
    this.handOffClients(ctx);
    const decision = decideLoad(
      this.d.params,
      { clientCount: this.clients.size, refusedSinceCheck: this.refusedSinceCheck, bootstrap: this.d.bootstrap, overlayLinks: this.overlayLinkCount, underusedSinceMs: this.underusedSinceMs },
      ctx.now,
    );
    this.refusedSinceCheck = false;
    this.underusedSinceMs = decision.underusedSinceMs;
    if (decision.requestPromotion) this.requestPromotion(ctx);
    return decision.demote;
  }

  private forgetOldRedirects(nowMs: number): void {
    for (const [name, atMs] of this.redirectedAtMs) {
      if (nowMs - atMs < this.d.params.overlayMaintainIntervalMs) return; // oldest first
      this.redirectedAtMs.delete(name);
    }
  }

  /** promote-on-demand: asks the longest-attached eligible client not asked yet; one request per check interval. */
  private requestPromotion(ctx: Ctx): void {
    if (this.d.params.electionPolicy !== 'promote-on-demand') return;
    if (ctx.now - this.lastPromoteRequestMs < this.d.params.loadCheckIntervalMs) return;
    for (const c of this.clients.values()) {
      if (!c.eligible || c.askedToPromote) continue;
      c.askedToPromote = true;
      this.lastPromoteRequestMs = ctx.now;
      this.d.transport.write(ctx, c.conn, { type: 'promoteRequest' });
      ctx.out.push({ kind: 'trace', event: 'promoteRequested', detail: { name: c.name, clients: this.clients.size } });
      return;
    }
    ctx.out.push({ kind: 'trace', event: 'noPromotionCandidate', detail: { clients: this.clients.size } });
  }
}
