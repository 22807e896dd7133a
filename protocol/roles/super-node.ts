/**
 * The super-node (SN) service: the second job of a host that was promoted (or configured as a
 * bootstrap SN). The host node (ordinary-host.ts) owns it while serving and routes to it the
 * inputs below; the same node object stays attached to its own SN as a client meanwhile.
 *
 * What it models (BS-1, BS-2, OT-2):
 *   - client attachment over TCP, up to `snClientCapacity` ("several hundred", OT-2); beyond
 *     it `attachRefused{full}` and the client tries its next HC entry. An attach carries the
 *     LS-signed credential (checked against the LS key) and a signature of this connection's
 *     challenge nonce (so a replayed attach fails);
 *   - UDP probes answered with a host-cache refresh (OT-2): `probeReply{hostCache}`;
 *   - keep-alives from clients (UDP, or TCP for UDP-blocked clients) acknowledged; a client
 *     silent for `snClientTimeoutMs` is dropped (checked every keep-alive period);
 *   - presence of its clients (status, NAT class, SN eligibility) with `presenceAck{hostCache}`;
 *   - NAT tests (BS-11): reply with the reflexive address from the port the probe came to,
 *     from the other port (port + snAlternatePortOffset), or ask an overlay neighbour to reply
 *     (`natForward`, the "reply from another node" test);
 *   - the overlay: TCP links to `overlayDegree` other SNs taken from the host cache, accepting
 *     up to `overlayLinksMax` in all; every `overlayMaintainIntervalMs` it sends its SN list on
 *     each link, drops links silent for `overlayLinkTimeoutMs` and opens links up to the
 *     degree. SN lists received refresh the host cache, which feeds probe replies - so a newly
 *     promoted SN spreads to clients through the overlay;
 *   - the promote-on-demand policy's SN side (election.ts `decideLoad`): load checks every
 *     `loadCheckIntervalMs` (also a `snClients` metric sample), promotion requests to an
 *     eligible client, and the underuse verdict the host turns into a demotion.
 *
 * Inputs it takes (all while serving; the host answers "not serving" itself):
 *   datagram probe / natProbe / keepAlive;  accepted connection's first message attach /
 *   overlayJoin;  data on a client connection: keepAlive, presence, detach;  data on an overlay
 *   link: challenge, overlayAccepted, overlayRefused, superNodeList, natForward;  connected /
 *   connectFailed / closed of its connections;  timers clientSweep, overlayMaintain, loadCheck.
 *   Anything else is reported back (`false`) and the host counts it as unexpected.
 *
 * What it abstracts: no signalling budget (OT-2's 5 KB/s) is enforced; presence is kept per SN
 * only (propagation to buddies and the user index come with search); no relaying yet.
 *
 * Design choices (ours): the SN lists an SN hands out are its up overlay neighbours first, then
 * its host cache, at most `snHostCacheReplySize`; in overlay exchanges the sender puts itself
 * first. A second attach of a name replaces the first on this SN. The SN that ends a
 * relationship (demotion) sends `superNodeLeaving` and closes; a refused client closes itself.
 */

import type { KeyObject } from 'node:crypto';
import type { ConnId, Ctx, Endpoint } from '../node.js';
import { verifyChallenge, verifyCredential } from '../crypto/credentials.js';
import type { ProtocolParams } from '../params.js';
import { ATTACH_REFUSAL, NAT_CLASS, NAT_TEST, OVERLAY_REFUSAL, ROLE, codeName, type Message, type MessageOf } from '../wire/messages.js';
import { decideLoad } from './election.js';
import type { HostCache } from './host-cache.js';
import type { NatClass } from './nat-detection.js';
import { endpointKey, formatEndpoint, sameEndpoint } from './support.js';
import type { Transport } from './transport.js';

/** The SN service's timers (dispatched by the host node's one dispatch point). */
export type SuperNodeTimer =
  /** fires when: a keep-alive period has passed; clients silent for snClientTimeoutMs are dropped. */
  | 'clientSweep'
  /** fires when: an overlay period has passed; exchange SN lists, drop silent links, open links up to the degree. */
  | 'overlayMaintain'
  /** fires when: a load-check period has passed; sample the client count, apply promote-on-demand. */
  | 'loadCheck';

