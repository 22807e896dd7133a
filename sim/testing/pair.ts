/**
 * Two protocol nodes on a tiny real network (sim/net), for tests: the first harness to reach
 * for (STYLE.md 11), before a whole world.
 *
 *   const pair = new Pair({ a: { node: (env) => new HostNode(...) }, b: { node: ..., nat: 'symmetric' } });
 *   pair.start();                 // both nodes get `start`
 *   pair.a.act({ type: 'login', ... });
 *   pair.drive();                 // deliver everything in flight, fire no timer
 *   pair.dropNext('a');           // the next packet `a` sends is lost on its uplink
 *   pair.advanceToNextTimer();    // jump to the next timer of either node and fire it
 *   pair.advance(5_000);          // run 5 s of simulated time, timers included
 *   pair.a.log                    // every input a's node took, with the outputs it gave
 *
 * The network is sim/net's, with its TCP model (handshakes, RSTs, SYN retries, retransmission
 * on loss), NAT boxes and firewalls; one region, `rttMs` core RTT, `accessDelayMs` each side.
 * Each side is bound to its host by a sim/runtime HostRuntime, as in a full run.
 *
 * "Idle" (drive) means no network event is due before the next timer of either node: the
 * harness tells timer events from network events by giving the runtimes a view of the kernel
 * whose `after` records what they schedule (they schedule nothing but timers).
 *
 * Drop: a packet is dropped by the sender's access link (its loss model set to 100% for that
 * one send), so TCP behaves as after any loss - the message is sent again after its RTO.
 */

import type { ProtocolNode } from '../../protocol/node.js';
import { Kernel, RngStreams } from '../kernel/index.js';
import type { EventHandler, EventId } from '../kernel/kernel.js';
import { Network } from '../net/index.js';
import type { FirewallKind, HostId, LossSpec, NatPreset, NetConfig, NetHostHandler, TcpConnId } from '../net/index.js';
import { HostRuntime } from '../runtime/host-runtime.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import { MemorySink, TraceWriter } from '../trace/index.js';
import { RecordingNode, type LogEntry } from './recording-node.js';

export type { LogEntry } from './recording-node.js';

/** Addresses the network gave the two sides, for building nodes that must know them. */
export interface PairEnv {
  /** Each side's interface address (private behind a NAT). */
  readonly ipA: number;
  readonly ipB: number;
  /** The address each side is reached at from outside: its NAT's external address, or its own. */
  readonly publicIpA: number;
  readonly publicIpB: number;
}

export interface PairSideSpec<N> {
  readonly node: (env: PairEnv) => N;
  /** A NAT box of this preset in front of the side (a home router); none when absent. */
  readonly nat?: NatPreset;
  readonly firewall?: FirewallKind;
  /** One-way delay of the side's access link (default 1 ms). */
  readonly accessDelayMs?: number;
}

export interface PairOptions<NA, NB> {
  readonly a: PairSideSpec<NA>;
  readonly b: PairSideSpec<NB>;
  readonly seed?: number;
  /** Core round trip (default 20 ms). */
  readonly rttMs?: number;
  readonly tcp?: NetConfig['tcp'];
}

const LINK_BITS_PER_SEC = 100_000_000;
const NO_LOSS: LossSpec = { kind: 'none' };
const ALL_LOST: LossSpec = { kind: 'bernoulli', lossRatio: 1 };

/**
 * sim/net's Network with a one-shot drop of the next packet a host sends. It learns which host
 * owns each connection (opened by `connectTcp`, or accepted as its handler hears) so that a
 * `write` is charged to the right host.
 */
export class DroppingNetwork extends Network {
  private readonly armed = new Set<HostId>();
  private readonly owners = new Map<TcpConnId, HostId>();

  /** The next datagram, SYN or TCP message `host` sends is lost on its uplink. */
  dropNext(host: HostId): void {
    this.armed.add(host);
  }

