/**
 * TCP, modelled per message rather than per segment.
 *
 * A connection is a pair of endpoints, each with a stream of messages to the other. What is
 * modelled, and how:
 * - Connect: the client sends a SYN at 0 and, while no answer comes, again after synRtoMs,
 *   then after twice that, and so on: synRetries retransmissions, then the connect fails with
 *   `timeout` one doubled timeout after the last SYN. With the defaults (3 s, 2 retries) SYNs
 *   leave at 0, 3 and 9 s and the failure comes at exactly 21 s. A SYN that reaches a live host
 *   with no listener on the port is answered by a RST: `refused`, one RTT after the SYN. A SYN
 *   that a NAT filter, a firewall, loss, a partition or a dead host swallows gets no answer.
 *   A SYN that reaches a listener is answered by a SYN-ACK: the client is `connected` one RTT
 *   after the SYN; its ACK is the first message of its stream, and the server `accepted`s when
 *   that ACK arrives (1.5 RTT).
 * - NATs: the client's SYN makes TCP mappings like a UDP packet does (outbound translation);
 *   the connection holds them until it ends. The connection's path is then pinned: later
 *   messages are not filtered again (NATs and stateful firewalls pass established traffic).
 * - Data: each `write` is one message of ceil(bytes / mssBytes) segments, on the wire as
 *   bytes + 40 per segment, through the sender's uplink queue like any packet. A message is
 *   lost if the loss model drops it on either access link (one draw per link per
 *   transmission, whatever its segment count), or the path is partitioned, or the uplink
 *   queue is full, or the receiving host is down. A lost message is sent again after the
 *   retransmission timeout, RTO = base path RTT + rtoMinMs, doubling with each retry of that
 *   message; after dataRetries retransmissions the sender gives the connection up (`timeout`).
 *   Messages are delivered in the order written: one that arrives early waits for the ones
 *   before it (head-of-line blocking). Each message delivered is acknowledged by one 40-byte
 *   ACK, counted but not simulated (acks are never lost, and cost no queue time).
 * - Close: `close` sends a FIN after the messages already written; the peer learns `closed`
 *   when it arrives in order. Both endpoints are then gone. `abort` sends a RST: the peer
 *   learns `reset`.
 * - A message that reaches a live host for an endpoint it no longer has (the app closed it, the
 *   host restarted, the endpoint gave up) is answered with a RST: the sender learns `reset`.
 * - A host that crashes says nothing: its endpoints vanish. A peer notices only when it sends
 *   (retransmissions time out) or when the host is back up and answers with a RST.
 *
 * - Aggregates: a `write` with `packets` N > 1 stands for N messages of its size (media in
 *   `flow` mode). Counters count N messages, N x its wire bytes and N ACKs; the uplink queue is
 *   busy for all N (all or none fit: a message is not split). It travels as one message: one
 *   loss draw per link per transmission, a loss resends (and counts) all N, and it is
 *   delivered whole, as one `data`, after one message's serialization. So the expected bytes
 *   resent match N separate messages (each lost with the same probability), but the delay
 *   spread does not, and giving up needs the whole aggregate lost dataRetries + 1 times in a
 *   row, not any one of N messages.
 *
 * Not modelled: windows, slow start and congestion control (a message's duration is its
 * serialization on the uplink, nothing more), delayed ACKs, TIME_WAIT, half-close (a FIN ends
 * the connection for both sides), simultaneous open, SYN cookies and backlogs, keep-alive
 * probes, RTT estimation (the RTO uses the base path RTT).
 */
import type { EventId } from '../kernel/index.js';
import type { DropReason } from '../trace/index.js';
import { TCP_HEADER_BYTES, TCP_RETRIES_MAX } from './config.js';
import type { HostId, TcpConnId, TcpParams } from './config.js';
import type { Fabric } from './fabric.js';
import { TCP } from './nat.js';

const CONNECTING = 0;
/** Server side: SYN answered, handshake ACK not yet arrived; the app does not know it yet. */
const SYN_RECEIVED = 1;
const OPEN = 2;
/** The app closed it; its FIN and earlier messages are still on their way. */
const CLOSING = 3;
const DEAD = 4;

const HANDSHAKE_ACK = 0;
const DATA = 1;
const FIN = 2;

const FIRST_EPHEMERAL_PORT = 49152;

