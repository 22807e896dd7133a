/**
 * A small world for tests: the login server, a few bootstrap SNs and a few hosts, each of a
 * NAT and firewall class the test chooses, on the real sim/net Network, built by sim/world's
 * World from a scenario written as text (so it goes through the same loader, defaults and
 * checks as a scenario file), with a full trace in memory and the invariant checkers of
 * sim/checkers run after every kernel event.
 *
 *   const sw = new SmallWorld({ hosts: [{ name: 'pub' }, { name: 'home', nat: 'symmetric' }] });
 *   sw.login('home');
 *   sw.until(() => sw.state('home') === 'online', 60_000);
 *   sw.nodeEvents('home', 'natClassified')   // [{ tMs, host, event, detail }]
 *   sw.assertNoViolations();
 *
 * Hosts: each spec is a host group of one, so the world names it `<name>-0`; every method
 * takes either form. Host caches: `setHostCache` writes a host's disk before it starts (the
 * entries a test puts there on purpose are allowed by the host-cache checker);
 * `addUnreachable` makes an address that refuses (a live host with nothing listening: a TCP
 * SYN gets a RST) or black-holes (a dead host: everything is swallowed) for such entries.
 *
 * Checking: after every kernel event (`step`, and so `advance`, `runUntil`, `until`), the
 * monitor's four safety checkers run on the world's view; violations collect in `violations`.
 * Partitions made through `partition` / `heal` are known to the checkers; user names chosen
 * with `login(host, { user })` too.
 *
 * Defaults: one region `lab` (core RTT 20 ms), 3 bootstrap SNs, hosts on the `lan` link class
 * and the `high` machine class, passwordWorkFactor 1 (password checks cost no real CPU).
 */

import type { Endpoint } from '../../protocol/node.js';
import type { HostAction, HostNode } from '../../protocol/roles/ordinary-host.js';
import type { LoginState } from '../../protocol/roles/login.js';
import { formatViolations, InvariantMonitor, viewOf, type Violation, type WorldView } from '../checkers/index.js';
import type { FirewallKind, HostId } from '../net/index.js';
import { formatError, loadScenarioText, type Scenario } from '../scenario/index.js';
import { MemorySink, TraceWriter } from '../trace/index.js';
import { World, type HostRecord } from '../world/world.js';
import { Stranger } from './stranger.js';

export interface SmallHostSpec {
  /** Group name; the world calls the host `<name>-0`. */
  readonly name: string;
  /** `none` (public address, the default), a NAT preset, or a type declared in `network.natTypes`. */
  readonly nat?: string;
  readonly firewall?: FirewallKind;
  /** Default: the first region. */
  readonly region?: string;
  /** Bandwidth class (default `lan`). */
  readonly link?: string;
  /** Machine class (default `high`, which passes every SN floor). */
  readonly machine?: string;
}

/** The host classes of the call-path table (BS-22 - BS-24): a NAT preset and a firewall each. */
export const HOST_CLASSES = {
  public: {},
  'full-cone': { nat: 'full-cone' },
  'restricted-cone': { nat: 'restricted-cone' },
  'port-restricted-cone': { nat: 'port-restricted-cone' },
  symmetric: { nat: 'symmetric' },
  'udp-blocked': { firewall: 'udp-blocked' },
  'tcp-80-443-only': { firewall: 'tcp-80-443-only' },
  'nat+udp-blocked': { nat: 'port-restricted-cone', firewall: 'udp-blocked' },
} as const satisfies Record<string, Omit<SmallHostSpec, 'name'>>;

export type HostClass = keyof typeof HOST_CLASSES;

export interface SmallWorldOptions {
  readonly seed?: number;
  /** Default `['lab']`. */
  readonly regions?: readonly string[];
  /** Core RTT matrix, one row per region (default 20 ms within a region, 80 ms between). */
  readonly rttMs?: readonly (readonly number[])[];
  /** Bootstrap SNs (protocol.bootstrapSuperNodeCount; default 3). */
  readonly superNodes?: number;
  /** Regions the bootstrap SNs are spread over, round-robin (default: every region). */
  readonly superNodeRegions?: readonly string[];
  /** Region of the login server (default: the first). */
  readonly loginServerRegion?: string;
  readonly hosts: readonly SmallHostSpec[];
  /** Protocol parameters as a scenario file writes them (`probeTimeout: '5s'`). */
  readonly protocol?: Readonly<Record<string, unknown>>;
  /** Further keys of the scenario's network section (tcp, jitter, loss, bandwidthClasses, natTypes). */
  readonly network?: Readonly<Record<string, unknown>>;
  /** Buddies each host draws (made mutual by the world; default 0). */
  readonly buddiesPerHost?: number;
  /** PSTN gateways (default 0). */
  readonly pstnGateways?: number;
  /** Keep a full trace in memory (default true). */
  readonly trace?: boolean;
  /** Run the safety checkers after every kernel event (default true). */
  readonly check?: boolean;
  /** Slack for the checkers' windows (sim/checkers DEFAULT_SLACK_MS when absent). */
  readonly slackMs?: number;
}

