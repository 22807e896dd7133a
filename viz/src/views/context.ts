/** What every view is given: the run's data, the shared state, and the page's measurements. */

import type { MetricsTable } from '../data/csv.js';
import type { RunSummary } from '../data/summary.js';
import type { ViewState } from '../state.js';

export interface RunData {
  readonly id: string;
  readonly name: string;
  readonly summary: RunSummary;
  readonly metrics: MetricsTable;
  /** Size of trace.ndjson in bytes; undefined when the run has no trace. */
  readonly traceBytes: number | undefined;
}

/** Timings the browser test reads (window.__viz.perf). All in ms of performance.now(). */
export interface Perf {
  /** summary.json and metrics.csv drawn: timeline, headline, distributions. */
  firstPaintMs: number | null;
  /** The trace streamed in and every trace view drawn. */
  traceReadyMs: number | null;
  traceLines: number;
  traceBytes: number;
  /** Time spent in each brush event's handler (state change + every view's update). */
  brushHandlerMs: number[];
}

export interface Ctx {
  readonly run: RunData;
  readonly state: ViewState;
  readonly perf: Perf;
  /** Simulated end of the run, ms. */
  readonly endMs: number;
}
