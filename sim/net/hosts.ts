/**
 * Per-host state on the packet path: one 64-byte record per host (records.ts).
 *
 * A datagram reads and writes a dozen fields of its sender and of its receiver - address,
 * link, uplink queue, loss state, firewall, counters. Kept as one array per field, that is a
 * cache miss per field once hosts number in the tens of thousands (measured: throughput fell
 * threefold from 2,000 to 100,000 hosts); side by side, a host is one cache line's worth of
 * bytes. To fit, the record holds each field in the narrowest type that holds it exactly:
 * counters and the uplink's idle time as doubles, the rest as integers, and the link's fixed
 * parameters (rates, access delay, queue limit) as the id of a profile shared by the hosts
 * with the same ones (links.ts).
 *
 * A field's constant is its index within the record in the view of its type, read as
 * `t.f64[host * F64 + FIELD]`, `t.u32[host * U32 + FIELD]` and so on. Each module owns the
 * fields it names here.
 */
import { Records } from './records.js';

/** Elements per record in each view. */
export const F64 = 8;
export const U32 = 16;
export const U16 = 32;
export const U8 = 64;

// Doubles, bytes 0-39.
// links.ts: when the uplink queue is next idle.
export const UPLINK_IDLE_AT_MS = 0;
// counters.ts
export const SENT_BYTES = 1;
export const SENT_PACKETS = 2;
export const RECEIVED_BYTES = 3;
export const RECEIVED_PACKETS = 4;
// Unsigned 32-bit words, bytes 40-55.
// fabric.ts: the host's address and the space it lives in.
export const IP = 10;
export const SPACE = 11;
// links.ts: the link profile; LOSS is loss profile * 4 + Gilbert-Elliott bad-state bits
// (uplink 1, downlink 2).
export const LINK = 12;
export const LOSS = 13;
// 16-bit, bytes 56-59. fabric.ts: the region, and the first UDP socket (a hint that spares most
// deliveries a lookup in the socket table).
export const REGION = 28;
export const LISTEN_UDP = 29;
// Bytes 60-61. fabric.ts: whether the host runs; firewall.ts: its kind.
export const UP = 60;
export const FIREWALL = 61;

/** The hosts' records, by host id. */
export class HostTable extends Records {
  constructor() {
    super(U8, 1024);
  }
}
