/**
 * `summary.json`: the scenario as run (every default filled), the seed and run number, the
 * version, and the headline measurements. Everything but the `wall` section is a function of
 * (scenario, seed, run) alone, so two runs of one seed give summaries equal but for `wall`.
 *
 * Sections:
 *   hosts       population and who was up / online / serving at the end
 *   logins      outcomes, failure causes, attempts and rounds per login (histograms), login
 *               time by configured NAT/firewall class: user-started logins, and apart from
 *               them the re-logins after a lost SN or a hand-off; re-login time by trigger
 *               (`reconnect`: the SN was lost - its max is when the last orphaned client
 *               that made it back was attached again; `handOff`: an SN moved the client)
 *   supernodes  SN count over the run, promotions (bootstrap SNs not counted) / demotions,
 *               time from eligible to promoted, clients per SN
 *   traffic     bytes and messages by type and by host role, per host per second
 *   network     drops by reason
 *   protocol    malformed packets and unexpected inputs counted by the nodes
 *   calls       user-to-user calls: placed, answered, failures by cause, set-up time overall
 *               and by path, path shares overall and by NAT-class pair, quality per direction
 *               by path and relay policy; PSTN calls by direction (call-stats.ts)
 *   relays      load per relay (calls, bytes), RTT stretch of relayed calls, selection time
 *               and probes, MOS by policy, reselections and calls lost to relay failure
 *   chat        messages sent, delivered / undelivered, send-to-ack time
 *   search      searches by outcome and searcher class, latency, messages (null until the
 *               nodes report searchMs)
 *   distributions  every metric the nodes reported, by label set
 */

import type { HostNode } from '../../protocol/roles/ordinary-host.js';
import { histogram, summarize } from '../metrics/summary-stats.js';
import type { Scenario } from '../scenario/types.js';
import type { World } from '../world/world.js';
import { callsSection, chatSection, relaysSection, searchSection, type CallStats } from './call-stats.js';
import { gaugesOf } from './probes.js';

export interface RunStatus {
  readonly complete: boolean;
  /** Simulated time the run reached. */
  readonly simulatedMs: number;
  readonly events: number;
  /** Why a run stopped early (interrupted, failed). */
  readonly stoppedBecause?: string;
}

export interface WallClock {
  readonly startedAt: string;
  /** The whole run: setup, event loop, and the summary's statistics. */
  readonly wallTimeS: number;
  /** Building the world from the scenario and starting it, up to the first event. */
  readonly setupS: number;
  /** Running the events. */
  readonly eventLoopS: number;
  /** Events over wallTimeS. */
  readonly eventsPerSec: number;
  readonly peakRssMiB: number;
}

export interface SupernodeSeries {
  readonly countMin: number;
  readonly countMax: number;
  readonly countMean: number;
  readonly onlineMin: number;
  readonly onlineMax: number;
}

