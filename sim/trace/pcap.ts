/**
 * Packet capture export: the trace's packet events as a pcapng file (`trace.pcapng`), for
 * Wireshark and tshark. Written by hand, little-endian, streamed in bounded chunks like the
 * NDJSON trace: nothing is kept for the whole run.
 *
 * Interfaces - each packet is seen where the trace sees it, so a NATed packet appears on both
 * sides of its NAT(s), on separate interfaces:
 *   0 "senders"    every `send`: the packet as it left the sender - the sender's own (private,
 *                  behind a NAT) source address and the destination it addressed.
 *   1 "receivers"  every `deliver`: the packet as delivered - the source as translated by the
 *                  NATs on the way (what the receiver sees) and the receiver's own address.
 *   2 "drops"      every `drop`: the packet as the hop that dropped it saw it; its comment
 *                  says why ("dropped: <reason>").
 * Every packet carries its message type as the Enhanced Packet Block's comment
 * (`frame.comment` in Wireshark).
 *
 * Aggregates (a trace event standing for N > 1 packets of one size, media in `flow` mode) are
 * written once, as one packet of that size, with "; packets: N" in the comment: the capture
 * shows the aggregate as the simulation handled it, not N synthesized frames, so Wireshark's
 * packet and byte totals count an aggregate once.
 *
 * Link type LINKTYPE_IPV4 (228): each packet is an IPv4 header, then a UDP or TCP header,
 * then the payload. The payload's bytes are not in the trace events: it is written as zero
 * bytes of the right length, so that frame length = IPv4 total length = the trace's `bytes`
 * (which include the 28-byte IPv4+UDP or 40-byte IPv4+TCP headers). A packet larger than an
 * IPv4 datagram can be (65,535 bytes) is written truncated to that size.
 *
 * Headers: IPv4 with total length, DF, TTL 64, identification 0 and a correct header
 * checksum; UDP with ports and length, checksum 0 (none, allowed for IPv4); TCP with ports,
 * sequence and acknowledgement numbers 0, data offset 5, window 65,535, checksum 0 (not
 * computed), and flags from the message type: tcp-syn SYN, tcp-syn-ack SYN+ACK, tcp-ack ACK,
 * tcp-fin FIN+ACK, tcp-rst RST, any other (a data segment) PSH+ACK.
 *
 * Determinism: timestamps are simulated time (microseconds since the run's start,
 * if_tsresol 6; Wireshark shows them as 1970-01-01 plus the simulated time), the section
 * header's only option is a fixed application name, and nothing else varies: the file is a
 * function of scenario, seed and run.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { DropReason, PacketEvent, Proto } from './events.js';
import type { PacketTap } from './writer.js';

/** Where pcapng bytes go; a chunk is only valid during the call (the writer reuses it). */
export interface ByteSink {
  write(chunk: Uint8Array): void;
  close(): void;
}

