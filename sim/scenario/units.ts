/**
 * Values with units, as written in scenario files, normalised to the project's units:
 * durations to ms, bandwidths to bits/s, ratios to [0, 1].
 *
 * Each parser returns `undefined` for text it does not accept; the caller words the error,
 * since only it knows which field was meant. A bare number is accepted where it cannot be
 * misread: 0 for durations and bandwidths (zero in any unit), 0..1 for ratios.
 *
 * Units are SI and case-sensitive where it matters: `b`/`bit` are bits, `B`/`byte` bytes,
 * `k` = 1000, `M` = 10^6, `G` = 10^9; `m` is minutes (never metres, never mega).
 */

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  sec: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_TERM = String.raw`(${NUMBER})\s*(ms|sec|min|s|m|h|d)`;

/** One or more terms, optionally signed: `90s`, `150ms`, `2h`, `1h30min`, `-5h`. */
export const DURATION_PATTERN = String.raw`^\s*[-+]?\s*(?:${NUMBER}\s*(?:ms|sec|min|s|m|h|d)\s*)+$`;

export function parseDurationMs(input: unknown): number | undefined {
  if (input === 0) return 0;
  if (typeof input !== 'string' || !new RegExp(DURATION_PATTERN).test(input)) return undefined;
  const sign = input.trim().startsWith('-') ? -1 : 1;
  let totalMs = 0;
  for (const [, amount, unit] of input.matchAll(new RegExp(DURATION_TERM, 'g'))) {
    totalMs += Number(amount) * DURATION_UNIT_MS[unit];
  }
  return sign * totalMs;
}

const BANDWIDTH_PREFIX: Readonly<Record<string, number>> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 };
const BANDWIDTH_UNIT_BITS: Readonly<Record<string, number>> = { b: 1, bit: 1, bits: 1, B: 8, byte: 8, bytes: 8 };

/** `1Mbit`, `100kbit`, `56kbps`, `3kB/s`, `1.5 Mbit/s` (per second is implied when not written). */
export const BANDWIDTH_PATTERN = String.raw`^\s*(${NUMBER})\s*([kKMG]?)(bits|bit|bytes|byte|b|B)(?:/s|ps)?\s*$`;

export function parseBitsPerSec(input: unknown): number | undefined {
  if (input === 0) return 0;
  if (typeof input !== 'string') return undefined;
  const m = new RegExp(BANDWIDTH_PATTERN).exec(input);
  if (!m) return undefined;
  const [, amount, prefix, unit] = m;
  return Number(amount) * BANDWIDTH_PREFIX[prefix] * BANDWIDTH_UNIT_BITS[unit];
}

/** `5%`, `12.5%`, `100%`: the pattern itself keeps to 0..100, so editors catch `150%` too. */
export const PERCENT_PATTERN = String.raw`^\s*(?:100(?:\.0*)?|\d{1,2}(?:\.\d*)?|\.\d+)\s*%\s*$`;

export function parseRatio(input: unknown): number | undefined {
  let value: number;
  if (typeof input === 'number') value = input;
  else if (typeof input === 'string' && new RegExp(PERCENT_PATTERN).test(input)) value = Number(input.trim().slice(0, -1).trim()) / 100;
  else return undefined;
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : undefined;
}

const DURATION_UNITS_LARGEST_FIRST: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1_000],
];

/** The shortest way to write `ms` back as a scenario file would: 30min, 5s, 150ms. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of DURATION_UNITS_LARGEST_FIRST) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function formatBandwidth(bitsPerSec: number): string {
  for (const [prefix, size] of [['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (bitsPerSec !== 0 && bitsPerSec % size === 0) return `${bitsPerSec / size}${prefix}bit`;
  }
  return `${bitsPerSec}bit`;
}
