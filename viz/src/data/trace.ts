/**
 * trace.ndjson, aggregated as it streams (sim/trace/events.ts is the vocabulary).
 *
 * Packets (send / deliver / drop) go into growable typed-array columns, one row per event in
 * file order (which is time order): a 1-hour, 10,000-host full trace is about a million rows
 * and 30 MB here, and the traffic view scans a brushed window of them per frame. NAT, TCP and
 * node events are few enough to keep as small objects.
 *
 * What the trace does not say directly, and how it is recovered (`model()` does it):
 *   - Host names: an SN's `clientAttached` and the LS's `authAccepted` carry the user's name,
 *     and are written right after that node's reply to the user (attachAccepted /
 *     authAccepted, same time): the reply's destination is the named host.
 *   - Roles: the LS is whoever receives `authRequest`; a super node is a host with `promoted`
 *     (policy "bootstrap": a bootstrap SN) until its `demoted`.
 *   - Addresses: a `deliver` shows its source as the receiver saw it - a public host's address
 *     or its NAT's external one - so those addresses map to hosts (each NATed host has a NAT
 *     box of its own). An SN named by endpoint (loginSucceeded.superNode, overlayLinkUp.peer)
 *     is found this way.
 *   - The host of a NAT event: `nat-map` is written just before the packet that made it
 *     leaves, from the mapping's internal endpoint at the same time; failing that, the
 *     mapping's external address.
 * In a sampled trace only about 1 host in N is followed, so the figures drawn from it are of
 * those hosts (the views say so); names of hosts whose SN is not sampled stay unknown
 * ("host-<id>").
 *
 * Lines are untrusted input: a line that is not JSON or lacks a field is counted in
 * `malformedLines` and skipped, never thrown.
 */

import type { NatEvent, PacketEvent, Proto, TcpEvent } from '../../../sim/trace/events.js';

export type Detail = Readonly<Record<string, string | number | boolean>>;

export const SEND = 0;
export const DELIVER = 1;
export const DROP = 2;
export const UDP = 0;
export const TCP = 1;
export const PACKET_KINDS: readonly PacketEvent[] = ['send', 'deliver', 'drop'];
export const PROTOS: readonly Proto[] = ['udp', 'tcp'];

export interface NodeEvent {
  readonly t: number;
  readonly host: number;
  readonly event: string;
  readonly detail: Detail;
}

export interface NatRecord {
  readonly t: number;
  readonly ev: NatEvent;
  readonly nat: number;
  readonly proto: Proto;
  readonly int: string;
  readonly ext: string;
  readonly rem: string;
}

export interface TcpRecord {
  readonly t: number;
  readonly ev: TcpEvent;
  readonly conn: number;
  readonly host: number;
  readonly peer: number;
  readonly local: string;
  readonly remote: string;
  readonly reason: string;
}

export type Role = 'loginServer' | 'bootstrapSupernode' | 'supernode' | 'host';

export interface HostInfo {
  readonly id: number;
  /** The user's name, or `host-<id>` when the trace never says it. */
  readonly name: string;
  readonly nameKnown: boolean;
  /** `<group>` of a `<group>-<index>` name; "sn" / "ls" for infrastructure; "unnamed" if unknown. */
  readonly group: string;
  readonly role: Role;
  /** The class its own NAT test found (natClassified), or "unknown". */
  readonly natClass: string;
  /** Its public address, or its NAT's external one, as peers saw it. */
  readonly address: string | undefined;
}

export interface LoginStep {
  readonly t: number;
  readonly transport: string;
  readonly port: number;
  readonly entry: string;
  readonly round: number;
}

export interface Login {
  readonly host: number;
  readonly index: number;
  readonly start: number;
  /** When it succeeded, failed or was aborted; undefined while still open at the trace's end. */
  readonly end: number | undefined;
  readonly outcome: 'ok' | 'failed' | 'aborted' | 'open';
  readonly trigger: string;
  readonly cause: string;
  readonly steps: readonly LoginStep[];
  /** The host's other events during the login (udpBlocked, natClassified, loginEntryFailed ...). */
  readonly notes: readonly NodeEvent[];
  /** The SN it attached to (ok only), by host id if known. */
  readonly superNode: string;
  readonly superNodeHost: number;
  readonly loginMs: number | undefined;
}

