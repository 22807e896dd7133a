/**
 * NAT boxes in RFC 4787 terms, and their mapping tables.
 *
 * Modelled, per box:
 * - mapping behaviour (REQ-1): which outbound packets share a mapping - all from one internal
 *   endpoint (endpoint-independent), those to one remote address (address-dependent), or to
 *   one remote address and port (address-and-port-dependent; "symmetric").
 * - filtering behaviour (REQ-8): which inbound packets a mapping lets in - from anyone, from an
 *   address the internal endpoint has sent to through it, or from that address and port.
 * - port allocation: preserving, sequential, or random (from the `net/nat-ports` stream); an
 *   external port is never shared by two live mappings of one protocol ("no port overloading").
 * - mapping lifetime (REQ-5/6): a UDP mapping and each of its filter permissions live
 *   `mappingTimeoutMs` after the last outbound packet that used them; inbound traffic does not
 *   refresh them. A TCP mapping lives as long as a connection holds it (see tcp.ts).
 * - hairpinning (REQ-9): the routing in fabric.ts asks `hairpins`; the translated source of a
 *   hairpinned packet is the sender's external mapping, as REQ-9 requires.
 * - NAT behind NAT: a box's outside is either the public space or another box's private space.
 *
 * Not modelled: port overloading, port parity/contiguity (REQ-3/4), ALGs, ICMP, TCP state
 * tracking inside the box (RFC 5382's transitory timeouts), mapping exhaustion other than
 * running out of ports, the box's own delay and bandwidth (a box is a point).
 *
 * The table is struct-of-arrays indexed by mapping id, with two hash indexes: from the inside
 * (box, proto, internal endpoint, remote as far as the mapping behaviour keys on it) and from
 * the outside (box, proto, external port). Keys are numbers, lookups allocate nothing.
 */
import type { Kernel, Rng } from '../kernel/index.js';
import type { TraceWriter } from '../trace/index.js';
import type { NatBehaviour, NatId, NatMappingView, NatParams, PortAllocation } from './config.js';
import { ExpiryQueue } from './expiry.js';
import { grown } from './grow.js';
import { Permissions } from './permissions.js';
import { TupleMap } from './tuple-map.js';

export const UDP = 0;
export const TCP = 1;

// Behaviours as numbers ordered by how much of the remote they key on.
const INDEPENDENT = 0;
const ADDRESS = 1;
const ADDRESS_AND_PORT = 2;

const BEHAVIOUR_CODE: Readonly<Record<NatBehaviour, number>> = {
  'endpoint-independent': INDEPENDENT,
  'address-dependent': ADDRESS,
  'address-and-port-dependent': ADDRESS_AND_PORT,
};

const PRESERVING = 0;
const SEQUENTIAL = 1;
const RANDOM = 2;

const ALLOCATION_CODE: Readonly<Record<PortAllocation, number>> = { preserving: PRESERVING, sequential: SEQUENTIAL, random: RANDOM };

// Fields of a mapping's record, all a packet reads, side by side in one cache line.
const RECORD = 8;
/** -Infinity once the mapping is gone, so a stale id never looks live. */
const EXPIRES_MS = 0;
const BOX = 1;
/** The node the mapping leads to: a host, or the NAT box inside (natNode). */
const INT_NODE = 2;
const INT_IP = 3;
const INT_PORT = 4;
const REM_IP = 5;
const REM_PORT = 6;
/** proto << 16 | external port. */
const EXT_KEY = 7;

const FIRST_DYNAMIC_PORT = 1024;
const DYNAMIC_PORTS = 65536 - FIRST_DYNAMIC_PORT;
/** Random allocation gives up drawing and scans after this many taken ports in a row. */
const RANDOM_TRIES = 16;

export class Nats {
  // Per box.
  private mappingKind = new Uint8Array(64);
  private filteringKind = new Uint8Array(64);
  private allocation = new Uint8Array(64);
  private hairpin = new Uint8Array(64);
  private timeoutMs = new Float64Array(64);
  private extIp = new Uint32Array(64);
  private outer = new Int32Array(64);
  private regionOf = new Uint16Array(64);
  private nextPort = new Int32Array(64);
  private boxes = 0;

