/**
 * Routed signalling: the SN's part of "A's SN tells B's SN tells B" (the seed, BS-23).
 *
 * A message for a user who is not directly reachable (call set-up on a NAT path, chat,
 * presence, PSTN) travels inside `routed` (wire/messages.ts). The router of an SN:
 *   - from a client: stamps the client's authenticated name as `from` and itself as
 *     `fromSuperNode` (a client cannot speak for another user), then routes;
 *   - routes by `toSuperNode`: itself -> down the client link of `to` (or `routeFailed{offline}`
 *     back when `to` is not attached here); another SN -> forwarded over the overlay link to it
 *     if one is up, else over a signalling link (a TCP connection this router opens, queues
 *     on while it comes up, and closes after `ROUTE_LINK_IDLE_MS` unused); 0.0.0.0:0 (the sender
 *     does not know where `to` is) -> `to` attached here, else the SN's `locate` (its user index
 *     and a search, user-search.ts) names the SN; none -> `routeFailed{notFound}`. For a
 *     presence notice the search has one round (the recipient's home SNs in this SN's view,
 *     which an online user re-announces itself to every refresh): most of a user's buddies are
 *     offline at any moment, and a full search for each at every login and logout was half
 *     of all events of a large run. Presence is thus best effort: a buddy whose homes this SN
 *     does not know misses the notice (its own notice at its login still reaches the user
 *     that way round, and calls and chat search in full);
 *   - counts SN-to-SN forwards in `hops`; beyond `ROUTE_HOPS_MAX` -> `routeFailed{loop}`.
 *   A failure goes back to the sender as `routed{payload: routeFailed}` towards its
 *   `fromSuperNode`; a failed `routeFailed` is dropped (no failure storms).
 * The PSTN leg (the seed: "SC -> its SN -> PSTN gateway on port 12340"): `to` is '' and the
 * payload a PSTN message. A `pstnDial` with `toSuperNode` = the gateway makes this SN open a
 * connection to the gateway and hand it the dial; the gateway's answers on that connection go
 * back to the caller as `routed`. A gateway that connects here with `pstnIncoming` (SkypeIn)
 * has it routed to the callee; the callee's `pstnAnswer` / `pstnHangUp` come back with `to`
 * '' and `toSuperNode` = this SN, and go out on the gateway's connection. The router knows the
 * PSTN calls by call id while their connection is open.
 *
 * A client's routed messages are metered against its signalling budget (OT-2) by its SN
 * (super-node.ts, signalling-budget.ts); one the budget cannot pay for is `routeFailed{overBudget}`.
 *
 * What it abstracts: messages forwarded between SNs are not metered; queued messages of a signalling
 * link that never comes up fail as `unreachable`; a link is one TCP connection, so messages
 * on it stay in order (chat's in-order rule relies on it between two fixed SNs).
 */

import type { ConnId, Ctx, Endpoint } from '../node.js';
import { decodeMessage, encodeMessage, isDecodeError, messageName } from '../wire/codec.js';
import { MESSAGES, ROLE, ROUTE_FAILURE, type Message, type MessageOf } from '../wire/messages.js';
import { endpointKey, formatEndpoint, isUsableEndpoint, sameEndpoint } from './support.js';
import type { Transport } from './transport.js';

/** SN-to-SN forwards one routed message may take (ours: sender's SN -> recipient's SN is 1; a stale location costs one more). */
export const ROUTE_HOPS_MAX = 4;
/** A signalling link unused this long is closed at the next sweep (ours). */
export const ROUTE_LINK_IDLE_MS = 5 * 60_000;
/** Messages queued on one signalling link while it comes up (ours). */
const QUEUE_MAX = 64;

export const NOWHERE: Endpoint = { ip: 0, port: 0 };

type Routed = MessageOf<'routed'>;

export interface RouterDeps {
  readonly transport: Transport;
  readonly self: Endpoint;
  /** The connection of the client attached here under `name`. */
  clientConn(name: string): ConnId | undefined;
  /** An up overlay link to `peer`. */
  overlayConn(peer: Endpoint): ConnId | undefined;
  /**
   * Where `name` is attached (its SN), or undefined (user-search.ts's locate); `oneRound`: ask
   * only the name's home SNs in this SN's view (a presence notice, see the header).
   */
  locate(ctx: Ctx, name: string, oneRound: boolean, done: (ctx: Ctx, superNode: Endpoint | undefined) => void): void;
  openConnection(ctx: Ctx, to: Endpoint): ConnId;
  closeConnection(ctx: Ctx, conn: ConnId): void;
}

