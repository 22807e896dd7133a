/**
 * The Scenario: what a scenario file means once loaded, with every default filled.
 *
 * This is the contract between the scenario loader and everything that builds a run (world,
 * network, churn, workload, protocol parameters) and what `summary.json` echoes. Units follow
 * the project rule, last in the name: durations in ms, bandwidths in bits/s, ratios in [0, 1].
 *
 * The file's keys carry no unit where the value does (`keepAliveInterval: 60s`); here the unit
 * moves from the value to the name (`keepAliveIntervalMs: 60000`). Keys that already name
 * their unit (`rttMs`, `ratePerHostHour`, `lossRatio`) keep their name.
 *
 * Network pieces are sim/net's own types (LossSpec, NatParams, TcpParams, FirewallKind), so
 * the world hands them over as they are.
 */

import type { Distribution } from '../kernel/index.js';
import type { FirewallKind, LossSpec, NatParams, TcpParams } from '../net/index.js';
import type { TraceLevel } from '../trace/index.js';
import type { ProtocolParams } from '../../protocol/params.js';

export type { Distribution, FirewallKind, LossSpec, NatParams, ProtocolParams, TcpParams, TraceLevel };

export interface Scenario {
  readonly name: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly profile: ProfileName;
  readonly network: Network;
  /** Built-in machine classes merged with the file's own (the file's win on a name clash). */
  readonly machineClasses: Readonly<Record<string, Omit<MachineClass, 'name'>>>;
  readonly hosts: readonly HostGroup[];
  readonly roles: Roles;
  readonly churn: Churn;
  readonly workload: Workload;
  readonly protocol: ScenarioProtocol;
  /** In the order written; the engine schedules them by `atMs` (ties keep this order). */
  readonly events: readonly ScheduledEvent[];
  readonly output: OutputSettings;
  /** One protocol parameter to vary, each value a run of its own (null: one run). */
  readonly compare: Compare | null;
}

/** `compare`: the scenario runs once per value of one protocol parameter, with one seed. */
export interface Compare {
  /** The `protocol` section's key of the parameter (relayPolicy, snUptimeThreshold). */
  readonly parameter: string;
  /** Its key in the protocol parameters (relayPolicy, snUptimeThresholdMs). */
  readonly protocolKey: keyof ScenarioProtocol;
  /** In the order written; each already checked by the protocol's makeParams. */
  readonly values: readonly ScenarioProtocol[keyof ScenarioProtocol][];
  /** Each value as the file writes it; a variant's run directory is `<parameter>=<label>`. */
  readonly labels: readonly string[];
}

export type ProfileName = 'skype-2004' | 'skype-2006';

/** Shares of a host attribute within a group; ratios sum to 1, in the order written. */
export type Mix<T> = readonly { readonly value: T; readonly ratio: number }[];

// ---- network ----

export interface Network {
  readonly regions: readonly string[];
  /** Symmetric; rttMs[i][j] is the core round-trip time between regions[i] and regions[j]. */
  readonly rttMs: readonly (readonly number[])[];
  /** Extra one-way delay per packet (negative draws count as 0). */
  readonly jitterMs: Distribution;
  /** Loss of every access link whose bandwidth class does not set its own. */
  readonly loss: LossSpec;
  /** How long a stateful firewall admits UDP replies after the host's last packet out. */
  readonly firewallUdpTimeoutMs: number;
  readonly tcp: TcpParams;
  /** Built-in classes merged with the file's own (the file's win on a name clash). */
  readonly bandwidthClasses: Readonly<Record<string, AccessLink>>;
  /** Custom NAT types declared by the file (presets are not listed). */
  readonly natTypes: Readonly<Record<string, NatParams>>;
}

/** A sim/net LinkSpec with every field decided (`queueLimitBytes` null: unbounded). */
export interface AccessLink {
  readonly uplinkBitsPerSec: number;
  readonly downlinkBitsPerSec: number;
  /** One-way delay between the host and the core, each direction. */
  readonly accessDelayMs: number;
  readonly queueLimitBytes: number | null;
  readonly loss: LossSpec;
}

/** An access link with the name of its bandwidth class. */
export interface LinkClass extends AccessLink {
  readonly name: string;
}

/** A host's NAT: none (the host has a public address) or a named behaviour (preset or custom). */
export type HostNat = { readonly kind: 'none' } | ({ readonly kind: 'nat'; readonly name: string } & NatParams);

/** What the protocol's SN eligibility reads about a host's machine (besides its link). */
export interface MachineClass {
  readonly name: string;
  readonly cpuMhz: number;
  readonly memoryMb: number;
}

// ---- hosts and roles ----

/**
 * A group of ordinary hosts. Hosts are named `<name>-<index>`. Each attribute is drawn per
 * host from its mix, independently of the others; correlated attributes need separate groups.
 */
