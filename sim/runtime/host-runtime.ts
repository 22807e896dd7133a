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
 * Connections: the node names its outbound connections (positive ids it chooses); the runtime
 * names accepted ones (negative ids). Both map one-to-one to the network's connection ids.
 *
 * Timers: one kernel event per (name, tag); setting a set timer cancels the pending event and
 * schedules a new one, so a replaced or cancelled timer can never fire.
 *
 * Crash: the host's sockets die silently (peers notice by timeout), its pending timers are
 * cancelled and the node object is dropped; only the `disk` the world keeps for the host
 * survives. Restart builds a fresh node from that disk.
 */

import type { Input, Output, ProtocolNode, ConnId, Ctx, ConnectFailure, CloseReason } from '../../protocol/node.js';
import type { EventId, Kernel } from '../kernel/kernel.js';
import type { Rng } from '../kernel/rng.js';
import type { HostId, Network, NetHostHandler, TcpConnId } from '../net/index.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { TraceWriter } from '../trace/writer.js';

interface TimerEvent {
  readonly runtime: { fire(name: string, tag: number): void };
  readonly name: string;
  readonly tag: number;
}

/** Where the outputs that are not network calls go. */
export interface RuntimeSinks {
  readonly trace: TraceWriter;
  readonly metrics: MetricsRecorder;
  /** Labels added to every metric sample of this host (e.g. its configured NAT class). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Called after every node event with its name and detail (checkers, world bookkeeping). */
  readonly onNodeEvent?: (host: HostId, event: string, detail: Readonly<Record<string, string | number | boolean>> | undefined) => void;
}

export class HostRuntime<A, N extends ProtocolNode<A> = ProtocolNode<A>> implements NetHostHandler {
  private nodeObject: N | undefined;
  private readonly out: Output[] = [];
  private readonly ctx: { now: number; rng: Rng; out: Output[] };
  private readonly timers = new Map<string, EventId>();
  private readonly nodeToNet = new Map<ConnId, TcpConnId>();
  private readonly netToNode = new Map<TcpConnId, ConnId>();
  private nextAcceptedId = -1;

  constructor(
    private readonly kernel: Kernel,
    private readonly net: Network,
    readonly host: HostId,
    private readonly makeNode: () => N,
    rng: Rng,
    private readonly sinks: RuntimeSinks,
  ) {
    this.ctx = { now: 0, rng, out: this.out };
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
    for (const id of this.timers.values()) this.kernel.cancel(id);
    this.timers.clear();
    this.nodeToNet.clear();
    this.netToNode.clear();
    this.nodeObject = undefined;
  }

  /** A user action; ignored (returns false) while the host is down. */
  act(action: A): boolean {
    if (!this.nodeObject) return false;
    this.deliver({ kind: 'user', action });
    return true;
  }

  // --- NetHostHandler ------------------------------------------------------------------------

  onDatagram(_host: HostId, localPort: number, fromIp: number, fromPort: number, bytes: Uint8Array): void {
    this.deliver({ kind: 'datagram', localPort, from: { ip: fromIp, port: fromPort }, bytes });
  }

  onConnected(_host: HostId, conn: TcpConnId): void {
    const id = this.netToNode.get(conn);
    if (id !== undefined) this.deliver({ kind: 'connected', conn: id });
  }

  onConnectFailed(_host: HostId, conn: TcpConnId, reason: ConnectFailure): void {
    const id = this.forget(conn);
    if (id !== undefined) this.deliver({ kind: 'connectFailed', conn: id, reason });
  }

  onAccepted(_host: HostId, conn: TcpConnId, localPort: number, remoteIp: number, remotePort: number): void {
    const id = this.nextAcceptedId--;
    this.nodeToNet.set(id, conn);
    this.netToNode.set(conn, id);
    this.deliver({ kind: 'accepted', conn: id, localPort, remote: { ip: remoteIp, port: remotePort } });
  }

  onData(_host: HostId, conn: TcpConnId, bytes: Uint8Array): void {
    const id = this.netToNode.get(conn);
    if (id !== undefined) this.deliver({ kind: 'data', conn: id, bytes });
  }

  onClosed(_host: HostId, conn: TcpConnId, reason: CloseReason): void {
    const id = this.forget(conn);
    if (id !== undefined) this.deliver({ kind: 'closed', conn: id, reason });
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
  }

  private apply(o: Output): void {
    const net = this.net;
    switch (o.kind) {
      case 'sendDatagram':
        net.sendUdp(this.host, o.fromPort, o.to.ip, o.to.port, o.bytes, o.msgType);
        return;
      case 'write': {
        const conn = this.nodeToNet.get(o.conn);
        if (conn === undefined) throw new Error(`host ${this.host}: write on unknown connection ${o.conn}`);
        net.write(conn, o.bytes, o.msgType);
        return;
      }
      case 'connect': {
        if (this.nodeToNet.has(o.conn)) throw new Error(`host ${this.host}: connection id ${o.conn} is in use`);
        const conn = net.connectTcp(this.host, o.to.ip, o.to.port);
        this.nodeToNet.set(o.conn, conn);
        this.netToNode.set(conn, o.conn);
        return;
      }
      case 'close': {
        const conn = this.nodeToNet.get(o.conn);
        if (conn === undefined) return;
        this.nodeToNet.delete(o.conn);
        this.netToNode.delete(conn);
        net.close(conn);
        return;
      }
      case 'setTimer': {
        const key = timerKey(o.name, o.tag);
        const pending = this.timers.get(key);
        if (pending !== undefined) this.kernel.cancel(pending);
        const ev: TimerEvent = { runtime: this, name: o.name, tag: o.tag };
        this.timers.set(key, this.kernel.after(o.delayMs, fireTimer, ev));
        return;
      }
      case 'cancelTimer': {
        const key = timerKey(o.name, o.tag);
        const pending = this.timers.get(key);
        if (pending !== undefined) {
          this.kernel.cancel(pending);
          this.timers.delete(key);
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
        this.sinks.trace.node(this.kernel.now, this.host, o.event, o.detail);
        this.sinks.onNodeEvent?.(this.host, o.event, o.detail);
        return;
      case 'metric':
        this.sinks.metrics.record(o.name, o.value, this.sinks.labels ? { ...o.labels, ...this.sinks.labels } : o.labels);
        return;
    }
  }

  /** Called by the timer event: the timer is no longer pending, then the node hears of it. */
  fire(name: string, tag: number): void {
    this.timers.delete(timerKey(name, tag));
    this.deliver({ kind: 'timer', name, tag });
  }

  private forget(conn: TcpConnId): ConnId | undefined {
    const id = this.netToNode.get(conn);
    if (id === undefined) return undefined;
    this.netToNode.delete(conn);
    this.nodeToNet.delete(id);
    return id;
  }
}

function fireTimer(ev: TimerEvent): void {
  ev.runtime.fire(ev.name, ev.tag);
}

function timerKey(name: string, tag: number): string {
  return `${name}#${tag}`;
}