export interface NodeEventRecord {
  readonly tMs: number;
  /** World name of the host (`pub-0`, `sn-1`, `ls-0`). */
  readonly host: string;
  readonly event: string;
  readonly detail: Readonly<Record<string, string | number | boolean>> | undefined;
}

export type Unreachable = 'refused' | 'black-hole';

const DEFAULT_REGION = 'lab';

export class SmallWorld {
  readonly world: World;
  readonly scenario: Scenario;
  readonly sink = new MemorySink();
  readonly trace: TraceWriter;
  readonly monitor: InvariantMonitor;
  readonly violations: Violation[] = [];
  readonly nodeEventLog: NodeEventRecord[] = [];
  private readonly checking: boolean;
  private readonly cuts = new Set<string>();
  private readonly users = new Map<string, { user: string; password: string }>();
  private readonly wanting = new Set<string>();
  private readonly names = new Map<HostId, string>();
  private extraHosts = 0;

  constructor(options: SmallWorldOptions) {
    this.scenario = loadSmallScenario(options);
    this.trace = options.trace === false ? TraceWriter.off() : new TraceWriter(this.sink, { level: 'full' });
    this.monitor = new InvariantMonitor({ rttMaxMs: maxRtt(this.scenario), slackMs: options.slackMs });
    this.checking = options.check !== false;
    this.world = new World(this.scenario, {
      run: 0,
      trace: this.trace,
      onNodeEvent: (netHost, event, detail) => {
        const host = this.names.get(netHost) ?? `host#${netHost}`;
        this.nodeEventLog.push({ tMs: this.world.kernel.now, host, event, detail });
        this.monitor.noteNodeEvent(host, event, detail);
      },
    });
    for (const ls of this.world.loginServers) this.names.set(ls.runtime.host, ls.name);
    for (const sn of this.world.bootstrapSupernodes) this.names.set(sn.runtime.host, sn.name);
    for (const h of this.world.hosts) this.names.set(h.netHost, h.name);
    this.world.startInfrastructure();
  }

  // --- names and lookups ------------------------------------------------------------------

  get nowMs(): number {
    return this.world.kernel.now;
  }

  get params(): Scenario['protocol'] {
    return this.scenario.protocol;
  }

  get tcp(): Scenario['network']['tcp'] {
    return this.scenario.network.tcp;
  }

  /** The world name of a host given as `pub` or `pub-0`. */
  hostName(name: string): string {
    return this.world.hostIndex(name) !== undefined ? name : `${name}-0`;
  }

  record(name: string): HostRecord {
    const i = this.world.hostIndex(this.hostName(name));
    if (i === undefined) throw new Error(`no host ${name}`);
    return this.world.hosts[i];
  }

  /** The host's live node (throws while it is down). */
  node(name: string): HostNode {
    const n = this.record(name).runtime.node;
    if (!n) throw new Error(`host ${name} is down`);
    return n;
  }

  state(name: string): LoginState | 'down' {
    return this.record(name).runtime.node?.state ?? 'down';
  }

  /** Endpoints of the bootstrap SNs (BS-7), in order. */
  get bootstrap(): Endpoint[] {
    return this.world.bootstrapSupernodes.map((s) => s.endpoint);
  }

  get loginServer(): Endpoint {
    return this.world.loginServers[0].endpoint;
  }

  /** Names of hosts (bootstrap SNs included) serving as SNs now. */
  serving(): string[] {
    const out: string[] = [];
    for (const sn of this.world.bootstrapSupernodes) if (sn.runtime.node?.isSuperNode) out.push(sn.name);
    for (const h of this.world.hosts) if (h.runtime.node?.isSuperNode) out.push(h.name);
    return out;
  }

  /** The user name a host logs in with now. */
  userOf(name: string): string {
    const host = this.hostName(name);
    return this.users.get(host)?.user ?? host;
  }

  /** Whether the host's user wants to be online (logged in and not out since). */
  wantsOnline(name: string): boolean {
    return this.wanting.has(this.hostName(name));
  }

  // --- what users and faults do ---------------------------------------------------------

  /** Starts the host if it is down and logs its user in (as `user` / `password` if given). */
  login(name: string, as: { user?: string; password?: string } = {}): void {
    const h = this.record(name);
    const user = as.user ?? h.name;
    const password = as.password ?? (as.user === undefined ? h.password : `pw:${as.user}`);
    this.users.set(h.name, { user, password });
    this.wanting.add(h.name);
    if (!h.runtime.up) h.runtime.start();
    h.runtime.act({ type: 'login', name: user, password });
  }

