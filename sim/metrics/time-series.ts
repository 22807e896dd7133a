/**
 * The rows of `metrics.csv`: one row per sampling interval, one column per probe.
 *
 * Columns are fixed when the series is created (a CSV header cannot change half-way), each a
 * probe that reads a gauge (online hosts, SN count) or the growth of a counter since the last
 * row (bytes of one message type in the interval). Rows go straight to a line sink, so a long
 * run never holds its time series in memory.
 */

export interface Probe {
  readonly column: string;
  /** `gauge`: the value now; `delta`: growth of a monotone counter since the previous row. */
  readonly mode: 'gauge' | 'delta';
  read(): number;
}

export class TimeSeries {
  private readonly last: Float64Array;

  constructor(
    private readonly probes: readonly Probe[],
    private readonly writeLine: (line: string) => void,
  ) {
    this.last = new Float64Array(probes.length);
    probes.forEach((p, i) => {
      if (p.mode === 'delta') this.last[i] = p.read();
    });
    writeLine(['time_s', ...probes.map((p) => p.column)].join(','));
  }

  /** Writes the row for simulated time `nowMs`. */
  sample(nowMs: number): void {
    const cells: string[] = [formatNumber(nowMs / 1000)];
    this.probes.forEach((p, i) => {
      const value = p.read();
      if (p.mode === 'delta') {
        cells.push(formatNumber(value - this.last[i]));
        this.last[i] = value;
      } else {
        cells.push(formatNumber(value));
      }
    });
    this.writeLine(cells.join(','));
  }
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3);
}
