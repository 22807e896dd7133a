/**
 * The runs where login cannot succeed, and the host-cache run.
 *
 * Fall-back runs (BS-6, BS-7, BS-9): the caller of the public setup with every SN it knows
 * unreachable - each SN's machine is up with nothing listening, so a UDP probe goes unanswered
 * and a TCP SYN is refused at once (the cheapest way to walk the whole ladder). Two cases:
 *   fresh install      no host cache: the ladder walks the bootstrap list (BS-7);
 *   populated cache    three entries of SNs that have since gone away, then the bootstrap SNs
 *                      not among them (BS-6: "no reachable HC entry and no reachable bootstrap
 *                      SN: login fails").
 * The trace's loginStep events (one per UDP probe or TCP connect) give the order, the rounds
 * and the timers.
 *
 * Host-cache run (BS-5): the lab with its `peers`, which log in and after the profile's uptime
 * threshold (snUptimeThreshold, 1 h) serve as SNs, so the overlay has more SNs than the cap.
 * Two measurements: the largest cache any host holds after two hours of ordinary operation
 * (what replies taught it), and the cache of a host whose disk offers every serving SN (more
 * than the cap) when it starts and logs in.
 */

import type { Endpoint } from '../../../protocol/node.js';
import { SmallWorld } from '../../testing/small-world.js';
import type { LabSetup } from './lab.js';
import { Actors, arrowsOf, ipString, type Ladder, type TraceEvent } from './session.js';

export interface LadderStep {
  readonly tMs: number;
  readonly entry: string;
  readonly transport: string;
  readonly port: number;
  readonly round: number;
}

export interface FallbackResult {
  readonly case: 'fresh' | 'populated';
  readonly hostCache: readonly string[];
  readonly bootstrap: readonly string[];
  readonly steps: readonly LadderStep[];
  /** Times of loginRoundFailed, by round. */
  readonly roundFailedMs: readonly number[];
  readonly failed: boolean;
  readonly failedRounds: number;
  readonly failedAtMs: number;
  readonly startedMs: number;
  /** Rounds 1 and 2 as the trace saw them, for the ladder diagram. */
  readonly ladder: Ladder;
}

export function runFallback(setup: LabSetup, seed: number, kind: 'fresh' | 'populated'): FallbackResult {
  const sw = new SmallWorld({ ...setup.base, seed, hosts: [{ ...setup.caller, nat: 'none', firewall: 'none' }] });
  const hostCache: Endpoint[] = [];
  if (kind === 'populated') for (let i = 0; i < 3; i++) hostCache.push(sw.addUnreachable('refused'));
  if (hostCache.length > 0) sw.setHostCache('caller', hostCache);
  for (let i = 0; i < sw.world.bootstrapSupernodes.length; i++) sw.makeSuperNodeUnreachable(i, 'refused');
  sw.advance(5_000);
  const startedMs = sw.nowMs;
  sw.login('caller');
  const id = sw.netHost('caller');
  const failedSaid = () => sw.nodeEventLog.some((e) => e.host === 'caller-0' && e.event === 'loginFailed');
  sw.until(failedSaid, 3_600_000);
  const events = sw.traceEvents() as TraceEvent[];
  const mine = events.filter((e) => e.ev === 'node' && e.host === id);
  const failed = mine.find((e) => e.event === 'loginFailed');
  const actors = new Actors(sw, ['caller-0']);
  const hcNames = hostCache.map((e, i) => [ipString(e.ip), `HC entry ${i}`] as const);
  const bootNames = sw.bootstrap.map((e, i) => [ipString(e.ip), `bootstrap ${i}`] as const);
  for (const [ip, name] of [...hcNames, ...bootNames]) actors.byIp.set(ip, name);
  const round3 = mine.find((e) => e.event === 'loginStep' && e.detail.round === 3)?.t ?? Infinity;
  const ladder: Ladder = {
    title: kind,
    startMs: startedMs,
    arrows: arrowsOf(events, actors, startedMs, round3 - 0.01, new Set(['caller'])),
    actors: ['caller', ...hcNames.map((x) => x[1]), ...bootNames.filter(([ip]) => !hcNames.some((h) => h[0] === ip)).map((x) => x[1])],
  };
  return {
    ladder,
    case: kind,
    hostCache: hostCache.map((e) => `${ipString(e.ip)}:${e.port}`),
    bootstrap: sw.bootstrap.map((e) => `${ipString(e.ip)}:${e.port}`),
    steps: mine.filter((e) => e.event === 'loginStep').map((e) => ({ tMs: e.t, entry: e.detail.entry, transport: e.detail.transport, port: e.detail.port, round: e.detail.round })),
    roundFailedMs: mine.filter((e) => e.event === 'loginRoundFailed').map((e) => e.t),
    failed: failed !== undefined,
    failedRounds: failed ? Number(failed.detail.rounds) : 0,
    failedAtMs: failed?.t ?? NaN,
    startedMs,
  };
}

/** Simulated time of the host-cache run before the last host starts: the peers' promotion after 1 h, then an hour of operation. */
export const HOST_CACHE_RUN_MS = 2 * 3_600_000;

export interface HostCacheResult {
  readonly peers: number;
  readonly servingSns: number;
  /** Largest cache of any host after ordinary operation. */
  readonly organicMax: number;
  /** SN entries offered on disk to the host that starts last. */
  readonly offered: number;
  /** Its cache once it is online. */
  readonly keptAfterLogin: number;
  readonly simulatedMin: number;
}

export function runHostCache(setup: LabSetup, seed: number, peerCount: number): HostCacheResult {
  const peers = Array.from({ length: peerCount }, (_, i) => ({
    name: `peer${i}`,
    region: setup.peers.regions[i % setup.peers.regions.length],
    link: setup.peers.link,
    machine: setup.peers.machine,
  }));
  // No trace: only the hosts' disks are read, and a 300-host trace of two hours is large.
  const sw = new SmallWorld({ ...setup.base, seed, hosts: [{ ...setup.caller, nat: 'none', firewall: 'none' }, ...peers], trace: false, buddiesPerHost: 0 });
  sw.advance(5_000);
  for (const p of peers) sw.login(p.name);
  sw.runUntil(HOST_CACHE_RUN_MS);
  const organicMax = Math.max(...sw.world.hosts.map((h) => h.disk.hostCache?.length ?? 0));
  const serving = sw.serving();
  const offered: Endpoint[] = serving.map((name) => {
    const infra = sw.world.bootstrapSupernodes.find((s) => s.name === name);
    if (infra) return infra.endpoint;
    const r = sw.record(name);
    return { ip: sw.world.net.ipOf(r.netHost), port: r.disk.port! };
  });
  sw.setHostCache('caller', offered);
  sw.login('caller');
  sw.until(() => sw.state('caller') === 'online', 600_000);
  sw.advance(1_000);
  return {
    peers: peerCount,
    servingSns: serving.length,
    organicMax,
    offered: offered.length,
    keptAfterLogin: sw.record('caller').disk.hostCache?.length ?? 0,
    simulatedMin: sw.nowMs / 60_000,
  };
}