interface SignalLink {
  readonly conn: ConnId;
  readonly to: Endpoint;
  /** `superNode` links carry `routed`; a `gateway` link carries the PSTN messages themselves. */
  readonly kind: 'superNode' | 'gateway';
  state: 'connecting' | 'greeting' | 'up';
  readonly queue: Message[];
  /** The messages queued, for `routeFailed` when the link never comes up. */
  readonly pending: Routed[];
  lastUsedMs: number;
}

interface PstnLeg {
  readonly conn: ConnId;
  /** The user of the call and its SN (SkypeOut: the caller; SkypeIn: learnt from the answer). */
  user: string;
  userSuperNode: Endpoint;
}

export class SignalRouter {
  private readonly links = new Map<ConnId, SignalLink>();
  private readonly linkByPeer = new Map<number, ConnId>();
  /** Accepted connections that carry routed messages or a gateway's SkypeIn. */
  private readonly inbound = new Set<ConnId>();
  private readonly pstnLegs = new Map<number, PstnLeg>();

  constructor(private readonly d: RouterDeps) {}

  owns(conn: ConnId): boolean {
    return this.links.has(conn) || this.inbound.has(conn);
  }

  // --- inputs the SN service hands over -------------------------------------------------------

  /**
   * `routed` from the client attached here as `name`; `withinBudget` false when the client's
   * signalling budget (signalling-budget.ts) cannot pay for it: refused `overBudget`.
   */
  fromClient(ctx: Ctx, name: string, msg: Routed, withinBudget: boolean): void {
    const stamped: Routed = { ...msg, from: name, fromSuperNode: this.d.self, hops: 0 };
    if (withinBudget) this.route(ctx, stamped);
    else this.fail(ctx, stamped, 'overBudget');
  }

  /** A message on an overlay link: true if it was the router's. */
  fromOverlay(ctx: Ctx, msg: Message): boolean {
    if (msg.type !== 'routed') return false;
    this.fromPeer(ctx, msg);
    return true;
  }

  /** The first message of an accepted connection: true if it makes the connection the router's. */
  onInbound(ctx: Ctx, conn: ConnId, msg: Message): boolean {
    if (msg.type === 'routed') {
      this.inbound.add(conn);
      this.fromPeer(ctx, msg);
      return true;
    }
    if (msg.type === 'pstnIncoming') {
      this.inbound.add(conn);
      this.onPstnIncoming(ctx, conn, msg);
      return true;
    }
    return false;
  }

  /** A later message on a connection the router owns: true if it had an entry. */
  onData(ctx: Ctx, conn: ConnId, msg: Message): boolean {
    const link = this.links.get(conn);
    if (link) return this.onLinkMessage(ctx, link, msg);
    if (!this.inbound.has(conn)) return false;
    if (msg.type === 'routed') {
      this.fromPeer(ctx, msg);
      return true;
    }
    if (msg.type === 'pstnIncoming') {
      this.onPstnIncoming(ctx, conn, msg);
      return true;
    }
    if (msg.type === 'pstnHangUp') {
      this.fromGateway(ctx, conn, msg);
      return true;
    }
    return false;
  }

  onConnected(ctx: Ctx, conn: ConnId): void {
    const link = this.links.get(conn);
    if (link?.state === 'connecting') link.state = 'greeting';
  }

  onConnectFailed(ctx: Ctx, conn: ConnId): void {
    const link = this.links.get(conn);
    if (link) this.endLink(ctx, link, 'unreachable');
  }

  onClosed(ctx: Ctx, conn: ConnId): void {
    const link = this.links.get(conn);
    if (link) return this.endLink(ctx, link, 'closed');
    if (this.inbound.delete(conn)) this.forgetPstnLegsOn(ctx, conn);
  }

  /** Periodic (the SN's client sweep): close signalling links unused for ROUTE_LINK_IDLE_MS. */
  sweep(ctx: Ctx): void {
    for (const link of [...this.links.values()]) {
      if (link.state === 'up' && ctx.now - link.lastUsedMs > ROUTE_LINK_IDLE_MS && !this.carriesPstn(link.conn)) {
        this.d.closeConnection(ctx, link.conn);
        this.forgetLink(link);
      }
    }
  }

  /** The SN stops serving: every link closed, everything forgotten. */
  stop(ctx: Ctx): void {
    for (const conn of [...this.links.keys(), ...this.inbound]) this.d.closeConnection(ctx, conn);
    this.links.clear();
    this.linkByPeer.clear();
    this.inbound.clear();
    this.pstnLegs.clear();
  }

  // --- routing --------------------------------------------------------------------------------

  private fromPeer(ctx: Ctx, msg: Routed): void {
    const hops = msg.hops + 1;
    if (hops > ROUTE_HOPS_MAX) return this.fail(ctx, msg, 'loop');
    this.route(ctx, { ...msg, hops });
  }

