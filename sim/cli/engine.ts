/**
 * The one place `sim run` meets the simulation engine: `runScenario` of sim/run.ts.
 *
 * The contract (what the CLI hands over and expects back) is written here, so the engine and
 * the CLI can be built apart. The module is imported when a run starts, and only if it exists:
 * until sim/run.ts is written, `sim run` validates and says that nothing was run. Once it
 * exists, a static `import { runScenario } from '../run.js'` here would also type-check it
 * against `RunScenario`.
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunDirectory } from '../output/run-directory.js';
import type { Scenario } from '../scenario/index.js';

/** Told how far the run is; cheap, but meant for every few thousand events, not each one. */
export interface ProgressSink {
  update(simTimeMs: number, eventsExecuted: number): void;
}

export interface RunOptions {
  /** Replication index (`--run`, default 0): stream seeds derive from (scenario.seed, run, name). */
  readonly run: number;
  /** Where the run writes summary.json, metrics.csv, trace.ndjson ...; the CLI commits or abandons it. */
  readonly out: RunDirectory;
  readonly progress: ProgressSink;
  /** The package version, for summary.json. */
  readonly version: string;
  /** A shell command that repeats this run, for the engine's own failure messages. */
  readonly replay: string;
}

/**
 * Runs the scenario to `scenario.durationMs` and writes its outputs into `options.out`.
 * A thrown error is an internal failure: the CLI flags the directory incomplete, prints the
 * seed and the replay command, and exits 1. Bad input never reaches it (the CLI validated).
 */
export type RunScenario = (scenario: Scenario, options: RunOptions) => void | Promise<void>;

/** A variable, not a literal: the compiler must not insist on a module that may not exist yet. */
const ENGINE_SPECIFIER = '../run.js';

/** The engine, or undefined while sim/run.ts does not exist (compiled or, under vitest, as source). */
export async function loadEngine(): Promise<RunScenario | undefined> {
  const compiled = fileURLToPath(new URL(ENGINE_SPECIFIER, import.meta.url));
  if (!existsSync(compiled) && !existsSync(compiled.replace(/\.js$/, '.ts'))) return undefined;
  const engine = (await import(ENGINE_SPECIFIER)) as { runScenario?: unknown };
  if (typeof engine.runScenario !== 'function') throw new Error(`${compiled} does not export a function runScenario`);
  return engine.runScenario as RunScenario;
}
