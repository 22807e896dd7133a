/**
 * Collects the `metric` outputs of protocol nodes (one sample each: loginTimeMs = 4210 with
 * labels natClass=symmetric, outcome=ok) and counters of the simulator, and turns them into
 * the distributions and totals of `summary.json`.
 *
 * A series is identified by its name and its labels; labels are keyed in sorted order so that
 * the order in which a node happened to write them never changes the output.
 */

import { empiricalCdf, histogram, summarize, type SampleSummary } from './summary-stats.js';

export type Labels = Readonly<Record<string, string>>;

interface Series {
  readonly labelKey: string;
  readonly values: number[];
}

export interface DistributionReport {
  readonly summary: SampleSummary;
  readonly cdf: [number, number][];
}

export class MetricsRecorder {
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly counters = new Map<string, number>();

  record(name: string, value: number, labels?: Labels): void {
    let byLabels = this.series.get(name);
    if (!byLabels) {
      byLabels = new Map();
      this.series.set(name, byLabels);
    }
    const labelKey = labelKeyOf(labels);
    let s = byLabels.get(labelKey);
    if (!s) {
      s = { labelKey, values: [] };
      byLabels.set(labelKey, s);
    }
    s.values.push(value);
  }

  count(name: string, delta = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + delta);
  }

  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  /** All samples of one metric whose labels include every pair in `where`. */
  values(name: string, where: Labels = {}): number[] {
    const byLabels = this.series.get(name);
    if (!byLabels) return [];
    const wanted = Object.entries(where).map(([k, v]) => `${k}=${v}`);
    const out: number[] = [];
    for (const s of byLabels.values()) {
      const pairs = s.labelKey.split(',');
      // A loop, not push(...values): a series of a large run outgrows the argument stack.
      if (wanted.every((w) => pairs.includes(w))) for (const v of s.values) out.push(v);
    }
    return out;
  }

  /** Per metric, per label set (sorted), the summary and CDF of its samples. */
  distributions(): Record<string, Record<string, DistributionReport>> {
    const out: Record<string, Record<string, DistributionReport>> = {};
    for (const name of [...this.series.keys()].sort()) {
      const byLabels = this.series.get(name)!;
      const entry: Record<string, DistributionReport> = {};
      for (const key of [...byLabels.keys()].sort()) {
        const values = byLabels.get(key)!.values;
        entry[key === '' ? 'all' : key] = { summary: summarize(values), cdf: empiricalCdf(values) };
      }
      out[name] = entry;
    }
    return out;
  }

  /** Samples of one metric counted by the value of one label ("none" where it is absent). */
  countByLabel(name: string, label: string): Record<string, number> {
    const counts = new Map<string, number>();
    for (const s of this.series.get(name)?.values() ?? []) {
      const pair = s.labelKey.split(',').find((p) => p.startsWith(`${label}=`));
      const value = pair ? pair.slice(label.length + 1) : 'none';
      counts.set(value, (counts.get(value) ?? 0) + s.values.length);
    }
    const out: Record<string, number> = {};
    for (const key of [...counts.keys()].sort()) out[key] = counts.get(key)!;
    return out;
  }

  /** Counts of each distinct value of an integer-valued metric, over all its label sets. */
  histogramOf(name: string, where: Labels = {}): Record<string, number> {
    return histogram(this.values(name, where));
  }

  counterTotals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...this.counters.keys()].sort()) out[name] = this.counters.get(name)!;
    return out;
  }
}

function labelKeyOf(labels: Labels | undefined): string {
  if (!labels) return '';
  const names = Object.keys(labels);
  // Nodes write a handful of labels, most often already in order: an insertion sort, no callbacks.
  for (let i = 1; i < names.length; i++) {
    const n = names[i];
    let j = i;
    for (; j > 0 && names[j - 1] > n; j--) names[j] = names[j - 1];
    names[j] = n;
  }
  let key = '';
  for (let i = 0; i < names.length; i++) key += `${i === 0 ? '' : ','}${names[i]}=${labels[names[i]]}`;
  return key;
}