  private route(ctx: Ctx, msg: Routed): void {
    if (msg.to === '') return this.routePstn(ctx, msg);
    const here = sameEndpoint(msg.toSuperNode, this.d.self);
    const conn = this.d.clientConn(msg.to);
    if (conn !== undefined && (here || !isUsableEndpoint(msg.toSuperNode))) return this.deliver(ctx, conn, msg);
    if (here) return this.fail(ctx, msg, 'offline');
    if (isUsableEndpoint(msg.toSuperNode)) return this.forward(ctx, msg.toSuperNode, msg);
    const presence = msg.payload.length > 0 && msg.payload[0] === MESSAGES.presenceNotify.id;
    this.d.locate(ctx, msg.to, presence, (c, superNode) => {
      if (!superNode) return this.fail(c, msg, 'notFound');
      if (sameEndpoint(superNode, this.d.self)) {
        const local = this.d.clientConn(msg.to);
        return local === undefined ? this.fail(c, msg, 'offline') : this.deliver(c, local, msg);
      }
      this.forward(c, superNode, { ...msg, toSuperNode: superNode });
    });
  }

  private deliver(ctx: Ctx, conn: ConnId, msg: Routed): void {
    this.d.transport.write(ctx, conn, msg);
    ctx.out.push({ kind: 'trace', event: 'routeDelivered', detail: { to: msg.to, payload: payloadName(msg.payload), hops: msg.hops } });
  }

  private forward(ctx: Ctx, to: Endpoint, msg: Routed): void {
    const overlay = this.d.overlayConn(to);
    if (overlay !== undefined) {
      this.d.transport.write(ctx, overlay, msg);
      return;
    }
    const link = this.linkTo(ctx, to, 'superNode');
    this.send(ctx, link, msg, msg);
  }

  /** Sends a routedFailed back towards the sender of `msg`, unless `msg` is itself a failure report. */
  private fail(ctx: Ctx, msg: Routed, reason: keyof typeof ROUTE_FAILURE): void {
    const payloadType = msg.payload.length > 0 ? msg.payload[0] : 0;
    ctx.out.push({ kind: 'trace', event: 'routeFailed', detail: { to: msg.to, from: msg.from, reason, payload: payloadName(msg.payload) } });
    // Nobody acts on a failed failure report or presence notice (the buddy is offline: that is
    // all it says), and a user going offline would not even read it: no report for those.
    if (payloadType === MESSAGES.routeFailed.id || payloadType === MESSAGES.presenceNotify.id || msg.from === '') return;
    const back: Message = { type: 'routeFailed', to: msg.to, reason: ROUTE_FAILURE[reason], payloadType };
    this.route(ctx, { type: 'routed', from: '', fromSuperNode: this.d.self, to: msg.from, toSuperNode: msg.fromSuperNode, hops: 0, payload: encodeMessage(back) });
  }

  // --- the PSTN leg ---------------------------------------------------------------------------

  private routePstn(ctx: Ctx, msg: Routed): void {
    const inner = decodeMessage(msg.payload);
    if (isDecodeError(inner)) return this.fail(ctx, msg, 'malformed');
    if (inner.type === 'pstnDial') {
      if (!isUsableEndpoint(msg.toSuperNode)) return this.fail(ctx, msg, 'notFound');
      const link = this.linkTo(ctx, msg.toSuperNode, 'gateway');
      this.pstnLegs.set(inner.callId, { conn: link.conn, user: msg.from, userSuperNode: msg.fromSuperNode });
      return this.send(ctx, link, inner, msg);
    }
    if (!sameEndpoint(msg.toSuperNode, this.d.self)) {
      if (!isUsableEndpoint(msg.toSuperNode)) return this.fail(ctx, msg, 'notFound');
      return this.forward(ctx, msg.toSuperNode, msg);
    }
    if (inner.type !== 'pstnAnswer' && inner.type !== 'pstnHangUp') return this.fail(ctx, msg, 'malformed');
    const leg = this.pstnLegs.get(inner.callId);
    if (!leg) return this.fail(ctx, msg, 'offline');
    leg.user = msg.from;
    leg.userSuperNode = msg.fromSuperNode;
    this.d.transport.write(ctx, leg.conn, inner);
    if (inner.type === 'pstnHangUp') this.pstnLegs.delete(inner.callId);
  }

  private onPstnIncoming(ctx: Ctx, conn: ConnId, msg: MessageOf<'pstnIncoming'>): void {
    this.pstnLegs.set(msg.callId, { conn, user: msg.callee, userSuperNode: NOWHERE });
    this.route(ctx, { type: 'routed', from: '', fromSuperNode: this.d.self, to: msg.callee, toSuperNode: NOWHERE, hops: 0, payload: encodeMessage(msg) });
  }

