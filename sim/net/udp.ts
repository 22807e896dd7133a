/**
 * UDP: datagrams, each delivered whole or lost, possibly reordered by jitter.
 *
 * A datagram costs one kernel event (its arrival) and no allocation: its fields wait in a pool
 * of typed-array slots whose index is the event payload. The byte array is passed by
 * reference from sender to receiver - a sender must not change it after sending.
 *
 * Checks, in the order a datagram meets them: the sender's firewall; the sender's uplink
 * queue (overflow); then, on the wire: the route up through the sender's NATs (no free port,
 * refused hairpin, unrouteable address), partitions, uplink loss; on arrival: the receiver's
 * NAT mappings and filters, whether the receiver is up, its firewall, downlink loss, and
 * whether anything listens on the port.
 *
 * Not modelled: ICMP (port unreachable and the like are silent drops), MTU and fragmentation,
 * checksum errors, duplication.
 */
import { UDP_HEADER_BYTES } from './config.js';
import type { HostId } from './config.js';
import type { DropReason } from '../trace/index.js';
import type { Fabric } from './fabric.js';
import { grown } from './grow.js';
import { UDP } from './nat.js';

export class Udp {
  // In-flight datagrams, by slot.
  private node = new Int32Array(1024);
  private fromHost = new Int32Array(1024);
  private toHost = new Int32Array(1024);
  private srcIp = new Uint32Array(1024);
  private srcPort = new Uint16Array(1024);
  private dstIp = new Uint32Array(1024);
  private dstPort = new Uint16Array(1024);
  private wireBytes = new Int32Array(1024);
  private msg = new Int32Array(1024);
  private payload: (Uint8Array | undefined)[] = [];
  private nextFree = new Int32Array(1024);
  private freeHead = -1;
  private used = 0;

  constructor(private readonly fabric: Fabric) {}

  send(host: HostId, fromPort: number, toIp: number, toPort: number, bytes: Uint8Array, msgType: string): void {
    const f = this.fabric;
    const nowMs = f.kernel.now;
    const wire = bytes.length + UDP_HEADER_BYTES;
    const msg = f.counters.msgType(msgType);
    const srcIp = f.hostIp[host];
    if (!f.firewalls.udpOut(host, toIp, toPort, nowMs)) {
      return this.dropOut(host, -1, srcIp, fromPort, toIp, toPort, msg, wire, 'firewall');
    }
    const departMs = f.links.enqueue(host, wire, nowMs);
    if (departMs < 0) return this.dropOut(host, -1, srcIp, fromPort, toIp, toPort, msg, wire, 'queue-overflow');
    f.counters.sent(host, msg, wire);
    const routed = f.routeUp(host, UDP, fromPort, toIp, toPort, null);
    const node = f.routeNode;
    const viaSrcIp = f.routeSrcIp;
    const viaSrcPort = f.routeSrcPort;
    const viaCore = f.routeViaCore;
    let dst = -1;
    let dstRegion = 0;
    if (routed) {
      if (f.descend(node, UDP, viaSrcIp, viaSrcPort, toPort, false)) {
        dst = f.downHost;
        dstRegion = f.hostRegion[dst];
      } else {
        dstRegion = f.downRegion;
      }
    }
    if (f.trace.enabled) f.trace.packet(nowMs, 'send', 'udp', host, dst, srcIp, fromPort, toIp, toPort, msgType, wire, null);
    if (!routed) return this.dropOut(host, -1, srcIp, fromPort, toIp, toPort, msg, wire, f.routeReason);
    if (viaCore && f.core.isCut(f.hostRegion[host], dstRegion)) {
      return this.dropOut(host, dst, srcIp, fromPort, toIp, toPort, msg, wire, 'partition');
    }
    if (f.links.lostUp(host)) return this.dropOut(host, dst, srcIp, fromPort, toIp, toPort, msg, wire, 'loss');

    const slot = this.alloc();
    this.node[slot] = node;
    this.fromHost[slot] = host;
    this.toHost[slot] = dst;
    this.srcIp[slot] = viaSrcIp;
    this.srcPort[slot] = viaSrcPort;
    this.dstIp[slot] = toIp;
    this.dstPort[slot] = toPort;
    this.wireBytes[slot] = wire;
    this.msg[slot] = msg;
    this.payload[slot] = bytes;
    f.kernel.at(f.arrivalMs(host, dst, dstRegion, wire, departMs, viaCore), this.onArrival, slot);
  }

