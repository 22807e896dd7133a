/**
 * The network model's one entry point: build hosts and NAT boxes, open sockets, send, and
 * change the network while a run goes (crash, restart, partition, loss).
 *
 * What happens to a packet is in fabric.ts (routing, timing), udp.ts and tcp.ts (transports),
 * nat.ts, firewall.ts, links.ts and core.ts (the elements). This class checks arguments at the
 * edge - a bad host id, port or address is the caller's bug and throws - and wires the parts
 * to the kernel, the RNG streams and the trace.
 *
 * Calls never call back synchronously: every handler call happens in a kernel event, so the
 * host runtime can apply a node's outputs in order without being re-entered.
 *
 * RNG streams used: `net/jitter`, `net/loss`, `net/nat-ports`. One stream per concern, not per
 * host: the draws of a run depend on the order of events, which the seed fixes.
 */
import type { Kernel, RngStreams } from '../kernel/index.js';
import { TraceWriter } from '../trace/index.js';
import type { DropReason } from '../trace/index.js';
import { DEFAULT_FIREWALL_UDP_TIMEOUT_MS, tcpDefaults } from './config.js';
import type { HostId, HostSpec, LossSpec, NatId, NatMappingView, NatSpec, NetConfig, NetHostHandler, TcpConnId } from './config.js';
import { Core } from './core.js';
import { Counters } from './counters.js';
import type { HostCounters, MsgTypeCounters } from './counters.js';
import { Fabric } from './fabric.js';
import { Firewalls } from './firewall.js';
import { HostTable } from './hosts.js';
import { Links } from './links.js';
import { Nats, TCP, UDP } from './nat.js';
import { Tcp } from './tcp.js';
import { Udp } from './udp.js';

export class Network {
  private readonly fabric: Fabric;
  private readonly nats: Nats;
  private readonly hosts = new HostTable();
  private readonly counters = new Counters(this.hosts);
  private readonly core: Core;
  private readonly links: Links;
  private readonly udp: Udp;
  private readonly tcp: Tcp;

  constructor(kernel: Kernel, rngs: Pick<RngStreams, 'stream'>, config: NetConfig, trace: TraceWriter = TraceWriter.off()) {
    this.core = new Core(config, rngs.stream('net/jitter'));
    this.links = new Links(this.hosts, rngs.stream('net/loss'));
    this.nats = new Nats(kernel, rngs.stream('net/nat-ports'), trace);
    const firewalls = new Firewalls(kernel, this.hosts, config.firewallUdpTimeoutMs ?? DEFAULT_FIREWALL_UDP_TIMEOUT_MS);
    this.fabric = new Fabric(kernel, this.hosts, this.core, this.links, this.nats, firewalls, this.counters, trace);
    this.udp = new Udp(this.fabric);
    this.tcp = new Tcp(this.fabric, { ...tcpDefaults, ...config.tcp });
  }

  // --- building --------------------------------------------------------------------------

  addNat(spec: NatSpec): NatId {
    return this.fabric.addNat(spec);
  }

  /** Adds a host, up; `handler` hears for it (else the default handler does). */
  addHost(spec: HostSpec, handler?: NetHostHandler): HostId {
    return this.fabric.addHost(spec, handler);
  }

  /**
   * The handler of every host that has none of its own. One handler for all hosts (it is told
   * the host in every call) is the fast way: a per-host handler costs a lookup per packet.
   */
  setDefaultHandler(handler: NetHostHandler): void {
    this.fabric.defaultHandler = handler;
  }

  setHandler(host: HostId, handler: NetHostHandler): void {
    this.fabric.checkHost(host);
    this.fabric.setHandler(host, handler);
  }

  get hostCount(): number {
    return this.hosts.size;
  }

  /** The host's address in its own space (private when it is behind a NAT). */
  ipOf(host: HostId): number {
    this.fabric.checkHost(host);
    return this.fabric.ip(host);
  }

  /** The NAT box's external address, in its outer space. */
  natIp(nat: NatId): number {
    this.checkNat(nat);
    return this.nats.externalIp(nat);
  }

  /** The live mappings of a NAT box, ordered by protocol and external port. */
  mappings(nat: NatId): NatMappingView[] {
    this.checkNat(nat);
    return this.nats.mappings(nat);
  }

  // --- sockets -------------------------------------------------------------------------

  listenUdp(host: HostId, port: number): void {
    this.checkUp(host);
    checkPort(port);
    this.fabric.listen(host, UDP, port);
  }

  listenTcp(host: HostId, port: number): void {
    this.checkUp(host);
    checkPort(port);
    this.fabric.listen(host, TCP, port);
  }

