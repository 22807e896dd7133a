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
    ...reloginLines(s),
    `super nodes  ${sn.countMin}..${sn.countMax} (mean ${sn.countMean}), ${sn.atEnd} at the end; ${sn.promotions} promotions, ${sn.demotions} demotions; ` +
      `clients per SN at the end p50 ${sn.clientsPerSupernodeAtEnd.p50 ?? '-'} max ${sn.clientsPerSupernodeAtEnd.max ?? '-'}${overBudgetText(s)}`,
    `traffic      ${s.traffic.bytesPerHostPerSec} B/s per host; drops ${causes(s.network.drops)}`,
    ...callLines(s),
    ...pstnLines(s),
    ...searchLines(s),
  ];
  return lines.join('\n') + '\n';
}

/** The routed messages super nodes refused over a client's signalling budget, when there were any. */
export function overBudgetText(s: Pick<RunSummary, 'protocol'>): string {
  const n = s.protocol.nodeEvents.signallingOverBudget ?? 0;
  return n > 0 ? `; ${n} routed messages refused over the signalling budget` : '';
}

/** The calls / relays / chat block: only when users placed calls (older summaries have none). */
export function callLines(s: Pick<RunSummary, 'calls' | 'relays' | 'chat'>): string[] {
  const c = s.calls as RunSummary['calls'] | undefined;
  if (!c || (c.placed === 0 && c.answered === 0)) return [];
  const r = s.relays;
  const paths = c.paths.all;
  const shares = (['direct', 'holePunched', 'relayedUdp', 'relayedTcp'] as const)
    .filter((p) => (paths[p] ?? 0) > 0)
    .map((p) => `${p} ${percent(paths[p])}`)
    .join(', ');
  const mos = c.quality.mos.byPath;
  const lines = [
    `calls        ${c.placed} placed, ${c.answered} answered, ${c.failed} failed${c.failed ? ` (${causes(c.failuresByCause)})` : ''}; ` +
      `setup ${seconds(c.setupMs.all)} s (p50/p90)${shares ? `; ${shares}` : ''}`,
  ];
  const mosText = Object.entries(mos)
    .filter(([, q]) => q.count > 0)
    .map(([path, q]) => `${path} ${q.p50?.toFixed(2)}/${q.p10?.toFixed(2)}`)
    .join(', ');
  if (mosText) lines.push(`call MOS     ${mosText}  (p50/p10 per direction)`);
  if (r.load.relaysUsed > 0) {
    const st = r.rttStretch.relayed;
    lines.push(
      `relays       ${r.load.relaysUsed} used, calls per relay max ${r.load.callsPerRelay.max} mean ${r.load.callsPerRelay.mean}; ` +
        `RTT stretch p50 ${st.p50 ?? '-'} (direct ${r.rttStretch.direct.p50 ?? '-'}); ${r.reselections} reselections, ` +
        `${r.droppedRelayFailed.caller + r.droppedRelayFailed.callee} ends for relay failure`,
    );
  }
  const chat = s.chat;
  if (chat.sent > 0) {
    lines.push(`chat         ${chat.sent} sent, ${chat.delivered} delivered, ${chat.undelivered} undelivered; ack ${seconds(chat.ackMs)} s (p50/p90)`);
  }
  return lines;
}

/** Re-logins (after losing the SN, after a hand-off): only when there were any. */
export function reloginLines(s: Pick<RunSummary, 'logins'>): string[] {
  const byTrigger = (s.logins as Partial<RunSummary['logins']>).reloginTimeMsByTrigger;
  if (!byTrigger || byTrigger.reconnect.count + byTrigger.handOff.count === 0) return [];
  const text = (t: SampleSummary): string => (t.count === 0 ? 'none' : `${t.count} ${seconds(t)}/${((t.max ?? 0) / 1000).toFixed(1)} s`);
  return [`re-logins    after SN loss ${text(byTrigger.reconnect)}; after hand-off ${text(byTrigger.handOff)}  (p50/p90/max)`];
}

/** The PSTN calls (SkypeOut, SkypeIn): only when the workload asked for some. */
export function pstnLines(s: Pick<RunSummary, 'calls'>): string[] {
  const p = (s.calls as RunSummary['calls'] | undefined)?.pstn;
  if (!p || p.requested === 0) return [];
  const direction = (d: 'out' | 'in'): string => {
    const x = p.byDirection[d];
    return `${d} ${causes({ ...x.outcomes, ...x.hostFailures })}, setup ${seconds(x.setupMs)} s`;
  };
  return [`pstn calls   ${p.requested} requested; ${direction('out')}; ${direction('in')}  (p50/p90)`];
}

/**
 * Searches by searcher class - users by their NAT class, `superNode` for the searches super
 * nodes run to route signalling - with outcome shares and latency: only when there were any.
 */
export function searchLines(s: Pick<RunSummary, 'search'>): string[] {
  const search = s.search as RunSummary['search'] | undefined;
  if (!search) return [];
  const classes = Object.entries(search.bySearcherClass).map(
    ([cls, c]) =>
      `${cls} ${c.searches} (${Object.entries(c.outcomeShares)
        .filter(([, x]) => (x ?? 0) > 0)
        .map(([outcome, x]) => `${outcome} ${percent(x)}`)
        .join(', ')}) ${seconds(c.latencyMs)} s`,
  );
  return [`searches     ${classes.join('; ')}  (p50/p90)`];
}

function percent(x: number | null | undefined): string {
  return x === null || x === undefined ? '-' : `${Math.round(x * 100)}%`;
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
