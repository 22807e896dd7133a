/** Small statistics for the report's tables: quantiles by linear interpolation, formatting. */

export function sorted(xs: readonly number[]): number[] {
  return [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

export function quantile(xs: readonly number[], q: number): number {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

export function summary(xs: readonly number[]) {
  const s = sorted(xs);
  return { n: s.length, min: s[0] ?? NaN, p10: quantile(s, 0.1), median: quantile(s, 0.5), p90: quantile(s, 0.9), max: s[s.length - 1] ?? NaN };
}

/** Seconds with 2 decimals from milliseconds. */
export const sec = (ms: number): string => (ms / 1000).toFixed(2);

export const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;
