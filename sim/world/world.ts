/**
 * The world: everything one run simulates, built from a Scenario.
 *
 * - Infrastructure: the login server(s) and the bootstrap super nodes (BS-7), public and
 *   unfirewalled, spread round-robin over their regions. Hosts learn the first LS's address
 *   and key; further LSs are built but idle (the protocol knows one LS, BS-8).
 * - PSTN gateways (seed: outside the overlay), public and unfirewalled like the LS, built after
 *   the hosts so that adding one leaves every host's address unchanged. They know the LS key
 *   and the bootstrap SNs (SkypeIn goes through one); `pstnIncoming` hands a SkypeIn call to the
 *   first gateway.
 * - Ordinary hosts, group by group, named `<group>-<index>`. Each draws its region, NAT,
 *   firewall, access link and machine from the group's mixes (stream `world/<group>`). A NATed
 *   host sits behind a NAT box of its own (a home router) in its region.
 * - One HostRuntime per host binds its protocol node to the network. A host's `disk` (host
 *   cache, port, identity) lives here, so it survives crashes; with `persistentIdentity` off
 *   a host that comes back is a fresh install.
 * - Every user has an account at the LS: name = host name, password derived from the name.
 *
 * Lifecycle of an ordinary host: `join` boots the host (if it is down) and logs the user in;
 * a graceful `leave` logs out and shuts the application down `shutdownGraceMs` later (time
 * for the goodbye to leave the host); a crash kills it at once.
 *
 * Streams: `world/<group>` (attributes), `host/<name>` (each node's own draws), `ls/<i>`,
 * `sn/<i>`, `pstn/<i>`, `ls/key`, `churn`, `workload`, `events`, `buddies` - so adding hosts to one group
 * leaves the draws of another unchanged.
 */

import { deriveSigningKeyPair, type KeyPair } from '../../protocol/crypto/keys.js';
import type { Endpoint, ProtocolNode } from '../../protocol/node.js';
import { HostNode, type HostAction, type HostDisk } from '../../protocol/roles/ordinary-host.js';
import { LoginServerNode, type LoginServerAction, type LoginServerDisk } from '../../protocol/roles/login-server.js';
import { PstnGatewayNode, type PstnGatewayAction } from '../../protocol/roles/pstn-gateway.js';
import type { Obfuscator } from '../../protocol/wire/obfuscation.js';
import { Kernel } from '../kernel/kernel.js';
import { RngStreams, type Rng } from '../kernel/rng.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import { Network, type HostId, type LinkSpec } from '../net/index.js';
import { HostRuntime } from '../runtime/host-runtime.js';
import type { AccessLink, HostGroup, HostNat, Mix, Scenario } from '../scenario/types.js';
import type { TraceWriter } from '../trace/writer.js';
import { HostTally } from './host-tally.js';
import { drawBuddyLists } from './workload.js';

/** Time between a graceful logout and the application's exit. */
export const SHUTDOWN_GRACE_MS = 2_000;

export interface HostRecord {
  readonly index: number;
  readonly name: string;
  readonly group: string;
  readonly region: string;
  readonly nat: HostNat;
  readonly firewall: string;
  readonly link: string;
  /** What the host's NAT/firewall class should be detected as (the STUN-like test's truth). */
  readonly expectedNatClass: string;
  readonly password: string;
  readonly netHost: HostId;
  readonly runtime: HostRuntime<HostAction, HostNode>;
  disk: HostDisk;
  /** Bumped on every join/leave so a stale scheduled shutdown does nothing. */
  generation: number;
}

export interface InfraRecord<A, N extends ProtocolNode<A>> {
  readonly name: string;
  /** Where it sits (checkers ask whether a partition cuts it off). */
  readonly region: string;
  readonly endpoint: Endpoint;
  readonly runtime: HostRuntime<A, N>;
}