  private readonly onArrival = (slot: number): void => {
    const f = this.fabric;
    const nowMs = f.kernel.now;
    const from = this.fromHost[slot];
    const srcIp = this.srcIp[slot];
    const srcPort = this.srcPort[slot];
    const wire = this.wireBytes[slot];
    const msg = this.msg[slot];
    const bytes = this.payload[slot]!;
    const reached = f.descend(this.node[slot], UDP, srcIp, srcPort, this.dstPort[slot], true);
    const to = reached ? f.downHost : this.toHost[slot];
    const dstIp = reached ? f.hostIp[to] : this.dstIp[slot];
    const dstPort = reached ? f.downPort : this.dstPort[slot];
    this.free(slot);

    let reason: DropReason | null = null;
    if (!reached) reason = f.downReason;
    else if (f.hostUp[to] === 0) reason = 'dead-host';
    else if (!f.firewalls.udpIn(to, srcIp, srcPort, nowMs)) reason = 'firewall';
    else if (f.links.lostDown(to)) reason = 'loss';
    else {
      f.counters.received(to, wire);
      if (!f.isListening(to, UDP, dstPort)) reason = 'no-listener';
    }
    if (reason !== null) {
      f.counters.dropped(msg, reason);
      if (f.trace.enabled) f.trace.packet(nowMs, 'drop', 'udp', from, to, srcIp, srcPort, dstIp, dstPort, f.counters.msgName(msg), wire, reason);
      return;
    }
    f.counters.delivered(msg, wire);
    if (f.trace.enabled) f.trace.packet(nowMs, 'deliver', 'udp', from, to, srcIp, srcPort, dstIp, dstPort, f.counters.msgName(msg), wire, null);
    f.handlers[to].onDatagram(to, dstPort, srcIp, srcPort, bytes);
  };

  private dropOut(
    host: HostId,
    to: number,
    srcIp: number,
    srcPort: number,
    dstIp: number,
    dstPort: number,
    msg: number,
    wire: number,
    reason: DropReason,
  ): void {
    const f = this.fabric;
    f.counters.dropped(msg, reason);
    if (f.trace.enabled) f.trace.packet(f.kernel.now, 'drop', 'udp', host, to, srcIp, srcPort, dstIp, dstPort, f.counters.msgName(msg), wire, reason);
  }

  private alloc(): number {
    if (this.freeHead >= 0) {
      const slot = this.freeHead;
      this.freeHead = this.nextFree[slot];
      return slot;
    }
    if (this.used === this.node.length) this.grow();
    this.payload.push(undefined);
    return this.used++;
  }

  private free(slot: number): void {
    this.payload[slot] = undefined;
    this.nextFree[slot] = this.freeHead;
    this.freeHead = slot;
  }

  private grow(): void {
    const n = this.node.length * 2;
    this.node = grown(this.node, n);
    this.fromHost = grown(this.fromHost, n);
    this.toHost = grown(this.toHost, n);
    this.srcIp = grown(this.srcIp, n);
    this.srcPort = grown(this.srcPort, n);
    this.dstIp = grown(this.dstIp, n);
    this.dstPort = grown(this.dstPort, n);
    this.wireBytes = grown(this.wireBytes, n);
    this.msg = grown(this.msg, n);
    this.nextFree = grown(this.nextFree, n);
  }
}
