/**
 * IPv4 addresses as unsigned 32-bit integers, and the address spaces they live in.
 *
 * There is one public space and one private space behind each NAT box. The same private
 * address (10.0.0.2) exists in many spaces; what names a host or a NAT box uniquely is the
 * pair (space, address). Space 0 is public; the private space of NAT box n is n + 1.
 *
 * A "node" is what an address in a space leads to: a host (node >= 0, the HostId) or a NAT
 * box seen from the outside (node < 0, NAT n is -1 - n).
 *
 * Not modelled: subnets, routing tables, ICMP, IPv6. An address that names nothing in the
 * public space is simply unrouteable.
 */
import { grown } from './grow.js';
import { TupleMap } from './tuple-map.js';

export const PUBLIC_SPACE = 0;

/** First address handed out in the public space when a spec names none: 1.0.0.1. */
const FIRST_PUBLIC_IP = 0x01000001;
/** First address handed out in a private space: 10.0.0.2 (10.0.0.1 is the NAT's inside). */
const FIRST_PRIVATE_IP = 0x0a000002;

export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

export function endpointToString(ip: number, port: number): string {
  return `${ipToString(ip)}:${port}`;
}

/** Parses dotted-quad text; throws RangeError on anything else. */
export function parseIp(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  }
  return parts.reduce((ip, p) => ip * 256 + Number(p), 0);
}

export function natNode(nat: number): number {
  return -1 - nat;
}

export function natOfNode(node: number): number {
  return -1 - node;
}

/**
 * Which node each (space, address) leads to, and the next free address of each space.
 *
 * Public addresses handed out in sequence (the common case) sit in a dense array indexed by
 * address: the lookup every packet makes in the public space then reads 4 bytes of a small
 * array instead of a hash slot. Other addresses go to the hash index, behind the range of
 * addresses bound in their space: every packet from a host behind a NAT first asks its
 * private space for a destination that is nearly always public, and the range answers that
 * without a hash probe (a cache miss per packet once there are tens of thousands of spaces).
 */
export class AddressBook {
  private readonly table = new TupleMap(2, 1024);
  private readonly nextIp: number[] = [FIRST_PUBLIC_IP];
  /** Node of public address FIRST_PUBLIC_IP + i, encoded, or -1. */
  private dense = new Int32Array(1024).fill(-1);
  /**
   * Per space, the lowest and highest address in the hash index (empty: low > high), side by
   * side (2 * space, 2 * space + 1): one cache line answers a packet's question.
   */
  private bounds = emptyBounds(1024);

  /** Adds the private space of a new NAT box. */
  addSpace(): number {
    this.nextIp.push(FIRST_PRIVATE_IP);
    const space = this.nextIp.length - 1;
    if (2 * space === this.bounds.length) {
      const bounds = emptyBounds(space * 2);
      bounds.set(this.bounds);
      this.bounds = bounds;
    }
    return space;
  }

  /** The node at `ip` in `space`, or NO_NODE. */
  lookup(space: number, ip: number): number {
    let v: number;
    const i = ip - FIRST_PUBLIC_IP;
    if (space === PUBLIC_SPACE && i >= 0 && i < DENSE_LIMIT) {
      v = i < this.dense.length ? this.dense[i] : -1;
    } else if (ip < this.bounds[2 * space] || ip > this.bounds[2 * space + 1]) {
      return NO_NODE;
    } else {
      const key = this.table.key;
      key[0] = space;
      key[1] = ip;
      v = this.table.get();
    }
    return v < 0 ? NO_NODE : decode(v);
  }

  /** Binds `node` to `ip` in `space` (a free address of the space when `ip` is undefined). */
  bind(space: number, node: number, ip?: number): number {
    const addr = ip ?? this.freeIp(space);
    if (!(addr >>> 0 === addr)) throw new RangeError(`address ${addr} is not an unsigned 32-bit integer`);
    if (this.lookup(space, addr) !== NO_NODE) {
      throw new RangeError(`address ${ipToString(addr)} is already in use in ${space === PUBLIC_SPACE ? 'the public space' : `NAT ${space - 1}'s private space`}`);
    }
    const i = addr - FIRST_PUBLIC_IP;
    if (space === PUBLIC_SPACE && i >= 0 && i < DENSE_LIMIT) {
      if (i >= this.dense.length) {
        this.dense = grown(this.dense, Math.min(DENSE_LIMIT, Math.max(i + 1, this.dense.length * 2)), -1);
      }
      this.dense[i] = encode(node);
    } else {
      const key = this.table.key;
      key[0] = space;
      key[1] = addr;
      this.table.set(encode(node));
      if (addr < this.bounds[2 * space]) this.bounds[2 * space] = addr;
      if (addr > this.bounds[2 * space + 1]) this.bounds[2 * space + 1] = addr;
    }
    return addr;
  }

  private freeIp(space: number): number {
    let ip = this.nextIp[space];
    // Skip .0 and .255 so that printed addresses look like hosts; skip ones bound explicitly.
    while ((ip & 255) === 0 || (ip & 255) === 255 || this.lookup(space, ip) !== NO_NODE) ip++;
    this.nextIp[space] = ip + 1;
    return ip;
  }
}

/** Bounds of `spaces` spaces, each empty (low 2^32 - 1, high 0). */
function emptyBounds(spaces: number): Uint32Array {
  const bounds = new Uint32Array(2 * spaces);
  for (let i = 0; i < bounds.length; i += 2) bounds[i] = 0xffffffff;
  return bounds;
}

/** What `lookup` returns for an address that names nothing. */
export const NO_NODE = 0x7fffffff;

/** Public addresses 1.0.0.1 up to 1.64.0.0 live in the dense array (at most 16 MiB of it). */
const DENSE_LIMIT = 1 << 22;

// Stored values are non-negative: hosts map to 2h, NAT boxes to 2n + 1.
function encode(node: number): number {
  return node >= 0 ? node * 2 : natOfNode(node) * 2 + 1;
}

function decode(value: number): number {
  return (value & 1) === 0 ? value >>> 1 : natNode(value >>> 1);
}