export interface WorldOptions {
  readonly run: number;
  readonly trace: TraceWriter;
  /** Node events, for checkers and bookkeeping. */
  readonly onNodeEvent?: (host: HostId, event: string, detail: Readonly<Record<string, string | number | boolean>> | undefined) => void;
  /**
   * The obfuscation layer every node uses (for benchmarks: e.g. real AES without the keystream
   * memo). Default: the process-wide one of the scenario's `protocol.cryptoMode`. Its mode must
   * be the scenario's.
   */
  readonly obfuscator?: Obfuscator;
}

export class World {
  readonly kernel = new Kernel();
  readonly rngs: RngStreams;
  readonly net: Network;
  readonly metrics = new MetricsRecorder();
  readonly hosts: HostRecord[] = [];
  readonly loginServers: InfraRecord<LoginServerAction, LoginServerNode>[] = [];
  readonly bootstrapSupernodes: InfraRecord<HostAction, HostNode>[] = [];
  readonly pstnGateways: InfraRecord<PstnGatewayAction, PstnGatewayNode>[] = [];
  /** Ordinary hosts counted by state as inputs are delivered (the samplers' gauges). */
  readonly tally = new HostTally();
  /** The network's host id -> index in `hosts`, or -1 for infrastructure. */
  private readonly hostIndexByNetHost: number[] = [];
  private readonly byName = new Map<string, number>();
  private readonly lsKey: KeyPair;
  /** Each host's buddies by index: drawn once (stream `buddies`), made mutual (a buddy list needs both users' consent). */
  readonly buddies: readonly (readonly number[])[];
  private readonly onShutdown = (payload: { host: HostRecord; generation: number }): void => {
    if (payload.host.generation === payload.generation) payload.host.runtime.crash();
  };

  constructor(
    readonly scenario: Scenario,
    private readonly options: WorldOptions,
  ) {
    if (options.obfuscator && options.obfuscator.mode !== scenario.protocol.cryptoMode) {
      throw new RangeError(`obfuscator mode ${options.obfuscator.mode} is not the scenario's cryptoMode ${scenario.protocol.cryptoMode}`);
    }
    this.rngs = new RngStreams(scenario.seed, options.run);
    const n = scenario.network;
    this.net = new Network(
      this.kernel,
      this.rngs,
      {
        regions: n.regions,
        rttMs: n.rttMs,
        jitterMs: n.jitterMs,
        firewallUdpTimeoutMs: n.firewallUdpTimeoutMs,
        tcp: n.tcp,
      },
      options.trace,
    );
    this.lsKey = deriveSigningKeyPair(this.rngs.stream('ls/key'));
    const hostCount = scenario.hosts.reduce((n, g) => n + g.count, 0);
    const buddyRng = this.rngs.stream('buddies');
    this.buddies = mutual(drawBuddyLists(hostCount, scenario.workload.buddiesPerHost, () => buddyRng.next()));
    this.buildLoginServers();
    this.buildBootstrapSupernodes();
    for (const group of scenario.hosts) this.buildGroup(group);
    this.buildPstnGateways();
  }

  /** Index in `hosts` of a host by name. */
  hostIndex(name: string): number | undefined {
    return this.byName.get(name);
  }

  /** The ordinary host on a network host id, if it is one. */
  hostOnNet(netHost: HostId): HostRecord | undefined {
    const i = this.hostIndexByNetHost[netHost];
    return i === undefined || i < 0 ? undefined : this.hosts[i];
  }

  /** The name of whatever runs on a network host: `<group>-<i>`, `ls-<i>` or `sn-<i>`. */
  nameOf(netHost: HostId): string {
    const h = this.hostOnNet(netHost);
    if (h) return h.name;
    const infra = [...this.loginServers, ...this.bootstrapSupernodes, ...this.pstnGateways].find((r) => r.runtime.host === netHost);
    return infra ? infra.name : `host-${netHost}`;
  }

  /** Every host node that is up (ordinary hosts and bootstrap SNs). */
  *liveHostNodes(): Generator<{ node: HostNode; netHost: HostId }> {
    for (const sn of this.bootstrapSupernodes) {
      const node = sn.runtime.node;
      if (node) yield { node, netHost: sn.runtime.host };
    }
    for (const h of this.hosts) {
      const node = h.runtime.node;
      if (node) yield { node, netHost: h.netHost };
    }
  }

