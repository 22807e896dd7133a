/**
 * The host runtime: binds one sans-I/O protocol node to one simulated host.
 *
 * Inputs: network events for the host (datagram, connected, connect failed, accepted, data,
 * closed), timer firings, and user actions become `Input`s; the node's `Output`s become
 * network calls, kernel timers, trace lines and metric samples.
 *
 * The drain rule of protocol/node.ts holds here: `deliver` calls `handle` once and applies
 * every output, in order, before it returns. The network never calls back synchronously into
 * a host (every delivery is a scheduled event), so no input can arrive while outputs are being
 * applied.
 *
 * Connections: the node names its outbound connections (positive 32-bit ids it chooses); the
 * runtime names accepted ones (negative ids). Both map one-to-one to the network's connection
 * ids: the node's id is the connection's tag in the network (NetHostHandler), so the network's
 * events name it, and a table (an IntMap) takes the node's ids to the network's for writes and
 * closes. After a close the network tells nothing more of a connection (tcp.ts), so a tag is
 * never stale.
 *
 * Timers: at most one pending instance per name, as protocol/node.ts says ("setting a timer
 * that is already set replaces it"): `setTimer` cancels the name's pending kernel event, if any,
 * and schedules the new instance; `cancelTimer` cancels the name's pending instance if its tag
 * is the one given. A replaced or cancelled instance never fires. Each name's record (the kernel
 * event's payload) is reused: the kernel never runs a cancelled event, so re-arming the record
 * cannot wake the old one. Records sit in a per-runtime array at the index a process-wide table
 * gives the name (a handful of names in all): one hash of an interned string, one array load,
 * no key strings. (A scan of the records by name cost a cache miss per record: 1.5% of a
 * 100,000-host run.)
 *
 * Watch: a runtime given one (`RuntimeSinks.watch`) tells it after every input it delivered
 * (outputs applied), after a start and after a crash, so that whoever keeps counts of node
 * states (the world's HostTally) updates them when they may change instead of visiting every
 * host at every sample. A node's state changes only inside `handle`, so nothing is missed.
 *
 * Aggregates: `packets` on a `sendDatagram` or `write` goes to the network as it is (absent
 * means 1); a datagram the network delivers with `packets` other than 1 becomes an Input
 * `datagram` with that `packets`, and every other one an Input without the field.
 *
 * Crash: the host's sockets die silently (peers notice by timeout), its pending timers are
 * cancelled and the node object is dropped; only the `disk` the world keeps for the host
 * survives. Restart builds a fresh node from that disk.
 */

import type { Input, Output, ProtocolNode, ConnId, Ctx, ConnectFailure, CloseReason } from '../../protocol/node.js';
import { IntMap } from '../../protocol/roles/support.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Rng } from '../kernel/rng.js';
import type { HostId, Network, NetHostHandler, TcpConnId } from '../net/index.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { TraceWriter } from '../trace/writer.js';

/** Told when the node of runtime `index` may have changed state (undefined: the host is down). */
export interface NodeWatch {
  settled(index: number, node: unknown): void;
}

/** Timer name -> index in every runtime's `timers`; names are few and shared by all nodes. */
const timerIndex = new Map<string, number>();

function timerIndexOf(name: string): number {
  let i = timerIndex.get(name);
  if (i === undefined) {
    i = timerIndex.size;
    timerIndex.set(name, i);
  }
  return i;
}

/** One timer name of one runtime: the payload of its pending kernel event. */
class TimerRecord {
  /** The pending instance's kernel event, or -1 when none is pending. */
  eventId = -1;
  tag = 0;

  constructor(
    readonly runtime: HostRuntime<unknown>,
    readonly name: string,
  ) {}
}

/** Where the outputs that are not network calls go. */
export interface RuntimeSinks {
  readonly trace: TraceWriter;
  readonly metrics: MetricsRecorder;
  /** Labels added to every metric sample of this host (e.g. its configured NAT class). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Called after every node event with its name and detail (checkers, world bookkeeping). */
  readonly onNodeEvent?: (host: HostId, event: string, detail: Readonly<Record<string, string | number | boolean>> | undefined) => void;
  /** Told of this runtime's node, as `watchIndex`, whenever its state may have changed. */
  readonly watch?: NodeWatch;
  readonly watchIndex?: number;
}

