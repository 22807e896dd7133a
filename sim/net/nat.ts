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
 * Boxes and mappings are 32-byte records by id (records.ts), what a packet reads of one side by
 * side; mappings have two hash indexes: from the inside (box, proto, internal endpoint, remote
 * as far as the mapping behaviour keys on it) and from the outside (box, proto, external port).
 * Keys are numbers, lookups allocate nothing.
 */
import type { Kernel, Rng } from '../kernel/index.js';
import type { TraceWriter } from '../trace/index.js';
import type { NatBehaviour, NatId, NatMappingView, NatParams, PortAllocation } from './config.js';
import { ExpiryQueue } from './expiry.js';
import { grown } from './grow.js';
import { Permissions } from './permissions.js';
import { Records } from './records.js';
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

// A box's record (records.ts): its parameters, all a packet crossing it reads, in 32 bytes.
const BOX_BYTES = 32;
const BOX_F64 = BOX_BYTES / 8;
const BOX_U32 = BOX_BYTES / 4;
const BOX_U16 = BOX_BYTES / 2;
const TIMEOUT_MS = 0;
const EXT_IP = 2;
/** The space the box's external address lives in. */
const OUTER = 3;
/** Where sequential port allocation goes on. */
const NEXT_PORT = 4;
const REGION = 10;
const MAPPING_KIND = 22;
const FILTERING_KIND = 23;
const ALLOCATION = 24;
const HAIRPIN = 25;

// A mapping's record: all a packet reads of it, in 32 bytes (one cache line holds two).
const MAPPING_BYTES = 32;
const M_F64 = MAPPING_BYTES / 8;
const M_U32 = MAPPING_BYTES / 4;
const M_U16 = MAPPING_BYTES / 2;
/** -Infinity once the mapping is gone, so a stale id never looks live. */
const EXPIRES_MS = 0;
const BOX = 2;
/** The node the mapping leads to (in the i32 view): a host, or the NAT box inside (natNode). */
const INT_NODE = 3;
const INT_IP = 4;
const REM_IP = 5;
/** proto << 16 | external port. */
const EXT_KEY = 6;
const INT_PORT = 14;
const REM_PORT = 15;

const FIRST_DYNAMIC_PORT = 1024;
const DYNAMIC_PORTS = 65536 - FIRST_DYNAMIC_PORT;
/** Random allocation gives up drawing and scans after this many taken ports in a row. */
const RANDOM_TRIES = 16;

export class Nats {
  private readonly boxes = new Records(BOX_BYTES);