  /** Boots the infrastructure. Ordinary hosts come up through `join`. */
  startInfrastructure(): void {
    for (const ls of this.loginServers) ls.runtime.start();
    for (const sn of this.bootstrapSupernodes) sn.runtime.start();
    for (const gw of this.pstnGateways) gw.runtime.start();
  }

  /** A phone calls the user of host `i` (SkypeIn) through the first gateway; ignored with no gateway. */
  pstnIncoming(calleeHostIndex: number, number: string, durationMs: number): void {
    const gw = this.pstnGateways[0];
    if (!gw) return;
    const callee = this.hosts[calleeHostIndex];
    if (!callee) throw new RangeError(`pstnIncoming: no host ${calleeHostIndex}`);
    gw.runtime.act({ type: 'incoming', callee: callee.name, number, durationMs });
  }

  /** The user of host `i` starts the application (if needed) and logs in. */
  join(i: number): void {
    const h = this.hosts[i];
    h.generation++;
    if (!h.runtime.up) {
      if (!this.scenario.churn.persistentIdentity) h.disk = {};
      h.runtime.start();
    }
    h.runtime.act({ type: 'login', name: h.name, password: h.password });
  }

  /** The user of host `i` leaves: a graceful logout and exit, or a crash. */
  leave(i: number, kind: 'crash' | 'logout'): void {
    const h = this.hosts[i];
    h.generation++;
    if (kind === 'crash') {
      h.runtime.crash();
      return;
    }
    if (!h.runtime.act({ type: 'logout' })) return;
    this.kernel.after(SHUTDOWN_GRACE_MS, this.onShutdown, { host: h, generation: h.generation });
  }

  private buildLoginServers(): void {
    const roles = this.scenario.roles.loginServers;
    const accounts = this.scenario.hosts.flatMap((g) =>
      Array.from({ length: g.count }, (_, i) => ({ name: `${g.name}-${i}`, password: passwordOf(`${g.name}-${i}`) })),
    );
    for (let i = 0; i < roles.count; i++) {
      const region = roles.regions[i % roles.regions.length];
      const netHost = this.addInfraHost(region, roles.link);
      const disk: LoginServerDisk = {};
      const port = this.scenario.protocol.loginServerPort;
      const runtime = new HostRuntime<LoginServerAction, LoginServerNode>(
        this.kernel,
        this.net,
        netHost,
        () => new LoginServerNode({ params: this.scenario.protocol, privateKey: this.lsKey.privateKey, accounts, disk, ...this.obfuscatorOption() }),
        this.rngs.stream(`ls/${i}`),
        this.sinks(),
      );
      this.loginServers.push({ name: `ls-${i}`, region, endpoint: { ip: this.net.ipOf(netHost), port }, runtime });
    }
  }

  private buildBootstrapSupernodes(): void {
    const roles = this.scenario.roles.bootstrapSupernodes;
    const p = this.scenario.protocol;
    const machine = { uplinkBitsPerSec: roles.link.uplinkBitsPerSec, downlinkBitsPerSec: roles.link.downlinkBitsPerSec, cpuMhz: 3000, memoryMb: 1024 };
    for (let i = 0; i < roles.count; i++) {
      const region = roles.regions[i % roles.regions.length];
      const netHost = this.addInfraHost(region, roles.link);
      const disk: HostDisk = {};
      const ip = this.net.ipOf(netHost);
      const runtime = new HostRuntime<HostAction, HostNode>(
        this.kernel,
        this.net,
        netHost,
        () =>
          new HostNode({
            params: p,
            disk,
            localIp: ip,
            port: p.bootstrapPort,
            // Read at start, not here: while this loop runs the list is still being built, and
            // a bootstrap SN given an empty list would never open an overlay link.
            bootstrap: this.bootstrapEndpoints(),
            loginServer: this.loginServerEndpoint(),
            lsPublicKey: this.lsKey.publicKeyObject,
            config: machine,
            bootstrapSuperNode: true,
            ...this.obfuscatorOption(),
          }),
        this.rngs.stream(`sn/${i}`),
        this.sinks(),
      );
      this.bootstrapSupernodes.push({ name: `sn-${i}`, region, endpoint: { ip, port: p.bootstrapPort }, runtime });
    }
  }