/** Synchronous, like the trace's FileSink. */
export class ByteFileSink implements ByteSink {
  private fd: number;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(chunk: Uint8Array): void {
    let done = 0;
    while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** For tests. */
export class ByteMemorySink implements ByteSink {
  private readonly chunks: Uint8Array[] = [];
  closed = false;

  write(chunk: Uint8Array): void {
    this.chunks.push(chunk.slice());
  }

  close(): void {
    this.closed = true;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export const PCAP_INTERFACES = ['senders', 'receivers', 'drops'] as const;

const LINKTYPE_IPV4 = 228;
const IPV4_MAX = 65_535;
const IP_HEADER = 20;
const UDP_HEADER = 8;
const TCP_HEADER = 20;
const DEFAULT_CHUNK_BYTES = 1 << 16;
const APPLICATION = 'supernode-sim';
const INTERFACE_DESCRIPTIONS = [
  'each packet as it left its sender (source: the sender\'s own address)',
  'each packet as delivered (source: as translated by the NATs on the way)',
  'each dropped packet, as the hop that dropped it saw it',
];

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

function tcpFlags(msgType: string): number {
  switch (msgType) {
    case 'tcp-syn':
      return TCP_SYN;
    case 'tcp-syn-ack':
      return TCP_SYN | TCP_ACK;
    case 'tcp-ack':
      return TCP_ACK;
    case 'tcp-fin':
      return TCP_FIN | TCP_ACK;
    case 'tcp-rst':
      return TCP_RST;
    default:
      return TCP_PSH | TCP_ACK;
  }
}

const pad4 = (n: number): number => (n + 3) & ~3;

export class PcapWriter implements PacketTap {
  private buf: Buffer;
  private pos = 0;
  private closed = false;
  /** Comment texts encoded once per message type / drop reason. */
  private readonly comments = new Map<string, Buffer>();

  constructor(
    private readonly sink: ByteSink,
    options: { readonly chunkBytes?: number } = {},
  ) {
    this.buf = Buffer.alloc(options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    this.sectionHeader();
    PCAP_INTERFACES.forEach((name, i) => this.interfaceDescription(name, INTERFACE_DESCRIPTIONS[i]));
  }

  packet(
    tMs: number,
    ev: PacketEvent,
    proto: Proto,
    _fromHost: number,
    _toHost: number,
    srcIp: number,
    srcPort: number,
    dstIp: number,
    dstPort: number,
    msgType: string,
    wireBytes: number,
    reason: DropReason | null,
    packets = 1,
  ): void {
    const iface = ev === 'send' ? 0 : ev === 'deliver' ? 1 : 2;
    const l4 = proto === 'udp' ? UDP_HEADER : TCP_HEADER;
    const len = Math.min(IPV4_MAX, Math.max(IP_HEADER + l4, wireBytes));
    const what = packets === 1 ? msgType : `${msgType}; packets: ${packets}`;
    const comment = this.comment(reason === null ? what : `${what}; dropped: ${reason}`);
    const optBytes = 4 + pad4(comment.length) + 4;
    const total = 28 + pad4(len) + optBytes + 4;
    this.reserve(total);
    const b = this.buf;
    let p = this.pos;
    const us = Math.round(tMs * 1000);
    b.writeUInt32LE(6, p);
    b.writeUInt32LE(total, p + 4);
    b.writeUInt32LE(iface, p + 8);
    b.writeUInt32LE(Math.floor(us / 2 ** 32), p + 12);
    b.writeUInt32LE(us >>> 0, p + 16);
    b.writeUInt32LE(len, p + 20);
    b.writeUInt32LE(len, p + 24);
    p += 28;
    const ip = p;
    b.fill(0, ip, ip + pad4(len));
    // IPv4 header (network byte order)
    b[ip] = 0x45;
    b.writeUInt16BE(len, ip + 2);
    b.writeUInt16BE(0x4000, ip + 6); // DF
    b[ip + 8] = 64;
    b[ip + 9] = proto === 'udp' ? 17 : 6;
    b.writeUInt32BE(srcIp >>> 0, ip + 12);
    b.writeUInt32BE(dstIp >>> 0, ip + 16);
    b.writeUInt16BE(ipChecksum(b, ip), ip + 10);
    const t = ip + IP_HEADER;
    b.writeUInt16BE(srcPort, t);
    b.writeUInt16BE(dstPort, t + 2);
    if (proto === 'udp') {
      b.writeUInt16BE(len - IP_HEADER, t + 4);
    } else {
      b[t + 12] = 5 << 4; // data offset 5 words
      b[t + 13] = tcpFlags(msgType);
      b.writeUInt16BE(0xffff, t + 14);
    }
    p += pad4(len);
    // options: opt_comment, opt_endofopt
    b.writeUInt16LE(1, p);
    b.writeUInt16LE(comment.length, p + 2);
    comment.copy(b, p + 4);
    b.fill(0, p + 4 + comment.length, p + 4 + pad4(comment.length) + 4);
    p += optBytes;
    b.writeUInt32LE(total, p);
    this.pos = p + 4;
    if (this.pos >= b.length) this.flush();
  }

  /** Hands buffered blocks to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    this.sink.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.sink.close();
  }

  private comment(text: string): Buffer {
    let c = this.comments.get(text);
    if (c === undefined) {
      c = Buffer.from(text, 'utf8');
      this.comments.set(text, c);
    }
    return c;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.alloc(n);
  }

  private sectionHeader(): void {
    const opts = [option(4, Buffer.from(APPLICATION, 'utf8'))]; // shb_userappl
    this.block(0x0a0d0d0a, headerBody(), opts);
    function headerBody(): Buffer {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
      h.writeUInt16LE(1, 4);
      h.writeUInt16LE(0, 6);
      h.writeInt32LE(-1, 8); // section length: not given
      h.writeInt32LE(-1, 12);
      return h;
    }
  }

  private interfaceDescription(name: string, description: string): void {
    const body = Buffer.alloc(8);
    body.writeUInt16LE(LINKTYPE_IPV4, 0);
    body.writeUInt32LE(0, 4); // snaplen: no limit
    const opts = [option(2, Buffer.from(name, 'utf8')), option(3, Buffer.from(description, 'utf8')), option(9, Buffer.from([6]))];
    this.block(1, body, opts);
  }

  private block(type: number, body: Buffer, opts: Buffer[]): void {
    const content = Buffer.concat([body, ...opts, Buffer.alloc(4)]); // opt_endofopt
    const total = 12 + content.length;
    this.reserve(total);
    this.buf.writeUInt32LE(type, this.pos);
    this.buf.writeUInt32LE(total, this.pos + 4);
    content.copy(this.buf, this.pos + 8);
    this.buf.writeUInt32LE(total, this.pos + 8 + content.length);
    this.pos += total;
  }
}

function option(code: number, value: Buffer): Buffer {
  const o = Buffer.alloc(4 + pad4(value.length));
  o.writeUInt16LE(code, 0);
  o.writeUInt16LE(value.length, 2);
  value.copy(o, 4);
  return o;
}

/** RFC 791 header checksum over the 20-byte header at `at` (its checksum field zero). */
function ipChecksum(b: Buffer, at: number): number {
  let sum = 0;
  for (let i = 0; i < IP_HEADER; i += 2) sum += (b[at + i] << 8) | b[at + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