export interface Attachment {
  readonly host: number;
  readonly sn: number;
  readonly snEndpoint: string;
  readonly start: number;
  /** Infinity: still attached when the trace ends. */
  readonly end: number;
}

export interface Interval {
  readonly host: number;
  readonly start: number;
  readonly end: number;
  readonly bootstrap: boolean;
}

export interface TraceModel {
  readonly hosts: readonly HostInfo[];
  readonly hostById: ReadonlyMap<number, HostInfo>;
  readonly logins: readonly Login[];
  readonly loginsByHost: ReadonlyMap<number, readonly Login[]>;
  readonly attachments: readonly Attachment[];
  readonly snIntervals: readonly Interval[];
  /** SN-SN links (overlayLinkUp), each pair once, lower id first, with the first time it came up. */
  readonly overlayLinks: readonly { readonly a: number; readonly b: number; readonly t: number }[];
  readonly natEventsByHost: ReadonlyMap<number, readonly NatRecord[]>;
  readonly nodeEventsByHost: ReadonlyMap<number, readonly NodeEvent[]>;
  readonly endMs: number;
}

const INITIAL_ROWS = 1 << 14;

/** Node events that end a host's attachment to its SN. */
const DETACHING = new Set(['loginStarted', 'snLost', 'loggedOut', 'sessionEnded', 'loginAborted', 'loginFailed']);
const LOGIN_ENDS = new Set(['loginSucceeded', 'loginFailed', 'loginAborted']);

export class TraceStore {
  /** Packet rows. */
  rows = 0;
  t = new Float64Array(INITIAL_ROWS);
  kind = new Uint8Array(INITIAL_ROWS);
  proto = new Uint8Array(INITIAL_ROWS);
  from = new Int32Array(INITIAL_ROWS);
  to = new Int32Array(INITIAL_ROWS);
  msg = new Uint16Array(INITIAL_ROWS);
  bytes = new Uint32Array(INITIAL_ROWS);
  /** Datagrams (or writes) the record stands for: a flow-mode media aggregate stands for many. */
  packets = new Uint32Array(INITIAL_ROWS);
  reason = new Uint8Array(INITIAL_ROWS);
  dstPort = new Uint16Array(INITIAL_ROWS);
  /** Index into linkA/linkB of the host pair (-1: no destination host). */
  link = new Int32Array(INITIAL_ROWS);
  /** The rows that are sends or drops, in order (what traffic counts; about half the rows). */
  txRows = 0;
  tx = new Int32Array(INITIAL_ROWS);

  readonly msgTypes: string[] = [];
  readonly reasons: string[] = [''];
  readonly linkA: number[] = [];
  readonly linkB: number[] = [];

  /** For packets dropped before their destination host was known (to = -1): the host at the address they were sent to, when the trace knows it. */
  readonly intendedTo = new Map<number, number>();

  readonly nodeEvents: NodeEvent[] = [];
  readonly natEvents: NatRecord[] = [];
  readonly tcpEvents: TcpRecord[] = [];

  lines = 0;
  malformedLines = 0;
  /** Latest time seen. */
  endMs = 0;
  /** Largest host id seen. */
  maxHost = -1;

  private readonly msgIndex = new Map<string, number>();
  private readonly reasonIndex = new Map<string, number>([['', 0]]);
  private readonly linkIndex = new Map<number, number>();
  private readonly names = new Map<number, string>();
  /** Names of the LS and bootstrap SNs (ls-<id>, sn-<i>), which no event states. */
  private readonly infraNames = new Map<number, string>();
  private readonly addressOf = new Map<number, string>();
  private readonly hostOfIp = new Map<string, number>();
  private readonly natHost = new Map<number, number>();
  private readonly natExt = new Map<number, string>();
  private readonly loginServers = new Set<number>();
  /** Per host: its last send (time, destination, message), to name the user an SN or LS just answered. */
  private readonly lastSend = new Map<number, { t: number; to: number; msg: string }>();
  /** nat-map events at the current time, waiting for the packet that made them. */
  private pendingNat: NatRecord[] = [];
  private cached: TraceModel | undefined;

