/**
 * The substrate UDP and TCP share: hosts, their sockets, and the path a packet takes - up
 * through the sender's NATs, across the core, down through the receiver's NATs - with the
 * time it takes.
 *
 * Routing. A packet from a host starts in the host's address space. At each level, if the
 * destination address names a node in the current space (a host, or a NAT box's external
 * side), the packet turns down towards it; otherwise it leaves through the space's NAT box
 * (translated, making or refreshing a mapping) into the box's outer space. In the public
 * space an address that names nothing is unrouteable. Turning down into the box the packet
 * just left is hairpinning, allowed only where the box does it. Going down, each NAT box
 * looks up the mapping behind the destination port, applies its filter, and rewrites the
 * destination to the mapping's internal endpoint. The receiver sees the source as it was
 * where the packet turned down: translated by every NAT on the sender's side.
 *
 * Time. Outbound translation happens as the packet leaves the sender; inbound filtering when
 * it arrives (so two hosts punching holes towards each other at the same instant both get
 * through, as on the Internet). The arrival time is computed when the packet leaves, from the
 * receiver the path leads to at that moment: sender's uplink queue and serialization, both
 * access delays, the core delay between the two hosts' regions (zero when the packet turns
 * down inside a private space or at the box it just left), jitter, and the receiver's downlink
 * serialization. A packet whose path ends at a NAT box (no mapping yet) is timed to the box's
 * region; if a mapping appears while it flies and lets it through, or the path leads to another
 * host than it was timed for, it crosses that host's last mile after the box (udp.ts, tcp.ts).
 *
 * Not modelled: NAT boxes' own delay, routing changes while a packet is in flight beyond the
 * filter check on arrival, IP fragmentation, TTL.
 */
import type { Kernel } from '../kernel/index.js';
import type { DropReason, TraceWriter } from '../trace/index.js';
import { AddressBook, NO_NODE, PUBLIC_SPACE, natNode, natOfNode } from './address.js';
import type { HostId, HostSpec, NatId, NatSpec, NetHostHandler } from './config.js';
import { resolveNat } from './config.js';
import type { Core } from './core.js';
import type { Counters } from './counters.js';
import type { Firewalls } from './firewall.js';
import type { HostTable } from './hosts.js';
import { IP, LISTEN_UDP, REGION, SPACE, U16, U32, U8, UP } from './hosts.js';
import type { Links } from './links.js';
import type { Nats } from './nat.js';
import { UDP } from './nat.js';
import { TupleMap } from './tuple-map.js';

const NO_HANDLER: NetHostHandler = {
  onDatagram() {},
  onConnected() {},
  onConnectFailed() {},
  onAccepted() {},
  onData() {},
  onClosed() {},
};

export class Fabric {
  /** Every host's handler, unless it has its own in `ownHandlers`. */
  defaultHandler: NetHostHandler = NO_HANDLER;
  private ownHandlers: (NetHostHandler | undefined)[] | null = null;

  private readonly addresses = new AddressBook();
  /** (host, proto << 16 | port) -> 1 for every listening socket. */
  private readonly listeners = new TupleMap(2, 1024);
  /** Each host's listening sockets as (proto << 16 | port), to close them all on a crash. */
  private readonly listening: (number[] | undefined)[] = [];

  // Results of routeUp: the node the packet turns down towards, in which space, and its
  // source as seen there; or why it cannot go on.
  routeNode = 0;
  /** Whether the packet crosses the core: it turns down in the public space, not at its own box. */
  routeViaCore = false;
  routeSrcIp = 0;
  routeSrcPort = 0;
  routeReason: DropReason = 'no-route';

  // Results of descend: the host and port reached; or why not, and where the packet stopped.
  downHost = 0;
  downPort = 0;
  downMapping = -1;
  downRegion = 0;
  downReason: DropReason = 'no-route';

