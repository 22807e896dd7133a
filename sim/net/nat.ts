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
  private mBox = new Int32Array(1024);
  private mProto = new Uint8Array(1024);
  private mIntIp = new Uint32Array(1024);
  private mIntPort = new Uint16Array(1024);
  private mRemIp = new Uint32Array(1024);
  private mRemPort = new Uint16Array(1024);
  private mExtPort = new Uint16Array(1024);
  private mExpiresMs = new Float64Array(1024);
  private mHolders = new Int32Array(1024);
  private mOrigin = new Int32Array(1024);
  private mLive = new Uint8Array(1024);
  private mNextFree = new Int32Array(1024);
  private freeHead = -1;
  private used = 0;

  private readonly byInside = new TupleMap(5, 1024);
  private readonly byOutside = new TupleMap(2, 1024);
  private readonly permissions: Permissions;

  constructor(
    private readonly kernel: Kernel,
    private readonly portRng: Rng,
    private readonly trace: TraceWriter,
  ) {
    this.permissions = new Permissions(kernel);
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

  intIp(m: number): number {
    return this.mIntIp[m];
  }

  intPort(m: number): number {
    return this.mIntPort[m];
  }

  extPort(m: number): number {
    return this.mExtPort[m];
  }

  /**
   * An outbound packet from (intIp, intPort) to (remIp, remPort) crosses `box`: finds or makes
   * its mapping, refreshes it and the filter permission it opens. Returns the mapping id, or -1
   * when the box has no free port. `origin` is the host whose packet it is (for the trace).
   */
  outbound(box: NatId, proto: number, intIp: number, intPort: number, remIp: number, remPort: number, nowMs: number, origin: number): number {
    const mappingKind = this.mappingKind[box];
    const key = this.byInside.key;
    key[0] = box;
    key[1] = (proto << 16) | intPort;
    key[2] = intIp;
    key[3] = mappingKind === INDEPENDENT ? 0 : remIp;
    key[4] = mappingKind === ADDRESS_AND_PORT ? remPort : 0;
    let m = this.byInside.get();
    if (m < 0) {
      m = this.create(box, proto, intIp, intPort, key[3], key[4], origin);
      if (m < 0) return -1;
    }
    if (proto === TCP) return m;
    const untilMs = nowMs + this.timeoutMs[box];
    this.mExpiresMs[m] = untilMs;
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
    return m >= 0 && this.mExpiresMs[m] > nowMs ? m : -1;
  }

  /** Whether mapping `m`'s filter lets in a packet from (srcIp, srcPort). */
  admits(m: number, srcIp: number, srcPort: number, nowMs: number): boolean {
    const box = this.mBox[m];
    const filteringKind = this.filteringKind[box];
    if (filteringKind === INDEPENDENT) return true;
    if (filteringKind <= this.mappingKind[box]) {
      return this.mRemIp[m] === srcIp && (filteringKind === ADDRESS || this.mRemPort[m] === srcPort);
    }
    return this.permissions.admits(m, srcIp, filteringKind === ADDRESS_AND_PORT ? srcPort : 0, nowMs);
  }

  /** A TCP connection starts using mapping `m`. */
  hold(m: number): void {
    this.mHolders[m]++;
  }

  /** A TCP connection is done with mapping `m`; the last one out removes it. */
  release(m: number): void {
    if (--this.mHolders[m] === 0) this.remove(m);
  }

  /** The live mappings of `box`, ordered by protocol then external port. */
  mappings(box: NatId): NatMappingView[] {
    const views: NatMappingView[] = [];
    const nowMs = this.kernel.now;
    for (let m = 0; m < this.used; m++) {
      if (this.mLive[m] === 0 || this.mBox[m] !== box || this.mExpiresMs[m] <= nowMs) continue;
      views.push({
        proto: this.mProto[m] === TCP ? 'tcp' : 'udp',
        internal: { ip: this.mIntIp[m], port: this.mIntPort[m] },
        external: { ip: this.extIp[box], port: this.mExtPort[m] },
        remote: { ip: this.mRemIp[m], port: this.mRemPort[m] },
        expiresMs: this.mExpiresMs[m],
      });
    }
    return views.sort((a, b) => a.proto.localeCompare(b.proto) || a.external.port - b.external.port);
  }

  private create(box: NatId, proto: number, intIp: number, intPort: number, remIp: number, remPort: number, origin: number): number {
    const extPort = this.allocatePort(box, proto, intPort);
    if (extPort < 0) return -1;
    const m = this.alloc();
    this.mBox[m] = box;
    this.mProto[m] = proto;
    this.mIntIp[m] = intIp;
    this.mIntPort[m] = intPort;
    this.mRemIp[m] = remIp;
    this.mRemPort[m] = remPort;
    this.mExtPort[m] = extPort;
    this.mHolders[m] = 0;
    this.mOrigin[m] = origin;
    this.mLive[m] = 1;
    this.byInside.set(m);
    const key = this.byOutside.key;
    key[0] = box;
    key[1] = (proto << 16) | extPort;
    this.byOutside.set(m);
    if (proto === TCP) {
      this.mExpiresMs[m] = Infinity;
    } else {
      // outbound() sets the real expiry right after; the event re-arms itself for it.
      this.mExpiresMs[m] = this.kernel.now + this.timeoutMs[box];
      this.kernel.at(this.mExpiresMs[m], this.onExpiry, m);
    }
    if (this.trace.enabled) this.traceMapping('nat-map', m);
    return m;
  }

  private readonly onExpiry = (m: number): void => {
    if (this.mExpiresMs[m] > this.kernel.now) {
      this.kernel.at(this.mExpiresMs[m], this.onExpiry, m);
      return;
    }
    this.remove(m);
  };

  private remove(m: number): void {
    if (this.trace.enabled) this.traceMapping('nat-expire', m);
    const box = this.mBox[m];
    const key = this.byInside.key;
    key[0] = box;
    key[1] = (this.mProto[m] << 16) | this.mIntPort[m];
    key[2] = this.mIntIp[m];
    key[3] = this.mRemIp[m];
    key[4] = this.mRemPort[m];
    this.byInside.delete();
    const outside = this.byOutside.key;
    outside[0] = box;
    outside[1] = (this.mProto[m] << 16) | this.mExtPort[m];
    this.byOutside.delete();
    this.mLive[m] = 0;
    this.mNextFree[m] = this.freeHead;
    this.freeHead = m;
  }

  private traceMapping(ev: 'nat-map' | 'nat-expire', m: number): void {
    const box = this.mBox[m];
    this.trace.nat(
      this.kernel.now,
      ev,
      this.mOrigin[m],
      box,
      this.mProto[m] === TCP ? 'tcp' : 'udp',
      this.mIntIp[m],
      this.mIntPort[m],
      this.extIp[box],
      this.mExtPort[m],
      this.mRemIp[m],
      this.mRemPort[m],
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
      this.freeHead = this.mNextFree[m];
      return m;
    }
    if (this.used === this.mBox.length) this.growMappings();
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
    const n = this.mBox.length * 2;
    this.mBox = grown(this.mBox, n);
    this.mProto = grown(this.mProto, n);
    this.mIntIp = grown(this.mIntIp, n);
    this.mIntPort = grown(this.mIntPort, n);
    this.mRemIp = grown(this.mRemIp, n);
    this.mRemPort = grown(this.mRemPort, n);
    this.mExtPort = grown(this.mExtPort, n);
    this.mExpiresMs = grown(this.mExpiresMs, n);
    this.mHolders = grown(this.mHolders, n);
    this.mOrigin = grown(this.mOrigin, n);
    this.mLive = grown(this.mLive, n);
    this.mNextFree = grown(this.mNextFree, n);
  }
}