  /** The user logs out; the application keeps running. */
  logout(name: string): void {
    const h = this.record(name);
    this.wanting.delete(h.name);
    h.runtime.act({ type: 'logout' });
  }

  /** Hands the host's user an action (a call, a chat message, a search ...); false while the host is down. */
  act(name: string, action: HostAction): boolean {
    return this.record(name).runtime.act(action);
  }

  /** The host dies at once (no goodbye); its disk survives. */
  crashHost(name: string): void {
    this.record(name).runtime.crash();
  }

  /** The host comes back and its user logs in again, as before the crash. */
  restartHost(name: string): void {
    const h = this.record(name);
    const as = this.users.get(h.name);
    if (!h.runtime.up) h.runtime.start();
    this.wanting.add(h.name);
    h.runtime.act({ type: 'login', name: as?.user ?? h.name, password: as?.password ?? h.password });
  }

  crashSuperNode(i: number): void {
    this.world.bootstrapSupernodes[i].runtime.crash();
  }

  restartSuperNode(i: number): void {
    const sn = this.world.bootstrapSupernodes[i];
    if (!sn.runtime.up) sn.runtime.start();
  }

  /**
   * Bootstrap SN `i` stops answering: `refused` - its host stays up with nothing listening (a
   * SYN gets a RST at once); `black-hole` - its host is down (everything is swallowed).
   */
  makeSuperNodeUnreachable(i: number, kind: Unreachable): void {
    const runtime = this.world.bootstrapSupernodes[i].runtime;
    runtime.crash();
    if (kind === 'refused') this.world.net.restart(runtime.host);
  }

  /** A fresh public address (port 33033) that refuses or black-holes, for host-cache entries. */
  addUnreachable(kind: Unreachable, region = this.scenario.network.regions[0]): Endpoint {
    // On the infrastructure's link class, so it answers (or not) like a bootstrap SN would.
    const l = this.scenario.roles.bootstrapSupernodes.link;
    const link = { uplinkBitsPerSec: l.uplinkBitsPerSec, downlinkBitsPerSec: l.downlinkBitsPerSec, accessDelayMs: l.accessDelayMs };
    const host = this.world.net.addHost({ region, link, firewall: 'none' });
    this.names.set(host, `${kind}-${this.extraHosts++}`);
    if (kind === 'black-hole') this.world.net.crash(host);
    const e = { ip: this.world.net.ipOf(host), port: this.params.bootstrapPort };
    this.monitor.allowHostCacheEntries([e]);
    return e;
  }

  /** A stranger (no protocol node, raw bytes) on a fresh public address of `region`. */
  addStranger(region = this.scenario.network.regions[0]): Stranger {
    const host = this.world.net.addHost({ region, link: { uplinkBitsPerSec: 1e8, downlinkBitsPerSec: 1e8, accessDelayMs: 1 }, firewall: 'none' });
    this.names.set(host, `stranger-${this.extraHosts++}`);
    return new Stranger(this.world.net, this.world.kernel, host);
  }

  /** Writes the host's cache on its disk (read when its node starts); the entries are allowed. */
  setHostCache(name: string, entries: readonly Endpoint[]): void {
    const h = this.record(name);
    if (h.runtime.up) throw new Error(`set the host cache of ${name} before it starts`);
    h.disk.hostCache = Object.freeze(entries.map((e) => ({ ip: e.ip, port: e.port })));
    this.monitor.allowHostCacheEntries(entries);
  }

  /** Cuts every path between the regions of `as` and those of `bs`. */
  partition(as: readonly string[], bs: readonly string[]): void {
    this.world.net.partition(as, bs);
    for (const a of as) for (const b of bs) if (a !== b) this.cuts.add(cutKey(a, b));
  }

  heal(): void {
    this.world.net.heal();
    this.cuts.clear();
  }

  isCut(a: string, b: string): boolean {
    return a !== b && this.cuts.has(cutKey(a, b));
  }

  // --- the clock ----------------------------------------------------------------------------

  /** Runs one kernel event and the checkers; false when nothing is pending. */
  step(): boolean {
    if (!this.world.kernel.step()) return false;
    if (this.checking) this.check();
    return true;
  }

  /** Runs every event up to `timeMs`, checking after each, and sets the clock there. */
  runUntil(timeMs: number): void {
    const kernel = this.world.kernel;
    while (kernel.nextTime() <= timeMs) this.step();
    kernel.runUntil(timeMs);
  }