  private buildPstnGateways(): void {
    const roles = this.scenario.roles.pstnGateways;
    const p = this.scenario.protocol;
    for (let i = 0; i < roles.count; i++) {
      const region = roles.regions[i % roles.regions.length];
      const netHost = this.addInfraHost(region, roles.link);
      const ip = this.net.ipOf(netHost);
      const runtime = new HostRuntime<PstnGatewayAction, PstnGatewayNode>(
        this.kernel,
        this.net,
        netHost,
        () =>
          new PstnGatewayNode({
            params: p,
            localIp: ip,
            lsPublicKey: this.lsKey.publicKeyObject,
            superNodes: this.bootstrapEndpoints(),
            port: p.pstnGatewayPort,
            ...this.obfuscatorOption(),
          }),
        this.rngs.stream(`pstn/${i}`),
        this.sinks(),
      );
      this.pstnGateways.push({ name: `pstn-${i}`, region, endpoint: { ip, port: p.pstnGatewayPort }, runtime });
    }
  }

  /** The bootstrap list (BS-7); read when a node starts, after the whole world is built. */
  private bootstrapEndpoints(): Endpoint[] {
    return this.bootstrapSupernodes.map((s) => s.endpoint);
  }

  private loginServerEndpoint(): Endpoint {
    const ls = this.loginServers[0];
    if (!ls) throw new RangeError('the scenario has no login server');
    return ls.endpoint;
  }

  private buildGroup(group: HostGroup): void {
    const rng = this.rngs.stream(`world/${group.name}`);
    const p = this.scenario.protocol;
    const lsEndpoint = this.loginServerEndpoint();
    for (let i = 0; i < group.count; i++) {
      const name = `${group.name}-${i}`;
      const region = drawFrom(group.region, rng);
      const nat = drawFrom(group.nat, rng);
      const firewall = drawFrom(group.firewall, rng);
      const link = drawFrom(group.link, rng);
      const machine = drawFrom(group.machine, rng);
      const optOut = rng.next() < group.supernodeOptOutRatio;
      const natBox = nat.kind === 'nat' ? this.net.addNat({ region, ...natParamsOf(nat) }) : undefined;
      const netHost = this.net.addHost({ region, link: linkSpecOf(link), firewall, nat: natBox });
      const localIp = this.net.ipOf(netHost);
      const index = this.hosts.length;
      const hostRng = this.rngs.stream(`host/${name}`);
      const record: HostRecord = {
        index,
        name,
        group: group.name,
        region,
        nat,
        firewall,
        link: link.name,
        expectedNatClass: expectedNatClass(nat, firewall),
        password: passwordOf(name),
        netHost,
        disk: {},
        generation: 0,
        runtime: undefined as unknown as HostRuntime<HostAction, HostNode>,
      };
      const config = {
        uplinkBitsPerSec: link.uplinkBitsPerSec,
        downlinkBitsPerSec: link.downlinkBitsPerSec,
        cpuMhz: machine.cpuMhz,
        memoryMb: machine.memoryMb,
        optOut,
      };
      const runtime = new HostRuntime<HostAction, HostNode>(
        this.kernel,
        this.net,
        netHost,
        () =>
          new HostNode({
            params: p,
            disk: record.disk,
            localIp,
            bootstrap: this.bootstrapEndpoints(),
            loginServer: lsEndpoint,
            // The key object, not its 32 bytes: a node given bytes parses them on every start.
            lsPublicKey: this.lsKey.publicKeyObject,
            config,
            // The hosts' own name strings (every host is built before any node starts): no copies.
            buddies: this.buddies[index].map((b) => this.hosts[b].name),
            pstnGateway: this.pstnGateways[0]?.endpoint,
            ...this.obfuscatorOption(),
          }),
        hostRng,
        { ...this.sinks(), labels: { hostClass: record.expectedNatClass }, watch: this.tally, watchIndex: index },
      );
      (record as { runtime: HostRuntime<HostAction, HostNode> }).runtime = runtime;
      this.net.crash(netHost); // an ordinary host is down until its user starts it
      this.hosts.push(record);
      this.byName.set(name, index);
      this.hostIndexByNetHost[netHost] = index;
    }
  }