  /**
   * Sends a datagram of `bytes` (not copied: do not change it afterwards) from `fromPort`; with
   * `packets` N > 1, an aggregate standing for N such datagrams (udp.ts says how it is treated).
   */
  sendUdp(host: HostId, fromPort: number, toIp: number, toPort: number, bytes: Uint8Array, msgType: string, packets = 1): void {
    this.checkUp(host);
    checkPort(fromPort);
    checkPort(toPort);
    checkIp(toIp);
    checkPackets(packets);
    this.udp.send(host, fromPort, toIp, toPort, bytes, msgType, packets);
  }

  /**
   * Opens a connection; the host's handler hears onConnected or onConnectFailed later, with
   * `tag` (its own number for the connection, NetHostHandler).
   */
  connectTcp(host: HostId, toIp: number, toPort: number, tag = 0): TcpConnId {
    this.checkUp(host);
    checkPort(toPort);
    checkIp(toIp);
    return this.tcp.connect(host, toIp, toPort, tag);
  }

  /** Sets the tag the later events of `conn` (e.g. one just accepted) carry to its host's handler. */
  tagConnection(conn: TcpConnId, tag: number): void {
    this.tcp.tag(conn, tag);
  }

  /**
   * Sends one message (`bytes`, not copied) on an open connection; throws if it is not open.
   * With `packets` N > 1 it stands for N messages of its size (tcp.ts: counted N times,
   * delivered once).
   */
  write(conn: TcpConnId, bytes: Uint8Array, msgType: string, packets = 1): void {
    checkPackets(packets);
    this.tcp.write(conn, bytes, msgType, packets);
  }

  /** Closes a connection after what was written; the peer hears onClosed('closed'). */
  close(conn: TcpConnId): void {
    this.tcp.close(conn);
  }

  /** Resets a connection; the peer hears onClosed('reset'). */
  abort(conn: TcpConnId): void {
    this.tcp.abort(conn);
  }

  // --- changes during a run ----------------------------------------------------------------

  /**
   * The host stops: its sockets and connections vanish and nobody is told. Its NAT box keeps
   * the host's UDP mappings until they time out, as a real box would.
   */
  crash(host: HostId): void {
    this.checkUp(host);
    this.fabric.setUp(host, false);
    this.fabric.closeSockets(host);
    this.tcp.crash(host);
  }

  /** The host comes back, same address, no sockets open. */
  restart(host: HostId): void {
    this.fabric.checkHost(host);
    if (this.fabric.isUp(host)) throw new RangeError(`host ${host} is already up`);
    this.fabric.setUp(host, true);
  }

  isUp(host: HostId): boolean {
    this.fabric.checkHost(host);
    return this.fabric.isUp(host);
  }

  /** Cuts every path between a region of `as` and one of `bs` until healed. */
  partition(as: readonly string[], bs: readonly string[]): void {
    this.core.setCut(as, bs, true);
  }

  /** Restores the paths between `as` and `bs`; with no arguments, every path. */
  heal(as?: readonly string[], bs?: readonly string[]): void {
    if (as === undefined || bs === undefined) this.core.healAll();
    else this.core.setCut(as, bs, false);
  }

  /** Changes the loss model of a host's access link from now on. */
  setLinkLoss(host: HostId, loss: LossSpec): void {
    this.fabric.checkHost(host);
    this.links.setLoss(host, loss);
  }

  // --- counters ----------------------------------------------------------------------------

  hostCounters(host: HostId): HostCounters {
    this.fabric.checkHost(host);
    return this.counters.host(host);
  }

  msgTypeCounters(): MsgTypeCounters[] {
    return this.counters.byMsgType();
  }

  drops(): Record<DropReason, number> {
    return this.counters.dropsByReason();
  }

  /** Live NAT mappings (all boxes) and open TCP endpoints: the model's size, for tests and benches. */
  stateSize(): { natMappings: number; tcpEndpoints: number } {
    return { natMappings: this.nats.mappingCount, tcpEndpoints: this.tcp.openCount };
  }

  private checkUp(host: HostId): void {
    this.fabric.checkHost(host);
    if (!this.fabric.isUp(host)) throw new RangeError(`host ${host} is down`);
  }

  private checkNat(nat: NatId): void {
    if (!(Number.isInteger(nat) && nat >= 0 && nat < this.nats.count)) throw new RangeError(`no NAT box ${nat}`);
  }
}

function checkPort(port: number): void {
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new RangeError(`port must be an integer in 1-65535, got ${port}`);
}

/** Loss is drawn per packet of an aggregate (links.ts), so its size is bounded to keep that cheap. */
const MAX_PACKETS = 1_000_000;

function checkPackets(packets: number): void {
  if (!(Number.isInteger(packets) && packets >= 1 && packets <= MAX_PACKETS)) {
    throw new RangeError(`packets must be an integer in 1-${MAX_PACKETS}, got ${packets}`);
  }
}

function checkIp(ip: number): void {
  if (!(ip >>> 0 === ip)) throw new RangeError(`address must be an unsigned 32-bit integer, got ${ip}`);
}
