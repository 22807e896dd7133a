/**
 * The trace writer: turns events into NDJSON lines, in a fixed field order, and streams them
 * to a sink in bounded chunks. Nothing is kept for the whole run; memory is one chunk.
 *
 * Levels:
 * - off: `enabled` is false. Callers test it before building any argument, so a run without a
 *   trace formats nothing and allocates nothing for it.
 * - full: every event.
 * - sampled: every event that concerns a sampled host, and no other. A host is sampled when
 *   mix32(host XOR salt) mod N = 0, N = `sampleOneInN` (default 100), so about 1 host in N is
 *   followed completely: its sends, deliveries and drops in both directions, its NAT
 *   mappings, its TCP connections, its node events. The salt comes from the caller - the run
 *   draws it from the RNG stream `trace/sample` - so the subset is fixed by the seed and
 *   changes with it, and does not depend on event order.
 *
 * Each event method takes scalars, not an object, so that a traced run allocates only the
 * line itself. The field order of each event is documented in events.ts.
 *
 * Packet tap: an optional second consumer of packet events (the pcapng writer, pcap.ts). It
 * sees exactly the packets the level keeps (full: all; sampled: the sampled hosts'), and when
 * the level is off it sees every packet while no text is written: `enabled` is then true so
 * that the network model still reports packets, and `keeps` stays false for every host.
 */
import { endpointToString, ipToString } from '../net/address.js';
import type { DropReason, NatEvent, PacketEvent, Proto, TcpEvent } from './events.js';

export type TraceLevel = 'off' | 'sampled' | 'full';

/** Where trace text goes; a sink receives whole lines, in order. */
export interface TraceSink {
  write(chunk: string): void;
  close(): void;
}

export interface TraceOptions {
  readonly level: TraceLevel;
  /** Sampled level: follow about one host in this many. */
  readonly sampleOneInN?: number;
  /** Sampled level: which hosts; draw it from the `trace/sample` stream. */
  readonly sampleSalt?: number;
  /** Text buffered before it goes to the sink. */
  readonly chunkChars?: number;
  /** Also hands packet events to this consumer (see above); closed with the writer. */
  readonly packetTap?: PacketTap;
}

/** Receives the packet events the trace keeps, with the same arguments as `packet`. */
export interface PacketTap {
  packet(
    tMs: number,
    ev: PacketEvent,
    proto: Proto,
    fromHost: number,
    toHost: number,
    srcIp: number,
    srcPort: number,
    dstIp: number,
    dstPort: number,
    msgType: string,
    wireBytes: number,
    reason: DropReason | null,
    /** How many packets of `wireBytes` the event stands for (an aggregate); 1 for a plain packet. */
    packets: number,
  ): void;
  close(): void;
}

const DEFAULT_ONE_IN_N = 100;
const DEFAULT_CHUNK_CHARS = 1 << 16;

export class TraceWriter {
  /** False when the level is off and no packet tap listens: test it before preparing an event. */
  readonly enabled: boolean;
  /** Whether text is written (the level is not off). */
  private readonly text: boolean;
  private readonly tap: PacketTap | null;
  private readonly sampled: boolean;
  private readonly oneInN: number;
  private readonly salt: number;
  private readonly chunkChars: number;
  private buffer = '';

  constructor(
    private readonly sink: TraceSink,
    options: TraceOptions,
  ) {
    const oneInN = options.sampleOneInN ?? DEFAULT_ONE_IN_N;
    if (!(Number.isInteger(oneInN) && oneInN >= 1)) throw new RangeError(`sampleOneInN must be a positive integer, got ${oneInN}`);
    this.text = options.level !== 'off';
    this.tap = options.packetTap ?? null;
    this.enabled = this.text || this.tap !== null;
    this.sampled = options.level === 'sampled';
    this.oneInN = oneInN;
    this.salt = (options.sampleSalt ?? 0) >>> 0;
    this.chunkChars = options.chunkChars ?? DEFAULT_CHUNK_CHARS;
  }

  /** A writer that writes no text; with a tap, the tap still sees every packet. */
  static off(packetTap?: PacketTap): TraceWriter {
    return new TraceWriter({ write() {}, close() {} }, { level: 'off', ...(packetTap ? { packetTap } : {}) });
  }

