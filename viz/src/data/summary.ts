/**
 * Reading summary.json (sim/run/summary.ts writes it; its type is imported, not copied):
 * login-time CDFs merged by host class, the headline figures, histograms.
 *
 * summary.json's distributions hold, per label set, a 20-point empirical CDF and the sample
 * count. The CDF of a host class is the count-weighted mixture of its label sets' step
 * functions, evaluated at every point any of them has: exact at those points.
 */

import type { RunSummary } from '../../../sim/run/run.js';
import type { MetricsTable } from './csv.js';

export type { RunSummary };

export interface CdfSeries {
  readonly key: string;
  readonly count: number;
  /** [value, share of samples <= value], ascending. */
  readonly points: readonly (readonly [number, number])[];
}

type Report = { readonly summary: { readonly count: number }; readonly cdf: readonly (readonly [number, number])[] };

/** "a=1,b=2" -> { a: "1", b: "2" }. */
export function parseLabels(key: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (key === 'all') return out;
  for (const pair of key.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** The count-weighted mixture of step CDFs. */
export function mixCdfs(parts: readonly Report[]): readonly (readonly [number, number])[] {
  const total = parts.reduce((s, p) => s + p.summary.count, 0);
  if (total === 0) return [];
  const xs = [...new Set(parts.flatMap((p) => p.cdf.map(([x]) => x)))].sort((a, b) => a - b);
  return xs.map((x) => {
    let f = 0;
    for (const p of parts) {
      let share = 0;
      for (const [px, pf] of p.cdf) {
        if (px <= x) share = pf;
        else break;
      }
      f += p.summary.count * share;
    }
    return [x, Math.min(1, f / total)] as const;
  });
}

/** A metric's distributions grouped by one label (others merged), filtered by `where`. */
export function cdfsBy(summary: RunSummary, metric: string, label: string, where: Readonly<Record<string, string>> = {}): CdfSeries[] {
  const reports = (summary.distributions?.[metric] ?? {}) as Record<string, Report>;
  const groups = new Map<string, Report[]>();
  for (const [key, report] of Object.entries(reports)) {
    const labels = parseLabels(key);
    if (!Object.entries(where).every(([k, v]) => labels[k] === v)) continue;
    const g = labels[label] ?? 'all';
    groups.set(g, [...(groups.get(g) ?? []), report]);
  }
  return [...groups.entries()]
    .map(([key, parts]) => ({ key, count: parts.reduce((s, p) => s + p.summary.count, 0), points: mixCdfs(parts) }))
    .filter((s) => s.count > 0);
}

/** Login time (ms) CDF by the host's configured class, successful logins. */
export function loginTimeCdfs(summary: RunSummary): CdfSeries[] {
  return cdfsBy(summary, 'loginTimeMs', 'hostClass', { outcome: 'ok' });
}

/** Value at share q of a step CDF. */
export function quantile(points: readonly (readonly [number, number])[], q: number): number | null {
  for (const [x, f] of points) if (f >= q - 1e-9) return x;
  return points.length ? points[points.length - 1][0] : null;
}

export function histogramEntries(h: Readonly<Record<string, number>> | undefined): [number, number][] {
  return Object.entries(h ?? {})
    .map(([k, v]) => [Number(k), v] as [number, number])
    .filter(([k]) => Number.isFinite(k))
    .sort((a, b) => a[0] - b[0]);
}

export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly value: number | null;
  /** How to print the value. */
  readonly kind: 'count' | 'ms' | 'bytes' | 'number' | 'percent';
  /** A second line: range, split ... */
  readonly sub?: string;
  /** For comparisons: is more better (true), worse (false), or neither (undefined)? */
  readonly moreIsBetter?: boolean;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The figures the header shows and a comparison sets side by side. */
export function headlineFigures(s: RunSummary, metrics: MetricsTable | undefined): Figure[] {
  const outcomes = s.logins?.outcomes ?? {};
  const ok = outcomes.ok ?? 0;
  const failed = sum(Object.entries(outcomes).filter(([k]) => k !== 'ok').map(([, v]) => v));
  const loginCdf = cdfsBy(s, 'loginTimeMs', 'outcome', { outcome: 'ok' })[0]?.points ?? [];
  const drops = sum(Object.values(s.network?.drops ?? {}));
  const sent = sum(Object.values(s.traffic?.byType ?? {}).map((t) => t.sentPackets));
  const bytes = sum(Object.values(s.traffic?.byType ?? {}).map((t) => t.sentBytes));
  const meanOnline = metrics && metrics.has('online_hosts') && metrics.rows > 0 ? sum([...metrics.col('online_hosts')]) / metrics.rows : null;
  return [
    { key: 'hosts', label: 'hosts', value: s.hosts.ordinary, kind: 'count', sub: `${s.hosts.bootstrapSupernodes} bootstrap SNs, ${s.hosts.loginServers} LS` },
    { key: 'onlineMax', label: 'online (max)', value: s.hosts.onlineMax, kind: 'count', sub: meanOnline === null ? undefined : `mean ${Math.round(meanOnline)}` },
    { key: 'loginsOk', label: 'logins ok', value: ok, kind: 'count', sub: `${failed} failed or aborted` },
    { key: 'loginFailRatio', label: 'logins failed', value: ok + failed === 0 ? null : failed / (ok + failed), kind: 'percent', moreIsBetter: false },
    { key: 'loginP50', label: 'login time p50', value: quantile(loginCdf, 0.5), kind: 'ms', sub: `p90 ${fmtMsShort(quantile(loginCdf, 0.9))}`, moreIsBetter: false },
    { key: 'snMean', label: 'super nodes (mean)', value: s.supernodes.countMean, kind: 'number', sub: `${s.supernodes.countMin}–${s.supernodes.countMax}, ${s.supernodes.promotions} promotions` },
    { key: 'clientsPerSn', label: 'clients per SN (end)', value: s.supernodes.clientsPerSupernodeAtEnd.mean, kind: 'number', sub: `max ${s.supernodes.clientsPerSupernodeAtEnd.max ?? '–'}` },
    { key: 'bytesPerHostS', label: 'traffic, B/s per host', value: s.traffic.bytesPerHostPerSec, kind: 'number', sub: `${Math.round(sent).toLocaleString('en-US')} msgs, ${(bytes / 1e6).toFixed(1)} MB` },
    { key: 'drops', label: 'packets dropped', value: drops, kind: 'count', sub: sent > 0 ? `${((drops / sent) * 100).toFixed(1)}% of sent` : undefined },
    { key: 'simulated', label: 'simulated', value: s.status.simulatedMs, kind: 'ms', sub: `${s.status.events.toLocaleString('en-US')} events${s.status.complete ? '' : ', INCOMPLETE'}` },
  ];
}

/** '' for a whole run; for one Ctrl-C or a budget ended early, `INCOMPLETE: ` and why. */
export function incompleteText(s: Pick<RunSummary, 'status'>): string {
  return s.status.complete ? '' : `INCOMPLETE: ${s.status.stoppedBecause ?? 'stopped early'}`;
}

function fmtMsShort(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
