/**
 * What a scenario says about the network: regions and their RTTs, access links, loss models,
 * NAT boxes, firewalls, TCP timers. Plain data, with the defaults filled in one place
 * (`tcpDefaults`, `natPresets`, `DEFAULT_*` below) so summary.json can echo what a run used.
 */
import type { Distribution } from '../kernel/index.js';
import type { CloseReason, ConnectFailure, Endpoint } from '../../protocol/node.js';

export type HostId = number;
export type NatId = number;
/** A TCP connection endpoint, as the network names it: unique for the whole run. */
export type TcpConnId = number;

export interface NetConfig {
  /** Region names; a host's region is one of these. */
  readonly regions: readonly string[];
  /** Round-trip time of the core between two regions (symmetric, diagonal = within a region). */
  readonly rttMs: readonly (readonly number[])[];
  /** Extra one-way delay per packet, drawn from the `net/jitter` stream; negative draws count as 0. */
  readonly jitterMs?: Distribution;
  /** How long a stateful firewall admits UDP replies after the host's last packet out to that endpoint. */
  readonly firewallUdpTimeoutMs?: number;
  readonly tcp?: Partial<TcpParams>;
}

export interface TcpParams {
  /** First SYN retransmission timeout; doubles at each retry (RFC 1122 era: 3 s). */
  readonly synRtoMs: number;
  /** SYN retransmissions before connect fails: with 3 s and 2, SYNs at 0, 3, 9 s, failure at 21 s. */
  readonly synRetries: number;
  /** Added to the path RTT to make the data retransmission timeout (Linux's RTO floor). */
  readonly rtoMinMs: number;
  /** Retransmissions of one message before the sender gives the connection up (timeout). */
  readonly dataRetries: number;
  /** Payload bytes per segment: a message of n bytes is ceil(n / mss) segments on the wire. */
  readonly mssBytes: number;
}

/**
 * Most retransmissions of a SYN or a message: the timeout doubles at each, so the bound keeps the
 * last one finite (2^30 times the first: a century for a 3 s SYN timeout), where a thousand
 * would overflow to Infinity.
 */
export const TCP_RETRIES_MAX = 30;

export const tcpDefaults: TcpParams = {
  synRtoMs: 3000,
  synRetries: 2,
  rtoMinMs: 200,
  dataRetries: 5,
  mssBytes: 1460,
};

export const DEFAULT_FIREWALL_UDP_TIMEOUT_MS = 120_000;

/** IP (20) + UDP (8) header bytes counted on the wire for every datagram. */
export const UDP_HEADER_BYTES = 28;
/** IP (20) + TCP (20, no options) header bytes counted for every segment. */
export const TCP_HEADER_BYTES = 40;

export interface LinkSpec {
  readonly uplinkBitsPerSec: number;
  readonly downlinkBitsPerSec: number;
  /** One-way delay between the host and the core (last mile), each direction. */
  readonly accessDelayMs: number;
  /** Uplink queue capacity, counting the packet being serialized; unbounded when absent. */
  readonly queueLimitBytes?: number;
  readonly loss?: LossSpec;
}

/**
 * Loss on an access link, drawn independently for each direction (uplink, downlink) from the
 * `net/loss` stream. Gilbert-Elliott: a two-state Markov chain stepped once per packet before
 * the loss draw; the stationary loss ratio is (pBadToGood * lossRatioGood + pGoodToBad *
 * lossRatioBad) / (pGoodToBad + pBadToGood) and bursts in the bad state last 1 / pBadToGood
 * packets on average.
 */
export type LossSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'bernoulli'; readonly lossRatio: number }
  | {
      readonly kind: 'gilbert-elliott';
      readonly pGoodToBad: number;
      readonly pBadToGood: number;
      readonly lossRatioGood: number;
      readonly lossRatioBad: number;
    };

/**
 * - none: no filtering.
 * - stateful: inbound UDP only from an endpoint the host sent to recently; no inbound TCP
 *   connections (outbound ones carry traffic both ways).
 * - udp-blocked: stateful for TCP, and no UDP in either direction.
 * - tcp-80-443-only: no UDP; outbound TCP only to ports 80 and 443; no inbound connections.
 */
export type FirewallKind = 'none' | 'stateful' | 'udp-blocked' | 'tcp-80-443-only';

export const FIREWALL_KINDS: readonly FirewallKind[] = ['none', 'stateful', 'udp-blocked', 'tcp-80-443-only'];

export interface HostSpec {
  readonly region: string;
  readonly link: LinkSpec;
  readonly firewall?: FirewallKind;
  /** The NAT box the host sits behind; public when absent. */
  readonly nat?: NatId;
  /** Its address in its space (public, or its NAT's private space); the next free one when absent. */
  readonly ip?: number;
}