class Endpoint {
  state = CONNECTING;
  peer: Endpoint | null = null;
  /** The peer's host as far as known (for the trace): -1 until the SYN found one. */
  peerHost = -1;
  viaCore = true;
  rtoMs = 0;
  nextSendSeq = 0;
  nextDeliverSeq = 0;
  /** Messages that arrived ahead of their turn, by sequence number. */
  early: Map<number, Segment> | null = null;
  /** NAT mappings this side's traffic goes through. */
  readonly mappings: number[] = [];
  synAttempts = 0;
  timer: EventId = -1;
  /** The host handler's number for the connection (NetHostHandler). */
  tag = 0;
  /** Neighbours in its host's list of live endpoints (oldest first), for a crash. */
  prevOnHost: Endpoint | null = null;
  nextOnHost: Endpoint | null = null;

  constructor(
    readonly id: TcpConnId,
    readonly host: HostId,
    readonly localPort: number,
    readonly remoteIp: number,
    readonly remotePort: number,
  ) {}
}

class Segment {
  attempt = 0;
  sentMs = 0;

  constructor(
    readonly from: Endpoint,
    readonly seq: number,
    readonly kind: number,
    readonly bytes: Uint8Array,
    readonly msg: number,
    /** Of one message: an aggregate's N messages are `packets` x this on the wire. */
    readonly wireBytes: number,
    /** How many messages of this size it stands for (1, or N for an aggregate write). */
    readonly packets: number,
  ) {}
}

/**
 * A SYN on its way: where it turned down towards its destination, its source as seen there,
 * the port it is addressed to there, and the host it was timed to reach (-1: a NAT box).
 */
interface Syn {
  readonly client: Endpoint;
  readonly node: number;
  readonly srcIp: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly timedFor: number;
}

/** A SYN-ACK or RST on its way to `to`. */
interface Control {
  readonly kind: 'tcp-syn-ack' | 'tcp-rst';
  readonly from: HostId;
  readonly to: Endpoint;
}

const EMPTY = new Uint8Array(0);

export class Tcp {
  private nextId = 1;
  private readonly endpoints = new Map<TcpConnId, Endpoint>();
  /**
   * Each host's live endpoints, oldest first: a list through the endpoints themselves, so that
   * opening and closing a connection allocates nothing; first and last by host id.
   */
  private readonly firstOnHost: (Endpoint | null | undefined)[] = [];
  private readonly lastOnHost: (Endpoint | null | undefined)[] = [];
  private nextEphemeral = new Uint16Array(0);
  private readonly held: number[] = [];
  private readonly msgSyn: number;
  private readonly msgSynAck: number;
  private readonly msgAck: number;
  private readonly msgFin: number;
  private readonly msgRst: number;