  override setHandler(host: HostId, handler: NetHostHandler): void {
    const owners = this.owners;
    super.setHandler(host, {
      onDatagram: (h, localPort, fromIp, fromPort, bytes, packets) => handler.onDatagram(h, localPort, fromIp, fromPort, bytes, packets),
      onConnected: (h, conn, tag) => handler.onConnected(h, conn, tag),
      onConnectFailed: (h, conn, reason, tag) => handler.onConnectFailed(h, conn, reason, tag),
      onAccepted: (h, conn, localPort, remoteIp, remotePort) => {
        owners.set(conn, h);
        handler.onAccepted(h, conn, localPort, remoteIp, remotePort);
      },
      onData: (h, conn, bytes, tag) => handler.onData(h, conn, bytes, tag),
      onClosed: (h, conn, reason, tag) => handler.onClosed(h, conn, reason, tag),
    });
  }

  override sendUdp(host: HostId, fromPort: number, toIp: number, toPort: number, bytes: Uint8Array, msgType: string, packets = 1): void {
    this.dropping(host, () => super.sendUdp(host, fromPort, toIp, toPort, bytes, msgType, packets));
  }

  override connectTcp(host: HostId, toIp: number, toPort: number, tag = 0): TcpConnId {
    const conn = this.dropping(host, () => super.connectTcp(host, toIp, toPort, tag));
    this.owners.set(conn, host);
    return conn;
  }

  override write(conn: TcpConnId, bytes: Uint8Array, msgType: string, packets = 1): void {
    const host = this.owners.get(conn);
    if (host === undefined) return super.write(conn, bytes, msgType, packets);
    this.dropping(host, () => super.write(conn, bytes, msgType, packets));
  }

  private dropping<T>(host: HostId, send: () => T): T {
    if (!this.armed.delete(host)) return send();
    this.setLinkLoss(host, ALL_LOST);
    try {
      return send();
    } finally {
      this.setLinkLoss(host, NO_LOSS);
    }
  }
}

/** One side of the pair: its host, its runtime, and the log of its node. */
export class PairSide<N extends ProtocolNode<unknown>> {
  readonly log: LogEntry[] = [];

  constructor(
    readonly name: 'a' | 'b',
    readonly host: HostId,
    readonly ip: number,
    readonly publicIp: number,
    readonly runtime: HostRuntime<unknown, RecordingNode<N>>,
  ) {}

  /** The live node (undefined while crashed). */
  get node(): N {
    const n = this.runtime.node;
    if (!n) throw new Error(`pair side ${this.name} is down`);
    return n.inner;
  }

  get up(): boolean {
    return this.runtime.up;
  }

  act(action: unknown): void {
    if (!this.runtime.act(action)) throw new Error(`pair side ${this.name} is down`);
  }

  start(): void {
    this.runtime.start();
  }

  crash(): void {
    this.runtime.crash();
  }

  /** Node trace events (`trace` outputs) so far, optionally of one name. */
  events(name?: string): { tMs: number; event: string; detail: Readonly<Record<string, string | number | boolean>> | undefined }[] {
    const out: { tMs: number; event: string; detail: Readonly<Record<string, string | number | boolean>> | undefined }[] = [];
    for (const entry of this.log) {
      for (const o of entry.outputs) if (o.kind === 'trace' && (name === undefined || o.event === name)) out.push({ tMs: entry.tMs, event: o.event, detail: o.detail });
    }
    return out;
  }
}

export class Pair<NA extends ProtocolNode<unknown>, NB extends ProtocolNode<unknown>> {
  readonly kernel = new Kernel();
  readonly net: DroppingNetwork;
  readonly sink = new MemorySink();
  readonly trace: TraceWriter;
  readonly metrics = new MetricsRecorder();
  readonly a: PairSide<NA>;
  readonly b: PairSide<NB>;
  /** Pending timer events of both runtimes, with their due times. */
  private readonly timers = new Map<EventId, number>();

