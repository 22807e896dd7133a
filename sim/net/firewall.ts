/**
 * Host firewalls: what a host may send and receive, before any NAT (the firewall sits on the
 * host's side of its access link).
 *
 * Kinds (config.ts): none, stateful, udp-blocked, tcp-80-443-only. "Stateful" for UDP means an
 * inbound datagram passes only if the host sent to exactly that remote endpoint within
 * `firewallUdpTimeoutMs` (refreshed by each packet out); for TCP it means no inbound
 * connection attempts, while connections the host opened carry traffic both ways. Every kind
 * but `none` is stateful.
 *
 * Not modelled: rules by address, ICMP or RST answers from the firewall (it drops silently, so
 * a blocked connect times out), application-level proxies, the firewall forgetting its state
 * when the host reboots (state simply times out).
 */
import type { Kernel } from '../kernel/index.js';
import type { FirewallKind, HostId } from './config.js';
import { FIREWALL_KINDS } from './config.js';
import type { HostTable } from './hosts.js';
import { FIREWALL, U8 } from './hosts.js';
import { Permissions } from './permissions.js';

const NONE = 0;
const STATEFUL = 1;
// 2 is udp-blocked: refused by every check that does not admit it by name.
const TCP_80_443_ONLY = 3;

export class Firewalls {
  private readonly udpReplies: Permissions;

  constructor(
    kernel: Kernel,
    private readonly hosts: HostTable,
    private readonly udpTimeoutMs: number,
  ) {
    if (!(udpTimeoutMs > 0)) throw new RangeError(`firewallUdpTimeoutMs must be positive, got ${udpTimeoutMs}`);
    this.udpReplies = new Permissions(kernel);
  }

  set(host: HostId, kind: FirewallKind): void {
    const code = FIREWALL_KINDS.indexOf(kind);
    if (code < 0) throw new RangeError(`unknown firewall kind ${JSON.stringify(kind)}`);
    this.hosts.u8[host * U8 + FIREWALL] = code;
  }

  /** Whether `host` may send a datagram at all; when it may, remembers the remote for replies. */
  udpOut(host: HostId, dstIp: number, dstPort: number, nowMs: number): boolean {
    const kind = this.hosts.u8[host * U8 + FIREWALL];
    if (kind === NONE) return true;
    if (kind !== STATEFUL) return false;
    this.udpReplies.grant(host, dstIp, dstPort, nowMs + this.udpTimeoutMs);
    return true;
  }

  udpIn(host: HostId, srcIp: number, srcPort: number, nowMs: number): boolean {
    const kind = this.hosts.u8[host * U8 + FIREWALL];
    if (kind === NONE) return true;
    return kind === STATEFUL && this.udpReplies.admits(host, srcIp, srcPort, nowMs);
  }

  /** Whether `host` may open a connection to `dstPort`. */
  tcpConnectOut(host: HostId, dstPort: number): boolean {
    return this.hosts.u8[host * U8 + FIREWALL] !== TCP_80_443_ONLY || dstPort === 80 || dstPort === 443;
  }

  /** Whether a connection attempt may reach `host`. */
  tcpConnectIn(host: HostId): boolean {
    return this.hosts.u8[host * U8 + FIREWALL] === NONE;
  }
}
