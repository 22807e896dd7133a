/**
 * Per-host state on the packet path: one record per host, side by side in one Float64Array.
 *
 * A datagram reads and writes a dozen fields of its sender and of its receiver - address,
 * link, uplink queue, loss state, firewall, counters. Kept as one array per field, that is a
 * cache miss per field once hosts number in the tens of thousands (measured: throughput fell
 * threefold from 2,000 to 100,000 hosts); side by side, a host is two cache lines.
 *
 * Each module owns the fields it names here and reads them as `f[host * STRIDE + FIELD]`,
 * fetching `f` afresh on each call (it is replaced when the table grows).
 */

export const STRIDE = 16;

// The first eight fields are all a packet reads of its receiver (before it is delivered).
// fabric.ts: where the host is, whether it runs, its first UDP socket (a hint that spares most
// deliveries a lookup in the socket table).
export const IP = 0;
export const REGION = 1;
export const UP = 2;
export const LISTEN_UDP = 7;
export const SPACE = 10;
// firewall.ts
export const FIREWALL = 3;
// links.ts: LOSS is loss profile * 4 + Gilbert-Elliott bad-state bits (uplink 1, downlink 2).
export const ACCESS_DELAY_MS = 4;
export const DOWNLINK_BITS_PER_SEC = 5;
export const LOSS = 6;
export const UPLINK_BITS_PER_SEC = 11;
export const QUEUE_LIMIT_BYTES = 12;
export const UPLINK_IDLE_AT_MS = 13;
// counters.ts
export const RECEIVED_BYTES = 8;
export const RECEIVED_PACKETS = 9;
export const SENT_BYTES = 14;
export const SENT_PACKETS = 15;

export class HostTable {
  f = new Float64Array(1024 * STRIDE);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** A new host's id; its fields start at zero. */
  add(): number {
    if ((this.count + 1) * STRIDE > this.f.length) {
      const grown = new Float64Array(this.f.length * 2);
      grown.set(this.f);
      this.f = grown;
    }
    return this.count++;
  }
}
