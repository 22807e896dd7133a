/**
 * The table `sim run` prints after the runs of a `compare` scenario: one row per value, the
 * figures of comparison.json (sim/run/comparison.ts says what each is).
 *
 *   relayPolicy    answered  setup p50/p90 s  relayed  MOS p50/p10  stretch p50  load max/mean  resel  drops  failed
 *   random-public  ...
 *
 * MOS is of the relayed calls' directions (what a relay policy changes); "drops" are answered
 * calls ended for want of a working relay, "failed" calls that never got answered.
 */

import type { Comparison } from '../run/comparison.js';

export function comparisonText(c: Comparison): string {
  const header = [c.parameter, 'answered', 'setup p50/p90 s', 'relayed', 'MOS p50/p10', 'stretch p50', 'load max/mean', 'resel', 'drops', 'failed'];
  const rows = c.variants.map((v) => [
    v.value + (v.complete ? '' : ' (incomplete)'),
    `${v.calls.answered}/${v.calls.placed}`,
    `${sec(v.setupMs.p50)}/${sec(v.setupMs.p90)}`,
    v.relayedShare === null ? '-' : `${Math.round(v.relayedShare * 100)}%`,
    `${fixed(v.mos.relayed.p50, 2)}/${fixed(v.mos.relayed.p10, 2)}`,
    fixed(v.rttStretchP50, 2),
    `${v.relayLoad.callsPerRelayMax ?? '-'}/${fixed(v.relayLoad.callsPerRelayMean, 2)}`,
    String(v.reselections),
    String(v.droppedRelayFailed),
    String(v.calls.failed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [`${c.scenario}  seed ${c.seed}  run ${c.run}: ${c.parameter} compared`, line(header), ...rows.map(line)].join('\n') + '\n';
}

function sec(ms: number | null): string {
  return ms === null ? '-' : (ms / 1000).toFixed(2);
}

function fixed(x: number | null, digits: number): string {
  return x === null ? '-' : x.toFixed(digits);
}