  advance(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  /** Runs event by event until `done()` or `maxMs` of simulated time have passed; returns `done()`. */
  until(done: () => boolean, maxMs: number): boolean {
    const kernel = this.world.kernel;
    const endMs = this.nowMs + maxMs;
    while (!done()) {
      if (kernel.nextTime() > endMs) {
        kernel.runUntil(endMs);
        return done();
      }
      this.step();
    }
    return true;
  }

  /**
   * A wiretap: from now on, the bytes of every datagram and TCP message of type `msgType` any
   * host sends are kept (in send order) in the returned array, as an eavesdropper would see
   * them. The network itself is unchanged.
   */
  capture(msgType: string): { readonly tMs: number; readonly bytes: Uint8Array }[] {
    const got: { tMs: number; bytes: Uint8Array }[] = [];
    const net = this.world.net;
    const sendUdp = net.sendUdp.bind(net);
    net.sendUdp = (host, fromPort, toIp, toPort, bytes, type, packets) => {
      if (type === msgType) got.push({ tMs: this.nowMs, bytes: bytes.slice() });
      sendUdp(host, fromPort, toIp, toPort, bytes, type, packets);
    };
    const write = net.write.bind(net);
    net.write = (conn, bytes, type, packets) => {
      if (type === msgType) got.push({ tMs: this.nowMs, bytes: bytes.slice() });
      write(conn, bytes, type, packets);
    };
    return got;
  }

  // --- checking -----------------------------------------------------------------------------

  view(): WorldView {
    return viewOf(this.world, { cut: (a, b) => this.isCut(a, b), userOf: (n) => this.userOf(n) });
  }

  /** Runs the safety checkers now; new violations are returned and kept in `violations`. */
  check(): Violation[] {
    const found = this.monitor.check(this.view());
    for (const v of found) this.violations.push(v);
    return found;
  }

  assertNoViolations(): void {
    if (this.violations.length > 0) throw new Error(`invariant violations:\n${formatViolations(this.violations)}`);
  }

  // --- what happened ------------------------------------------------------------------------

  /** Every trace line so far, parsed (packets, TCP, NAT mappings, node events). */
  traceEvents(): Record<string, unknown>[] {
    this.trace.flush();
    return this.sink.events();
  }

  /** The network's id of a host, bootstrap SN or LS given by name. */
  netHost(name: string): HostId {
    const id = this.findNetHost(name);
    if (id === undefined) throw new Error(`no host ${name}`);
    return id;
  }

  /** Node events of one host (any name form), optionally of one kind. */
  nodeEvents(name: string, event?: string): NodeEventRecord[] {
    const id = this.findNetHost(name);
    const host = id === undefined ? name : this.names.get(id)!;
    return this.nodeEventLog.filter((e) => e.host === host && (event === undefined || e.event === event));
  }

  private findNetHost(name: string): HostId | undefined {
    const host = this.hostName(name);
    for (const [id, n] of this.names) if (n === name || n === host) return id;
    return undefined;
  }
}

function cutKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function maxRtt(s: Scenario): number {
  let m = 0;
  for (const row of s.network.rttMs) for (const x of row) m = Math.max(m, x);
  // Two access links each way (at most a few ms on the small worlds' classes) on top.
  return m + 4 * 60;
}

/** The scenario of a small world, as a scenario file would say it (JSON is YAML). */
export function smallScenarioText(o: SmallWorldOptions): string {
  const regions = o.regions ?? [DEFAULT_REGION];
  const rttMs = o.rttMs ?? regions.map((_, i) => regions.map((__, j) => (i === j ? 20 : 80)));
  const doc = {
    name: 'small-world',
    seed: o.seed ?? 1,
    duration: '30d',
    network: { regions, rttMs, ...o.network },
    hosts: o.hosts.map((h) => ({
      name: h.name,
      count: 1,
      region: h.region ?? regions[0],
      nat: h.nat ?? 'none',
      firewall: h.firewall ?? 'none',
      link: h.link ?? 'lan',
      machine: h.machine ?? 'high',
    })),
    roles: {
      loginServers: { count: 1, regions: [o.loginServerRegion ?? regions[0]] },
      bootstrapSupernodes: { regions: o.superNodeRegions ?? regions },
      pstnGateways: { count: o.pstnGateways ?? 0 },
    },
    churn: { mode: 'off', initialOnline: 0 },
    workload: { buddiesPerHost: o.buddiesPerHost ?? 0 },
    protocol: { bootstrapSuperNodeCount: o.superNodes ?? 3, passwordWorkFactor: 1, ...o.protocol },
    output: { trace: 'off' },
  };
  return JSON.stringify(doc, null, 2);
}

function loadSmallScenario(o: SmallWorldOptions): Scenario {
  const loaded = loadScenarioText(smallScenarioText(o), 'small-world.yaml');
  if (!loaded.ok) throw new Error(`small world scenario:\n${loaded.errors.map(formatError).join('\n')}`);
  return loaded.scenario;
}