  constructor(
    private readonly fabric: Fabric,
    private readonly params: TcpParams,
  ) {
    for (const [name, value] of Object.entries(params)) {
      if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`tcp.${name} must be a non-negative number, got ${value}`);
    }
    if (!(params.synRtoMs > 0 && params.mssBytes >= 1)) throw new RangeError('tcp.synRtoMs and tcp.mssBytes must be positive');
    for (const name of ['synRetries', 'dataRetries'] as const) {
      if (!(Number.isInteger(params[name]) && params[name] <= TCP_RETRIES_MAX)) throw new RangeError(`tcp.${name} must be an integer from 0 to ${TCP_RETRIES_MAX}, got ${params[name]}`);
    }
    const counters = fabric.counters;
    this.msgSyn = counters.msgType('tcp-syn');
    this.msgSynAck = counters.msgType('tcp-syn-ack');
    this.msgAck = counters.msgType('tcp-ack');
    this.msgFin = counters.msgType('tcp-fin');
    this.msgRst = counters.msgType('tcp-rst');
  }

  /** Open endpoints (any state but gone), all hosts. */
  get openCount(): number {
    return this.endpoints.size;
  }

  connect(host: HostId, toIp: number, toPort: number, tag: number): TcpConnId {
    const client = new Endpoint(this.nextId++, host, this.ephemeralPort(host), toIp, toPort);
    client.tag = tag;
    this.register(client);
    this.sendSyn(client);
    return client.id;
  }

  write(conn: TcpConnId, bytes: Uint8Array, msgType: string, packets: number): void {
    const ep = this.endpoints.get(conn);
    if (ep === undefined || ep.state !== OPEN) throw new RangeError(`connection ${conn} is not open`);
    const mss = this.params.mssBytes;
    const segments = bytes.length === 0 ? 1 : Math.ceil(bytes.length / mss);
    this.sendSegment(ep, DATA, bytes, this.fabric.counters.msgType(msgType), bytes.length + segments * TCP_HEADER_BYTES, packets);
  }

  /** Sets the number `conn`'s events carry to its host's handler; a connection already gone is left as it is. */
  tag(conn: TcpConnId, tag: number): void {
    const ep = this.endpoints.get(conn);
    if (ep !== undefined) ep.tag = tag;
  }

  /** Closes `conn` from its own side; a connection already gone is left as it is. */
  close(conn: TcpConnId): void {
    const ep = this.endpoints.get(conn);
    if (ep === undefined) return;
    if (ep.state === CONNECTING) {
      this.die(ep);
      return;
    }
    if (ep.state !== OPEN) return;
    ep.state = CLOSING;
    this.traceTcp('tcp-close', ep, 'closed');
    this.sendSegment(ep, FIN, EMPTY, this.msgFin, TCP_HEADER_BYTES, 1);
  }

  /** Resets `conn`: the peer learns `reset`; this side hears nothing more. */
  abort(conn: TcpConnId): void {
    const ep = this.endpoints.get(conn);
    if (ep === undefined) return;
    const peer = ep.peer;
    if (ep.state !== CONNECTING && peer !== null) {
      this.traceTcp('tcp-close', ep, 'reset');
      this.sendControl('tcp-rst', ep.host, peer, this.fabric.ip(ep.host), ep.localPort, ep.remoteIp, ep.remotePort);
    }
    this.die(ep);
  }

  /** `host` crashed: its endpoints vanish without a word. */
  crash(host: HostId): void {
    for (let ep = this.firstOnHost[host]; ep; ) {
      const next = ep.nextOnHost;
      this.die(ep);
      ep = next;
    }
  }

  // --- connect -------------------------------------------------------------------------

  private sendSyn(client: Endpoint): void {
    const f = this.fabric;
    const host = client.host;
    const nowMs = f.kernel.now;
    client.timer = f.kernel.at(nowMs + this.params.synRtoMs * 2 ** client.synAttempts, this.onSynTimer, client);
    const srcIp = f.ip(host);
    const wire = TCP_HEADER_BYTES;
    if (!f.firewalls.tcpConnectOut(host, client.remotePort)) {
      return this.drop(host, -1, srcIp, client.localPort, client.remoteIp, client.remotePort, this.msgSyn, wire, 'firewall');
    }
    const departMs = f.links.enqueue(host, wire, nowMs);
    if (departMs < 0) return this.drop(host, -1, srcIp, client.localPort, client.remoteIp, client.remotePort, this.msgSyn, wire, 'queue-overflow');
    f.counters.sent(host, this.msgSyn, wire);
    const held = this.held;
    held.length = 0;
    const routed = f.routeUp(host, TCP, client.localPort, client.remoteIp, client.remotePort, held);
    for (const m of held) {
      if (client.mappings.includes(m)) continue;
      f.nats.hold(m);
      client.mappings.push(m);
    }
    const node = f.routeNode;
    const viaSrcIp = f.routeSrcIp;
    const viaSrcPort = f.routeSrcPort;
    client.viaCore = f.routeViaCore;
    let dst = -1;
    let dstRegion = 0;
    if (routed) {
      if (f.descend(node, TCP, viaSrcIp, viaSrcPort, client.remotePort, false)) {
        dst = f.downHost;
        dstRegion = f.region(dst);
      } else {
        dstRegion = f.downRegion;
      }
    }
    client.peerHost = dst;
    const syn: Syn = { client, node, srcIp: viaSrcIp, srcPort: viaSrcPort, dstPort: client.remotePort, timedFor: dst };
    if (f.trace.enabled) f.trace.packet(nowMs, 'send', 'tcp', host, dst, srcIp, client.localPort, client.remoteIp, client.remotePort, 'tcp-syn', wire, null);
    if (!routed) return this.drop(host, -1, srcIp, client.localPort, client.remoteIp, client.remotePort, this.msgSyn, wire, f.routeReason);
    if (client.viaCore && f.core.isCut(f.region(host), dstRegion)) {
      return this.drop(host, dst, srcIp, client.localPort, client.remoteIp, client.remotePort, this.msgSyn, wire, 'partition');
    }
    if (f.links.lostUp(host)) return this.drop(host, dst, srcIp, client.localPort, client.remoteIp, client.remotePort, this.msgSyn, wire, 'loss');
    f.kernel.at(f.arrivalMs(host, dst, dstRegion, wire, departMs, client.viaCore), this.onSynArrival, syn);
  }

  private readonly onSynTimer = (client: Endpoint): void => {
    client.timer = -1;
    if (client.state !== CONNECTING) return;
    client.synAttempts++;
    if (client.synAttempts <= this.params.synRetries) {
      this.sendSyn(client);
      return;
    }
    this.traceTcp('tcp-timeout', client, null);
    this.die(client);
    this.fabric.handler(client.host).onConnectFailed(client.host, client.id, 'timeout', client.tag);
  };

  private readonly onSynArrival = (syn: Syn): void => {
    const f = this.fabric;
    const client = syn.client;
    const wire = TCP_HEADER_BYTES;
    const nowMs = f.kernel.now;
    if (!f.descend(syn.node, TCP, syn.srcIp, syn.srcPort, syn.dstPort, true)) {
      return this.drop(client.host, client.peerHost, syn.srcIp, syn.srcPort, client.remoteIp, client.remotePort, this.msgSyn, wire, f.downReason);
    }
    const server = f.downHost;
    const port = f.downPort;
    // As for a datagram (udp.ts): led elsewhere than it was timed for, it has a last mile ahead.
    const aheadMs = server === syn.timedFor ? 0 : f.lastMileMs(server, wire) - (syn.timedFor >= 0 ? f.lastMileMs(syn.timedFor, wire) : 0);
    if (aheadMs > 0) {
      const onward: Syn = { client, node: server, srcIp: syn.srcIp, srcPort: syn.srcPort, dstPort: port, timedFor: server };
      f.kernel.at(nowMs + aheadMs, this.onSynArrival, onward);
      return;
    }
    const dstIp = f.ip(server);
    let reason: DropReason | null = null;
    if (!f.isUp(server)) reason = 'dead-host';
    else if (!f.firewalls.tcpConnectIn(server)) reason = 'firewall';
    else if (f.links.lostDown(server)) reason = 'loss';
    if (reason !== null) return this.drop(client.host, server, syn.srcIp, syn.srcPort, dstIp, port, this.msgSyn, wire, reason);
    f.counters.received(server, wire);
    // A SYN overtaken by the end of its connect attempt (answered already, or given up).
    if (client.state !== CONNECTING) return;
    f.counters.delivered(this.msgSyn, wire);
    if (f.trace.enabled) f.trace.packet(nowMs, 'deliver', 'tcp', client.host, server, syn.srcIp, syn.srcPort, dstIp, port, 'tcp-syn', wire, null);
    if (!f.isListening(server, TCP, port)) {
      this.sendControl('tcp-rst', server, client, dstIp, port, syn.srcIp, syn.srcPort);
      return;
    }
    let accepted = client.peer;
    if (accepted === null) {
      accepted = new Endpoint(this.nextId++, server, port, syn.srcIp, syn.srcPort);
      accepted.state = SYN_RECEIVED;
      accepted.peer = client;
      accepted.peerHost = client.host;
      accepted.viaCore = client.viaCore;
      client.peer = accepted;
      client.peerHost = server;
      client.rtoMs = accepted.rtoMs = f.baseRttMs(client.host, server, client.viaCore) + this.params.rtoMinMs;
      this.register(accepted);
      // A half-open endpoint whose client never completes goes as a failed connect would.
      const p = this.params;
      accepted.timer = f.kernel.after(p.synRtoMs * (2 ** (p.synRetries + 1) - 1), this.onHalfOpenTimeout, accepted);
    }
    this.sendControl('tcp-syn-ack', server, client, dstIp, port, syn.srcIp, syn.srcPort);
  };

  private readonly onHalfOpenTimeout = (ep: Endpoint): void => {
    ep.timer = -1;
    if (ep.state === SYN_RECEIVED) this.die(ep);
  };

  /**
   * Sends a SYN-ACK or RST from host `from`, addressed (srcIp:srcPort -> dstIp:dstPort, as
   * `from` sees them) to endpoint `to`, along `to`'s path.
   */
  private sendControl(kind: Control['kind'], from: HostId, to: Endpoint, srcIp: number, srcPort: number, dstIp: number, dstPort: number): void {
    const f = this.fabric;
    const nowMs = f.kernel.now;
    const wire = TCP_HEADER_BYTES;
    const msg = kind === 'tcp-rst' ? this.msgRst : this.msgSynAck;
    const departMs = f.links.enqueue(from, wire, nowMs);
    if (departMs < 0) return this.drop(from, to.host, srcIp, srcPort, dstIp, dstPort, msg, wire, 'queue-overflow');
    f.counters.sent(from, msg, wire);
    if (f.trace.enabled) f.trace.packet(nowMs, 'send', 'tcp', from, to.host, srcIp, srcPort, dstIp, dstPort, kind, wire, null);
    const toRegion = f.region(to.host);
    if (to.viaCore && f.core.isCut(f.region(from), toRegion)) return this.drop(from, to.host, srcIp, srcPort, dstIp, dstPort, msg, wire, 'partition');
    if (f.links.lostUp(from)) return this.drop(from, to.host, srcIp, srcPort, dstIp, dstPort, msg, wire, 'loss');
    const control: Control = { kind, from, to };
    f.kernel.at(f.arrivalMs(from, to.host, toRegion, wire, departMs, to.viaCore), this.onControlArrival, control);
  }

  private readonly onControlArrival = (control: Control): void => {
    const f = this.fabric;
    const to = control.to;
    const wire = TCP_HEADER_BYTES;
    const msg = control.kind === 'tcp-rst' ? this.msgRst : this.msgSynAck;
    const dstIp = f.ip(to.host);
    let reason: DropReason | null = null;
    if (!f.isUp(to.host)) reason = 'dead-host';
    else if (f.links.lostDown(to.host)) reason = 'loss';
    if (reason !== null) return this.drop(control.from, to.host, to.remoteIp, to.remotePort, dstIp, to.localPort, msg, wire, reason);
    f.counters.received(to.host, wire);
    if (to.state === DEAD) {
      // The endpoint is gone: a SYN-ACK for an abandoned connect is answered with a RST.
      if (control.kind === 'tcp-syn-ack' && to.peer !== null && to.peer.state === SYN_RECEIVED) {
        this.sendControl('tcp-rst', to.host, to.peer, dstIp, to.localPort, to.remoteIp, to.remotePort);
      }
      return this.drop(control.from, to.host, to.remoteIp, to.remotePort, dstIp, to.localPort, msg, wire, 'no-listener');
    }
    f.counters.delivered(msg, wire);
    if (f.trace.enabled) f.trace.packet(f.kernel.now, 'deliver', 'tcp', control.from, to.host, to.remoteIp, to.remotePort, dstIp, to.localPort, control.kind, wire, null);
    if (control.kind === 'tcp-syn-ack') {
      if (to.state !== CONNECTING) return;
      to.state = OPEN;
      this.cancelTimer(to);
      this.traceTcp('tcp-connect', to, null);
      // The ACK goes first so that it precedes anything the app writes when it hears.
      this.sendSegment(to, HANDSHAKE_ACK, EMPTY, this.msgAck, TCP_HEADER_BYTES, 1);
      f.handler(to.host).onConnected(to.host, to.id, to.tag);
      return;
    }
    this.onReset(to);
  };

  private onReset(ep: Endpoint): void {
    const f = this.fabric;
    const wasState = ep.state;
    if (wasState === CONNECTING) this.traceTcp('tcp-refuse', ep, null);
    else if (wasState === OPEN) this.traceTcp('tcp-close', ep, 'reset');
    this.die(ep);
    if (wasState === CONNECTING) f.handler(ep.host).onConnectFailed(ep.host, ep.id, 'refused', ep.tag);
    else if (wasState === OPEN) f.handler(ep.host).onClosed(ep.host, ep.id, 'reset', ep.tag);
  }

  // --- streams -------------------------------------------------------------------------

  private sendSegment(from: Endpoint, kind: number, bytes: Uint8Array, msg: number, wireBytes: number, packets: number): void {
    this.transmit(new Segment(from, from.nextSendSeq++, kind, bytes, msg, wireBytes, packets));
  }

  private transmit(seg: Segment): void {
    const f = this.fabric;
    const from = seg.from;
    const to = from.peer!;
    const nowMs = f.kernel.now;
    const srcIp = f.ip(from.host);
    seg.sentMs = nowMs;
    const departMs = f.links.enqueueBurst(from.host, seg.wireBytes, seg.packets, nowMs, true);
    if (departMs < 0) return this.lose(seg, 'queue-overflow');
    f.counters.sentMany(from.host, seg.msg, seg.wireBytes, seg.packets);
    if (f.trace.enabled) {
      f.trace.packet(nowMs, 'send', 'tcp', from.host, to.host, srcIp, from.localPort, from.remoteIp, from.remotePort, f.counters.msgName(seg.msg), seg.wireBytes, null, seg.packets);
    }
    const toRegion = f.region(to.host);
    if (from.viaCore && f.core.isCut(f.region(from.host), toRegion)) return this.lose(seg, 'partition');
    if (f.links.lostUp(from.host)) return this.lose(seg, 'loss');
    f.kernel.at(f.arrivalMs(from.host, to.host, toRegion, seg.wireBytes, departMs, from.viaCore), this.onSegmentArrival, seg);
  }

  /** `seg` did not get through: trace it, and send it again when its RTO runs out. */
  private lose(seg: Segment, reason: DropReason): void {
    const f = this.fabric;
    const from = seg.from;
    const to = from.peer!;
    this.drop(from.host, to.host, f.ip(from.host), from.localPort, from.remoteIp, from.remotePort, seg.msg, seg.wireBytes, reason, seg.packets);
    const retryMs = seg.sentMs + from.rtoMs * 2 ** seg.attempt;
    f.kernel.at(Math.max(retryMs, f.kernel.now), this.onRetransmit, seg);
  }

  private readonly onRetransmit = (seg: Segment): void => {
    const from = seg.from;
    if (from.state === DEAD) return;
    seg.attempt++;
    if (seg.attempt <= this.params.dataRetries) {
      this.transmit(seg);
      return;
    }
    const wasOpen = from.state === OPEN;
    if (wasOpen) this.traceTcp('tcp-close', from, 'timeout');
    this.die(from);
    if (wasOpen) this.fabric.handler(from.host).onClosed(from.host, from.id, 'timeout', from.tag);
  };

  private readonly onSegmentArrival = (seg: Segment): void => {
    const f = this.fabric;
    const from = seg.from;
    const to = from.peer!;
    if (!f.isUp(to.host)) return this.lose(seg, 'dead-host');
    if (f.links.lostDown(to.host)) return this.lose(seg, 'loss');
    f.counters.receivedMany(to.host, seg.wireBytes, seg.packets);
    if (to.state === DEAD || (to.state === CLOSING && seg.kind === DATA)) {
      this.drop(from.host, to.host, to.remoteIp, to.remotePort, f.ip(to.host), to.localPort, seg.msg, seg.wireBytes, 'no-listener', seg.packets);
      if (to.state === CLOSING) this.die(to);
      if (from.state !== DEAD) this.sendControl('tcp-rst', to.host, from, f.ip(to.host), to.localPort, to.remoteIp, to.remotePort);
      return;
    }
    if (seg.seq !== to.nextDeliverSeq) {
      if (seg.seq > to.nextDeliverSeq) (to.early ??= new Map()).set(seg.seq, seg);
      return;
    }
    this.deliver(to, seg);
    while (to.state !== DEAD && to.early !== null && to.early.has(to.nextDeliverSeq)) {
      const next = to.early.get(to.nextDeliverSeq)!;
      to.early.delete(next.seq);
      this.deliver(to, next);
    }
  };

  /** Hands `seg`, next in order, to endpoint `to`. */
  private deliver(to: Endpoint, seg: Segment): void {
    const f = this.fabric;
    const from = seg.from;
    to.nextDeliverSeq++;
    f.counters.deliveredMany(seg.msg, seg.wireBytes, seg.packets);
    if (f.trace.enabled) {
      f.trace.packet(f.kernel.now, 'deliver', 'tcp', from.host, to.host, to.remoteIp, to.remotePort, f.ip(to.host), to.localPort, f.counters.msgName(seg.msg), seg.wireBytes, null, seg.packets);
    }
    if (seg.kind !== HANDSHAKE_ACK) {
      // One ACK per message, so an aggregate's N messages are acknowledged N times.
      f.counters.sentMany(to.host, this.msgAck, TCP_HEADER_BYTES, seg.packets);
      f.counters.receivedMany(from.host, TCP_HEADER_BYTES, seg.packets);
    }
    const handler = f.handler(to.host);
    switch (seg.kind) {
      case HANDSHAKE_ACK:
        if (to.state !== SYN_RECEIVED) return;
        to.state = OPEN;
        this.cancelTimer(to);
        this.traceTcp('tcp-accept', to, null);
        handler.onAccepted(to.host, to.id, to.localPort, to.remoteIp, to.remotePort);
        return;
      case DATA:
        if (to.state === OPEN) handler.onData(to.host, to.id, seg.bytes, to.tag);
        return;
      default: {
        const wasOpen = to.state === OPEN;
        if (wasOpen) this.traceTcp('tcp-close', to, 'closed');
        this.die(to);
        this.die(from);
        if (wasOpen) handler.onClosed(to.host, to.id, 'closed', to.tag);
      }
    }
  }

  // --- bookkeeping ---------------------------------------------------------------------

  private register(ep: Endpoint): void {
    this.endpoints.set(ep.id, ep);
    const last = this.lastOnHost[ep.host] ?? null;
    ep.prevOnHost = last;
    if (last !== null) last.nextOnHost = ep;
    else this.firstOnHost[ep.host] = ep;
    this.lastOnHost[ep.host] = ep;
  }

  /** The endpoint is gone for good: no more traffic, its NAT mappings released. */
  private die(ep: Endpoint): void {
    if (ep.state === DEAD) return;
    ep.state = DEAD;
    this.cancelTimer(ep);
    for (const m of ep.mappings) this.fabric.nats.release(m);
    ep.mappings.length = 0;
    ep.early = null;
    this.endpoints.delete(ep.id);
    const { prevOnHost: prev, nextOnHost: next } = ep;
    if (prev !== null) prev.nextOnHost = next;
    else this.firstOnHost[ep.host] = next;
    if (next !== null) next.prevOnHost = prev;
    else this.lastOnHost[ep.host] = prev;
    ep.prevOnHost = null;
    ep.nextOnHost = null;
  }

  private cancelTimer(ep: Endpoint): void {
    if (ep.timer === -1) return;
    this.fabric.kernel.cancel(ep.timer);
    ep.timer = -1;
  }

  private ephemeralPort(host: HostId): number {
    const f = this.fabric;
    if (host >= this.nextEphemeral.length) {
      const grown = new Uint16Array(Math.max(f.hosts.size, host + 1) * 2);
      grown.set(this.nextEphemeral);
      this.nextEphemeral = grown;
    }
    let port = this.nextEphemeral[host] || FIRST_EPHEMERAL_PORT;
    while (f.isListening(host, TCP, port)) port = port === 65535 ? FIRST_EPHEMERAL_PORT : port + 1;
    this.nextEphemeral[host] = port === 65535 ? FIRST_EPHEMERAL_PORT : port + 1;
    return port;
  }

  private drop(from: HostId, to: HostId, srcIp: number, srcPort: number, dstIp: number, dstPort: number, msg: number, wire: number, reason: DropReason, packets = 1): void {
    const f = this.fabric;
    f.counters.droppedMany(msg, reason, packets);
    if (f.trace.enabled) f.trace.packet(f.kernel.now, 'drop', 'tcp', from, to, srcIp, srcPort, dstIp, dstPort, f.counters.msgName(msg), wire, reason, packets);
  }

  private traceTcp(ev: 'tcp-connect' | 'tcp-accept' | 'tcp-refuse' | 'tcp-timeout' | 'tcp-close', ep: Endpoint, reason: string | null): void {
    const f = this.fabric;
    if (!f.trace.enabled) return;
    f.trace.tcp(f.kernel.now, ev, ep.id, ep.host, ep.peerHost, f.ip(ep.host), ep.localPort, ep.remoteIp, ep.remotePort, reason);
  }
}
