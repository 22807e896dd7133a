/**
 * `comparison.json`: the runs of a `compare` scenario (one per value of one protocol parameter,
 * same seed) side by side, one entry per value in the order the file lists them.
 *
 * Each entry takes its figures from that run's summary.json (which holds all of them and more):
 *   calls         placed, answered, failed (set-up failures), successRatio
 *   setupMs       p50, p90 of answered calls
 *   relayedShare  share of answered calls on a relayed path (UDP or TCP)
 *   mos           per direction, p50 and p10: of all calls, and of relayed calls
 *   rttStretchP50 relayed path RTT / direct RTT, median over relayed calls (call-stats.ts)
 *   relayLoad     relays used; calls per relay, max and mean
 *   reselections, droppedRelayFailed (both parties), relay candidates given up
 *
 * Nothing here depends on the wall clock: the same scenario and seed give the same bytes.
 */

import type { Scenario } from '../scenario/types.js';
import type { RunSummary } from './run.js';

export interface ComparisonEntry {
  readonly value: string;
  readonly runDirectory: string;
  readonly complete: boolean;
  readonly calls: { readonly placed: number; readonly answered: number; readonly failed: number; readonly successRatio: number | null };
  readonly setupMs: { readonly p50: number | null; readonly p90: number | null };
  readonly relayedShare: number | null;
  readonly mos: { readonly all: { readonly p50: number | null; readonly p10: number | null }; readonly relayed: { readonly p50: number | null; readonly p10: number | null } };
  readonly rttStretchP50: number | null;
  readonly relayLoad: { readonly relaysUsed: number; readonly callsPerRelayMax: number | null; readonly callsPerRelayMean: number | null };
  readonly reselections: number;
  readonly droppedRelayFailed: number;
  readonly relayCandidatesGivenUp: number;
}

export interface Comparison {
  readonly scenario: string;
  readonly seed: number;
  readonly run: number;
  readonly parameter: string;
  readonly variants: readonly ComparisonEntry[];
}

export function comparisonEntry(value: string, runDirectory: string, s: RunSummary): ComparisonEntry {
  const c = s.calls;
  const r = s.relays;
  const paths = c.paths.all;
  const relayedShare = paths.answered === 0 ? null : round3((paths.relayedUdp ?? 0) + (paths.relayedTcp ?? 0));
  // A run has one relay policy: mosByPolicy has at most that one entry.
  const relayed = Object.values(r.mosByPolicy)[0];
  return {
    value,
    runDirectory,
    complete: s.status.complete,
    calls: { placed: c.placed, answered: c.answered, failed: c.failed, successRatio: c.successRatio },
    setupMs: { p50: round3(c.setupMs.all.p50), p90: round3(c.setupMs.all.p90) },
    relayedShare,
    mos: { all: { p50: round3(c.quality.mos.all.p50), p10: round3(c.quality.mos.all.p10) }, relayed: { p50: round3(relayed?.p50 ?? null), p10: round3(relayed?.p10 ?? null) } },
    rttStretchP50: r.rttStretch.relayed.p50,
    relayLoad: { relaysUsed: r.load.relaysUsed, callsPerRelayMax: r.load.callsPerRelay.max, callsPerRelayMean: r.load.callsPerRelay.mean },
    reselections: r.reselections,
    droppedRelayFailed: r.droppedRelayFailed.caller + r.droppedRelayFailed.callee,
    relayCandidatesGivenUp: Object.values(r.candidateFailures).reduce((a, n) => a + n, 0),
  };
}

export function comparisonOf(scenario: Scenario, run: number, entries: readonly ComparisonEntry[]): Comparison {
  return { scenario: scenario.name, seed: scenario.seed, run, parameter: scenario.compare?.parameter ?? '', variants: entries };
}

function round3(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1000) / 1000;
}
