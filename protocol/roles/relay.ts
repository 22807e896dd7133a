/**
 * The relay service (BS-23, BS-24): a public, online node (often an SN) forwards the media of a
 * call between its two parties when a NAT or a UDP-blocking firewall keeps them from talking
 * directly. The host node owns it and routes to it the inputs below; relay-selection.ts is the
 * caller's side that picks the relay.
 *
 * What it models:
 *   - probes: `relayProbe` answered with `relayProbeReply{calls, capacity}` the way it came
 *     (UDP, or on the TCP connection a UDP-blocked party opened). A node that is not public
 *     reports capacity 0: it would refuse any join;
 *   - joins: `relayJoin{callId, party}` registers the party's leg - its return address. Over UDP
 *     that is the datagram's source as the relay sees it, i.e. the mapping the party's own NAT
 *     created by sending the join, so media only ever reaches a NATed party through a mapping it
 *     made (no hole punching needed, BS-23). Over TCP it is the connection (BS-24). A join of a
 *     new callId beyond `relayCapacity` calls is refused `full`; any join while the node is not
 *     public is refused `notPublic`. Accepted joins are answered `relayJoined`;
 *   - media: a `mediaFrame` of a known call from one of its legs is forwarded unchanged - the same
 *     message, the same `packets` count of a flow-mode aggregate - to the other leg, over UDP or
 *     TCP as that leg joined. The voice is end-to-end encrypted (BS-30); the relay never reads
 *     it. Frames before the other leg joined, from a source that is no leg, or of an unknown call
 *     are dropped and counted (`relayDropped`, with the reason);
 *   - the end: `relayLeave` from either leg, a TCP leg's connection closing with no other leg
 *     left, the sweep, or `stop`. Every end emits `relayCallBytes` (bytes forwarded, both
 *     directions, frames x frame size, IP/UDP/TCP headers not counted: add 28 bytes per UDP
 *     frame for the wire figure) and `relayCallMs` (first join to end).
 *
 * Inputs (while relaying): datagram or TCP data with relayProbe / relayJoin / mediaFrame /
 * relayLeave; `closed` of a connection a leg used; the `relaySweep` timer. Outputs go through the
 * Transport (wire/) like every role's.
 *
 * Design choices (ours; the studies are silent):
 *   - Keep-alive: a party sends `relayJoin` again every few seconds while it sends no media (on
 *     hold, BS-27, one packet every ~3 s is media too). A repeated join refreshes its leg and is
 *     answered `relayJoined` again, so the party learns the relay is alive. A repeated join from
 *     another address moves the leg (the party's NAT may have rebound its mapping); the 2004
 *     relay could not authenticate a party, and the media it would misdirect is encrypted.
 *   - Silence: the sweep runs every `relayFailureTimeoutMs` while calls exist and drops a call
 *     not heard from either leg for 2 x `relayFailureTimeoutMs` - twice the time after which a
 *     party gives the relay up, so a live party has declared the relay failed (and moved on) well
 *     before the relay forgets it.
 *   - A TCP leg whose connection closes is detached, not ended: the party may reconnect and join
 *     again; the call ends when no leg is left (or by the sweep). The relay never closes a leg's
 *     connection: the party opened it.
 *   - A call is identified by its callId alone, as on the wire; two callers drawing the same u32
 *     id at one relay would share an entry (about n^2 / 2^33 for n calls).
 *   - After `stop` the service answers no probe, refuses joins `notServing` and drops media: a
 *     host that keeps routing to a stopped service does no harm. Parties of the calls cut by
 *     `stop` are not told: they find out by silence, exactly as after a crash.
 *   - A leave or a keep-alive join of a call this relay no longer knows gets no error answer
 *     (`unknownCall` is not sent): the party's failure timer covers it.
 *
 * Metrics: `relayCallBytes`, `relayCallMs` at each end (label `end`: leave, closed, sweep,
 * stopped); `relayLoad` (calls relayed after the decision) at each join of a new callId,
 * accepted or refused (label `result`). Traces: relayJoined (new leg), relayLegMoved,
 * relayRefused, relayDropped, relayLegClosed, relayEnded.
 */