  constructor(
    readonly kernel: Kernel,
    readonly hosts: HostTable,
    readonly core: Core,
    readonly links: Links,
    readonly nats: Nats,
    readonly firewalls: Firewalls,
    readonly counters: Counters,
    readonly trace: TraceWriter,
  ) {}

  addNat(spec: NatSpec): NatId {
    const region = this.core.region(spec.region);
    const params = resolveNat(spec);
    const outerSpace = spec.behind === undefined ? PUBLIC_SPACE : this.natSpace(spec.behind);
    const box = this.nats.count;
    const extIp = this.addresses.bind(outerSpace, natNode(box), spec.ip);
    const added = this.nats.add(params, extIp, outerSpace, region);
    this.addresses.addSpace();
    return added;
  }

  addHost(spec: HostSpec, handler: NetHostHandler | undefined): HostId {
    const region = this.core.region(spec.region);
    const space = spec.nat === undefined ? PUBLIC_SPACE : this.natSpace(spec.nat);
    const host = this.hosts.size;
    const ip = this.addresses.bind(space, host, spec.ip);
    this.hosts.add();
    const t = this.hosts;
    t.u32[host * U32 + IP] = ip;
    t.u32[host * U32 + SPACE] = space;
    t.u16[host * U16 + REGION] = region;
    t.u8[host * U8 + UP] = 1;
    if (handler !== undefined) this.setHandler(host, handler);
    this.listening.push(undefined);
    this.links.set(host, spec.link);
    this.firewalls.set(host, spec.firewall ?? 'none');
    return host;
  }

  handler(host: HostId): NetHostHandler {
    const own = this.ownHandlers;
    return own === null ? this.defaultHandler : (own[host] ?? this.defaultHandler);
  }

  setHandler(host: HostId, handler: NetHostHandler): void {
    (this.ownHandlers ??= [])[host] = handler;
  }

  checkHost(host: HostId): void {
    if (!(Number.isInteger(host) && host >= 0 && host < this.hosts.size)) throw new RangeError(`no host ${host}`);
  }

  /** The host's address in its own space. */
  ip(host: HostId): number {
    return this.hosts.u32[host * U32 + IP];
  }

  region(host: HostId): number {
    return this.hosts.u16[host * U16 + REGION];
  }

  isUp(host: HostId): boolean {
    return this.hosts.u8[host * U8 + UP] === 1;
  }

  setUp(host: HostId, up: boolean): void {
    this.hosts.u8[host * U8 + UP] = up ? 1 : 0;
  }

  listen(host: HostId, proto: number, port: number): void {
    const key = this.listeners.key;
    key[0] = host;
    key[1] = (proto << 16) | port;
    if (this.listeners.get() >= 0) return;
    this.listeners.set(1);
    (this.listening[host] ??= []).push(key[1]);
    const u16 = this.hosts.u16;
    if (proto === UDP && u16[host * U16 + LISTEN_UDP] === 0) u16[host * U16 + LISTEN_UDP] = port;
  }

  isListening(host: HostId, proto: number, port: number): boolean {
    if (proto === UDP && this.hosts.u16[host * U16 + LISTEN_UDP] === port) return true;
    const key = this.listeners.key;
    key[0] = host;
    key[1] = (proto << 16) | port;
    return this.listeners.get() >= 0;
  }

  /** Closes every socket of `host` (it crashed). */
  closeSockets(host: HostId): void {
    const key = this.listeners.key;
    for (const socket of this.listening[host] ?? []) {
      key[0] = host;
      key[1] = socket;
      this.listeners.delete();
    }
    this.listening[host] = undefined;
    this.hosts.u16[host * U16 + LISTEN_UDP] = 0;
  }