export class HostRuntime<A, N extends ProtocolNode<A> = ProtocolNode<A>> implements NetHostHandler {
  private nodeObject: N | undefined;
  private readonly out: Output[] = [];
  private readonly ctx: { now: number; rng: Rng; out: Output[] };
  /** Per timer name (at its timerIndexOf), its record, once used since the node started. */
  private timers: (TimerRecord | undefined)[] = [];
  private readonly nodeToNet = new IntMap<TcpConnId>();
  private nextAcceptedId = -1;
  // The sinks, copied into the runtime so that an input reads them from one object (the
  // runtime's, fetched anyway) rather than two.
  private readonly trace: TraceWriter;
  private readonly metrics: MetricsRecorder;
  private readonly labels: Readonly<Record<string, string>> | undefined;
  private readonly onNodeEvent: RuntimeSinks['onNodeEvent'];
  private readonly watch: NodeWatch | undefined;
  private readonly watchIndex: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly net: Network,
    readonly host: HostId,
    private readonly makeNode: () => N,
    rng: Rng,
    sinks: RuntimeSinks,
  ) {
    this.ctx = { now: 0, rng, out: this.out };
    this.trace = sinks.trace;
    this.metrics = sinks.metrics;
    this.labels = sinks.labels;
    this.onNodeEvent = sinks.onNodeEvent;
    this.watch = sinks.watch;
    this.watchIndex = sinks.watchIndex ?? host;
    net.setHandler(host, this);
  }

  /** The live node, or undefined while the host is down. */
  get node(): N | undefined {
    return this.nodeObject;
  }

  get up(): boolean {
    return this.nodeObject !== undefined;
  }

  /** Boots the host (first start or restart after a crash or shutdown). */
  start(): void {
    if (this.nodeObject) throw new Error(`host ${this.host} is already up`);
    if (!this.net.isUp(this.host)) this.net.restart(this.host);
    this.nodeObject = this.makeNode();
    this.deliver({ kind: 'start' });
  }

  /** Kills the host: no goodbye, every socket gone, state lost but for its disk. */
  crash(): void {
    if (!this.nodeObject) return;
    this.net.crash(this.host);
    for (const t of this.timers) if (t !== undefined && t.eventId >= 0) this.kernel.cancel(t.eventId);
    this.timers = [];
    this.watch?.settled(this.watchIndex, undefined);
    this.nodeToNet.clear();
    this.nodeObject = undefined;
  }

  /** A user action; ignored (returns false) while the host is down. */
  act(action: A): boolean {
    if (!this.nodeObject) return false;
    this.deliver({ kind: 'user', action });
    return true;
  }

  // --- NetHostHandler ------------------------------------------------------------------------

  onDatagram(_host: HostId, localPort: number, fromIp: number, fromPort: number, bytes: Uint8Array, packets?: number): void {
    // `packets` only on an aggregate, so that every other datagram input is what it always was.
    if (packets === undefined || packets === 1) this.deliver({ kind: 'datagram', localPort, from: { ip: fromIp, port: fromPort }, bytes });
    else this.deliver({ kind: 'datagram', localPort, from: { ip: fromIp, port: fromPort }, bytes, packets });
  }

  onConnected(_host: HostId, _conn: TcpConnId, id: ConnId): void {
    this.deliver({ kind: 'connected', conn: id });
  }

  onConnectFailed(_host: HostId, _conn: TcpConnId, reason: ConnectFailure, id: ConnId): void {
    this.nodeToNet.delete(id);
    this.deliver({ kind: 'connectFailed', conn: id, reason });
  }

  onAccepted(_host: HostId, conn: TcpConnId, localPort: number, remoteIp: number, remotePort: number): void {
    const id = this.nextAcceptedId--;
    this.nodeToNet.set(id, conn);
    this.net.tagConnection(conn, id);
    this.deliver({ kind: 'accepted', conn: id, localPort, remote: { ip: remoteIp, port: remotePort } });
  }

  onData(_host: HostId, _conn: TcpConnId, bytes: Uint8Array, id: ConnId): void {
    this.deliver({ kind: 'data', conn: id, bytes });
  }

  onClosed(_host: HostId, _conn: TcpConnId, reason: CloseReason, id: ConnId): void {
    this.nodeToNet.delete(id);
    this.deliver({ kind: 'closed', conn: id, reason });
  }

  // --- the drain rule ------------------------------------------------------------------------

  private deliver(input: Input<A>): void {
    const node = this.nodeObject;
    if (!node) return;
    this.ctx.now = this.kernel.now;
    node.handle(input, this.ctx as Ctx);
    const out = this.out;
    // Outputs are applied in order; the array is reused, so it is emptied before any output
    // can lead (through a synchronous network callback) to another delivery.
    const n = out.length;
    for (let i = 0; i < n; i++) this.apply(out[i]);
    out.length = 0;
    const watch = this.watch;
    if (watch !== undefined) watch.settled(this.watchIndex, node);
  }

  private apply(o: Output): void {
    const net = this.net;
    switch (o.kind) {
      case 'sendDatagram':
        net.sendUdp(this.host, o.fromPort, o.to.ip, o.to.port, o.bytes, o.msgType, o.packets);
        return;
      case 'write': {
        const conn = this.nodeToNet.get(o.conn);
        if (conn === undefined) throw new Error(`host ${this.host}: write on unknown connection ${o.conn}`);
        net.write(conn, o.bytes, o.msgType, o.packets);
        return;
      }
      case 'connect': {
        if (!(o.conn > 0 && (o.conn | 0) === o.conn)) throw new Error(`host ${this.host}: connection id ${o.conn} is not a positive 32-bit integer`);
        if (this.nodeToNet.has(o.conn)) throw new Error(`host ${this.host}: connection id ${o.conn} is in use`);
        this.nodeToNet.set(o.conn, net.connectTcp(this.host, o.to.ip, o.to.port, o.conn));
        return;
      }
      case 'close': {
        const conn = this.nodeToNet.get(o.conn);
        if (conn === undefined) return;
        this.nodeToNet.delete(o.conn);
        net.close(conn);
        return;
      }
      case 'setTimer': {
        const t = this.timer(o.name);
        if (t.eventId >= 0) this.kernel.cancel(t.eventId);
        t.tag = o.tag;
        t.eventId = this.kernel.after(o.delayMs, fireTimer, t);
        return;
      }
      case 'cancelTimer': {
        const t = this.timer(o.name);
        if (t.eventId >= 0 && t.tag === o.tag) {
          this.kernel.cancel(t.eventId);
          t.eventId = -1;
        }
        return;
      }
      case 'listenUdp':
        net.listenUdp(this.host, o.port);
        return;
      case 'listenTcp':
        net.listenTcp(this.host, o.port);
        return;
      case 'trace':
        this.trace.node(this.kernel.now, this.host, o.event, o.detail);
        this.onNodeEvent?.(this.host, o.event, o.detail);
        return;
      case 'metric':
        this.metrics.record(o.name, o.value, this.labels ? { ...o.labels, ...this.labels } : o.labels);
        return;
    }
  }

  /** Called by the timer event: the timer is no longer pending, then the node hears of it. */
  fire(t: TimerRecord): void {
    t.eventId = -1;
    this.deliver({ kind: 'timer', name: t.name, tag: t.tag });
  }

  /** The record of timer `name`, made on first use. */
  private timer(name: string): TimerRecord {
    const i = timerIndexOf(name);
    let t = this.timers[i];
    if (t === undefined) {
      // Fill the holes first: a holey array stays one where undefined is a value, not a hole.
      while (this.timers.length < i) this.timers.push(undefined);
      t = new TimerRecord(this as HostRuntime<unknown>, name);
      this.timers[i] = t;
    }
    return t;
  }
}

function fireTimer(t: TimerRecord): void {
  t.runtime.fire(t);
}
