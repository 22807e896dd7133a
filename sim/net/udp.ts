/**
 * UDP: datagrams, each delivered whole or lost, possibly reordered by jitter.
 *
 * A datagram costs one kernel event (its arrival) and allocates no object: its fields wait in
 * a pool of typed-array records whose index is the event payload. The byte array is passed by
 * reference from sender to receiver - a sender must not change it after sending.
 *
 * Checks, in the order a datagram meets them: the sender's firewall; the sender's uplink
 * queue (overflow); then, on the wire: the route up through the sender's NATs (no free port,
 * refused hairpin, unrouteable address), partitions, uplink loss; on arrival: the receiver's
 * NAT mappings and filters, whether the receiver is up, its firewall, downlink loss, and
 * whether anything listens on the port.
 *
 * Aggregates. A datagram sent with `packets` N > 1 stands for N datagrams of its size sent
 * back to back (media in `flow` mode: one datagram per second for 50 voice frames). The model
 * keeps one record and one arrival event for it, and otherwise treats it as its N packets:
 * - counters (per host, per message type, drops per reason) count N packets and N x (size +
 *   28) bytes, split between what is dropped where and what is delivered;
 * - the uplink queue takes all N back to back and is busy for N x size, so the link's
 *   bandwidth use is right; a bounded queue admits as many as fit and drops the rest
 *   (`queue-overflow`) - a burst, so a queue smaller than the aggregate loses packets that
 *   frames spread over the interval would not;
 * - loss is drawn per packet on each link (links.ts: the draws N single packets in a row would
 *   make; for Bernoulli an exact binomial count, for Gilbert-Elliott the chain stepped N times);
 * - what happens to the whole path (firewalls, NAT routing and filtering, partitions, a dead
 *   host, no listener) happens to all its packets at once, as it would to N packets sent
 *   within the same instant;
 * - if any packet survives both links, the aggregate is delivered once, with `packets` the
 *   survivors, after the delay of ONE packet: queueing behind earlier traffic, its own
 *   serialization, access and core delay, one jitter draw, its downlink serialization. That
 *   is the difference to simulating the frames one by one, where the k-th frame would also
 *   wait for the k - 1 before it (and each would draw its own jitter). Zero survivors:
 *   nothing is delivered.
 * - the trace has one `send` and one `deliver` record for it with a `packets` field, and a
 *   `drop` record (with `packets`) for each place where some of its packets were lost.
 * A datagram with `packets` 1 takes exactly the draws and steps it always did.
 *
 * Not modelled: ICMP (port unreachable and the like are silent drops), MTU and fragmentation,
 * checksum errors, duplication.
 */
import type { DropReason } from '../trace/index.js';
import { natOfNode } from './address.js';
import { UDP_HEADER_BYTES } from './config.js';
import type { HostId } from './config.js';
import type { Fabric } from './fabric.js';
import { UDP } from './nat.js';
import { Records } from './records.js';

// An in-flight datagram's record (records.ts), 40 bytes; 32-bit fields in the u32 or i32 view.
const RECORD_BYTES = 40;
const W = RECORD_BYTES / 4;
const H = RECORD_BYTES / 2;
/** The node it turned down towards, and its source as seen there; a free slot's next free one. */
const NODE = 0;
const SRC_IP = 1;
const DST_IP = 2;
const FROM = 3;
/** The host it was headed for when sent (-1: none), through MAPPING (-1: none) at the first box. */
const TO = 4;
const MAPPING = 5;
const WIRE_BYTES = 6;
/** How many packets of an aggregate are still on their way (1 for a plain datagram). */
const PACKETS = 7;
/** Its message type (Counters.msgType). */
const MSG = 9;
// 16-bit.
const SRC_PORT = 16;
const DST_PORT = 17;

export class Udp {
  // In-flight datagrams, by slot: a record of numbers, the payload beside it.
  private readonly records = new Records(RECORD_BYTES, 1024);
  private readonly payload: (Uint8Array | undefined)[] = [];
  private freeHead = -1;