  /** Parses one line and adds it; a malformed line is counted and skipped. */
  addLine(line: string): void {
    this.lines++;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      this.malformedLines++;
      return;
    }
    if (!this.add(v)) this.malformedLines++;
  }

  /** Adds one parsed event; false if it is not a trace event. */
  add(v: unknown): boolean {
    if (typeof v !== 'object' || v === null) return false;
    const e = v as Record<string, unknown>;
    const t = e.t;
    if (typeof t !== 'number' || !Number.isFinite(t)) return false;
    this.cached = undefined;
    if (t > this.endMs) this.endMs = t;
    switch (e.ev) {
      case 'send':
        return this.addPacket(SEND, t, e);
      case 'deliver':
        return this.addPacket(DELIVER, t, e);
      case 'drop':
        return this.addPacket(DROP, t, e);
      case 'nat-map':
      case 'nat-expire':
        return this.addNat(e.ev, t, e);
      case 'tcp-connect':
      case 'tcp-accept':
      case 'tcp-refuse':
      case 'tcp-timeout':
      case 'tcp-close':
        return this.addTcp(e.ev, t, e);
      case 'node':
        return this.addNode(t, e);
      default:
        return false;
    }
  }

  msgId(type: string): number {
    return this.msgIndex.get(type) ?? -1;
  }

  /** First packet row with time >= tMs (rows are in time order). */
  rowAt(tMs: number): number {
    let lo = 0;
    let hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[mid] < tMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index into `tx` whose row has time >= tMs. */
  txAt(tMs: number): number {
    let lo = 0;
    let hi = this.txRows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t[this.tx[mid]] < tMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  nameOf(host: number): string {
    if (host < 0) return '(none)';
    return this.names.get(host) ?? this.infraNames.get(host) ?? `host-${host}`;
  }

  /** The host at an "a.b.c.d" or "a.b.c.d:port" address, as peers saw it; -1 if unknown. */
  hostAt(endpoint: string): number {
    return this.hostOfIp.get(ipOf(endpoint)) ?? -1;
  }

  /** Everything derived from the events so far (recomputed only after new events). */
  model(): TraceModel {
    this.cached ??= this.buildModel();
    return this.cached;
  }

  private addPacket(kind: number, t: number, e: Record<string, unknown>): boolean {
    const { from, to, msg, bytes, src, dst } = e;
    if (typeof from !== 'number' || typeof to !== 'number' || typeof msg !== 'string' || typeof src !== 'string' || typeof dst !== 'string') return false;
    if (this.rows === this.t.length) this.grow();
    const r = this.rows++;
    this.t[r] = t;
    this.kind[r] = kind;
    this.proto[r] = e.proto === 'tcp' ? TCP : UDP;
    this.from[r] = from;
    this.to[r] = to;
    this.msg[r] = this.intern(msg);
    this.bytes[r] = typeof bytes === 'number' && bytes > 0 ? bytes : 0;
    this.packets[r] = typeof e.packets === 'number' && e.packets > 1 ? e.packets : 1;
    this.reason[r] = kind === DROP && typeof e.reason === 'string' ? this.internReason(e.reason) : 0;
    const colon = dst.lastIndexOf(':');
    this.dstPort[r] = colon < 0 ? 0 : Number(dst.slice(colon + 1)) || 0;
    this.link[r] = to < 0 || from < 0 ? -1 : this.linkOf(from, to);
    if (to < 0) {
      const intended = this.hostOfIp.get(ipOf(dst));
      if (intended !== undefined) this.intendedTo.set(r, intended);
    }
    if (from > this.maxHost) this.maxHost = from;
    if (to > this.maxHost) this.maxHost = to;
    if (kind !== DELIVER) {
      if (this.txRows === this.tx.length) {
        const bigger = new Int32Array(this.tx.length * 2);
        bigger.set(this.tx);
        this.tx = bigger;
      }
      this.tx[this.txRows++] = r;
    }
    if (kind === DELIVER) {
      // What the receiver saw as the source: the sender's public or NAT-external address.
      const ip = ipOf(src);
      if (!this.hostOfIp.has(ip)) {
        this.hostOfIp.set(ip, from);
        if (!this.addressOf.has(from)) this.addressOf.set(from, ip);
      }
    } else {
      this.lastSend.set(from, { t, to, msg });
      if (msg === 'authRequest' && to >= 0) this.loginServers.add(to);
      if (this.pendingNat.length > 0) this.matchNat(t, src, from);
    }
    return true;
  }

  private matchNat(t: number, src: string, from: number): void {
    const still: NatRecord[] = [];
    for (const n of this.pendingNat) {
      if (n.t !== t) continue;
      if (n.int === src && !this.natHost.has(n.nat)) this.natHost.set(n.nat, from);
      else still.push(n);
    }
    this.pendingNat = still;
  }

  private addNat(ev: NatEvent, t: number, e: Record<string, unknown>): boolean {
    const { nat, int, ext, rem } = e;
    if (typeof nat !== 'number' || typeof int !== 'string' || typeof ext !== 'string' || typeof rem !== 'string') return false;
    const rec: NatRecord = { t, ev, nat, proto: e.proto === 'tcp' ? 'tcp' : 'udp', int, ext, rem };
    this.natEvents.push(rec);
    if (!this.natExt.has(nat)) this.natExt.set(nat, ipOf(ext));
    if (ev === 'nat-map' && !this.natHost.has(nat)) {
      if (this.pendingNat.length > 0 && this.pendingNat[0].t !== t) this.pendingNat = [];
      this.pendingNat.push(rec);
    }
    return true;
  }

  private addTcp(ev: TcpEvent, t: number, e: Record<string, unknown>): boolean {
    const { conn, host, peer, local, remote } = e;
    if (typeof conn !== 'number' || typeof host !== 'number' || typeof peer !== 'number' || typeof local !== 'string' || typeof remote !== 'string') return false;
    this.tcpEvents.push({ t, ev, conn, host, peer, local, remote, reason: typeof e.reason === 'string' ? e.reason : '' });
    if (host > this.maxHost) this.maxHost = host;
    return true;
  }

  private addNode(t: number, e: Record<string, unknown>): boolean {
    const { host, event } = e;
    if (typeof host !== 'number' || typeof event !== 'string') return false;
    const detail = typeof e.detail === 'object' && e.detail !== null && !Array.isArray(e.detail) ? (e.detail as Detail) : {};
    this.nodeEvents.push({ t, host, event, detail });
    if (host > this.maxHost) this.maxHost = host;
    const name = detail.name;
    if (typeof name === 'string' && (event === 'clientAttached' || event === 'authAccepted')) {
      const last = this.lastSend.get(host);
      const reply = event === 'clientAttached' ? 'attachAccepted' : 'authAccepted';
      if (last && last.t === t && last.msg === reply && last.to >= 0 && !this.names.has(last.to)) this.names.set(last.to, name);
    }
    return true;
  }

  private intern(type: string): number {
    let i = this.msgIndex.get(type);
    if (i === undefined) {
      i = this.msgTypes.length;
      this.msgTypes.push(type);
      this.msgIndex.set(type, i);
    }
    return i;
  }

  private internReason(reason: string): number {
    let i = this.reasonIndex.get(reason);
    if (i === undefined) {
      i = this.reasons.length;
      this.reasons.push(reason);
      this.reasonIndex.set(reason, i);
    }
    return i;
  }

  private linkOf(a: number, b: number): number {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const key = lo * 2 ** 24 + hi;
    let i = this.linkIndex.get(key);
    if (i === undefined) {
      i = this.linkA.length;
      this.linkA.push(lo);
      this.linkB.push(hi);
      this.linkIndex.set(key, i);
    }
    return i;
  }

  private grow(): void {
    const n = this.t.length * 2;
    const g = <A extends Float64Array | Uint8Array | Int32Array | Uint16Array | Uint32Array>(a: A, make: (n: number) => A): A => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.t = g(this.t, (k) => new Float64Array(k));
    this.kind = g(this.kind, (k) => new Uint8Array(k));
    this.proto = g(this.proto, (k) => new Uint8Array(k));
    this.from = g(this.from, (k) => new Int32Array(k));
    this.to = g(this.to, (k) => new Int32Array(k));
    this.msg = g(this.msg, (k) => new Uint16Array(k));
    this.bytes = g(this.bytes, (k) => new Uint32Array(k));
    this.packets = g(this.packets, (k) => new Uint32Array(k));
    this.reason = g(this.reason, (k) => new Uint8Array(k));
    this.dstPort = g(this.dstPort, (k) => new Uint16Array(k));
    this.link = g(this.link, (k) => new Int32Array(k));
  }

  private buildModel(): TraceModel {
    const nodeEventsByHost = groupBy(this.nodeEvents, (e) => e.host);
    const promoted = new Map<number, boolean>();
    for (const e of this.nodeEvents) if (e.event === 'promoted') promoted.set(e.host, promoted.get(e.host) === true || e.detail.policy === 'bootstrap');

    // NAT events to hosts: by the packet that made the mapping, else by external address.
    const natEventsByHost = new Map<number, NatRecord[]>();
    for (const n of this.natEvents) {
      const host = this.natHost.get(n.nat) ?? this.hostOfIp.get(this.natExt.get(n.nat) ?? '') ?? -1;
      let list = natEventsByHost.get(host);
      if (!list) natEventsByHost.set(host, (list = []));
      list.push(n);
    }

    const natClass = new Map<number, string>();
    for (const e of this.nodeEvents) if (e.event === 'natClassified' && typeof e.detail.natClass === 'string') natClass.set(e.host, e.detail.natClass);

    const hosts: HostInfo[] = [];
    const hostById = new Map<number, HostInfo>();
    let snOrdinal = 0;
    for (let id = 0; id <= this.maxHost; id++) {
      const role: Role = this.loginServers.has(id) ? 'loginServer' : promoted.get(id) === true ? 'bootstrapSupernode' : promoted.has(id) ? 'supernode' : 'host';
      const known = this.names.get(id);
      const name = known ?? (role === 'loginServer' ? `ls-${id}` : role === 'bootstrapSupernode' ? `sn-${snOrdinal}` : `host-${id}`);
      if (role === 'bootstrapSupernode') snOrdinal++;
      const group = role === 'loginServer' ? 'ls' : role === 'bootstrapSupernode' ? 'sn' : known ? groupOf(known) : 'unnamed';
      const h: HostInfo = { id, name, nameKnown: known !== undefined, group, role, natClass: natClass.get(id) ?? (role === 'host' || role === 'supernode' ? 'unknown' : 'open'), address: this.addressOf.get(id) };
      hosts.push(h);
      hostById.set(id, h);
    }
    for (const h of hosts) if (!h.nameKnown && (h.role === 'bootstrapSupernode' || h.role === 'loginServer')) this.infraNames.set(h.id, h.name);

    const logins: Login[] = [];
    const loginsByHost = new Map<number, Login[]>();
    const attachments: Attachment[] = [];
    const dropsAtSn = new Map<string, number[]>();
    for (const e of this.nodeEvents) {
      if ((e.event === 'clientDropped' || e.event === 'sessionClosed') && typeof e.detail.name === 'string') {
        const key = `${e.host}|${e.detail.name}`;
        let list = dropsAtSn.get(key);
        if (!list) dropsAtSn.set(key, (list = []));
        list.push(e.t);
      }
    }
    const endMs = this.endMs;
    for (const [host, events] of nodeEventsByHost) {
      const mine: Login[] = [];
      let cur: { start: number; trigger: string; steps: LoginStep[]; notes: NodeEvent[] } | undefined;
      let attached: { sn: number; snEndpoint: string; start: number } | undefined;
      const close = (end: number, outcome: Login['outcome'], cause: string, superNode: string, loginMs: number | undefined): void => {
        if (!cur) return;
        const sn = superNode === '' ? -1 : this.hostAt(superNode);
        mine.push({ host, index: mine.length, start: cur.start, end, outcome, trigger: cur.trigger, cause, steps: cur.steps, notes: cur.notes, superNode, superNodeHost: sn, loginMs });
        cur = undefined;
      };
      const detach = (t: number): void => {
        if (!attached) return;
        attachments.push({ host, sn: attached.sn, snEndpoint: attached.snEndpoint, start: attached.start, end: t });
        attached = undefined;
      };
      for (const e of events) {
        if (DETACHING.has(e.event)) detach(e.t);
        switch (e.event) {
          case 'loginStarted':
            if (cur) close(e.t, 'aborted', 'restarted', '', undefined);
            cur = { start: e.t, trigger: String(e.detail.trigger ?? ''), steps: [], notes: [] };
            break;
          case 'loginStep':
            cur ??= { start: e.t, trigger: 'unknown', steps: [], notes: [] };
            cur.steps.push({ t: e.t, transport: String(e.detail.transport ?? ''), port: Number(e.detail.port ?? 0), entry: String(e.detail.entry ?? ''), round: Number(e.detail.round ?? 0) });
            break;
          case 'loginSucceeded': {
            const sn = String(e.detail.superNode ?? '');
            close(e.t, 'ok', '', sn, typeof e.detail.ms === 'number' ? e.detail.ms : undefined);
            attached = { sn: this.hostAt(sn), snEndpoint: sn, start: e.t };
            break;
          }
          case 'loginFailed':
            close(e.t, 'failed', String(e.detail.cause ?? ''), '', undefined);
            break;
          case 'loginAborted':
            close(e.t, 'aborted', String(e.detail.cause ?? ''), '', undefined);
            break;
          default:
            if (cur && !LOGIN_ENDS.has(e.event)) cur.notes.push(e);
        }
      }
      if (cur) mine.push({ host, index: mine.length, start: cur.start, end: undefined, outcome: 'open', trigger: cur.trigger, cause: '', steps: cur.steps, notes: cur.notes, superNode: '', superNodeHost: -1, loginMs: undefined });
      if (attached) {
        // A crashed host says nothing: its SN's clientDropped (by name) ends the attachment.
        const start = attached.start;
        const drop = (dropsAtSn.get(`${attached.sn}|${this.nameOf(host)}`) ?? []).find((t) => t >= start);
        detach(drop ?? Infinity);
      }
      if (mine.length > 0) {
        loginsByHost.set(host, mine);
        logins.push(...mine);
      }
    }
    // Attachments closed by a host's own event may still have been cut earlier by a crash.
    for (let i = 0; i < attachments.length; i++) {
      const a = attachments[i];
      const drop = (dropsAtSn.get(`${a.sn}|${this.nameOf(a.host)}`) ?? []).find((t) => t >= a.start);
      if (drop !== undefined && drop < a.end) attachments[i] = { ...a, end: drop };
    }
    logins.sort((a, b) => a.start - b.start || a.host - b.host);
    attachments.sort((a, b) => a.start - b.start || a.host - b.host);

    const snIntervals: Interval[] = [];
    for (const [host, events] of nodeEventsByHost) {
      let since: number | undefined;
      let bootstrap = false;
      for (const e of events) {
        if (e.event === 'promoted' && since === undefined) {
          since = e.t;
          bootstrap = e.detail.policy === 'bootstrap';
        } else if (e.event === 'demoted' && since !== undefined) {
          snIntervals.push({ host, start: since, end: e.t, bootstrap });
          since = undefined;
        }
      }
      if (since !== undefined) snIntervals.push({ host, start: since, end: Infinity, bootstrap });
    }
    snIntervals.sort((a, b) => a.host - b.host || a.start - b.start);

    // In a sampled trace an SN's own events may be missing; that hosts attach to it says what it is.
    const serving = new Set(snIntervals.map((i) => i.host));
    for (const a of attachments) {
      const h = hostById.get(a.sn);
      if (!h || serving.has(a.sn) || h.role !== 'host') continue;
      const sn: HostInfo = { ...h, role: 'supernode', group: 'sn', name: h.nameKnown ? h.name : `sn@${h.address ?? h.id}` };
      hosts[a.sn] = sn;
      hostById.set(a.sn, sn);
      this.infraNames.set(a.sn, sn.name);
      serving.add(a.sn);
    }

    const overlay = new Map<number, { a: number; b: number; t: number }>();
    for (const e of this.nodeEvents) {
      if (e.event !== 'overlayLinkUp' || typeof e.detail.peer !== 'string') continue;
      const peer = this.hostAt(e.detail.peer);
      if (peer < 0 || peer === e.host) continue;
      const a = Math.min(peer, e.host);
      const b = Math.max(peer, e.host);
      const key = a * 2 ** 24 + b;
      if (!overlay.has(key)) overlay.set(key, { a, b, t: e.t });
    }

    return {
      hosts,
      hostById,
      logins,
      loginsByHost,
      attachments,
      snIntervals,
      overlayLinks: [...overlay.values()].sort((x, y) => x.a - y.a || x.b - y.b),
      natEventsByHost,
      nodeEventsByHost,
      endMs,
    };
  }
}

/** "a.b.c.d" of "a.b.c.d:port" (or of "a.b.c.d"). */
export function ipOf(endpoint: string): string {
  const colon = endpoint.indexOf(':');
  return colon < 0 ? endpoint : endpoint.slice(0, colon);
}

/** "home-na" of "home-na-132". */
export function groupOf(name: string): string {
  const m = /^(.*)-\d+$/.exec(name);
  return m ? m[1] : name;
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(item);
  }
  return out;
}

