// A tiny in-memory network for driving protocol nodes by hand: seeded randomness, a clock that
// jumps to the next event, every output applied in order before the next input (node.ts's
// drain rule), a fixed one-way delay, no NATs. Firewall rules per address let a test block UDP
// or allow only some outbound TCP ports (BS-10). The real network-backed runtime lives in sim/.
import type { ConnId, Ctx, Endpoint, Input, Output, ProtocolNode, Random } from '../../../protocol/node.js';

/** SplitMix32-style PRNG: small, deterministic, good enough for tests. */
export class SeededRandom implements Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 0x1_0000_0000;
  }
}

/** `a.b.c.d` -> u32. */
export function ip(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export function ep(text: string): Endpoint {
  const [addr, port] = text.split(':');
  return { ip: ip(addr), port: Number(port) };
}

export function fmt(e: Endpoint): string {
  return `${e.ip >>> 24}.${(e.ip >>> 16) & 255}.${(e.ip >>> 8) & 255}.${e.ip & 255}:${e.port}`;
}

/** Drives one node with no network: the test feeds inputs and reads the outputs. */
export class Solo<A = unknown> {
  now = 0;
  readonly rng: SeededRandom;
  readonly log: { at: number; output: Output }[] = [];
  constructor(
    readonly node: ProtocolNode<A>,
    seed = 1,
  ) {
    this.rng = new SeededRandom(seed);
  }
  /** Feeds one input at `now`; returns its outputs. */
  feed(input: Input<A>): Output[] {
    const ctx: Ctx = { now: this.now, rng: this.rng, out: [] };
    this.node.handle(input, ctx);
    for (const output of ctx.out) this.log.push({ at: this.now, output });
    return ctx.out;
  }
}

export interface Firewall {
  /** Drop every UDP datagram to or from the host. */
  readonly blockUdp?: boolean;
  /** Outbound TCP allowed only to these ports (others time out). */
  readonly tcpPorts?: readonly number[];
}

interface NodeEntry {
  readonly name: string;
  readonly ip: number;
  readonly node: ProtocolNode<any>;
  readonly rng: SeededRandom;
  readonly udp: Set<number>;
  readonly tcp: Set<number>;
  readonly timers: Map<string, number>;
  alive: boolean;
}

interface Conn {
  readonly a: NodeEntry;
  readonly aConn: ConnId;
  b: NodeEntry | undefined;
  bConn: ConnId | undefined;
  open: boolean;
}

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export interface Record {
  readonly at: number;
  readonly node: string;
  readonly output: Output;
}

export class Net {
  now = 0;
  delayMs = 10;
  /** How long an outbound TCP connect into a filter takes to fail. */
  connectTimeoutMs = 3000;
  readonly records: Record[] = [];
  readonly firewalls = new Map<number, Firewall>();
  /** Datagrams from this address are dropped while it is here. */
  readonly mutedUdp = new Set<number>();
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly byIp = new Map<number, NodeEntry>();
  private readonly conns = new Map<string, Conn>();
  private events: Event[] = [];
  private seq = 0;
  private nextAccepted = -1;

  add(name: string, address: string, node: ProtocolNode<any>, seed = 7): void {
    const entry: NodeEntry = { name, ip: ip(address), node, rng: new SeededRandom(seed), udp: new Set(), tcp: new Set(), timers: new Map(), alive: true };
    this.nodes.set(name, entry);
    this.byIp.set(entry.ip, entry);
  }

  /** Delivers `start` now. */
  start(name: string): void {
    this.input(this.entry(name), { kind: 'start' });
  }

  /** Delivers a user action now. */
  act(name: string, action: unknown): void {
    this.input(this.entry(name), { kind: 'user', action });
  }

  /** Schedules something at an absolute time. */
  at(timeMs: number, run: () => void): void {
    this.schedule(timeMs, run);
  }

  /** The host goes silent (a cable pulled): no more inputs or packets; peers are not told. */
  silence(name: string): void {
    this.entry(name).alive = false;
  }

  /** The host dies: no more inputs; its open connections reset at the peers after the delay. */
  crash(name: string): void {
    const e = this.entry(name);
    e.alive = false;
    e.udp.clear();
    e.tcp.clear();
    e.timers.clear();
    for (const c of this.conns.values()) {
      if (!c.open || (c.a !== e && c.b !== e)) continue;
      c.open = false;
      const [peer, peerConn] = c.a === e ? [c.b, c.bConn] : [c.a, c.aConn];
      if (peer && peerConn !== undefined) this.later(() => this.input(peer, { kind: 'closed', conn: peerConn, reason: 'reset' }));
    }
  }

  runUntil(timeMs: number): void {
    for (;;) {
      this.events.sort((x, y) => x.at - y.at || x.seq - y.seq);
      const next = this.events[0];
      if (!next || next.at > timeMs) break;
      this.events.shift();
      this.now = next.at;
      next.run();
    }
    this.now = timeMs;
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Records of one node (optionally one output kind). */
  of(name: string, kind?: Output['kind']): Record[] {
    return this.records.filter((r) => r.node === name && (!kind || r.output.kind === kind));
  }

  traces(name: string, event: string): Record[] {
    return this.of(name, 'trace').filter((r) => r.output.kind === 'trace' && r.output.event === event);
  }

  metrics(name: string, metric: string): { at: number; value: number; labels?: Readonly<{ [k: string]: string }> }[] {
    const out: { at: number; value: number; labels?: Readonly<{ [k: string]: string }> }[] = [];
    for (const r of this.of(name, 'metric')) if (r.output.kind === 'metric' && r.output.name === metric) out.push({ at: r.at, value: r.output.value, labels: r.output.labels });
    return out;
  }

  /** Datagrams a node sent, as [time, msgType, to] (optionally one type). */
  datagrams(name: string, msgType?: string): { at: number; msgType: string; to: string }[] {
    const out: { at: number; msgType: string; to: string }[] = [];
    for (const r of this.of(name, 'sendDatagram')) {
      if (r.output.kind === 'sendDatagram' && (!msgType || r.output.msgType === msgType)) out.push({ at: r.at, msgType: r.output.msgType, to: fmt(r.output.to) });
    }
    return out;
  }

  writes(name: string, msgType?: string): { at: number; msgType: string }[] {
    const out: { at: number; msgType: string }[] = [];
    for (const r of this.of(name, 'write')) if (r.output.kind === 'write' && (!msgType || r.output.msgType === msgType)) out.push({ at: r.at, msgType: r.output.msgType });
    return out;
  }

  // ---------------------------------------------------------------------------------------------

  private entry(name: string): NodeEntry {
    const e = this.nodes.get(name);
    if (!e) throw new Error(`no node ${name}`);
    return e;
  }

  private schedule(at: number, run: () => void): void {
    this.events.push({ at, seq: this.seq++, run });
  }

  private later(run: () => void): void {
    this.schedule(this.now + this.delayMs, run);
  }

  private input(e: NodeEntry, input: Input<any>): void {
    if (!e.alive) return;
    const ctx: Ctx = { now: this.now, rng: e.rng, out: [] };
    e.node.handle(input, ctx);
    for (const output of ctx.out) {
      this.records.push({ at: this.now, node: e.name, output });
      this.apply(e, output);
    }
  }

  private apply(e: NodeEntry, o: Output): void {
    switch (o.kind) {
      case 'listenUdp':
        e.udp.add(o.port);
        return;
      case 'listenTcp':
        e.tcp.add(o.port);
        return;
      case 'setTimer': {
        e.timers.set(o.name, o.tag);
        const { name, tag } = o;
        this.schedule(this.now + o.delayMs, () => {
          if (e.timers.get(name) !== tag) return;
          e.timers.delete(name);
          this.input(e, { kind: 'timer', name, tag });
        });
        return;
      }
      case 'cancelTimer':
        if (e.timers.get(o.name) === o.tag) e.timers.delete(o.name);
        return;
      case 'sendDatagram':
        return this.sendDatagram(e, o.fromPort, o.to, o.bytes);
      case 'connect':
        return this.connect(e, o.conn, o.to);
      case 'write':
        return this.write(e, o.conn, o.bytes);
      case 'close':
        return this.close(e, o.conn);
      case 'trace':
      case 'metric':
        return;
    }
  }

  private sendDatagram(e: NodeEntry, fromPort: number, to: Endpoint, bytes: Uint8Array): void {
    const from = { ip: e.ip, port: fromPort };
    if (this.firewalls.get(e.ip)?.blockUdp || this.mutedUdp.has(e.ip)) return;
    this.later(() => {
      const target = this.byIp.get(to.ip);
      if (!target || !target.alive || !target.udp.has(to.port) || this.firewalls.get(to.ip)?.blockUdp) return;
      this.input(target, { kind: 'datagram', localPort: to.port, from, bytes });
    });
  }

  private key(node: NodeEntry, conn: ConnId): string {
    return `${node.name}/${conn}`;
  }

  private connect(e: NodeEntry, conn: ConnId, to: Endpoint): void {
    const c: Conn = { a: e, aConn: conn, b: undefined, bConn: undefined, open: false };
    this.conns.set(this.key(e, conn), c);
    const allowed = this.firewalls.get(e.ip)?.tcpPorts;
    if (allowed && !allowed.includes(to.port)) {
      this.schedule(this.now + this.connectTimeoutMs, () => {
        if (this.conns.get(this.key(e, conn)) === c) this.input(e, { kind: 'connectFailed', conn, reason: 'timeout' });
      });
      return;
    }
    this.later(() => {
      if (this.conns.get(this.key(e, conn)) !== c) return;
      const target = this.byIp.get(to.ip);
      if (!target || !target.alive) {
        this.schedule(this.now + this.connectTimeoutMs - this.delayMs, () => {
          if (this.conns.get(this.key(e, conn)) === c) this.input(e, { kind: 'connectFailed', conn, reason: 'timeout' });
        });
        return;
      }
      if (!target.tcp.has(to.port)) {
        this.later(() => this.input(e, { kind: 'connectFailed', conn, reason: 'refused' }));
        return;
      }
      const accepted = this.nextAccepted--;
      c.b = target;
      c.bConn = accepted;
      c.open = true;
      this.conns.set(this.key(target, accepted), c);
      // The connector learns of the connection before any data the acceptor writes arrives.
      this.later(() => this.input(e, { kind: 'connected', conn }));
      this.input(target, { kind: 'accepted', conn: accepted, localPort: to.port, remote: { ip: e.ip, port: 40000 + (conn % 20000) } });
    });
  }

  private write(e: NodeEntry, conn: ConnId, bytes: Uint8Array): void {
    const c = this.conns.get(this.key(e, conn));
    if (!c || !c.open) return;
    const [peer, peerConn] = c.a === e ? [c.b, c.bConn] : [c.a, c.aConn];
    this.later(() => {
      if (c.open && peer && peerConn !== undefined) this.input(peer, { kind: 'data', conn: peerConn, bytes });
    });
  }

  private close(e: NodeEntry, conn: ConnId): void {
    const c = this.conns.get(this.key(e, conn));
    if (!c) return;
    this.conns.delete(this.key(e, conn));
    const wasOpen = c.open;
    const [peer, peerConn] = c.a === e ? [c.b, c.bConn] : [c.a, c.aConn];
    // Data already written still arrives (one delay), then the close.
    this.later(() => {
      c.open = false;
      if (wasOpen && peer && peerConn !== undefined && this.conns.has(this.key(peer, peerConn))) {
        this.conns.delete(this.key(peer, peerConn));
        this.input(peer, { kind: 'closed', conn: peerConn, reason: 'closed' });
      }
    });
  }
}