  // Per mapping.
  private records = new Float64Array(1024 * RECORD);
  private holders = new Int32Array(1024);
  private origin = new Int32Array(1024);
  private nextFree = new Int32Array(1024);
  private freeHead = -1;
  private used = 0;

  private readonly byInside = new TupleMap(5, 1024);
  private readonly byOutside = new TupleMap(2, 1024);
  private readonly permissions: Permissions;
  private readonly expiries: ExpiryQueue;

  constructor(
    private readonly kernel: Kernel,
    private readonly portRng: Rng,
    private readonly trace: TraceWriter,
  ) {
    this.permissions = new Permissions(kernel);
    this.expiries = new ExpiryQueue(kernel, this.onExpiry);
  }

  /** Live mappings, all boxes. */
  get mappingCount(): number {
    return this.byOutside.size;
  }

  add(params: NatParams, extIp: number, outerSpace: number, region: number): NatId {
    if (!(params.mappingTimeoutMs > 0)) throw new RangeError(`mappingTimeoutMs must be positive, got ${params.mappingTimeoutMs}`);
    const box = this.boxes++;
    if (box === this.extIp.length) this.growBoxes();
    this.mappingKind[box] = BEHAVIOUR_CODE[params.mapping];
    this.filteringKind[box] = BEHAVIOUR_CODE[params.filtering];
    this.allocation[box] = ALLOCATION_CODE[params.portAllocation];
    this.hairpin[box] = params.hairpinning ? 1 : 0;
    this.timeoutMs[box] = params.mappingTimeoutMs;
    this.extIp[box] = extIp;
    this.outer[box] = outerSpace;
    this.regionOf[box] = region;
    this.nextPort[box] = FIRST_DYNAMIC_PORT;
    return box;
  }

  get count(): number {
    return this.boxes;
  }

  externalIp(box: NatId): number {
    return this.extIp[box];
  }

  /** The space the box's external address lives in. */
  outerSpace(box: NatId): number {
    return this.outer[box];
  }

  region(box: NatId): number {
    return this.regionOf[box];
  }

  hairpins(box: NatId): boolean {
    return this.hairpin[box] === 1;
  }

  /** The host, or the NAT box (as a node), behind mapping `m`. */
  intNode(m: number): number {
    return this.records[m * RECORD + INT_NODE];
  }

  intPort(m: number): number {
    return this.records[m * RECORD + INT_PORT];
  }

  extPort(m: number): number {
    return this.records[m * RECORD + EXT_KEY] & 0xffff;
  }

  /**
   * An outbound packet from (intIp, intPort) to (remIp, remPort) crosses `box`: finds or makes
   * its mapping, refreshes it and the filter permission it opens. Returns the mapping id, or -1
   * when the box has no free port. `intNode` is the node the packet comes from (a host or an
   * inner box), `origin` the host whose packet it is (for the trace).
   */
  outbound(
    box: NatId,
    proto: number,
    intNode: number,
    intIp: number,
    intPort: number,
    remIp: number,
    remPort: number,
    nowMs: number,
    origin: number,
  ): number {
    const mappingKind = this.mappingKind[box];
    const key = this.byInside.key;
    key[0] = box;
    key[1] = (proto << 16) | intPort;
    key[2] = intIp;
    key[3] = mappingKind === INDEPENDENT ? 0 : remIp;
    key[4] = mappingKind === ADDRESS_AND_PORT ? remPort : 0;
    let m = this.byInside.get();
    if (m < 0) {
      m = this.create(box, proto, intNode, intIp, intPort, key[3], key[4], origin);
      if (m < 0) return -1;
    }
    if (proto === TCP) return m;
    const untilMs = nowMs + this.timeoutMs[box];
    this.records[m * RECORD + EXPIRES_MS] = untilMs;
    const filteringKind = this.filteringKind[box];
    // A filter that keys on no more of the remote than the mapping does needs no state of its
    // own: the mapping's remote is the permission, and its lifetime the permission's.
    if (filteringKind > mappingKind) {
      this.permissions.grant(m, remIp, filteringKind === ADDRESS_AND_PORT ? remPort : 0, untilMs);
    }
    return m;
  }