  /** Whether events about `host` are written (never, for host -1). */
  keeps(host: number): boolean {
    if (!this.text || host < 0) return false;
    return !this.sampled || mix32(host ^ this.salt) % this.oneInN === 0;
  }

  packet(
    tMs: number,
    ev: PacketEvent,
    proto: Proto,
    fromHost: number,
    toHost: number,
    srcIp: number,
    srcPort: number,
    dstIp: number,
    dstPort: number,
    msgType: string,
    wireBytes: number,
    reason: DropReason | null,
    packets = 1,
  ): void {
    const kept = this.keeps(fromHost) || this.keeps(toHost);
    if (this.tap !== null && (kept || !this.text)) {
      this.tap.packet(tMs, ev, proto, fromHost, toHost, srcIp, srcPort, dstIp, dstPort, msgType, wireBytes, reason, packets);
    }
    if (!kept) return;
    // `packets` only on aggregates, so that traces without them read as they always did.
    this.emit(
      `{"t":${ms(tMs)},"ev":"${ev}","proto":"${proto}","from":${fromHost},"to":${toHost},` +
        `"src":"${endpointToString(srcIp, srcPort)}","dst":"${endpointToString(dstIp, dstPort)}",` +
        `"msg":${JSON.stringify(msgType)},"bytes":${wireBytes}${packets === 1 ? '' : `,"packets":${packets}`}` +
        `${reason === null ? '' : `,"reason":"${reason}"`}}\n`,
    );
  }

  /** `host` is the host whose traffic made the mapping; remIp 0 / remPort 0 mean "any". */
  nat(
    tMs: number,
    ev: NatEvent,
    host: number,
    nat: number,
    proto: Proto,
    intIp: number,
    intPort: number,
    extIp: number,
    extPort: number,
    remIp: number,
    remPort: number,
  ): void {
    if (!this.keeps(host)) return;
    const rem = remIp === 0 ? '*' : `${ipToString(remIp)}:${remPort === 0 ? '*' : remPort}`;
    this.emit(
      `{"t":${ms(tMs)},"ev":"${ev}","nat":${nat},"proto":"${proto}",` +
        `"int":"${endpointToString(intIp, intPort)}","ext":"${endpointToString(extIp, extPort)}","rem":"${rem}"}\n`,
    );
  }

  tcp(
    tMs: number,
    ev: TcpEvent,
    conn: number,
    host: number,
    peerHost: number,
    localIp: number,
    localPort: number,
    remoteIp: number,
    remotePort: number,
    reason: string | null,
  ): void {
    if (!this.keeps(host) && !this.keeps(peerHost)) return;
    this.emit(
      `{"t":${ms(tMs)},"ev":"${ev}","conn":${conn},"host":${host},"peer":${peerHost},` +
        `"local":"${endpointToString(localIp, localPort)}","remote":"${endpointToString(remoteIp, remotePort)}"` +
        `${reason === null ? '' : `,"reason":"${reason}"`}}\n`,
    );
  }

  /** A protocol node's event; `detail` keeps the key order the node gave it. */
  node(tMs: number, host: number, event: string, detail?: Readonly<Record<string, string | number | boolean>>): void {
    if (!this.keeps(host)) return;
    this.emit(
      `{"t":${ms(tMs)},"ev":"node","host":${host},"event":${JSON.stringify(event)}` +
        `${detail === undefined ? '' : `,"detail":${JSON.stringify(detail)}`}}\n`,
    );
  }

  /** Hands buffered lines to the sink. */
  flush(): void {
    if (this.buffer.length === 0) return;
    this.sink.write(this.buffer);
    this.buffer = '';
  }

  /** Flushes and closes the sink, and the packet tap if there is one. */
  close(): void {
    this.flush();
    this.sink.close();
    this.tap?.close();
  }

  private emit(line: string): void {
    this.buffer += line;
    if (this.buffer.length >= this.chunkChars) this.flush();
  }
}

/** Milliseconds rounded to the microsecond; Number's shortest round-trip text is deterministic. */
function ms(tMs: number): string {
  return String(Math.round(tMs * 1000) / 1000);
}

function mix32(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