  /**
   * Takes a packet from `host`:`fromPort` towards (dstIp, dstPort) up to where it turns down,
   * translating it at each NAT box on the way (ids of the mappings used are pushed to `held`
   * when given). Sets the route* fields; false (with routeReason) when it cannot get there.
   */
  routeUp(host: HostId, proto: number, fromPort: number, dstIp: number, dstPort: number, held: number[] | null): boolean {
    const nats = this.nats;
    const nowMs = this.kernel.now;
    const u32 = this.hosts.u32;
    let space = u32[host * U32 + SPACE];
    let srcIp = u32[host * U32 + IP];
    let srcPort = fromPort;
    let from: number = host;
    let exited = -1;
    for (;;) {
      const node = this.addresses.lookup(space, dstIp);
      if (node !== NO_NODE) {
        if (node < 0 && natOfNode(node) === exited && !nats.hairpins(exited)) {
          this.routeReason = 'nat-filter';
          return false;
        }
        this.routeNode = node;
        this.routeViaCore = space === PUBLIC_SPACE && !(node < 0 && natOfNode(node) === exited);
        this.routeSrcIp = srcIp;
        this.routeSrcPort = srcPort;
        return true;
      }
      if (space === PUBLIC_SPACE) {
        this.routeReason = 'no-route';
        return false;
      }
      const box = space - 1;
      const m = nats.outbound(box, proto, from, srcIp, srcPort, dstIp, dstPort, nowMs, host);
      if (m < 0) {
        this.routeReason = 'nat-filter';
        return false;
      }
      if (held !== null) held.push(m);
      srcIp = nats.externalIp(box);
      srcPort = nats.extPort(m);
      space = nats.outerSpace(box);
      from = natNode(box);
      exited = box;
    }
  }

  /**
   * Takes a packet from (srcIp, srcPort) addressed to port `dstPort` of `node` down to a host,
   * through the mappings of any NAT boxes, checking their filters when `filter` is set. Sets
   * downHost/downPort, and downMapping (the first mapping used, -1 when `node` is a host);
   * false (with downReason, downRegion) when it stops at a box.
   */
  descend(node: number, proto: number, srcIp: number, srcPort: number, dstPort: number, filter: boolean): boolean {
    const nats = this.nats;
    const nowMs = this.kernel.now;
    let port = dstPort;
    this.downMapping = -1;
    while (node < 0) {
      const box = natOfNode(node);
      const m = nats.inbound(box, proto, port, nowMs);
      if (m < 0 || (filter && !nats.admits(m, srcIp, srcPort, nowMs))) {
        this.downReason = 'nat-filter';
        this.downRegion = nats.region(box);
        return false;
      }
      if (this.downMapping === -1) this.downMapping = m;
      port = nats.intPort(m);
      node = nats.intNode(m);
    }
    this.downHost = node;
    this.downPort = port;
    return true;
  }

  /**
   * When a packet of `wireBytes` whose last bit leaves `src`'s uplink at `departMs` arrives at
   * `dst` (or, with dst -1, at a NAT box in `dstRegion`).
   */
  arrivalMs(src: HostId, dst: number, dstRegion: number, wireBytes: number, departMs: number, viaCore: boolean): number {
    const links = this.links;
    let t = departMs + links.accessDelayMs(src) + this.core.jitterMs();
    if (viaCore) t += this.core.oneWayMs(this.region(src), dstRegion);
    if (dst >= 0) t += this.lastMileMs(dst, wireBytes);
    return t;
  }

  /** The receiving end of a path: `host`'s access delay and downlink serialization. */
  lastMileMs(host: HostId, wireBytes: number): number {
    return this.links.accessDelayMs(host) + this.links.downlinkMs(host, wireBytes);
  }

  /** The RTT of the path between two hosts without queueing, serialization or jitter. */
  baseRttMs(a: HostId, b: HostId, viaCore: boolean): number {
    const core = viaCore ? this.core.oneWayMs(this.region(a), this.region(b)) : 0;
    return 2 * (this.links.accessDelayMs(a) + core + this.links.accessDelayMs(b));
  }

  private natSpace(nat: NatId): number {
    if (!(Number.isInteger(nat) && nat >= 0 && nat < this.nats.count)) throw new RangeError(`no NAT box ${nat}`);
    return nat + 1;
  }
}
