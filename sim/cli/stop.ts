/**
 * How `sim run` ends a run before the scenario's end: at Ctrl-C, or at a budget the user set.
 *
 *   --max-events N     the engine stops at the first batch boundary at or past N events
 *                      (sim/run/run.ts `maxEvents`): the same scenario, seed and budget stop
 *                      after the same event, so the partial outputs replay exactly;
 *   --max-wall D       polled here between batches: stops once D of wall time has passed
 *                      since the command started (where it stops depends on the machine).
 *
 * Either way every file is written, summary.json says `"complete": false` and why, and the run
 * directory is flagged incomplete. Ctrl-C exits 130, a budget 3 (exit-codes.ts). A scenario
 * whose rates or churn are far too high for its size (`sim validate` prints the workload and
 * sessions a file can place) is then a bounded mistake rather than a run that does not end.
 */

import { parseDurationMs } from '../scenario/units.js';
import type { ScenarioError } from '../scenario/index.js';
import { EXIT_BUDGET, EXIT_INTERRUPTED } from './exit-codes.js';
import type { RunOptions } from './engine.js';
import type { CliIo } from './io.js';

export interface BudgetArgs {
  readonly maxEvents?: string;
  readonly maxWall?: string;
}

export interface Budget {
  readonly maxEvents?: number;
  readonly maxWallMs?: number;
}

const EVENT_SUFFIX: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9 };

/** The budget the options ask for, or the errors of the ones that do not parse. */
export function parseBudget(args: BudgetArgs): { ok: true; budget: Budget } | { ok: false; errors: ScenarioError[] } {
  const errors: ScenarioError[] = [];
  let maxEvents: number | undefined;
  let maxWallMs: number | undefined;
  if (args.maxEvents !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kMG]?)\s*$/.exec(args.maxEvents);
    const n = m ? Number(m[1]) * EVENT_SUFFIX[m[2]] : NaN;
    if (Number.isSafeInteger(n) && n > 0) maxEvents = n;
    else errors.push({ source: `--max-events ${args.maxEvents}`, path: '', message: 'expected a whole number of events > 0, like 5000000 or 5M' });
  }
  if (args.maxWall !== undefined) {
    const ms = parseDurationMs(args.maxWall);
    if (ms !== undefined && ms > 0 && ms < Infinity) maxWallMs = ms;
    else errors.push({ source: `--max-wall ${args.maxWall}`, path: '', message: 'expected a wall-clock duration > 0 with a unit, like 90s, 10m or 2h' });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, budget: { ...(maxEvents !== undefined ? { maxEvents } : {}), ...(maxWallMs !== undefined ? { maxWallMs } : {}) } };
}

export interface StopWatch {
  /** For the engine's options: `stopReason` (why to stop now, or undefined) and the budget's `maxEvents`. */
  readonly engineLimits: Pick<RunOptions, 'stopReason' | 'maxEvents'>;
  readonly interrupted: () => boolean;
  /** Stops listening for Ctrl-C. */
  dispose(): void;
}

export const INTERRUPTED = 'interrupted (Ctrl-C)';

/** Listens for Ctrl-C and watches the wall-time budget, from now on. */
export function watchForStop(io: CliIo, budget: Budget): StopWatch {
  const startedMs = io.wallMs();
  let interrupted = false;
  const dispose = io.onInterrupt(() => {
    interrupted = true;
    io.stderr.write('\nstopping after the current batch of events (Ctrl-C again to quit at once)\n');
  });
  const { maxEvents, maxWallMs } = budget;
  const stopReason = (): string | undefined => {
    if (interrupted) return INTERRUPTED;
    if (maxWallMs !== undefined && io.wallMs() - startedMs >= maxWallMs) return `wall-time budget reached (${maxWallMs / 1000} s)`;
    return undefined;
  };
  return {
    engineLimits: maxEvents === undefined ? { stopReason } : { stopReason, maxEvents },
    interrupted: () => interrupted,
    dispose,
  };
}

/**
 * Why a run the engine returned ended early, with the exit code to give, or undefined for a
 * whole run. Ctrl-C counts even when the last batch reached the end: the user asked to stop.
 */
export function earlyStop(summary: { readonly status: { readonly complete: boolean; readonly stoppedBecause?: string } }, stop: StopWatch): { reason: string; exitCode: number } | undefined {
  if (stop.interrupted()) return { reason: INTERRUPTED, exitCode: EXIT_INTERRUPTED };
  if (summary.status.complete) return undefined;
  return { reason: summary.status.stoppedBecause ?? 'stopped early', exitCode: EXIT_BUDGET };
}
