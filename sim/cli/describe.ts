/** A one-line account of a loaded scenario, so a user sees what the file came to. */

import type { Scenario } from '../scenario/index.js';
import { clock } from './progress.js';

export function describeScenario(s: Scenario): string {
  const hosts = s.hosts.reduce((n, g) => n + g.count, 0);
  const groups = s.hosts.length === 1 ? '1 group' : `${s.hosts.length} groups`;
  const events = s.events.length === 1 ? '1 event' : `${s.events.length} events`;
  return `${s.name}: ${hosts} hosts in ${groups}, ${clock(s.durationMs)} simulated, seed ${s.seed}, profile ${s.profile}, churn ${s.churn.mode}, ${events}`;
}
