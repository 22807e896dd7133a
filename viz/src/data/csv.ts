/**
 * metrics.csv as columns: one Float64Array per column (sim/run/probes.ts names them), rows in
 * time order. `time_s` is the end of each sampling interval in simulated seconds; counters
 * (msgs_*, bytes_*, drops_*) are deltas over the interval that ends there, gauges are values
 * at that instant.
 */

export interface MetricsTable {
  readonly columns: readonly string[];
  readonly rows: number;
  /** Simulated seconds, ascending. */
  readonly timeS: Float64Array;
  /** Seconds between rows (the run's sampling interval); 0 with fewer than two rows. */
  readonly intervalS: number;
  has(column: string): boolean;
  /** The values of a column; throws for a column the file does not have. */
  col(column: string): Float64Array;
}

export function parseMetricsCsv(text: string): MetricsTable {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('metrics.csv is empty');
  const columns = lines[0].trim().split(',');
  const timeIndex = columns.indexOf('time_s');
  if (timeIndex < 0) throw new Error(`metrics.csv has no time_s column (columns: ${columns.slice(0, 5).join(', ')}, ...)`);
  const rows = lines.length - 1;
  const data = columns.map(() => new Float64Array(rows));
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].trim().split(',');
    for (let c = 0; c < columns.length; c++) {
      const v = Number(cells[c]);
      data[c][r] = Number.isFinite(v) ? v : NaN;
    }
  }
  const index = new Map(columns.map((c, i) => [c, i]));
  const timeS = data[timeIndex];
  return {
    columns,
    rows,
    timeS,
    intervalS: rows >= 2 ? timeS[1] - timeS[0] : 0,
    has: (c) => index.has(c),
    col(c) {
      const i = index.get(c);
      if (i === undefined) throw new RangeError(`metrics.csv has no column ${c}`);
      return data[i];
    },
  };
}

/** Sum of a counter column over the rows whose interval ends in (t0S, t1S]. */
export function sumOver(table: MetricsTable, column: string, t0S: number, t1S: number): number {
  const values = table.col(column);
  let sum = 0;
  for (let r = 0; r < table.rows; r++) if (table.timeS[r] > t0S && table.timeS[r] <= t1S) sum += values[r];
  return sum;
}
