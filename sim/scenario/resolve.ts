/**
 * From validated sections to the Scenario: names resolved to what they name (NAT types to
 * RFC 4787 behaviours, bandwidth classes to links), profile defaults merged under the file's
 * protocol values, and the defaults that depend on other sections filled (every region where
 * a region is not given, the steady-state online share).
 */

import { natPresets, type NatPreset } from '../net/index.js';
import { steadyStateOnline, type ParsedChurn } from './sections/churn.js';
import { NO_NAT } from './sections/network.js';
import type { ParsedHostGroup } from './sections/hosts.js';
import type { ParsedCompare } from './sections/compare.js';
import type { ProtocolOverrides } from './sections/protocol.js';
import type { ParsedRoles } from './sections/roles.js';
import type {
  Churn,
  Compare,
  HostGroup,
  HostNat,
  LinkClass,
  Mix,
  Network,
  OutputSettings,
  ProfileName,
  RoleHosts,
  Scenario,
  ScenarioProtocol,
  ScheduledEvent,
  Workload,
} from './types.js';

export interface ParsedScenario {
  readonly name?: string;
  readonly seed: number;
  readonly duration: number;
  readonly profile: ProfileName;
  readonly network: Network;
  readonly machineClasses: Scenario['machineClasses'];
  readonly hosts: readonly ParsedHostGroup[];
  readonly roles: ParsedRoles;
  readonly churn: ParsedChurn;
  readonly workload: Workload;
  readonly protocol: ProtocolOverrides;
  readonly events: readonly ScheduledEvent[];
  readonly output: OutputSettings;
  readonly compare?: ParsedCompare | null;
}

/** What a scenario is called when neither the file nor the loader names it. */
export const FALLBACK_NAME = 'scenario';

/** `protocol` is the profile with the file's values, already checked (sections/protocol.ts). */
export function resolveScenario(p: ParsedScenario, protocol: ScenarioProtocol, compare: Compare | null = null): Scenario {
  const { network, machineClasses } = p;
  return {
    name: p.name ?? FALLBACK_NAME,
    seed: p.seed,
    durationMs: p.duration,
    profile: p.profile,
    network,
    machineClasses,
    hosts: p.hosts.map((g) => resolveGroup(g, network, machineClasses)),
    roles: {
      loginServers: resolveRole(p.roles.loginServers, network),
      bootstrapSupernodes: resolveRole({ count: protocol.bootstrapSuperNodeCount, ...p.roles.bootstrapSupernodes }, network),
      pstnGateways: resolveRole(p.roles.pstnGateways, network),
    },
    churn: resolveChurn(p.churn, network.regions),
    workload: p.workload,
    protocol,
    events: p.events,
    output: p.output,
    compare,
  };
}

function resolveGroup(g: ParsedHostGroup, network: Network, machines: Scenario['machineClasses']): HostGroup {
  const evenly = network.regions.map((r) => ({ value: r, ratio: 1 / network.regions.length }));
  return {
    name: g.name,
    count: g.count,
    region: g.region ?? evenly,
    nat: mapMix(g.nat, (word) => natOf(word, network)),
    firewall: g.firewall,
    link: mapMix(g.link, (word) => linkOf(word, network)),
    machine: mapMix(g.machine, (word) => ({ name: word, ...machines[word] })),
    supernodeOptOutRatio: g.supernodeOptOut,
  };
}

function resolveRole(r: ParsedRoles['loginServers'], network: Network): RoleHosts {
  return { count: r.count, regions: r.regions ?? network.regions, link: linkOf(r.link, network) };
}

function resolveChurn(c: ParsedChurn, regions: readonly string[]): Churn {
  switch (c.mode) {
    case 'off':
      return { mode: 'off', persistentIdentity: c.persistentIdentity, initialOnlineRatio: c.initialOnline ?? 1, warmupMs: c.warmup };
    case 'sessions':
      return {
        mode: 'sessions',
        sessionMs: c.session,
        offTimeMs: c.offTime,
        crashRatio: c.crash,
        diurnal: c.diurnal
          ? {
              hourlyWeights: c.diurnal.hourlyWeights,
              utcOffsetHours: Object.fromEntries(regions.map((r) => [r, c.diurnal?.utcOffsetHours[r] ?? 0])),
            }
          : null,
        persistentIdentity: c.persistentIdentity,
        initialOnlineRatio: c.initialOnline ?? steadyStateOnline(c.session, c.offTime),
        warmupMs: c.warmup,
      };
    case 'trace':
      return { mode: 'trace', traceFile: c.trace, persistentIdentity: c.persistentIdentity };
  }
}

function mapMix<A, B>(mix: Mix<A>, f: (value: A) => B): Mix<B> {
  return mix.map((m) => ({ value: f(m.value), ratio: m.ratio }));
}

/** Words were checked against the declarations while parsing, so the lookups succeed. */
function natOf(word: string, network: Network): HostNat {
  if (word === NO_NAT) return { kind: 'none' };
  const behaviour = word in natPresets ? natPresets[word as NatPreset] : network.natTypes[word];
  return { kind: 'nat', name: word, ...behaviour };
}

function linkOf(word: string, network: Network): LinkClass {
  return { name: word, ...network.bandwidthClasses[word] };
}
