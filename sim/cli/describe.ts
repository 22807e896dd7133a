/** What a loaded scenario comes to, in a line, and the most workload it can place: so a user sees what the file asks for. */

import { meanOf } from '../kernel/index.js';
import type { Scenario } from '../scenario/index.js';
import { clock } from './progress.js';

export function describeScenario(s: Scenario): string {
  const hosts = hostCount(s);
  const groups = s.hosts.length === 1 ? '1 group' : `${s.hosts.length} groups`;
  const events = s.events.length === 1 ? '1 event' : `${s.events.length} events`;
  return `${s.name}: ${hosts} hosts in ${groups}, ${clock(s.durationMs)} simulated, seed ${s.seed}, profile ${s.profile}, churn ${s.churn.mode}, ${events}`;
}

/**
 * The most user actions the workload can place: each rate times every host times the whole
 * run. Rates are per online host, so a run places fewer; the bound shows the scale a file asks
 * for, where a rate typed a thousand times too high stands out before a run that would not end.
 */
export function describeWorkload(s: Scenario): string {
  const placed = workloadBound(s)
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`);
  return placed.length === 0 ? 'workload: none' : `workload: at most ${placed.join(', ')} (every host online the whole run)`;
}

function workloadBound(s: Scenario): [number, string][] {
  const hostHours = (hostCount(s) * s.durationMs) / 3_600_000;
  const w = s.workload;
  return [
    [Math.round(w.calls.ratePerHostHour * hostHours), 'calls'],
    [Math.round(w.chat.ratePerHostHour * hostHours), 'chat messages'],
    [Math.round(w.searches.ratePerHostHour * hostHours), 'searches'],
    [Math.round(w.pstnCalls.ratePerHostHour * hostHours), 'PSTN calls'],
  ];
}

/**
 * For session churn, about how many sessions the run holds: every host's first, then one per
 * mean session and mean off time that fit in the run. Near-zero means (hosts coming and going
 * every millisecond) show as millions of sessions, and a run that long, before it starts.
 */
export function describeChurn(s: Scenario): string | undefined {
  if (s.churn.mode !== 'sessions') return undefined;
  const cycleMs = churnCycleMs(s);
  // A heavy-tailed session of infinite mean: every host's first session lasts, on average, forever.
  if (cycleMs === Infinity) return `churn: about ${hostCount(s)} sessions (the mean session is infinite: mostly every host's first)`;
  const cycle = cycleMs >= 1000 ? clock(cycleMs) : `${+cycleMs.toPrecision(3)} ms`;
  return `churn: about ${churnSessions(s)} sessions (every host's first, then one per ${cycle} of mean session and off time)`;
}

/**
 * Sessions plus user actions at which a run is likely to take hours on one core: each login
 * alone takes a few hundred events (probes, connections, the LS, presence to buddies).
 */
export const LARGE_RUN_ACTIONS = 10_000_000;

/** A line for a file whose sessions and workload reach LARGE_RUN_ACTIONS, pointing to the run budgets; else undefined. */
export function describeScale(s: Scenario): string | undefined {
  const actions = (s.churn.mode === 'sessions' ? churnSessions(s) : 0) + workloadBound(s).reduce((n, [k]) => n + k, 0);
  if (actions < LARGE_RUN_ACTIONS) return undefined;
  return `large: about ${actions} sessions and actions; a run may take hours (sim run --max-wall 1h or --max-events N bounds it)`;
}

function churnCycleMs(s: Scenario): number {
  return s.churn.mode === 'sessions' ? meanOf(s.churn.sessionMs) + meanOf(s.churn.offTimeMs) : Infinity;
}

function churnSessions(s: Scenario): number {
  const cycleMs = churnCycleMs(s);
  return cycleMs === Infinity ? hostCount(s) : Math.round(hostCount(s) * (1 + s.durationMs / cycleMs));
}

function hostCount(s: Scenario): number {
  return s.hosts.reduce((n, g) => n + g.count, 0);
}
