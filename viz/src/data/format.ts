/** Number, time and size formats used across the views (simulated time is in ms), and values of a run as text. */

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const dec2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 0 });

export function fmtCount(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : count.format(n);
}

export function fmtNumber(n: number | null | undefined, digits: 1 | 2 = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return (digits === 1 ? dec1 : dec2).format(n);
}

/** A duration: "850 ms", "3.16 s", "2.5 min", "1.2 h". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a < 1000) return `${dec1.format(ms)} ms`;
  if (a < 120_000) return `${dec2.format(ms / 1000)} s`;
  if (a < 7_200_000) return `${dec1.format(ms / 60_000)} min`;
  return `${dec1.format(ms / 3_600_000)} h`;
}

/** A simulated instant as a clock: "0:05:07.250" (h:mm:ss.mmm), or "12:07.3" with `short`. */
export function fmtClock(ms: number, short = false): string {
  if (!Number.isFinite(ms)) return 'end';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const ss = short ? s.toFixed(1).padStart(4, '0') : s.toFixed(3).padStart(6, '0');
  const text = short && h === 0 ? `${m}:${ss}` : `${h}:${String(m).padStart(2, '0')}:${ss}`;
  return neg ? `-${text}` : text;
}

/** Bytes with SI prefixes: "512 B", "1.5 kB", "12.3 MB". */
export function fmtBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return '–';
  const a = Math.abs(b);
  if (a < 1000) return `${count.format(b)} B`;
  if (a < 1e6) return `${dec1.format(b / 1e3)} kB`;
  if (a < 1e9) return `${dec1.format(b / 1e6)} MB`;
  return `${dec2.format(b / 1e9)} GB`;
}

export function fmtPercent(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${dec1.format(x * 100)}%`;
}

/** Makes any value a string fit for textContent (objects as compact JSON). */
export function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * A node event's detail as one line: `name=home-na-12, clients=3`. Fractions are cut to three
 * decimals (the trace keeps `ms=3666.7106740002055`; a microsecond is finer than anything the
 * page is read for); integers - ids, ports, counts - stay whole and ungrouped.
 */
export function detailText(detail: Readonly<Record<string, unknown>>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}=${typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? String(+v.toFixed(3)) : asText(v)}`)
    .join(', ');
}