  private addInfraHost(region: string, link: AccessLink): HostId {
    const netHost = this.net.addHost({ region, link: linkSpecOf(link), firewall: 'none' });
    this.hostIndexByNetHost[netHost] = -1;
    return netHost;
  }

  private obfuscatorOption(): { obfuscator?: Obfuscator } {
    return this.options.obfuscator ? { obfuscator: this.options.obfuscator } : {};
  }

  private sinks() {
    return { trace: this.options.trace, metrics: this.metrics, onNodeEvent: this.options.onNodeEvent };
  }
}

/** Lists with every pair in both: `b` in `a`'s list iff `a` in `b`'s. */
/** Each host's buddies made mutual: its own list and every host that listed it, ascending, once each. */
export function mutual(lists: readonly (readonly number[])[]): number[][] {
  // Every pair both ways in one flat array, grouped by host, then each group sorted and deduplicated:
  // at 100,000 hosts a Set per host cost about a second.
  const n = lists.length;
  const start = new Int32Array(n + 1);
  for (let a = 0; a < n; a++) {
    const l = lists[a];
    start[a + 1] += l.length;
    for (let i = 0; i < l.length; i++) start[l[i] + 1]++;
  }
  for (let a = 0; a < n; a++) start[a + 1] += start[a];
  const pairs = new Int32Array(start[n]);
  const fill = start.slice(0, n);
  for (let a = 0; a < n; a++) {
    const l = lists[a];
    for (let i = 0; i < l.length; i++) {
      pairs[fill[a]++] = l[i];
      pairs[fill[l[i]]++] = a;
    }
  }
  const out: number[][] = new Array(n);
  for (let a = 0; a < n; a++) {
    const group = pairs.subarray(start[a], start[a + 1]).sort();
    const list: number[] = [];
    for (let i = 0; i < group.length; i++) if (i === 0 || group[i] !== group[i - 1]) list.push(group[i]);
    out[a] = list;
  }
  return out;
}

function drawFrom<T>(mix: Mix<T>, rng: Rng): T {
  let u = rng.next();
  for (const entry of mix) {
    if (u < entry.ratio) return entry.value;
    u -= entry.ratio;
  }
  return mix[mix.length - 1].value;
}

function natParamsOf(nat: Extract<HostNat, { kind: 'nat' }>) {
  return {
    mapping: nat.mapping,
    filtering: nat.filtering,
    portAllocation: nat.portAllocation,
    hairpinning: nat.hairpinning,
    mappingTimeoutMs: nat.mappingTimeoutMs,
  };
}

function linkSpecOf(link: AccessLink): LinkSpec {
  return {
    uplinkBitsPerSec: link.uplinkBitsPerSec,
    downlinkBitsPerSec: link.downlinkBitsPerSec,
    accessDelayMs: link.accessDelayMs,
    queueLimitBytes: link.queueLimitBytes ?? undefined,
    loss: link.loss,
  };
}

/** A user's password: derived from the name, so accounts need no table of their own. */
function passwordOf(name: string): string {
  return `pw:${name}`;
}

/**
 * The class a correct STUN-like test reports (BS-11): UDP-blocking firewalls first, then the
 * NAT's filtering (its mapping decides symmetric), then a public address.
 */
export function expectedNatClass(nat: HostNat, firewall: string): string {
  if (firewall === 'udp-blocked' || firewall === 'tcp-80-443-only') return 'udp-blocked';
  if (nat.kind === 'none') return firewall === 'stateful' ? 'port-restricted' : 'open';
  if (nat.mapping !== 'endpoint-independent') return 'symmetric';
  if (nat.filtering === 'endpoint-independent') return firewall === 'stateful' ? 'port-restricted' : 'full-cone';
  if (nat.filtering === 'address-dependent') return firewall === 'stateful' ? 'port-restricted' : 'restricted';
  return 'port-restricted';
}