import type { ConnId, Ctx, Endpoint } from '../node.js';
import type { ProtocolParams } from '../params.js';
import { RELAY_REFUSAL, type Message, type MessageOf } from '../wire/messages.js';
import type { TimerSet } from './super-node.js';
import { formatEndpoint, sameEndpoint } from './support.js';
import type { Transport } from './transport.js';

/** The relay service's timers (dispatched by the host node's one dispatch point). */
export type RelayTimer =
  /** fires when: a relayFailureTimeoutMs period has passed while calls exist; calls silent for twice that are dropped. */
  'relaySweep';

export const RELAY_TIMERS: readonly RelayTimer[] = ['relaySweep'];

/** How a message reached the relay: a datagram on one of its UDP ports, or data on a TCP connection. */
export type RelayVia = { readonly localPort: number; readonly from: Endpoint } | { readonly conn: ConnId };

/** What the host node lends its relay service. */
export interface RelayDeps {
  readonly params: ProtocolParams;
  readonly transport: Transport;
  readonly timers: TimerSet<RelayTimer>;
  /** This node's public endpoint (for traces). */
  readonly self: Endpoint;
  /** Whether the node is public now (NAT detection said open); only a public node relays (BS-23). */
  isPublic(): boolean;
}

export type RelayParty = 0 | 1;

/** One party's side of a relayed call, as `legsOf` shows it. */
export interface RelayLeg {
  readonly party: RelayParty;
  /** Where the party's media goes: its UDP source (through its NAT's mapping) or its TCP connection. */
  readonly via: RelayVia;
  readonly lastHeardMs: number;
}

interface Leg {
  readonly party: RelayParty;
  via: RelayVia;
  lastHeardMs: number;
}

interface RelayedCall {
  readonly callId: number;
  readonly joinedAtMs: number;
  /** Indexed by party. */
  readonly legs: [Leg | undefined, Leg | undefined];
  /** Bytes this relay sent for the call, frames x frame size (IP/UDP/TCP headers not counted), both directions. */
  forwardedBytes: number;
}

export type RelayEnd = 'leave' | 'closed' | 'sweep' | 'stopped';

export class RelayService {
  private readonly relayed = new Map<number, RelayedCall>();
  private sweepArmed = false;
  private stopped = false;
  private droppedFrames = 0;

  constructor(private readonly d: RelayDeps) {}

  /** Calls this node relays now (joined by at least one leg). */
  get calls(): number {
    return this.relayed.size;
  }

  /** Media frames dropped so far (unknown call or source, no other leg yet, stopped); aggregates count their frames. */
  get dropped(): number {
    return this.droppedFrames;
  }

  /** The legs of `callId` that joined, party 0 first; empty for a call this relay does not know. */
  legsOf(callId: number): RelayLeg[] {
    const call = this.relayed.get(callId);
    if (!call) return [];
    const out: RelayLeg[] = [];
    for (const leg of call.legs) if (leg) out.push({ party: leg.party, via: leg.via, lastHeardMs: leg.lastHeardMs });
    return out;
  }

  /** Whether a leg uses `conn` (the host routes that connection's data and close here). */
  owns(conn: ConnId): boolean {
    for (const call of this.relayed.values()) for (const leg of call.legs) if (leg && 'conn' in leg.via && leg.via.conn === conn) return true;
    return false;
  }

  // --- inputs -------------------------------------------------------------------------------

  /** A relay message (probe, join, leave, media) from `via`; false for any other message. */
  onMessage(ctx: Ctx, via: RelayVia, msg: Message, packets: number): boolean {
    switch (msg.type) {
      case 'relayProbe':
        this.onProbe(ctx, via, msg);
        return true;
      case 'relayJoin':
        this.onJoin(ctx, via, msg);
        return true;
      case 'relayLeave':
        this.onLeave(ctx, via, msg);
        return true;
      case 'mediaFrame':
        this.onMedia(ctx, via, msg, packets);
        return true;
      default:
        return false;
    }
  }

  onProbe(ctx: Ctx, via: RelayVia, msg: MessageOf<'relayProbe'>): void {
    if (this.stopped) return;
    const capacity = this.d.isPublic() ? this.d.params.relayCapacity : 0;
    this.send(ctx, via, { type: 'relayProbeReply', nonce: msg.nonce, calls: this.relayed.size, capacity });
  }