  /** pstnAnswer / pstnHangUp from a gateway: to the user of the call. */
  private fromGateway(ctx: Ctx, conn: ConnId, msg: MessageOf<'pstnAnswer'> | MessageOf<'pstnHangUp'>): void {
    const leg = this.pstnLegs.get(msg.callId);
    if (!leg || leg.conn !== conn) {
      // Both ends may hang up at once: the gateway's hang-up crossing the user's is late, not wrong.
      const event = msg.type === 'pstnHangUp' ? 'late' : 'unexpected';
      ctx.out.push({ kind: 'trace', event, detail: { input: msg.type, state: 'noPstnCall' } });
      return;
    }
    if (msg.type === 'pstnHangUp') this.pstnLegs.delete(msg.callId);
    this.route(ctx, { type: 'routed', from: '', fromSuperNode: this.d.self, to: leg.user, toSuperNode: leg.userSuperNode, hops: 0, payload: encodeMessage(msg) });
  }

  private forgetPstnLegsOn(ctx: Ctx, conn: ConnId): void {
    for (const [callId, leg] of [...this.pstnLegs]) {
      if (leg.conn !== conn) continue;
      this.pstnLegs.delete(callId);
      if (!leg.user) continue;
      const hangUp: Message = { type: 'pstnHangUp', callId, reason: 3 };
      this.route(ctx, { type: 'routed', from: '', fromSuperNode: this.d.self, to: leg.user, toSuperNode: leg.userSuperNode, hops: 0, payload: encodeMessage(hangUp) });
    }
  }

  private carriesPstn(conn: ConnId): boolean {
    for (const leg of this.pstnLegs.values()) if (leg.conn === conn) return true;
    return false;
  }

  // --- signalling links -----------------------------------------------------------------------

  private linkTo(ctx: Ctx, to: Endpoint, kind: SignalLink['kind']): SignalLink {
    const key = endpointKey(to) * 2 + (kind === 'gateway' ? 1 : 0);
    const known = this.linkByPeer.get(key);
    if (known !== undefined) return this.links.get(known)!;
    const conn = this.d.openConnection(ctx, to);
    const link: SignalLink = { conn, to, kind, state: 'connecting', queue: [], pending: [], lastUsedMs: ctx.now };
    this.links.set(conn, link);
    this.linkByPeer.set(key, conn);
    return link;
  }

  private send(ctx: Ctx, link: SignalLink, msg: Message, routed: Routed): void {
    link.lastUsedMs = ctx.now;
    if (link.state === 'up') return this.d.transport.write(ctx, link.conn, msg);
    if (link.queue.length >= QUEUE_MAX) return this.fail(ctx, routed, 'unreachable');
    link.queue.push(msg);
    link.pending.push(routed);
  }

  private onLinkMessage(ctx: Ctx, link: SignalLink, msg: Message): boolean {
    if (msg.type === 'challenge') {
      if (link.state !== 'greeting') return false;
      const wanted = link.kind === 'gateway' ? ROLE.pstnGateway : ROLE.superNode;
      if (msg.role !== wanted) {
        this.d.closeConnection(ctx, link.conn);
        this.endLink(ctx, link, 'wrongRole');
        return true;
      }
      link.state = 'up';
      for (const m of link.queue) this.d.transport.write(ctx, link.conn, m);
      link.queue.length = 0;
      link.pending.length = 0;
      return true;
    }
    if (link.state !== 'up') return false;
    link.lastUsedMs = ctx.now;
    if (link.kind === 'superNode' && msg.type === 'routed') {
      this.fromPeer(ctx, msg);
      return true;
    }
    if (link.kind === 'gateway' && (msg.type === 'pstnAnswer' || msg.type === 'pstnHangUp')) {
      this.fromGateway(ctx, link.conn, msg);
      return true;
    }
    return false;
  }

  /** A link closed or never came up: what was queued on it fails back to its senders; its PSTN calls end. */
  private endLink(ctx: Ctx, link: SignalLink, cause: string): void {
    this.forgetLink(link);
    ctx.out.push({ kind: 'trace', event: 'routeLinkDown', detail: { to: formatEndpoint(link.to), kind: link.kind, cause } });
    for (const routed of link.pending) this.fail(ctx, routed, 'unreachable');
    this.forgetPstnLegsOn(ctx, link.conn);
  }

  private forgetLink(link: SignalLink): void {
    this.links.delete(link.conn);
    const key = endpointKey(link.to) * 2 + (link.kind === 'gateway' ? 1 : 0);
    if (this.linkByPeer.get(key) === link.conn) this.linkByPeer.delete(key);
  }
}

/** The name of the message in an encoded payload, for traces. */
function payloadName(payload: Uint8Array): string {
  return payload.length > 0 ? messageName(payload[0]) : 'unknown';
}