  constructor(options: PairOptions<NA, NB>) {
    const rngs = new RngStreams(options.seed ?? 1);
    this.trace = new TraceWriter(this.sink, { level: 'full' });
    this.net = new DroppingNetwork(this.kernel, rngs, { regions: ['lab'], rttMs: [[options.rttMs ?? 20]], tcp: options.tcp }, this.trace);
    const hostA = this.addHost(options.a);
    const hostB = this.addHost(options.b);
    const env: PairEnv = { ipA: hostA.ip, ipB: hostB.ip, publicIpA: hostA.publicIp, publicIpB: hostB.publicIp };
    const timerKernel = this.timerKernel();
    const build = <N extends ProtocolNode<unknown>>(name: 'a' | 'b', spec: PairSideSpec<N>, h: { host: HostId; ip: number; publicIp: number }): PairSide<N> => {
      let side: PairSide<N> | undefined = undefined;
      const runtime = new HostRuntime<unknown, RecordingNode<N>>(timerKernel, this.net, h.host, () => new RecordingNode(spec.node(env), side!.log), rngs.stream(`pair/${name}`), {
        trace: this.trace,
        metrics: this.metrics,
      });
      side = new PairSide<N>(name, h.host, h.ip, h.publicIp, runtime);
      return side;
    };
    this.a = build('a', options.a, hostA);
    this.b = build('b', options.b, hostB);
  }

  get nowMs(): number {
    return this.kernel.now;
  }

  /** Starts both nodes (a first). */
  start(): this {
    this.a.start();
    this.b.start();
    return this;
  }

  /** Runs one kernel event (a packet or a timer); false when nothing is pending. */
  step(): boolean {
    return this.kernel.step();
  }

  /** Delivers everything in flight and what it causes, firing no timer. Returns the events run. */
  drive(maxEvents = 100_000): number {
    let n = 0;
    while (n < maxEvents && this.nextIsNetworkEvent()) {
      this.kernel.step();
      n++;
    }
    if (n === maxEvents) throw new Error(`pair: not idle after ${maxEvents} events`);
    return n;
  }

  /** Jumps to the next timer of either node, fires it and everything due with it; false if none is set. */
  advanceToNextTimer(): boolean {
    const due = this.nextTimerMs();
    if (due === Infinity) return false;
    this.kernel.runUntil(due);
    return true;
  }

  /** Runs `ms` of simulated time, timers and packets alike. */
  advance(ms: number): void {
    this.kernel.runUntil(this.kernel.now + ms);
  }

  /** The next packet `side` sends (datagram, SYN, or TCP message) is lost on its uplink. */
  dropNext(side: 'a' | 'b'): void {
    this.net.dropNext(this[side].host);
  }

  /** Every trace line so far (packets, TCP, NAT, node events), parsed. */
  traceEvents(): Record<string, unknown>[] {
    this.trace.flush();
    return this.sink.events();
  }

  private nextTimerMs(): number {
    let due = Infinity;
    for (const t of this.timers.values()) due = Math.min(due, t);
    return due;
  }

  private nextIsNetworkEvent(): boolean {
    const next = this.kernel.nextTime();
    return next !== Infinity && next < this.nextTimerMs();
  }

  /**
   * The kernel as the runtimes see it: the same clock and queue, but what they schedule (their
   * timers, nothing else) is recorded until it runs or is cancelled. Reads go to the kernel
   * itself through the prototype; the two methods that schedule and cancel call it directly.
   */
  private timerKernel(): Kernel {
    const kernel = this.kernel;
    const timers = this.timers;
    const view = Object.create(kernel) as Kernel;
    view.after = <P>(delayMs: number, handler: EventHandler<P>, payload: P): EventId => {
      const box = { id: -1 };
      const id = kernel.after(
        delayMs,
        (p: P) => {
          timers.delete(box.id);
          handler(p);
        },
        payload,
      );
      box.id = id;
      timers.set(id, kernel.now + delayMs);
      return id;
    };
    view.cancel = (id: EventId): boolean => {
      timers.delete(id);
      return kernel.cancel(id);
    };
    return view;
  }

  private addHost(spec: PairSideSpec<unknown>): { host: HostId; ip: number; publicIp: number } {
    const nat = spec.nat === undefined ? undefined : this.net.addNat({ region: 'lab', preset: spec.nat });
    const host = this.net.addHost({
      region: 'lab',
      link: { uplinkBitsPerSec: LINK_BITS_PER_SEC, downlinkBitsPerSec: LINK_BITS_PER_SEC, accessDelayMs: spec.accessDelayMs ?? 1 },
      firewall: spec.firewall ?? 'none',
      nat,
    });
    const ip = this.net.ipOf(host);
    return { host, ip, publicIp: nat === undefined ? ip : this.net.natIp(nat) };
  }
}