export interface HostGroup {
  readonly name: string;
  readonly count: number;
  readonly region: Mix<string>;
  readonly nat: Mix<HostNat>;
  readonly firewall: Mix<FirewallKind>;
  readonly link: Mix<LinkClass>;
  readonly machine: Mix<MachineClass>;
  /** Share of the group's users who set the "never be a super node" flag (honoured only if the profile does). */
  readonly supernodeOptOutRatio: number;
}

/** Infrastructure hosts: public, unfirewalled, spread round-robin over `regions`. */
export interface RoleHosts {
  readonly count: number;
  readonly regions: readonly string[];
  readonly link: LinkClass;
}

export interface Roles {
  readonly loginServers: RoleHosts;
  /** A fresh install's bootstrap list (BS-7): `protocol.bootstrapSuperNodeCount` SNs on `protocol.bootstrapPort`. */
  readonly bootstrapSupernodes: RoleHosts;
  readonly pstnGateways: RoleHosts;
}

// ---- churn ----

export type LeaveKind = 'crash' | 'logout';

interface ChurnBase {
  /** A host that comes back keeps its user name, credentials and host cache. */
  readonly persistentIdentity: boolean;
}

/** Start of the run (modes off and sessions): online with this probability, logging in within the warm-up. */
interface ChurnStart {
  readonly initialOnlineRatio: number;
  readonly warmupMs: number;
}

export type Churn =
  | ({ readonly mode: 'off' } & ChurnBase & ChurnStart)
  | ({
      readonly mode: 'sessions';
      readonly sessionMs: Distribution;
      readonly offTimeMs: Distribution;
      /** Share of session ends that are crashes; the rest are graceful logouts. */
      readonly crashRatio: number;
      readonly diurnal: Diurnal | null;
    } & ChurnBase &
      ChurnStart)
  | ({
      readonly mode: 'trace';
      /** Absolute path of a CSV `host,join_s,leave_s[,leave]` (see sim/scenario/churn-trace.ts). */
      readonly traceFile: string;
    } & ChurnBase);

/** Arrivals of offline hosts are thinned by the hourly weight of the region's local time. */
export interface Diurnal {
  /** 24 non-negative weights, one per local hour, at least one positive. */
  readonly hourlyWeights: readonly number[];
  /** Every region, local time = simulated time + offset (simulated time 0 is midnight UTC). */
  readonly utcOffsetHours: Readonly<Record<string, number>>;
}

// ---- workload ----

export type PeerChoice = 'buddies' | 'random';

/** Rates are per online host per hour; 0 switches an activity off. */
export interface Workload {
  readonly buddiesPerHost: number;
  readonly calls: { readonly ratePerHostHour: number; readonly peerChoice: PeerChoice; readonly durationMs: Distribution };
  readonly chat: { readonly ratePerHostHour: number; readonly peerChoice: PeerChoice; readonly messageBytes: number };
  readonly searches: {
    readonly ratePerHostHour: number;
    readonly peerChoice: PeerChoice;
    /** Share of searches for a name no user has (they end at the login server, BS-20). */
    readonly missingRatio: number;
  };
  readonly pstnCalls: {
    readonly ratePerHostHour: number;
    readonly durationMs: Distribution;
    /** Share of PSTN calls that are SkypeIn (gateway to user); the rest are SkypeOut. */
    readonly inboundRatio: number;
  };
}

// ---- protocol ----

/** What the protocol nodes get, checked by protocol/params.ts's `makeParams`. */
export type ScenarioProtocol = ProtocolParams;

// ---- scheduled events ----

export type ScheduledEvent =
  | { readonly atMs: number; readonly action: 'crash-supernodes'; readonly shareRatio: number }
  | {
      readonly atMs: number;
      readonly action: 'restart';
      readonly groups: readonly string[];
      readonly shareRatio: number;
      /** Hosts go down at uniformly drawn times in [atMs, atMs + spreadMs]. */
      readonly spreadMs: number;
      readonly downtimeMs: number;
      readonly leave: LeaveKind;
    }
  | {
      readonly atMs: number;
      readonly action: 'partition';
      /** Traffic crosses between regions only within a side; unlisted regions form one more side. */
      readonly sides: readonly (readonly string[])[];
    }
  | { readonly atMs: number; readonly action: 'heal' }
  | { readonly atMs: number; readonly action: 'login-server-down' }
  | { readonly atMs: number; readonly action: 'login-server-up' }
  | { readonly atMs: number; readonly action: 'set-loss'; readonly loss: LossSpec };

// ---- outputs ----

export interface OutputSettings {
  /** sim/trace's level; the file and `--trace` say `sample` for `sampled`. */
  readonly trace: TraceLevel;
  /** At level sampled: about one host in this many is followed completely. */
  readonly traceSampleOneInN: number;
  /** Interval between rows of metrics.csv. */
  readonly sampleIntervalMs: number;
  readonly pcap: boolean;
}