  /** The live mapping behind external port `extPort` of `box`, or -1. */
  inbound(box: NatId, proto: number, extPort: number, nowMs: number): number {
    const key = this.byOutside.key;
    key[0] = box;
    key[1] = (proto << 16) | extPort;
    const m = this.byOutside.get();
    return m >= 0 && this.records[m * RECORD + EXPIRES_MS] > nowMs ? m : -1;
  }

  /**
   * Whether mapping `m` is still the live mapping behind `extPort` of `box` - what `inbound`
   * would return - checked from the mapping's own record, without the index.
   */
  isAt(m: number, box: NatId, proto: number, extPort: number, nowMs: number): boolean {
    const r = this.records;
    const at = m * RECORD;
    return r[at + EXPIRES_MS] > nowMs && r[at + BOX] === box && r[at + EXT_KEY] === ((proto << 16) | extPort);
  }

  /** Whether mapping `m`'s filter lets in a packet from (srcIp, srcPort). */
  admits(m: number, srcIp: number, srcPort: number, nowMs: number): boolean {
    const r = this.records;
    const box = r[m * RECORD + BOX];
    const filteringKind = this.filteringKind[box];
    if (filteringKind === INDEPENDENT) return true;
    if (filteringKind <= this.mappingKind[box]) {
      return r[m * RECORD + REM_IP] === srcIp && (filteringKind === ADDRESS || r[m * RECORD + REM_PORT] === srcPort);
    }
    return this.permissions.admits(m, srcIp, filteringKind === ADDRESS_AND_PORT ? srcPort : 0, nowMs);
  }

  /** A TCP connection starts using mapping `m`. */
  hold(m: number): void {
    this.holders[m]++;
  }

  /** A TCP connection is done with mapping `m`; the last one out removes it. */
  release(m: number): void {
    if (--this.holders[m] === 0) this.remove(m);
  }

  /** The live mappings of `box`, ordered by protocol then external port. */
  mappings(box: NatId): NatMappingView[] {
    const views: NatMappingView[] = [];
    const nowMs = this.kernel.now;
    const r = this.records;
    for (let m = 0; m < this.used; m++) {
      const at = m * RECORD;
      if (r[at + BOX] !== box || r[at + EXPIRES_MS] <= nowMs) continue;
      views.push({
        proto: r[at + EXT_KEY] >>> 16 === TCP ? 'tcp' : 'udp',
        internal: { ip: r[at + INT_IP], port: r[at + INT_PORT] },
        external: { ip: this.extIp[box], port: r[at + EXT_KEY] & 0xffff },
        remote: { ip: r[at + REM_IP], port: r[at + REM_PORT] },
        expiresMs: r[at + EXPIRES_MS],
      });
    }
    return views.sort((a, b) => a.proto.localeCompare(b.proto) || a.external.port - b.external.port);
  }

  private create(box: NatId, proto: number, intNode: number, intIp: number, intPort: number, remIp: number, remPort: number, origin: number): number {
    const extPort = this.allocatePort(box, proto, intPort);
    if (extPort < 0) return -1;
    const m = this.alloc();
    const r = this.records;
    const at = m * RECORD;
    r[at + BOX] = box;
    r[at + INT_NODE] = intNode;
    r[at + INT_IP] = intIp;
    r[at + INT_PORT] = intPort;
    r[at + REM_IP] = remIp;
    r[at + REM_PORT] = remPort;
    r[at + EXT_KEY] = (proto << 16) | extPort;
    this.holders[m] = 0;
    this.origin[m] = origin;
    this.byInside.set(m);
    const key = this.byOutside.key;
    key[0] = box;
    key[1] = (proto << 16) | extPort;
    this.byOutside.set(m);
    if (proto === TCP) {
      r[at + EXPIRES_MS] = Infinity;
    } else {
      // outbound() sets the real expiry right after; when this one comes due it waits for that.
      r[at + EXPIRES_MS] = this.kernel.now + this.timeoutMs[box];
      this.expiries.add(r[at + EXPIRES_MS], m);
    }
    if (this.trace.enabled) this.traceMapping('nat-map', m);
    return m;
  }