export const SUPER_NODE_TIMERS: readonly SuperNodeTimer[] = ['clientSweep', 'overlayMaintain', 'loadCheck'];

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
  readonly attachedAtMs: number;
  lastSeenMs: number;
  natClass: NatClass;
  eligible: boolean;
  askedToPromote: boolean;
}

type LinkState = 'connecting' | 'greeting' | 'joining' | 'up';

interface Link {
  readonly conn: ConnId;
  readonly outbound: boolean;
  /** The other SN's endpoint (for an inbound link, known once it joined). */
  peer: Endpoint | undefined;
  state: LinkState;
  lastHeardMs: number;
}

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

  constructor(private readonly d: SuperNodeDeps) {}

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
    return this.clientByConn.has(conn) || this.links.has(conn);
  }

  start(ctx: Ctx): void {
    const p = this.d.params;
    for (const port of p.fallbackTcpPorts) this.d.listenTcp(ctx, port);
    this.d.listenUdp(ctx, this.alternatePort());
    this.d.timers.set(ctx, 'clientSweep', p.keepAliveIntervalMs);
    this.d.timers.set(ctx, 'loadCheck', p.loadCheckIntervalMs);
    this.maintainOverlay(ctx);
  }

  /** Stops serving: clients are told and disconnected, links closed, timers cancelled. */
  stop(ctx: Ctx): void {
    for (const c of this.clients.values()) {
      this.d.transport.write(ctx, c.conn, { type: 'superNodeLeaving' });
      this.d.closeConnection(ctx, c.conn);
    }
    for (const l of this.links.values()) this.d.closeConnection(ctx, l.conn);
    this.clients.clear();
    this.clientByConn.clear();
    this.clientByName.clear();
    this.links.clear();
    for (const t of SUPER_NODE_TIMERS) this.d.timers.cancel(ctx, t);
  }

  // --- UDP ----------------------------------------------------------------------------------

  onProbe(ctx: Ctx, localPort: number, from: Endpoint, msg: MessageOf<'probe'>): void {
    this.d.transport.sendDatagram(ctx, localPort, from, { type: 'probeReply', nonce: msg.nonce, hostCache: this.superNodeList() });
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
      this.onAttach(ctx, conn, nonce, msg);
      return true;
    }
    if (msg.type === 'overlayJoin') {
      this.onOverlayJoin(ctx, conn, remote, msg);
      return true;
    }
    return false;
  }

  /** A message on a client connection or an overlay link. False if it has no entry there. */
  onData(ctx: Ctx, conn: ConnId, msg: Message): boolean {
    const clientId = this.clientByConn.get(conn);
    if (clientId !== undefined) return this.onClientMessage(ctx, this.clients.get(clientId)!, msg);
    const link = this.links.get(conn);
    if (link) return this.onLinkMessage(ctx, link, msg);
    return false;
  }

  onConnected(ctx: Ctx, conn: ConnId): void {
    const link = this.links.get(conn);
    if (link && link.state === 'connecting') {
      link.state = 'greeting';
      link.lastHeardMs = ctx.now;
    }
  }

  onConnectFailed(ctx: Ctx, conn: ConnId): void {
    const link = this.links.get(conn);
    if (!link) return;
    this.links.delete(conn);
    if (link.peer) this.d.hostCache.markFailed(link.peer);
    ctx.out.push({ kind: 'trace', event: 'overlayConnectFailed', detail: { peer: link.peer ? formatEndpoint(link.peer) : '' } });
  }

  onClosed(ctx: Ctx, conn: ConnId): void {
    const clientId = this.clientByConn.get(conn);
    if (clientId !== undefined) {
      this.dropClient(ctx, this.clients.get(clientId)!, 'closed', false);
      return;
    }
    const link = this.links.get(conn);
    if (link) {
      this.links.delete(conn);
      ctx.out.push({ kind: 'trace', event: 'overlayLinkDown', detail: { peer: link.peer ? formatEndpoint(link.peer) : '', cause: 'closed' } });
    }
  }

  /** One of the SN timers fired (already checked live by the host). Returns true if the SN should demote. */
  onTimer(ctx: Ctx, name: SuperNodeTimer): boolean {
    switch (name) {
      case 'clientSweep':
        this.sweepClients(ctx);
        this.d.timers.set(ctx, 'clientSweep', this.d.params.keepAliveIntervalMs);
        return false;
      case 'overlayMaintain':
        this.maintainOverlay(ctx);
        return false;
      case 'loadCheck':
        this.d.timers.set(ctx, 'loadCheck', this.d.params.loadCheckIntervalMs);
        return this.checkLoad(ctx);
    }
  }

  // --- clients ------------------------------------------------------------------------------

  private onAttach(ctx: Ctx, conn: ConnId, nonce: Uint8Array, msg: MessageOf<'attach'>): void {
    if (this.clients.size >= this.d.params.snClientCapacity && !this.clientByName.has(msg.name)) {
      this.refuseAttach(ctx, conn, msg.name, 'full');
      this.refusedSinceCheck = true;
      this.requestPromotion(ctx);
      return;
    }
    const check = verifyCredential(msg.credential, this.d.lsPublicKey, msg.name, ctx.now);
    if (!check.ok) return this.refuseAttach(ctx, conn, msg.name, 'badCredential', check.error);
    if (!verifyChallenge(check.credential.publicKey, nonce, msg.signature)) return this.refuseAttach(ctx, conn, msg.name, 'badSignature');
    const old = this.clientByName.get(msg.name);
    if (old !== undefined) this.dropClient(ctx, this.clients.get(old)!, 'replaced', true);
    const clientId = this.nextClientId;
    this.nextClientId = (this.nextClientId % 0xffffffff) + 1;
    const client: Client = { clientId, name: msg.name, conn, attachedAtMs: ctx.now, lastSeenMs: ctx.now, natClass: 'unknown', eligible: false, askedToPromote: false };
    this.clients.set(clientId, client);
    this.clientByConn.set(conn, clientId);
    this.clientByName.set(msg.name, clientId);
    this.d.transport.write(ctx, conn, { type: 'attachAccepted', clientId, hostCache: this.superNodeList() });
    ctx.out.push({ kind: 'trace', event: 'clientAttached', detail: { name: msg.name, clientId, clients: this.clients.size } });
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
        c.natClass = codeName(NAT_CLASS, msg.natClass, 'unknown');
        c.eligible = msg.eligible;
        this.d.transport.write(ctx, c.conn, { type: 'presenceAck', hostCache: this.superNodeList() });
        return true;
      case 'detach':
        this.dropClient(ctx, c, 'detached', true);
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
  }

  private sweepClients(ctx: Ctx): void {
    const deadline = ctx.now - this.d.params.snClientTimeoutMs;
    for (const c of [...this.clients.values()]) if (c.lastSeenMs < deadline) this.dropClient(ctx, c, 'keepAliveTimeout', true);
  }

  // --- NAT tests ----------------------------------------------------------------------------

  private alternatePort(): number {
    return (this.d.self.port + this.d.params.snAlternatePortOffset) & 0xffff || 1;
  }

  private forwardNatTest(ctx: Ctx, nonce: number, target: Endpoint): void {
    const up = [...this.links.values()].filter((l) => l.state === 'up');
    if (up.length === 0) {
      ctx.out.push({ kind: 'trace', event: 'natForwardUnavailable', detail: { target: formatEndpoint(target) } });
      return;
    }
    const link = up[this.forwardCursor++ % up.length];
    this.d.transport.write(ctx, link.conn, { type: 'natForward', nonce, target });
  }

  // --- overlay ------------------------------------------------------------------------------

  private onOverlayJoin(ctx: Ctx, conn: ConnId, remote: Endpoint, msg: MessageOf<'overlayJoin'>): void {
    if (this.links.size >= this.d.params.overlayLinksMax) {
      this.d.transport.write(ctx, conn, { type: 'overlayRefused', reason: OVERLAY_REFUSAL.full });
      return;
    }
    const peer = { ip: remote.ip, port: msg.port };
    this.links.set(conn, { conn, outbound: false, peer, state: 'up', lastHeardMs: ctx.now });
    this.d.hostCache.refresh([peer]);
    this.d.transport.write(ctx, conn, { type: 'overlayAccepted', superNodes: this.overlayList() });
    ctx.out.push({ kind: 'trace', event: 'overlayLinkUp', detail: { peer: formatEndpoint(peer), outbound: false } });
  }

  private onLinkMessage(ctx: Ctx, link: Link, msg: Message): boolean {
    switch (msg.type) {
      case 'challenge':
        if (link.state !== 'greeting') return false;
        if (msg.role !== ROLE.superNode) {
          this.abandonLink(ctx, link, 'notSuperNode', true);
          return true;
        }
        link.state = 'joining';
        this.d.transport.write(ctx, link.conn, { type: 'overlayJoin', port: this.d.self.port });
        return true;
      case 'overlayAccepted':
        if (link.state !== 'joining') return false;
        link.state = 'up';
        link.lastHeardMs = ctx.now;
        this.learn(msg.superNodes);
        ctx.out.push({ kind: 'trace', event: 'overlayLinkUp', detail: { peer: link.peer ? formatEndpoint(link.peer) : '', outbound: true } });
        return true;
      case 'overlayRefused':
        if (link.state !== 'joining') return false;
        this.abandonLink(ctx, link, codeName(OVERLAY_REFUSAL, msg.reason, 'unknown'), msg.reason === OVERLAY_REFUSAL.notSuperNode);
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
      default:
        return false;
    }
  }

  private abandonLink(ctx: Ctx, link: Link, cause: string, markPeerFailed: boolean): void {
    this.links.delete(link.conn);
    this.d.closeConnection(ctx, link.conn);
    if (markPeerFailed && link.peer) this.d.hostCache.markFailed(link.peer);
    ctx.out.push({ kind: 'trace', event: 'overlayLinkDown', detail: { peer: link.peer ? formatEndpoint(link.peer) : '', cause } });
  }

  private learn(list: readonly Endpoint[]): void {
    this.d.hostCache.refresh(list.filter((e) => !sameEndpoint(e, this.d.self)));
  }

  private maintainOverlay(ctx: Ctx): void {
    const p = this.d.params;
    for (const link of [...this.links.values()]) {
      if (ctx.now - link.lastHeardMs > p.overlayLinkTimeoutMs) this.abandonLink(ctx, link, 'silent', false);
    }
    const list = this.overlayList();
    for (const link of this.links.values()) if (link.state === 'up') this.d.transport.write(ctx, link.conn, { type: 'superNodeList', superNodes: list });
    this.openLinks(ctx);
    this.d.timers.set(ctx, 'overlayMaintain', p.overlayMaintainIntervalMs);
  }

  /** Opens links to HC entries (in HC order) until `overlayDegree` links exist or are being set up. */
  private openLinks(ctx: Ctx): void {
    const linked = new Set<number>();
    for (const l of this.links.values()) if (l.peer) linked.add(endpointKey(l.peer));
    for (const candidate of this.d.hostCache.entries()) {
      if (this.links.size >= this.d.params.overlayDegree) return;
      if (linked.has(endpointKey(candidate)) || sameEndpoint(candidate, this.d.self)) continue;
      const conn = this.d.openConnection(ctx, candidate);
      this.links.set(conn, { conn, outbound: true, peer: candidate, state: 'connecting', lastHeardMs: ctx.now });
      linked.add(endpointKey(candidate));
    }
  }

  // --- SN lists -----------------------------------------------------------------------------

  /** What clients get: up neighbours first, then the host cache; at most snHostCacheReplySize. */
  private superNodeList(): Endpoint[] {
    const max = this.d.params.snHostCacheReplySize;
    const out: Endpoint[] = [];
    const seen = new Set<number>([endpointKey(this.d.self)]);
    const add = (e: Endpoint): void => {
      if (out.length < max && !seen.has(endpointKey(e))) {
        seen.add(endpointKey(e));
        out.push(e);
      }
    };
    for (const e of this.overlayPeers()) add(e);
    for (const e of this.d.hostCache.entries()) add(e);
    return out;
  }

  /** What other SNs get: this SN first, then the client list. */
  private overlayList(): Endpoint[] {
    return [this.d.self, ...this.superNodeList()].slice(0, Math.max(1, this.d.params.snHostCacheReplySize));
  }

  // --- election (promote-on-demand, SN side) ------------------------------------------------

  private checkLoad(ctx: Ctx): boolean {
    ctx.out.push({ kind: 'metric', name: 'snClients', value: this.clients.size });
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
