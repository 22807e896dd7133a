/**
 * The one place `sim run` meets the simulation engine: `runScenario` of sim/run/run.ts.
 *
 * It is imported when a run starts, not when `sim` starts, so `sim validate` and `sim schema`
 * do not load the simulator. The import is a literal, so the compiler holds the engine to
 * what the CLI hands it: the validated Scenario, and options `{ run, out, progress, version,
 * stopReason, maxEvents, checkInvariants }` (sim/run/run.ts documents them). What it returns is not used; a throw is an
 * internal failure.
 */

import type { RunOptions, RunSummary } from '../run/run.js';
import type { Scenario } from '../scenario/index.js';

/** Told how far the run is; cheap, but meant for every few thousand events, not each one. */
export interface ProgressSink {
  update(simTimeMs: number, eventsExecuted: number): void;
}

export type { RunOptions };

export type RunScenario = (scenario: Scenario, options: RunOptions) => Promise<RunSummary>;

export async function loadEngine(): Promise<RunScenario> {
  const { runScenario } = await import('../run/run.js');
  return runScenario;
}