  constructor(private readonly fabric: Fabric) {}

  /** Sends a datagram, or with `packets` N > 1 an aggregate of N (see the file's header). */
  send(host: HostId, fromPort: number, toIp: number, toPort: number, bytes: Uint8Array, msgType: string, packets: number): void {
    const f = this.fabric;
    const nowMs = f.kernel.now;
    const wire = bytes.length + UDP_HEADER_BYTES;
    const msg = f.counters.msgType(msgType);
    const srcIp = f.ip(host);
    if (!f.firewalls.udpOut(host, toIp, toPort, nowMs)) {
      return this.dropOut(host, -1, srcIp, fromPort, toIp, toPort, msg, wire, 'firewall', packets);
    }
    const departMs = f.links.enqueueBurst(host, wire, packets, nowMs, false);
    const queued = f.links.admitted;
    if (queued < packets) {
      this.dropOut(host, -1, srcIp, fromPort, toIp, toPort, msg, wire, 'queue-overflow', packets - queued);
      if (departMs < 0) return;
    }
    f.counters.sentMany(host, msg, wire, queued);
    const routed = f.routeUp(host, UDP, fromPort, toIp, toPort, null);
    const node = f.routeNode;
    const viaSrcIp = f.routeSrcIp;
    const viaSrcPort = f.routeSrcPort;
    const viaCore = f.routeViaCore;
    let dst = -1;
    let dstRegion = 0;
    let mapping = -1;
    if (routed) {
      if (f.descend(node, UDP, viaSrcIp, viaSrcPort, toPort, false)) {
        mapping = f.downMapping;
        dst = f.downHost;
        dstRegion = f.region(dst);
      } else {
        dstRegion = f.downRegion;
      }
    }
    if (f.trace.enabled) f.trace.packet(nowMs, 'send', 'udp', host, dst, srcIp, fromPort, toIp, toPort, msgType, wire, null, queued);
    if (!routed) return this.dropOut(host, -1, srcIp, fromPort, toIp, toPort, msg, wire, f.routeReason, queued);
    if (viaCore && f.core.isCut(f.region(host), dstRegion)) {
      return this.dropOut(host, dst, srcIp, fromPort, toIp, toPort, msg, wire, 'partition', queued);
    }
    const lost = f.links.lostUpOf(host, queued);
    if (lost > 0) {
      this.dropOut(host, dst, srcIp, fromPort, toIp, toPort, msg, wire, 'loss', lost);
      if (lost === queued) return;
    }

    const slot = this.alloc();
    const { i32, u32, u16 } = this.records;
    i32[slot * W + NODE] = node;
    u32[slot * W + SRC_IP] = viaSrcIp;
    u32[slot * W + DST_IP] = toIp;
    i32[slot * W + FROM] = host;
    i32[slot * W + TO] = dst;
    i32[slot * W + MAPPING] = mapping;
    u32[slot * W + WIRE_BYTES] = wire;
    u32[slot * W + PACKETS] = queued - lost;
    u16[slot * H + SRC_PORT] = viaSrcPort;
    u16[slot * H + DST_PORT] = toPort;
    u32[slot * W + MSG] = msg;
    this.payload[slot] = bytes;
    f.kernel.at(f.arrivalMs(host, dst, dstRegion, wire, departMs, viaCore), this.onArrival, slot);
  }

