/**
 * Traffic counters: bytes and packets per host and per message type, drops per reason.
 *
 * Bytes are on the wire: payload plus 28 bytes of IP+UDP header per datagram, 40 bytes of
 * IP+TCP header per TCP segment (config.ts). What counts where:
 * - a host's sent bytes: packets that left it (past its firewall and into its uplink queue),
 *   including ones the link then loses, and every TCP retransmission;
 * - a host's received bytes: packets that reached it (past NATs, firewall and downlink loss),
 *   whether or not anything listens on the port;
 * - per message type: sent (as above), delivered (to a listening socket or an open
 *   connection) and dropped (anywhere, for any reason). TCP's own segments count under
 *   `tcp-syn`, `tcp-syn-ack`, `tcp-ack`, `tcp-fin` and `tcp-rst`.
 * An aggregate of N packets (a datagram or write with `packets` N) counts as N packets and
 * N times its wire bytes wherever it counts; when only some of its packets are lost, the lost
 * ones count as dropped and the rest go on (udp.ts).
 */
import { DROP_REASONS } from '../trace/index.js';
import type { DropReason } from '../trace/index.js';
import type { HostId } from './config.js';
import { grown } from './grow.js';
import type { HostTable } from './hosts.js';
import { F64, RECEIVED_BYTES, RECEIVED_PACKETS, SENT_BYTES, SENT_PACKETS } from './hosts.js';

export interface HostCounters {
  readonly sentBytes: number;
  readonly sentPackets: number;
  readonly receivedBytes: number;
  readonly receivedPackets: number;
}

export interface MsgTypeCounters {
  readonly msgType: string;
  readonly sentBytes: number;
  readonly sentPackets: number;
  readonly deliveredBytes: number;
  readonly deliveredPackets: number;
  readonly droppedPackets: number;
}

const DROP_CODE = new Map<DropReason, number>(DROP_REASONS.map((r, i) => [r, i]));

export class Counters {
  private readonly msgIds = new Map<string, number>();
  private readonly msgNames: string[] = [];
  private msgSentBytes = new Float64Array(64);
  private msgSentPackets = new Float64Array(64);
  private msgDeliveredBytes = new Float64Array(64);
  private msgDeliveredPackets = new Float64Array(64);
  private msgDroppedPackets = new Float64Array(64);

  private readonly drops = new Float64Array(DROP_REASONS.length);

  constructor(private readonly hosts: HostTable) {}

  /** The id of a message type, made on first use. */
  msgType(name: string): number {
    let id = this.msgIds.get(name);
    if (id === undefined) {
      id = this.msgNames.length;
      this.msgNames.push(name);
      this.msgIds.set(name, id);
      if (id === this.msgSentBytes.length) this.growMsgTypes(id * 2);
    }
    return id;
  }

  msgName(id: number): string {
    return this.msgNames[id];
  }

  sent(host: HostId, msg: number, wireBytes: number): void {
    const f = this.hosts.f64;
    f[host * F64 + SENT_BYTES] += wireBytes;
    f[host * F64 + SENT_PACKETS]++;
    this.msgSentBytes[msg] += wireBytes;
    this.msgSentPackets[msg]++;
  }

  received(host: HostId, wireBytes: number): void {
    const f = this.hosts.f64;
    f[host * F64 + RECEIVED_BYTES] += wireBytes;
    f[host * F64 + RECEIVED_PACKETS]++;
  }

  delivered(msg: number, wireBytes: number): void {
    this.msgDeliveredBytes[msg] += wireBytes;
    this.msgDeliveredPackets[msg]++;
  }

  dropped(msg: number, reason: DropReason): void {
    this.msgDroppedPackets[msg]++;
    this.drops[DROP_CODE.get(reason)!]++;
  }

  // The same four for `packets` packets of `wireBytes` each (an aggregate, or part of one):
  // exactly what that many calls of the single-packet method would add.

  sentMany(host: HostId, msg: number, wireBytes: number, packets: number): void {
    const f = this.hosts.f64;
    f[host * F64 + SENT_BYTES] += wireBytes * packets;
    f[host * F64 + SENT_PACKETS] += packets;
    this.msgSentBytes[msg] += wireBytes * packets;
    this.msgSentPackets[msg] += packets;
  }

  receivedMany(host: HostId, wireBytes: number, packets: number): void {
    const f = this.hosts.f64;
    f[host * F64 + RECEIVED_BYTES] += wireBytes * packets;
    f[host * F64 + RECEIVED_PACKETS] += packets;
  }

  deliveredMany(msg: number, wireBytes: number, packets: number): void {
    this.msgDeliveredBytes[msg] += wireBytes * packets;
    this.msgDeliveredPackets[msg] += packets;
  }

  droppedMany(msg: number, reason: DropReason, packets: number): void {
    this.msgDroppedPackets[msg] += packets;
    this.drops[DROP_CODE.get(reason)!] += packets;
  }

  host(host: HostId): HostCounters {
    const f = this.hosts.f64;
    const at = host * F64;
    return {
      sentBytes: f[at + SENT_BYTES],
      sentPackets: f[at + SENT_PACKETS],
      receivedBytes: f[at + RECEIVED_BYTES],
      receivedPackets: f[at + RECEIVED_PACKETS],
    };
  }

  /** Every message type that has had traffic, in order of first use. */
  byMsgType(): MsgTypeCounters[] {
    return this.msgNames
      .map((msgType, i) => ({
        msgType,
        sentBytes: this.msgSentBytes[i],
        sentPackets: this.msgSentPackets[i],
        deliveredBytes: this.msgDeliveredBytes[i],
        deliveredPackets: this.msgDeliveredPackets[i],
        droppedPackets: this.msgDroppedPackets[i],
      }))
      .filter((c) => c.sentPackets + c.droppedPackets > 0);
  }

  /** Packets dropped, by reason, every reason listed. */
  dropsByReason(): Record<DropReason, number> {
    return Object.fromEntries(DROP_REASONS.map((r, i) => [r, this.drops[i]])) as Record<DropReason, number>;
  }

  private growMsgTypes(n: number): void {
    this.msgSentBytes = grown(this.msgSentBytes, n);
    this.msgSentPackets = grown(this.msgSentPackets, n);
    this.msgDeliveredBytes = grown(this.msgDeliveredBytes, n);
    this.msgDeliveredPackets = grown(this.msgDeliveredPackets, n);
    this.msgDroppedPackets = grown(this.msgDroppedPackets, n);
  }
}
