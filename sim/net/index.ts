/**
 * The network model's public surface.
 *
 * `Network` takes the kernel, the run's RNG streams, a NetConfig and a trace writer; hosts and
 * NAT boxes are added to it, and a host runtime drives it with listen/send/connect/write/close
 * and hears back through a NetHostHandler per host. Addresses are unsigned 32-bit integers
 * (`parseIp`, `ipToString` convert). Everything a scenario can set, with its defaults, is in
 * config.ts.
 */
export { Network } from './network.js';
export {
  DEFAULT_FIREWALL_UDP_TIMEOUT_MS,
  FIREWALL_KINDS,
  NAT_BEHAVIOURS,
  NAT_PRESETS,
  TCP_HEADER_BYTES,
  TCP_RETRIES_MAX,
  UDP_HEADER_BYTES,
  natPresets,
  resolveNat,
  tcpDefaults,
} from './config.js';
export type {
  FirewallKind,
  HostId,
  HostSpec,
  LinkSpec,
  LossSpec,
  NatBehaviour,
  NatId,
  NatMappingView,
  NatParams,
  NatPreset,
  NatSpec,
  NetConfig,
  NetHostHandler,
  PortAllocation,
  TcpConnId,
  TcpParams,
} from './config.js';
export type { HostCounters, MsgTypeCounters } from './counters.js';
export { endpointToString, ipToString, parseIp } from './address.js';