  private readonly onArrival = (slot: number): void => {
    const f = this.fabric;
    const nowMs = f.kernel.now;
    const { i32, u32, u16 } = this.records;
    const node = i32[slot * W + NODE];
    const srcIp = u32[slot * W + SRC_IP];
    const srcPort = u16[slot * H + SRC_PORT];
    let dstPort = u16[slot * H + DST_PORT];
    let dstIp = u32[slot * W + DST_IP];
    const from = i32[slot * W + FROM];
    let to = i32[slot * W + TO];
    const mapping = i32[slot * W + MAPPING];
    const wire = u32[slot * W + WIRE_BYTES];
    let packets = u32[slot * W + PACKETS];
    const msg = u32[slot * W + MSG];
    const bytes = this.payload[slot]!;

    let reason: DropReason | null = null;
    if (mapping >= 0 && to >= 0 && f.nats.intNode(mapping) === to && f.nats.isAt(mapping, natOfNode(node), UDP, dstPort, nowMs)) {
      // The one box on the way still has the mapping the datagram was sent through: only
      // its filter is left to ask.
      if (!f.nats.admits(mapping, srcIp, srcPort, nowMs)) reason = 'nat-filter';
      else dstPort = f.nats.intPort(mapping);
    } else if (f.descend(node, UDP, srcIp, srcPort, dstPort, true)) {
      const reached = f.downHost;
      dstPort = f.downPort;
      // A mapping came or went while the datagram flew: it leads to another host than the one
      // it was timed for, and has the rest of that host's last mile still ahead.
      const aheadMs = reached === to ? 0 : f.lastMileMs(reached, wire) - (to >= 0 ? f.lastMileMs(to, wire) : 0);
      to = reached;
      if (aheadMs > 0) {
        i32[slot * W + NODE] = to;
        u16[slot * H + DST_PORT] = dstPort;
        i32[slot * W + TO] = to;
        i32[slot * W + MAPPING] = -1;
        f.kernel.at(nowMs + aheadMs, this.onArrival, slot);
        return;
      }
    } else {
      reason = f.downReason;
    }
    this.free(slot);
    if (reason === null) {
      dstIp = f.ip(to);
      if (!f.isUp(to)) reason = 'dead-host';
      else if (!f.firewalls.udpIn(to, srcIp, srcPort, nowMs)) reason = 'firewall';
      else {
        const lost = f.links.lostDownOf(to, packets);
        if (lost === packets) reason = 'loss';
        else {
          if (lost > 0) {
            // Part of an aggregate lost on the downlink: counted and traced, the rest goes on.
            f.counters.droppedMany(msg, 'loss', lost);
            if (f.trace.enabled) f.trace.packet(nowMs, 'drop', 'udp', from, to, srcIp, srcPort, dstIp, dstPort, f.counters.msgName(msg), wire, 'loss', lost);
            packets -= lost;
          }
          f.counters.receivedMany(to, wire, packets);
          if (!f.isListening(to, UDP, dstPort)) reason = 'no-listener';
        }
      }
    }
    if (reason !== null) {
      f.counters.droppedMany(msg, reason, packets);
      if (f.trace.enabled) f.trace.packet(nowMs, 'drop', 'udp', from, to, srcIp, srcPort, dstIp, dstPort, f.counters.msgName(msg), wire, reason, packets);
      return;
    }
    f.counters.deliveredMany(msg, wire, packets);
    if (f.trace.enabled) f.trace.packet(nowMs, 'deliver', 'udp', from, to, srcIp, srcPort, dstIp, dstPort, f.counters.msgName(msg), wire, null, packets);
    f.handler(to).onDatagram(to, dstPort, srcIp, srcPort, bytes, packets);
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
    packets: number,
  ): void {
    const f = this.fabric;
    f.counters.droppedMany(msg, reason, packets);
    if (f.trace.enabled) f.trace.packet(f.kernel.now, 'drop', 'udp', host, to, srcIp, srcPort, dstIp, dstPort, f.counters.msgName(msg), wire, reason, packets);
  }

  private alloc(): number {
    const slot = this.freeHead;
    if (slot < 0) {
      this.payload.push(undefined);
      return this.records.add();
    }
    this.freeHead = this.records.i32[slot * W + NODE];
    return slot;
  }

  private free(slot: number): void {
    this.payload[slot] = undefined;
    this.records.i32[slot * W + NODE] = this.freeHead;
    this.freeHead = slot;
  }
}
