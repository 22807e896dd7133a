/**
 * `sim run FILE`: validate, then hand the Scenario to the engine (engine.ts) with a run
 * directory and a progress sink.
 *
 * Output goes to `--out DIR`, or `runs/<name>-<seed>` (`-run<N>` appended for a replication
 * other than 0). The directory is committed when the engine returns, and flagged incomplete
 * (sim/output/run-directory.ts) when it throws or Ctrl-C stopped it. A failure prints the
 * seed and the command that replays the run.
 *
 * A scenario with a `compare` section runs once per compared value (compare.ts).
 */

import { join } from 'node:path';
import { RunDirectory, RunDirectoryError } from '../../output/run-directory.js';
import type { Scenario } from '../../scenario/index.js';
import { loadEngine, type RunScenario } from '../engine.js';
import { runComparison } from './compare.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { createProgress, SILENT_PROGRESS, wantsProgress } from '../progress.js';
import { replayCommand } from '../replay.js';
import { errorReport, loadFromArgs, type ScenarioArgs } from '../scenario-args.js';
import { packageVersion } from '../version.js';
import { summaryText } from '../summary-text.js';
import type { RunSummary } from '../../run/run.js';

export interface RunArgs extends ScenarioArgs {
  readonly run?: string;
  readonly out?: string;
  readonly quiet: boolean;
  readonly check?: boolean;
}

/** `engineLoader` is for tests; `sim` itself always loads sim/run/run.ts. */
export async function runCommand(args: RunArgs, io: CliIo, engineLoader: () => Promise<RunScenario> = loadEngine): Promise<number> {
  const loaded = loadFromArgs(args);
  const run = parseRun(args.run);
  if (!loaded.ok || run === undefined) {
    const errors = [...(loaded.ok ? [] : loaded.errors), ...(run === undefined ? [{ source: `--run ${args.run}`, path: '', message: 'expected an integer >= 0' }] : [])];
    io.stderr.write(errorReport(errors));
    return EXIT_BAD_INPUT;
  }
  const scenario = loaded.scenario;
  const replay = `seed ${scenario.seed}, run ${run}\nreplay: ${replayCommand({ ...args, seed: scenario.seed, run })}\n`;

  if (scenario.compare) {
    const outPath = args.out ?? defaultRunPath(scenario, run);
    return runComparison(scenario, { outPath, outGiven: args.out !== undefined, run, quiet: args.quiet, check: args.check === true, replay }, io, engineLoader);
  }

  let out: RunDirectory;
  try {
    out = RunDirectory.open(args.out ?? defaultRunPath(scenario, run));
  } catch (e) {
    if (!(e instanceof RunDirectoryError)) throw e;
    io.stderr.write(`${args.out !== undefined ? `--out ${args.out}  ` : ''}${e.message}\n`);
    return EXIT_BAD_INPUT;
  }

  const progress = wantsProgress(io.stdout, io.env, args.quiet) ? createProgress(io.stdout, scenario.durationMs) : SILENT_PROGRESS;
  let stopRequested = false;
  const stopListening = io.onInterrupt(() => {
    stopRequested = true;
    io.stderr.write('\nstopping after the current batch of events (Ctrl-C again to quit at once)\n');
  });
  const startedMs = performance.now(); // wall-clock ok: the closing message only
  let summary: RunSummary;
  try {
    const engine = await engineLoader();
    summary = await engine(scenario, { run, out, progress, version: packageVersion(), shouldStop: () => stopRequested, checkInvariants: args.check === true });
  } catch (e) {
    progress.finish();
    const reason = e instanceof Error ? (e.stack ?? e.message) : String(e);
    out.abandon(`internal failure: ${reason}\n${replay}`);
    io.stderr.write(`internal failure: ${reason}\npartial output (flagged incomplete): ${out.path}\n${replay}`);
    return EXIT_INTERNAL;
  } finally {
    stopListening();
  }
  progress.finish();
  if (stopRequested) {
    out.abandon(`interrupted (Ctrl-C)\n${replay}`);
    io.stderr.write(`interrupted; partial output (flagged incomplete): ${out.path}\n${replay}`);
    return EXIT_INTERRUPTED;
  }
  const written = out.commit();
  if (!args.quiet) {
    io.stdout.write(summaryText(summary));
    if (summary.invariants) io.stdout.write(`invariants   ${summary.invariants.checks} checks, ${summary.invariants.violations} violations\n`);
    io.stdout.write(`${written}  (wall time ${((performance.now() - startedMs) / 1000).toFixed(1)} s)\n`); // wall-clock ok
  }
  return EXIT_OK;
}

function parseRun(text: string | undefined): number | undefined {
  if (text === undefined) return 0;
  return /^\d+$/.test(text.trim()) ? Number(text) : undefined;
}

export function defaultRunPath(s: Scenario, run: number): string {
  return join('runs', `${s.name}-${s.seed}${run === 0 ? '' : `-run${run}`}`);
}