  onJoin(ctx: Ctx, via: RelayVia, msg: MessageOf<'relayJoin'>): void {
    const { callId } = msg;
    if (msg.party !== 0 && msg.party !== 1) return this.drop(ctx, via, callId, 'badParty', 1);
    if (this.stopped) return this.refuse(ctx, via, callId, 'notServing');
    if (!this.d.isPublic()) return this.refuse(ctx, via, callId, 'notPublic');
    let call = this.relayed.get(callId);
    if (!call) {
      if (this.relayed.size >= this.d.params.relayCapacity) {
        this.loadSample(ctx, 'refused');
        return this.refuse(ctx, via, callId, 'full');
      }
      call = { callId, joinedAtMs: ctx.now, legs: [undefined, undefined], forwardedBytes: 0 };
      this.relayed.set(callId, call);
      this.loadSample(ctx, 'accepted');
      this.armSweep(ctx);
    }
    const party: RelayParty = msg.party;
    const leg = call.legs[party];
    if (!leg) {
      call.legs[party] = { party, via, lastHeardMs: ctx.now };
      ctx.out.push({ kind: 'trace', event: 'relayJoined', detail: { callId, party, transport: transportOf(via), source: describe(via), relay: formatEndpoint(this.d.self), calls: this.relayed.size } });
    } else {
      if (!sameVia(leg.via, via)) {
        ctx.out.push({ kind: 'trace', event: 'relayLegMoved', detail: { callId, party, from: describe(leg.via), to: describe(via) } });
        leg.via = via;
      }
      leg.lastHeardMs = ctx.now;
    }
    this.send(ctx, via, { type: 'relayJoined', callId });
  }

  /** A media frame; `packets` is the datagram's or write's count (a flow-mode aggregate), 1 if absent. */
  onMedia(ctx: Ctx, via: RelayVia, msg: MessageOf<'mediaFrame'>, packets = 1): void {
    if (this.stopped) return this.drop(ctx, via, msg.callId, 'notServing', packets);
    const call = this.relayed.get(msg.callId);
    if (!call) return this.drop(ctx, via, msg.callId, 'unknownCall', packets);
    const from = legOf(call, via);
    if (!from) return this.drop(ctx, via, msg.callId, 'unknownSource', packets);
    from.lastHeardMs = ctx.now;
    const to = call.legs[from.party === 0 ? 1 : 0];
    if (!to) return this.drop(ctx, via, msg.callId, 'noPeerLeg', packets);
    call.forwardedBytes += this.forward(ctx, to.via, msg, packets);
  }

  onLeave(ctx: Ctx, via: RelayVia, msg: MessageOf<'relayLeave'>): void {
    const call = this.relayed.get(msg.callId);
    // A second leave (both parties send one) or a late one: nothing left to forget.
    if (!call) return;
    // Only a leg may end its call: anyone else could cut calls they are not part of.
    if (!legOf(call, via)) return this.drop(ctx, via, msg.callId, 'unknownSource', 1);
    this.end(ctx, call, 'leave');
  }

  /** A TCP connection closed; legs on it are detached, calls left with no leg end. */
  onConnClosed(ctx: Ctx, conn: ConnId): void {
    for (const call of [...this.relayed.values()]) {
      for (const leg of call.legs) {
        if (!leg || !('conn' in leg.via) || leg.via.conn !== conn) continue;
        call.legs[leg.party] = undefined;
        ctx.out.push({ kind: 'trace', event: 'relayLegClosed', detail: { callId: call.callId, party: leg.party, conn } });
      }
      if (!call.legs[0] && !call.legs[1]) this.end(ctx, call, 'closed');
    }
  }

  /** The relay's timer fired (already checked live by the host). */
  onTimer(ctx: Ctx, name: RelayTimer): void {
    switch (name) {
      case 'relaySweep':
        this.sweepArmed = false;
        this.sweep(ctx);
        return;
    }
  }

  /** The node stops relaying (logout, demotion, no longer public): every call ends, nothing is sent. */
  stop(ctx: Ctx): void {
    for (const call of [...this.relayed.values()]) this.end(ctx, call, 'stopped');
    if (this.sweepArmed) this.d.timers.cancel(ctx, 'relaySweep');
    this.sweepArmed = false;
    this.stopped = true;
  }

  // --- internals ----------------------------------------------------------------------------

