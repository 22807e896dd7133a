/**
 * The few lines `sim run` prints when a run ends: the headline figures of summary.json, for
 * a reader at a terminal. summary.json and metrics.csv hold everything; this is a digest.
 */

import type { RunSummary } from '../run/run.js';
import type { SampleSummary } from '../metrics/summary-stats.js';

export function summaryText(s: RunSummary): string {
  const h = s.hosts;
  const l = s.logins;
  const sn = s.supernodes;
  const ok = l.outcomes.ok ?? 0;
  const failed = l.outcomes.failed ?? 0;
  const lines = [
    `${s.scenario}  seed ${s.seed}  run ${s.run}  ${(s.status.simulatedMs / 1000).toFixed(0)} s simulated, ${s.status.events} events` +
      (s.status.complete ? '' : `  (INCOMPLETE: ${s.status.stoppedBecause})`),
    `hosts        ${h.ordinary} ordinary; online ${h.onlineMin}..${h.onlineMax}, ${h.onlineAtEnd} at the end`,
    `logins       ${ok} ok, ${failed} failed${failed ? ` (${causes(l.failureCauses)})` : ''}; HC entries tried per login ${histText(l.attemptsPerLogin)}`,
    `login time   ${Object.entries(l.timeMsByNatClass)
      .map(([cls, t]) => `${cls} ${seconds(t)}`)
      .join(', ')}  (p50/p90 s, user logins)`,
    `super nodes  ${sn.countMin}..${sn.countMax} (mean ${sn.countMean}), ${sn.atEnd} at the end; ${sn.promotions} promotions, ${sn.demotions} demotions; ` +
      `clients per SN at the end p50 ${sn.clientsPerSupernodeAtEnd.p50 ?? '-'} max ${sn.clientsPerSupernodeAtEnd.max ?? '-'}`,
    `traffic      ${s.traffic.bytesPerHostPerSec} B/s per host; drops ${causes(s.network.drops)}`,
  ];
  return lines.join('\n') + '\n';
}

function seconds(t: SampleSummary): string {
  if (t.count === 0) return '-';
  return `${((t.p50 ?? 0) / 1000).toFixed(1)}/${((t.p90 ?? 0) / 1000).toFixed(1)}`;
}

function causes(counts: Readonly<Record<string, number>>): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0);
  return parts.length === 0 ? 'none' : parts.map(([k, n]) => `${k} ${n}`).join(', ');
}

function histText(h: Readonly<Record<string, number>>): string {
  return Object.entries(h)
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
}