  // Per mapping: the records, and beside them what only creating and removing one reads.
  private readonly records = new Records(MAPPING_BYTES, 1024);
  private holders = new Int32Array(1024);
  private origin = new Int32Array(1024);
  private nextFree = new Int32Array(1024);
  private freeHead = -1;

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
    const box = this.boxes.add();
    const b = this.boxes;
    b.f64[box * BOX_F64 + TIMEOUT_MS] = params.mappingTimeoutMs;
    b.u32[box * BOX_U32 + EXT_IP] = extIp;
    b.u32[box * BOX_U32 + OUTER] = outerSpace;
    b.u32[box * BOX_U32 + NEXT_PORT] = FIRST_DYNAMIC_PORT;
    b.u16[box * BOX_U16 + REGION] = region;
    b.u8[box * BOX_BYTES + MAPPING_KIND] = BEHAVIOUR_CODE[params.mapping];
    b.u8[box * BOX_BYTES + FILTERING_KIND] = BEHAVIOUR_CODE[params.filtering];
    b.u8[box * BOX_BYTES + ALLOCATION] = ALLOCATION_CODE[params.portAllocation];
    b.u8[box * BOX_BYTES + HAIRPIN] = params.hairpinning ? 1 : 0;
    return box;
  }

  get count(): number {
    return this.boxes.size;
  }

  externalIp(box: NatId): number {
    return this.boxes.u32[box * BOX_U32 + EXT_IP];
  }

  /** The space the box's external address lives in. */
  outerSpace(box: NatId): number {
    return this.boxes.u32[box * BOX_U32 + OUTER];
  }

  region(box: NatId): number {
    return this.boxes.u16[box * BOX_U16 + REGION];
  }

  hairpins(box: NatId): boolean {
    return this.boxes.u8[box * BOX_BYTES + HAIRPIN] === 1;
  }

  /** The host, or the NAT box (as a node), behind mapping `m`. */
  intNode(m: number): number {
    return this.records.i32[m * M_U32 + INT_NODE];
  }

  intPort(m: number): number {
    return this.records.u16[m * M_U16 + INT_PORT];
  }

  extPort(m: number): number {
    return this.records.u32[m * M_U32 + EXT_KEY] & 0xffff;
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
    const b = this.boxes;
    const mappingKind = b.u8[box * BOX_BYTES + MAPPING_KIND];
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
    const untilMs = nowMs + b.f64[box * BOX_F64 + TIMEOUT_MS];
    this.records.f64[m * M_F64 + EXPIRES_MS] = untilMs;
    const filteringKind = b.u8[box * BOX_BYTES + FILTERING_KIND];
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
    return m >= 0 && this.records.f64[m * M_F64 + EXPIRES_MS] > nowMs ? m : -1;
  }

  /**
   * Whether mapping `m` is still the live mapping behind `extPort` of `box` - what `inbound`
   * would return - checked from the mapping's own record, without the index.
   */
  isAt(m: number, box: NatId, proto: number, extPort: number, nowMs: number): boolean {
    const r = this.records;
    return r.f64[m * M_F64 + EXPIRES_MS] > nowMs && r.u32[m * M_U32 + BOX] === box && r.u32[m * M_U32 + EXT_KEY] === ((proto << 16) | extPort);
  }

  /** Whether mapping `m`'s filter lets in a packet from (srcIp, srcPort). */
  admits(m: number, srcIp: number, srcPort: number, nowMs: number): boolean {
    const r = this.records;
    const b = this.boxes;
    const box = r.u32[m * M_U32 + BOX];
    const filteringKind = b.u8[box * BOX_BYTES + FILTERING_KIND];
    if (filteringKind === INDEPENDENT) return true;
    if (filteringKind <= b.u8[box * BOX_BYTES + MAPPING_KIND]) {
      return r.u32[m * M_U32 + REM_IP] === srcIp && (filteringKind === ADDRESS || r.u16[m * M_U16 + REM_PORT] === srcPort);
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
    const { f64, u32, u16 } = this.records;
    for (let m = 0; m < this.records.size; m++) {
      if (u32[m * M_U32 + BOX] !== box || f64[m * M_F64 + EXPIRES_MS] <= nowMs) continue;
      views.push({
        proto: u32[m * M_U32 + EXT_KEY] >>> 16 === TCP ? 'tcp' : 'udp',
        internal: { ip: u32[m * M_U32 + INT_IP], port: u16[m * M_U16 + INT_PORT] },
        external: { ip: this.externalIp(box), port: u32[m * M_U32 + EXT_KEY] & 0xffff },
        remote: { ip: u32[m * M_U32 + REM_IP], port: u16[m * M_U16 + REM_PORT] },
        expiresMs: f64[m * M_F64 + EXPIRES_MS],
      });
    }
    return views.sort((a, b) => a.proto.localeCompare(b.proto) || a.external.port - b.external.port);
  }

  private create(box: NatId, proto: number, intNode: number, intIp: number, intPort: number, remIp: number, remPort: number, origin: number): number {
    const extPort = this.allocatePort(box, proto, intPort);
    if (extPort < 0) return -1;
    const m = this.alloc();
    const r = this.records;
    r.u32[m * M_U32 + BOX] = box;
    r.i32[m * M_U32 + INT_NODE] = intNode;
    r.u32[m * M_U32 + INT_IP] = intIp;
    r.u16[m * M_U16 + INT_PORT] = intPort;
    r.u32[m * M_U32 + REM_IP] = remIp;
    r.u16[m * M_U16 + REM_PORT] = remPort;
    r.u32[m * M_U32 + EXT_KEY] = (proto << 16) | extPort;
    this.holders[m] = 0;
    this.origin[m] = origin;
    this.byInside.set(m);
    const key = this.byOutside.key;
    key[0] = box;
    key[1] = (proto << 16) | extPort;
    this.byOutside.set(m);
    if (proto === TCP) {
      r.f64[m * M_F64 + EXPIRES_MS] = Infinity;
    } else {
      // outbound() sets the real expiry right after; when this one comes due it waits for that.
      const untilMs = this.kernel.now + this.boxes.f64[box * BOX_F64 + TIMEOUT_MS];
      r.f64[m * M_F64 + EXPIRES_MS] = untilMs;
      this.expiries.add(untilMs, m);
    }
    if (this.trace.enabled) this.traceMapping('nat-map', m);
    return m;
  }

  private readonly onExpiry = (m: number): void => {
    const untilMs = this.records.f64[m * M_F64 + EXPIRES_MS];
    if (untilMs > this.kernel.now) {
      this.expiries.add(untilMs, m);
      return;
    }
    this.remove(m);
  };

  private remove(m: number): void {
    if (this.trace.enabled) this.traceMapping('nat-expire', m);
    const { f64, u32, u16 } = this.records;
    const box = u32[m * M_U32 + BOX];
    const extKey = u32[m * M_U32 + EXT_KEY];
    const key = this.byInside.key;
    key[0] = box;
    key[1] = (extKey & 0xffff0000) | u16[m * M_U16 + INT_PORT];
    key[2] = u32[m * M_U32 + INT_IP];
    key[3] = u32[m * M_U32 + REM_IP];
    key[4] = u16[m * M_U16 + REM_PORT];
    this.byInside.delete();
    const outside = this.byOutside.key;
    outside[0] = box;
    outside[1] = extKey;
    this.byOutside.delete();
    f64[m * M_F64 + EXPIRES_MS] = -Infinity;
    this.nextFree[m] = this.freeHead;
    this.freeHead = m;
  }

  private traceMapping(ev: 'nat-map' | 'nat-expire', m: number): void {
    const { u32, u16 } = this.records;
    const box = u32[m * M_U32 + BOX];
    const extKey = u32[m * M_U32 + EXT_KEY];
    this.trace.nat(
      this.kernel.now,
      ev,
      this.origin[m],
      box,
      extKey >>> 16 === TCP ? 'tcp' : 'udp',
      u32[m * M_U32 + INT_IP],
      u16[m * M_U16 + INT_PORT],
      this.externalIp(box),
      extKey & 0xffff,
      u32[m * M_U32 + REM_IP],
      u16[m * M_U16 + REM_PORT],
    );
  }

  private allocatePort(box: NatId, proto: number, intPort: number): number {
    const b = this.boxes;
    const allocation = b.u8[box * BOX_BYTES + ALLOCATION];
    let start: number;
    if (allocation === PRESERVING) {
      if (this.portFree(box, proto, intPort)) return intPort;
      start = intPort + 1;
    } else if (allocation === SEQUENTIAL) {
      start = b.u32[box * BOX_U32 + NEXT_PORT];
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
        if (allocation === SEQUENTIAL) b.u32[box * BOX_U32 + NEXT_PORT] = port + 1;
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
    const m = this.records.add();
    if (m === this.holders.length) {
      const n = 2 * m;
      this.holders = grown(this.holders, n);
      this.origin = grown(this.origin, n);
      this.nextFree = grown(this.nextFree, n);
    }
    return m;
  }
}
