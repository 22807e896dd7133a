/**
 * What the page exposes as `window.__viz` for the browser test (test/viz) and for anyone
 * measuring the page: its timings, whether data is loaded, and controls that do what the
 * mouse does. Free of DOM types, so the tests (compiled for Node) can import it.
 */

import type { Filter } from './state.js';
import type { Perf } from './views/context.js';

export interface VizHooks {
  readonly perf: Perf;
  readonly ready: { summary: boolean; trace: boolean };
  error: string | null;
  setWindow(t0Ms: number, t1Ms: number): void;
  clearWindow(): void;
  selectHost(host: number, login?: number): void;
  setFilter(f: Partial<Filter>): void;
  /** Time each view spent reacting to state changes since load (ms). */
  viewMs(): Record<string, number>;
  state(): { window: readonly [number, number] | null; filter: Filter; host: number; login: number };
  /** The traffic view's last aggregate: what its bars show. */
  traffic(): { totalSent: number; totalDropped: number; links: number; sent: Record<string, number> } | null;
  model(): { hosts: number; supernodes: number; loginServers: number; logins: number; hostsSeen: number; attachments: number; traceRows: number; malformed: number } | null;
  /** The text helpers of ui/text.ts and ui/tooltip.ts, for the browser test's unit checks. */
  readonly text: {
    appendText(parent: unknown, tag: string, text: unknown, className?: string): unknown;
    setText(el: unknown, text: unknown): void;
    showTooltip(event: unknown, lines: readonly unknown[]): void;
    hideTooltip(): void;
    /** Wraps a DOM element in a d3 selection, for appendText. */
    select(el: unknown): unknown;
  };
}
