/**
 * Summary statistics of a sample: what `summary.json` reports for every distribution
 * (login time, attempts per login, clients per SN, ...).
 *
 * Percentiles use the nearest-rank method on the sorted sample (no interpolation), so every
 * reported percentile is a value that was actually observed.
 */

export interface SampleSummary {
  readonly count: number;
  readonly mean: number | null;
  readonly min: number | null;
  readonly p10: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** Nearest-rank percentile of an ascending sample; `q` in [0, 1]. */
export function percentile(sortedAscending: ArrayLike<number>, q: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  return sortedAscending[Math.min(n, rank) - 1];
}

export function summarize(values: readonly number[]): SampleSummary {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    mean: n === 0 ? null : roundTo(sum / n),
    min: n === 0 ? null : sorted[0],
    p10: percentile(sorted, 0.1),
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: n === 0 ? null : sorted[n - 1],
  };
}

/** An ascending copy: a typed array's numeric sort, several times faster than a comparator on a large sample. */
function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** Empirical CDF at up to `points` evenly spaced ranks: [[value, cumulativeShare], ...]. */
export function empiricalCdf(values: readonly number[], points = 20): [number, number][] {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  if (n === 0) return [];
  const steps = Math.min(points, n);
  const cdf: [number, number][] = [];
  for (let i = 1; i <= steps; i++) {
    const rank = Math.ceil((i / steps) * n);
    cdf.push([sorted[rank - 1], roundTo(rank / n)]);
  }
  return cdf;
}

/** Counts of each distinct integer value: { "1": 40, "2": 7 }, keys ascending. */
export function histogram(values: readonly number[]): Record<string, number> {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const key of [...counts.keys()].sort((a, b) => a - b)) out[String(key)] = counts.get(key)!;
  return out;
}

/** Rounds for output so that summaries stay readable and byte-stable. */
export function roundTo(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