export function buildSummary(
  scenario: Scenario,
  run: number,
  version: string,
  world: World,
  status: RunStatus,
  series: SupernodeSeries,
  nodeEvents: Readonly<Record<string, number>>,
  callStats: CallStats,
  wall: WallClock,
) {
  const m = world.metrics;
  const g = gaugesOf(world);
  const simulatedS = Math.max(status.simulatedMs / 1000, 1e-9);
  const byType = world.net.msgTypeCounters().sort((a, b) => (a.msgType < b.msgType ? -1 : a.msgType > b.msgType ? 1 : 0));
  const totalHosts = world.hosts.length + world.loginServers.length + world.bootstrapSupernodes.length;
  const snClients = [...world.liveHostNodes()].flatMap(({ node }) => (node.superNode ? [node.superNode.clientCount] : []));

  return {
    supernodeSim: version,
    scenario: scenario.name,
    seed: scenario.seed,
    run,
    status,
    hosts: {
      ordinary: world.hosts.length,
      loginServers: world.loginServers.length,
      bootstrapSupernodes: world.bootstrapSupernodes.length,
      upAtEnd: g.up,
      onlineAtEnd: g.online,
      loggingInAtEnd: g.loggingIn,
      onlineMin: series.onlineMin,
      onlineMax: series.onlineMax,
      byNatClass: countBy(world.hosts.map((h) => h.expectedNatClass)),
    },
    logins: {
      outcomes: m.countByLabel('loginTimeMs', 'outcome'),
      failureCauses: m.countByLabel('loginFailure', 'cause'),
      attemptsPerLogin: m.histogramOf('loginAttempts', { outcome: 'ok' }),
      attemptsPerFailedLogin: m.histogramOf('loginAttempts', { outcome: 'failed' }),
      roundsPerLogin: m.histogramOf('loginRounds', { outcome: 'ok' }),
      timeMsByNatClass: byClass(world, (cls) => loginTimesOfClass(world, cls, 'user')),
      reloginTimeMsByNatClass: byClass(world, (cls) => [
        ...loginTimesOfClass(world, cls, 'reconnect'),
        ...loginTimesOfClass(world, cls, 'handOff'),
      ]),
      reloginTimeMsByTrigger: {
        reconnect: summarize(okLoginTimes(world, { trigger: 'reconnect' })),
        handOff: summarize(okLoginTimes(world, { trigger: 'handOff' })),
      },
    },
    supernodes: {
      atEnd: g.supernodes,
      countMin: series.countMin,
      countMax: series.countMax,
      countMean: series.countMean,
      promotions: m.values('promotion').length - m.values('promotion', { trigger: 'bootstrap' }).length,
      demotions: m.values('demotion').length,
      eligibleToPromotedMs: summarize(m.values('promotion', { trigger: 'eligible' }).concat(m.values('promotion', { trigger: 'request' }))),
      servedMsAtDemotion: summarize(m.values('demotion')),
      clientsPerSupernodeAtEnd: { ...summarize(snClients), histogram: histogram(snClients) },
      lostByClients: m.countByLabel('snLost', 'cause'),
    },
    traffic: {
      byType: Object.fromEntries(
        byType.map((c) => [
          c.msgType,
          { sentBytes: c.sentBytes, sentPackets: c.sentPackets, deliveredPackets: c.deliveredPackets, droppedPackets: c.droppedPackets },
        ]),
      ),
      byRole: trafficByRole(world),
      bytesPerHostPerSec: round(byType.reduce((s, c) => s + c.sentBytes, 0) / totalHosts / simulatedS),
    },
    network: { drops: world.net.drops() },
    protocol: { nodeEvents: nodeEvents },
    calls: callsSection(m),
    relays: relaysSection(m, callStats, world),
    chat: chatSection(m),
    search: searchSection(m),
    distributions: m.distributions(),
    counters: m.counterTotals(),
    wall,
  };
}

/** Successful login times of the hosts whose configured class is `cls`, for one trigger. */
function loginTimesOfClass(world: World, cls: string, trigger: string): number[] {
  return okLoginTimes(world, { hostClass: cls, trigger });
}

/** Times of the logins that succeeded, among those whose labels include `where`. */
function okLoginTimes(world: World, where: Readonly<Record<string, string>>): number[] {
  return world.metrics.values('loginTimeMs', { outcome: 'ok', ...where });
}

/** One summary per configured NAT/firewall class present in the world. */
function byClass(world: World, samples: (cls: string) => number[]) {
  return Object.fromEntries(
    [...new Set(world.hosts.map((h) => h.expectedNatClass))].sort().map((cls) => [cls, summarize(samples(cls))]),
  );
}

function trafficByRole(world: World) {
  const roles: Record<string, { hosts: number; sentBytes: number; receivedBytes: number }> = {};
  const add = (role: string, netHost: number) => {
    const c = world.net.hostCounters(netHost);
    const r = (roles[role] ??= { hosts: 0, sentBytes: 0, receivedBytes: 0 });
    r.hosts++;
    r.sentBytes += c.sentBytes;
    r.receivedBytes += c.receivedBytes;
  };
  for (const ls of world.loginServers) add('loginServer', ls.runtime.host);
  for (const sn of world.bootstrapSupernodes) add('bootstrapSupernode', sn.runtime.host);
  for (const h of world.hosts) add(servedAsSupernode(h.runtime.node, h.disk.wasSuperNode) ? 'promotedSupernode' : 'ordinaryHost', h.netHost);
  return roles;
}

function servedAsSupernode(node: HostNode | undefined, wasSuperNode: boolean | undefined): boolean {
  return node?.isSuperNode === true || wasSuperNode === true;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of [...values].sort()) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