  private readonly onExpiry = (m: number): void => {
    const untilMs = this.records[m * RECORD + EXPIRES_MS];
    if (untilMs > this.kernel.now) {
      this.expiries.add(untilMs, m);
      return;
    }
    this.remove(m);
  };

  private remove(m: number): void {
    if (this.trace.enabled) this.traceMapping('nat-expire', m);
    const r = this.records;
    const at = m * RECORD;
    const key = this.byInside.key;
    key[0] = r[at + BOX];
    key[1] = (r[at + EXT_KEY] & 0xffff0000) | r[at + INT_PORT];
    key[2] = r[at + INT_IP];
    key[3] = r[at + REM_IP];
    key[4] = r[at + REM_PORT];
    this.byInside.delete();
    const outside = this.byOutside.key;
    outside[0] = r[at + BOX];
    outside[1] = r[at + EXT_KEY];
    this.byOutside.delete();
    r[at + EXPIRES_MS] = -Infinity;
    this.nextFree[m] = this.freeHead;
    this.freeHead = m;
  }

  private traceMapping(ev: 'nat-map' | 'nat-expire', m: number): void {
    const r = this.records;
    const at = m * RECORD;
    const box = r[at + BOX];
    this.trace.nat(
      this.kernel.now,
      ev,
      this.origin[m],
      box,
      r[at + EXT_KEY] >>> 16 === TCP ? 'tcp' : 'udp',
      r[at + INT_IP],
      r[at + INT_PORT],
      this.extIp[box],
      r[at + EXT_KEY] & 0xffff,
      r[at + REM_IP],
      r[at + REM_PORT],
    );
  }

  private allocatePort(box: NatId, proto: number, intPort: number): number {
    const allocation = this.allocation[box];
    let start: number;
    if (allocation === PRESERVING) {
      if (this.portFree(box, proto, intPort)) return intPort;
      start = intPort + 1;
    } else if (allocation === SEQUENTIAL) {
      start = this.nextPort[box];
    } else {
      for (let i = 0; i < RANDOM_TRIES; i++) {
        const port = FIRST_DYNAMIC_PORT + this.portRng.int(DYNAMIC_PORTS);
        if (this.portFree(box, proto, port)) return port;
      }
      start = FIRST_DYNAMIC_PORT + this.portRng.int(DYNAMIC_PORTS);
    }
    for (let i = 0; i < DYNAMIC_PORTS; i++) {
      const port = FIRST_DYNAMIC_PORT + ((start - FIRST_DYNAMIC_PORT + i + DYNAMIC_PORTS) % DYNAMIC_PORTS);
      if (this.portFree(box, proto, port)) {
        if (allocation === SEQUENTIAL) this.nextPort[box] = port + 1;
        return port;
      }
    }
    return -1;
  }

  private portFree(box: NatId, proto: number, port: number): boolean {
    const key = this.byOutside.key;
    key[0] = box;
    key[1] = (proto << 16) | port;
    return this.byOutside.get() < 0;
  }

  private alloc(): number {
    if (this.freeHead >= 0) {
      const m = this.freeHead;
      this.freeHead = this.nextFree[m];
      return m;
    }
    if (this.used === this.holders.length) this.growMappings();
    return this.used++;
  }

  private growBoxes(): void {
    const n = this.extIp.length * 2;
    this.mappingKind = grown(this.mappingKind, n);
    this.filteringKind = grown(this.filteringKind, n);
    this.allocation = grown(this.allocation, n);
    this.hairpin = grown(this.hairpin, n);
    this.timeoutMs = grown(this.timeoutMs, n);
    this.extIp = grown(this.extIp, n);
    this.outer = grown(this.outer, n);
    this.regionOf = grown(this.regionOf, n);
    this.nextPort = grown(this.nextPort, n);
  }

  private growMappings(): void {
    const n = this.holders.length * 2;
    this.records = grown(this.records, n * RECORD);
    this.holders = grown(this.holders, n);
    this.origin = grown(this.origin, n);
    this.nextFree = grown(this.nextFree, n);
  }
}
