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

/** Which node each (space, address) leads to, and the next free address of each space. */
export class AddressBook {
  private readonly table = new TupleMap(2, 1024);
  private readonly nextIp: number[] = [FIRST_PUBLIC_IP];

  /** Adds the private space of a new NAT box. */
  addSpace(): number {
    this.nextIp.push(FIRST_PRIVATE_IP);
    return this.nextIp.length - 1;
  }

  /** The node at `ip` in `space`, or NO_NODE. */
  lookup(space: number, ip: number): number {
    const key = this.table.key;
    key[0] = space;
    key[1] = ip;
    const v = this.table.get();
    return v < 0 ? NO_NODE : decode(v);
  }

  /** Binds `node` to `ip` in `space` (a free address of the space when `ip` is undefined). */
  bind(space: number, node: number, ip?: number): number {
    const addr = ip ?? this.freeIp(space);
    if (!(addr >>> 0 === addr)) throw new RangeError(`address ${addr} is not an unsigned 32-bit integer`);
    if (this.lookup(space, addr) !== NO_NODE) {
      throw new RangeError(`address ${ipToString(addr)} is already in use in ${space === PUBLIC_SPACE ? 'the public space' : `NAT ${space - 1}'s private space`}`);
    }
    const key = this.table.key;
    key[0] = space;
    key[1] = addr;
    this.table.set(encode(node));
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

/** What `lookup` returns for an address that names nothing. */
export const NO_NODE = 0x7fffffff;

// Table values are non-negative: hosts map to 2h, NAT boxes to 2n + 1.
function encode(node: number): number {
  return node >= 0 ? node * 2 : natOfNode(node) * 2 + 1;
}

function decode(value: number): number {
  return (value & 1) === 0 ? value >>> 1 : natNode(value >>> 1);
}
