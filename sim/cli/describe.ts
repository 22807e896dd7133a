/** What a loaded scenario comes to, in a line, and the most workload it can place: so a user sees what the file asks for. */

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
  const hostHours = (hostCount(s) * s.durationMs) / 3_600_000;
  const w = s.workload;
  const kinds: [number, string][] = [
    [w.calls.ratePerHostHour, 'calls'],
    [w.chat.ratePerHostHour, 'chat messages'],
    [w.searches.ratePerHostHour, 'searches'],
    [w.pstnCalls.ratePerHostHour, 'PSTN calls'],
  ];
  const placed = kinds.filter(([rate]) => rate > 0).map(([rate, what]) => `${Math.round(rate * hostHours)} ${what}`);
  return placed.length === 0 ? 'workload: none' : `workload: at most ${placed.join(', ')} (every host online the whole run)`;
}

function hostCount(s: Scenario): number {
  return s.hosts.reduce((n, g) => n + g.count, 0);
}
