/**
 * The progress line of `sim run`: simulated time against the scenario's duration, events per
 * wall-clock second, and an estimate of the wall time left.
 *
 *    42% [########-----------]  sim 50:24 / 2:00:00  1.2M events/s  ETA 0:35
 *
 * Shown only on a terminal: stdout a TTY, no --quiet, not in CI (CI set), not TERM=dumb.
 * Otherwise the engine gets a sink that does nothing. Redraws are limited to a few per
 * second, so the engine may call `update` as often as every few thousand events.
 */

import type { ProgressSink } from './engine.js';

export interface Progress extends ProgressSink {
  /** Draws the last state and ends the line. */
  finish(): void;
}

export interface TerminalOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const REDRAW_MS = 200;
const BAR_WIDTH_MAX = 30;
/** When the terminal does not say (a pty of width 0 says nothing, too). */
const DEFAULT_COLUMNS = 80;

export function wantsProgress(out: TerminalOut, env: Readonly<Record<string, string | undefined>>, quiet: boolean): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
  return out.isTTY === true && !quiet && !ci && env.TERM !== 'dumb';
}

export const SILENT_PROGRESS: Progress = { update: () => {}, finish: () => {} };

/** `clockMs` reads the wall clock (performance.now by default). */
export function createProgress(out: TerminalOut, durationMs: number, clockMs: () => number = () => performance.now()): Progress {
  const startMs = clockMs();
  let lastDrawMs = -Infinity;
  let simMs = 0;
  let events = 0;
  const draw = () => {
    lastDrawMs = clockMs();
    out.write(`\r${renderProgress({ simMs, durationMs, events, wallMs: lastDrawMs - startMs, columns: out.columns || DEFAULT_COLUMNS })}\x1b[K`);
  };
  return {
    update(simTimeMs, eventsExecuted) {
      simMs = simTimeMs;
      events = eventsExecuted;
      if (clockMs() - lastDrawMs >= REDRAW_MS) draw();
    },
    finish() {
      draw();
      out.write('\n');
    },
  };
}

export interface ProgressState {
  readonly simMs: number;
  readonly durationMs: number;
  readonly events: number;
  readonly wallMs: number;
  readonly columns: number;
}

export function renderProgress(p: ProgressState): string {
  const done = p.durationMs > 0 ? Math.min(1, Math.max(0, p.simMs / p.durationMs)) : 1;
  const rate = p.wallMs > 0 ? (p.events * 1000) / p.wallMs : 0;
  const etaMs = done > 0 ? (p.wallMs * (1 - done)) / done : undefined;
  const text = `sim ${clock(p.simMs)} / ${clock(p.durationMs)}  ${count(rate)} events/s  ETA ${etaMs === undefined ? '?' : clock(etaMs)}`;
  const percent = `${Math.floor(done * 100)}%`.padStart(4);
  const width = Math.min(BAR_WIDTH_MAX, p.columns - percent.length - text.length - 6);
  if (width < 5) return `${percent}  ${text}`.slice(0, Math.max(0, p.columns - 1));
  const filled = Math.round(done * width);
  return `${percent} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  ${text}`;
}

/** h:mm:ss, or m:ss under an hour. */
export function clock(ms: number): string {
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const mmss = `${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** 950, 12.3k, 1.2M. */
export function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
