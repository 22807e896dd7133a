// A small network on a kernel, and a handler that records what each host hears, with times.
import { Kernel, RngStreams } from '../../sim/kernel/index.js';
import { Network } from '../../sim/net/index.js';
import type { LinkSpec, NetConfig, NetHostHandler } from '../../sim/net/index.js';
import { MemorySink, TraceWriter } from '../../sim/trace/index.js';
import type { TraceLevel } from '../../sim/trace/index.js';

export const REGIONS = ['eu', 'us', 'asia'] as const;
export const RTT_MS = [
  [20, 100, 250],
  [100, 30, 180],
  [250, 180, 40],
];

/** 10 Mbit/s up, 50 down, 5 ms access delay, no loss. */
export const LINK: LinkSpec = { uplinkBitsPerSec: 10e6, downlinkBitsPerSec: 50e6, accessDelayMs: 5 };

export type Heard =
  | { t: number; host: number; kind: 'datagram'; localPort: number; fromIp: number; fromPort: number; bytes: Uint8Array }
  | { t: number; host: number; kind: 'connected'; conn: number }
  | { t: number; host: number; kind: 'connectFailed'; conn: number; reason: string }
  | { t: number; host: number; kind: 'accepted'; conn: number; localPort: number; remoteIp: number; remotePort: number }
  | { t: number; host: number; kind: 'data'; conn: number; bytes: Uint8Array }
  | { t: number; host: number; kind: 'closed'; conn: number; reason: string };

export class Recorder implements NetHostHandler {
  readonly heard: Heard[] = [];
  constructor(private readonly kernel: Kernel) {}
  onDatagram(host: number, localPort: number, fromIp: number, fromPort: number, bytes: Uint8Array): void {
    this.heard.push({ t: this.kernel.now, host, kind: 'datagram', localPort, fromIp, fromPort, bytes });
  }
  onConnected(host: number, conn: number): void {
    this.heard.push({ t: this.kernel.now, host, kind: 'connected', conn });
  }
  onConnectFailed(host: number, conn: number, reason: string): void {
    this.heard.push({ t: this.kernel.now, host, kind: 'connectFailed', conn, reason });
  }
  onAccepted(host: number, conn: number, localPort: number, remoteIp: number, remotePort: number): void {
    this.heard.push({ t: this.kernel.now, host, kind: 'accepted', conn, localPort, remoteIp, remotePort });
  }
  onData(host: number, conn: number, bytes: Uint8Array): void {
    this.heard.push({ t: this.kernel.now, host, kind: 'data', conn, bytes });
  }
  onClosed(host: number, conn: number, reason: string): void {
    this.heard.push({ t: this.kernel.now, host, kind: 'closed', conn, reason });
  }
  of<K extends Heard['kind']>(kind: K, host?: number): Extract<Heard, { kind: K }>[] {
    return this.heard.filter((h): h is Extract<Heard, { kind: K }> => h.kind === kind && (host === undefined || h.host === host));
  }
}

export interface Setup {
  kernel: Kernel;
  net: Network;
  rec: Recorder;
  sink: MemorySink;
  trace: TraceWriter;
}

export function setup(options: { seed?: number; config?: Partial<NetConfig>; trace?: TraceLevel; sampleOneInN?: number } = {}): Setup {
  const kernel = new Kernel();
  const rngs = new RngStreams(options.seed ?? 1);
  const sink = new MemorySink();
  const trace = new TraceWriter(sink, {
    level: options.trace ?? 'off',
    sampleOneInN: options.sampleOneInN,
    sampleSalt: rngs.stream('trace/sample').int(2 ** 32 - 1),
  });
  const net = new Network(kernel, rngs, { regions: REGIONS, rttMs: RTT_MS, ...options.config }, trace);
  return { kernel, net, rec: new Recorder(kernel), sink, trace };
}

export function bytesOf(n: number, fill = 0): Uint8Array {
  return new Uint8Array(n).fill(fill);
}
