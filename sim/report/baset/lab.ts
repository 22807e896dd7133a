/**
 * The lab of the report: scenarios/baset/*.yaml, read once, turned into SmallWorld options.
 *
 * Each setup file is a scenario in its own right (`sim run` runs it); the report takes from it
 * the network (regions, RTTs, jitter, the campus link class), where the LS and the bootstrap
 * SNs are, the protocol profile and overrides, and the two measured machines (`caller`,
 * `callee`) with their NAT and firewall. The `peers` group (a few hundred public hosts that
 * become SNs) is built only by the run that needs an overlay larger than the host-cache cap
 * (BS-5); the other runs have the 7 bootstrap SNs, which is what a host sees in its first
 * minutes. The file is validated by the scenario loader first, so a broken file is reported
 * with its line and column.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { FirewallKind } from '../../net/index.js';
import { formatError, loadScenarioFile, type ScenarioError } from '../../scenario/index.js';
import type { SmallHostSpec, SmallWorldOptions } from '../../testing/small-world.js';

export type SetupName = 'public' | 'port-restricted-nat' | 'nat-udp-blocked' | 'nat-tcp-80-443';

export const SETUP_NAMES: readonly SetupName[] = ['public', 'port-restricted-nat', 'nat-udp-blocked', 'nat-tcp-80-443'];

/** How the study names each setup. */
export const SETUP_TITLES: Readonly<Record<SetupName, string>> = {
  public: 'both public',
  'port-restricted-nat': 'caller behind a port-restricted NAT',
  'nat-udp-blocked': 'both behind NAT + UDP-blocking firewall',
  'nat-tcp-80-443': 'both behind NAT + firewall (TCP 80/443 out only)',
};

export interface PeerGroup {
  readonly count: number;
  readonly regions: readonly string[];
  readonly link: string;
  readonly machine: string;
}

export interface LabSetup {
  readonly name: SetupName;
  readonly file: string;
  readonly caller: SmallHostSpec;
  readonly callee: SmallHostSpec;
  readonly peers: PeerGroup;
  readonly cryptoMode: string;
  readonly profile: string;
  /** The voice frame interval the scenario's protocol uses. */
  readonly voiceFrameMs: number;
  /** SmallWorld options without seed and hosts. */
  readonly base: Omit<SmallWorldOptions, 'seed' | 'hosts'>;
}

export class LabError extends Error {
  constructor(readonly errors: readonly ScenarioError[]) {
    super(errors.map(formatError).join('\n'));
  }
}

type Raw = Record<string, any>;

export function loadSetup(dir: string, name: SetupName): LabSetup {
  const file = join(dir, `${name}.yaml`);
  const loaded = loadScenarioFile(file);
  if (!loaded.ok) throw new LabError(loaded.errors);
  const s = loaded.scenario;
  const raw = parse(readFileSync(file, 'utf8')) as Raw;
  const { regions, rttMs, ...network } = raw.network as Raw;
  const groups = raw.hosts as Raw[];
  const spec = (group: string): SmallHostSpec => {
    const g = groups.find((h) => h.name === group);
    if (!g) throw new LabError([{ source: file, path: 'hosts', message: `the report needs a host group named ${group}` } as ScenarioError]);
    return { name: group, nat: g.nat, firewall: g.firewall as FirewallKind, region: g.region, link: g.link, machine: g.machine };
  };
  const peers = groups.find((h) => h.name === 'peers');
  const peerRegions = peers ? (typeof peers.region === 'string' ? [peers.region] : Object.keys(peers.region)) : [];
  return {
    name,
    file,
    caller: spec('caller'),
    callee: spec('callee'),
    peers: { count: peers?.count ?? 0, regions: peerRegions, link: peers?.link ?? 'lan', machine: peers?.machine ?? 'high' },
    cryptoMode: s.protocol.cryptoMode,
    profile: s.protocol.profile,
    voiceFrameMs: s.protocol.voiceFrameMs,
    base: {
      regions,
      rttMs,
      network,
      superNodes: s.protocol.bootstrapSuperNodeCount,
      superNodeRegions: raw.roles?.bootstrapSupernodes?.regions,
      loginServerRegion: raw.roles?.loginServers?.regions?.[0],
      // The profile's own password work (SmallWorld's default of 1 would be a test's shortcut).
      protocol: { passwordWorkFactor: s.protocol.passwordWorkFactor, ...(raw.protocol ?? {}) },
      buddiesPerHost: raw.workload?.buddiesPerHost ?? 0,
      check: false,
    },
  };
}

export function loadLab(dir: string): Record<SetupName, LabSetup> {
  return Object.fromEntries(SETUP_NAMES.map((n) => [n, loadSetup(dir, n)])) as Record<SetupName, LabSetup>;
}