  private sweep(ctx: Ctx): void {
    const silentMs = 2 * this.d.params.relayFailureTimeoutMs;
    for (const call of [...this.relayed.values()]) if (ctx.now - lastHeardMs(call) >= silentMs) this.end(ctx, call, 'sweep');
    this.armSweep(ctx);
  }

  /** Arms the sweep if calls exist and it is not armed: no timer traffic on a node that relays nothing. */
  private armSweep(ctx: Ctx): void {
    if (this.sweepArmed || this.relayed.size === 0) return;
    this.sweepArmed = true;
    this.d.timers.set(ctx, 'relaySweep', this.d.params.relayFailureTimeoutMs);
  }

  private end(ctx: Ctx, call: RelayedCall, end: RelayEnd): void {
    this.relayed.delete(call.callId);
    const durationMs = ctx.now - call.joinedAtMs;
    ctx.out.push({ kind: 'metric', name: 'relayCallBytes', value: call.forwardedBytes, labels: { end } });
    ctx.out.push({ kind: 'metric', name: 'relayCallMs', value: durationMs, labels: { end } });
    ctx.out.push({
      kind: 'trace',
      event: 'relayEnded',
      detail: { callId: call.callId, end, legs: `${legTransport(call.legs[0])}/${legTransport(call.legs[1])}`, bytes: call.forwardedBytes, durationMs, calls: this.relayed.size },
    });
  }

  /** Sends `msg` to a leg with the aggregate's `packets` kept; returns the bytes it stands for. */
  private forward(ctx: Ctx, to: RelayVia, msg: MessageOf<'mediaFrame'>, packets: number): number {
    const at = ctx.out.length;
    this.send(ctx, to, msg, packets);
    const o = ctx.out[at];
    return o.kind === 'sendDatagram' || o.kind === 'write' ? o.bytes.length * packets : 0;
  }

  private send(ctx: Ctx, via: RelayVia, msg: Message, packets = 1): void {
    if ('conn' in via) this.d.transport.write(ctx, via.conn, msg, packets);
    else this.d.transport.sendDatagram(ctx, via.localPort, via.from, msg, packets);
  }

  private refuse(ctx: Ctx, via: RelayVia, callId: number, reason: keyof typeof RELAY_REFUSAL): void {
    this.send(ctx, via, { type: 'relayRefused', callId, reason: RELAY_REFUSAL[reason] });
    ctx.out.push({ kind: 'trace', event: 'relayRefused', detail: { callId, reason, transport: transportOf(via), source: describe(via), calls: this.relayed.size } });
  }

  private drop(ctx: Ctx, via: RelayVia, callId: number, reason: string, packets: number): void {
    this.droppedFrames += packets;
    ctx.out.push({ kind: 'trace', event: 'relayDropped', detail: { callId, reason, transport: transportOf(via), source: describe(via), packets } });
  }

  private loadSample(ctx: Ctx, result: 'accepted' | 'refused'): void {
    ctx.out.push({ kind: 'metric', name: 'relayLoad', value: this.relayed.size, labels: { result } });
  }
}

/** The leg `via` belongs to: the same UDP source (any local port) or the same connection. */
function legOf(call: RelayedCall, via: RelayVia): Leg | undefined {
  for (const leg of call.legs) if (leg && sameSource(leg.via, via)) return leg;
  return undefined;
}

function sameSource(a: RelayVia, b: RelayVia): boolean {
  if ('conn' in a) return 'conn' in b && a.conn === b.conn;
  return !('conn' in b) && sameEndpoint(a.from, b.from);
}

function sameVia(a: RelayVia, b: RelayVia): boolean {
  return sameSource(a, b) && ('conn' in a || ('localPort' in b && a.localPort === b.localPort));
}

function lastHeardMs(call: RelayedCall): number {
  return Math.max(call.legs[0]?.lastHeardMs ?? -Infinity, call.legs[1]?.lastHeardMs ?? -Infinity, call.joinedAtMs);
}

function transportOf(via: RelayVia): 'udp' | 'tcp' {
  return 'conn' in via ? 'tcp' : 'udp';
}

function legTransport(leg: Leg | undefined): 'udp' | 'tcp' | 'none' {
  return leg ? transportOf(leg.via) : 'none';
}

function describe(via: RelayVia): string {
  return 'conn' in via ? `conn ${via.conn}` : formatEndpoint(via.from);
}