/** RFC 4787 behaviours, for mapping reuse and for inbound filtering alike. */
export type NatBehaviour = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

export const NAT_BEHAVIOURS: readonly NatBehaviour[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];

/**
 * - preserving: the external port equals the internal one when free, else the next free above.
 * - sequential: the next free port after the last one given out, from 1024.
 * - random: a uniformly random free port in 1024-65535, from the `net/nat-ports` stream.
 */
export type PortAllocation = 'preserving' | 'sequential' | 'random';

export type NatPreset = 'full-cone' | 'restricted-cone' | 'port-restricted-cone' | 'symmetric';

export const NAT_PRESETS: readonly NatPreset[] = ['full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric'];

export interface NatSpec {
  /** Where the box is; matters only for packets that die at the box. */
  readonly region: string;
  /** Starting point for the fields below; a field given explicitly wins. */
  readonly preset?: NatPreset;
  readonly mapping?: NatBehaviour;
  readonly filtering?: NatBehaviour;
  readonly portAllocation?: PortAllocation;
  /** Whether a packet from inside to the box's own external address is turned back inside. */
  readonly hairpinning?: boolean;
  /** UDP mapping lifetime, refreshed by outbound traffic (RFC 4787 REQ-5/6: at least 2 min). */
  readonly mappingTimeoutMs?: number;
  /** The NAT box this one sits behind (NAT behind NAT); public when absent. */
  readonly behind?: NatId;
  /** Its external address; the next free one in the outer space when absent. */
  readonly ip?: number;
}

export interface NatParams {
  readonly mapping: NatBehaviour;
  readonly filtering: NatBehaviour;
  readonly portAllocation: PortAllocation;
  readonly hairpinning: boolean;
  readonly mappingTimeoutMs: number;
}

/** The four classic (RFC 3489) types in RFC 4787 terms. */
export const natPresets: Readonly<Record<NatPreset, NatParams>> = {
  'full-cone': {
    mapping: 'endpoint-independent',
    filtering: 'endpoint-independent',
    portAllocation: 'preserving',
    hairpinning: false,
    mappingTimeoutMs: 120_000,
  },
  'restricted-cone': {
    mapping: 'endpoint-independent',
    filtering: 'address-dependent',
    portAllocation: 'preserving',
    hairpinning: false,
    mappingTimeoutMs: 120_000,
  },
  'port-restricted-cone': {
    mapping: 'endpoint-independent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'preserving',
    hairpinning: false,
    mappingTimeoutMs: 120_000,
  },
  symmetric: {
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'sequential',
    hairpinning: false,
    mappingTimeoutMs: 120_000,
  },
};

/** A NAT spec with every field decided: the preset (port-restricted-cone when none), then overrides. */
export function resolveNat(spec: NatSpec): NatParams {
  const base = natPresets[spec.preset ?? 'port-restricted-cone'];
  return {
    mapping: spec.mapping ?? base.mapping,
    filtering: spec.filtering ?? base.filtering,
    portAllocation: spec.portAllocation ?? base.portAllocation,
    hairpinning: spec.hairpinning ?? base.hairpinning,
    mappingTimeoutMs: spec.mappingTimeoutMs ?? base.mappingTimeoutMs,
  };
}

/**
 * What a host's handler is told; one object per host or shared, as the runtime likes.
 *
 * `tag` is the handler's own number for a connection, given at `connectTcp` or by
 * `tagConnection` (0 until then), handed back with every event of it: a handler that names its
 * connections its own way needs no table from connection ids to its names.
 */
export interface NetHostHandler {
  /** `packets`: how many packets of an aggregate got through (udp.ts); the network always passes it, 1 for a plain datagram. */
  onDatagram(host: HostId, localPort: number, fromIp: number, fromPort: number, bytes: Uint8Array, packets?: number): void;
  onConnected(host: HostId, conn: TcpConnId, tag: number): void;
  onConnectFailed(host: HostId, conn: TcpConnId, reason: ConnectFailure, tag: number): void;
  onAccepted(host: HostId, conn: TcpConnId, localPort: number, remoteIp: number, remotePort: number): void;
  onData(host: HostId, conn: TcpConnId, bytes: Uint8Array, tag: number): void;
  onClosed(host: HostId, conn: TcpConnId, reason: CloseReason, tag: number): void;
}

/** One NAT mapping, for tests and tools to inspect. */
export interface NatMappingView {
  readonly proto: 'udp' | 'tcp';
  readonly internal: Endpoint;
  readonly external: Endpoint;
  /** The remote the mapping is bound to: ip 0 / port 0 mean "any". */
  readonly remote: Endpoint;
  /** Infinity for a TCP mapping, which lives as long as its connections. */
  readonly expiresMs: number;
}
