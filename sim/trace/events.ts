/**
 * The trace vocabulary: every event the simulator writes to `trace.ndjson`, and its fields in
 * the order they are written. The order is part of the format: the writer emits fields in
 * exactly this order, so a trace is byte-for-byte reproducible from a seed.
 *
 * t is simulated time in milliseconds, rounded to the microsecond. Hosts are HostIds; -1 means
 * "none" (a packet dropped before its destination host was known). Endpoints print as
 * "a.b.c.d:port" and are what that hop saw: a `send` shows the sender's own address and the
 * destination it addressed; a `deliver` shows the source as translated by any NATs on the way
 * (what the receiver sees) and the receiver's own address.
 *
 *   send|deliver|drop  {"t","ev","proto","from","to","src","dst","msg","bytes"[,"packets"][,"reason"]}
 *                      [,"packets"]
 *                      bytes are on the wire, headers included; reason only on drop.
 *                      packets only on an aggregate (a datagram or TCP write standing for
 *                      N > 1 packets of `bytes` each, e.g. a second of voice frames): one
 *                      record for all of them, so the traffic is bytes x packets. A `drop`
 *                      with packets counts the ones lost there; the rest go on, and their
 *                      `deliver` tells how many got through.
 *   nat-map|nat-expire {"t","ev","nat","proto","int","ext","rem"}
 *                      rem is the remote a mapping is bound to: "*" (endpoint-independent),
 *                      "a.b.c.d:*" (address-dependent) or "a.b.c.d:port".
 *   tcp-connect|tcp-accept|tcp-refuse|tcp-timeout|tcp-close
 *                      {"t","ev","conn","host","peer","local","remote"[,"reason"]}
 *                      one event per side that learns something; reason only on tcp-close.
 *   node               {"t","ev","host","event"[,"detail"]}  a protocol node's own event.
 */

export type Proto = 'udp' | 'tcp';

export type PacketEvent = 'send' | 'deliver' | 'drop';

export type NatEvent = 'nat-map' | 'nat-expire';

export type TcpEvent = 'tcp-connect' | 'tcp-accept' | 'tcp-refuse' | 'tcp-timeout' | 'tcp-close';

/**
 * Why a packet did not arrive:
 * - loss: the access link's loss model dropped it.
 * - nat-filter: a NAT box had no live mapping for it, its filtering refused it, it needed
 *   hairpinning the box does not do, or the box ran out of ports.
 * - firewall: a host's firewall refused it, going out or coming in.
 * - queue-overflow: the sender's uplink queue was full.
 * - dead-host: the destination host is crashed.
 * - no-listener: it reached a live host, on a port where nothing listens (or a TCP segment for
 *   a connection that host no longer has).
 * - partition: its path crosses a partitioned pair of regions.
 * - no-route: its destination address names nothing.
 */
export const DROP_REASONS = [
  'loss',
  'nat-filter',
  'firewall',
  'queue-overflow',
  'dead-host',
  'no-listener',
  'partition',
  'no-route',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];
