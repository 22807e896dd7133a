/**
 * `sim run FILE`: validate, then hand the Scenario to the engine (engine.ts) with a run
 * directory and a progress sink.
 *
 * Output goes to `--out DIR`, or `runs/<name>-<seed>` (`-run<N>` appended for a replication
 * other than 0). The directory is committed when the engine returns a whole run, and flagged
 * incomplete (sim/output/run-directory.ts) when it throws, or Ctrl-C or a budget (`--max-events`,
 * `--max-wall`: stop.ts) ended the run early. A failure prints the seed and the command that
 * replays the run.
 *
 * A scenario with a `compare` section runs once per compared value (compare.ts).
 */

import { join } from 'node:path';
import { RunDirectory, RunDirectoryError } from '../../output/run-directory.js';
import type { Scenario } from '../../scenario/index.js';
import { loadEngine, type RunScenario } from '../engine.js';
import { runComparison } from './compare.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { createProgress, SILENT_PROGRESS, wantsProgress } from '../progress.js';
import { replayCommand } from '../replay.js';
import { errorReport, loadFromArgs, type ScenarioArgs } from '../scenario-args.js';
import { earlyStop, parseBudget, watchForStop, type BudgetArgs } from '../stop.js';
import { packageVersion } from '../version.js';
import { summaryText } from '../summary-text.js';
import type { RunSummary } from '../../run/run.js';

export interface RunArgs extends ScenarioArgs, BudgetArgs {
  readonly run?: string;
  readonly out?: string;
  readonly quiet: boolean;
  readonly check?: boolean;
}

/** `engineLoader` is for tests; `sim` itself always loads sim/run/run.ts. */
export async function runCommand(args: RunArgs, io: CliIo, engineLoader: () => Promise<RunScenario> = loadEngine): Promise<number> {
  const loaded = loadFromArgs(args);
  const run = parseRun(args.run);
  const budget = parseBudget(args);
  if (!loaded.ok || run === undefined || !budget.ok) {
    const errors = [
      ...(loaded.ok ? [] : loaded.errors),
      ...(run === undefined ? [{ source: `--run ${args.run}`, path: '', message: 'expected an integer >= 0' }] : []),
      ...(budget.ok ? [] : budget.errors),
    ];
    io.stderr.write(errorReport(errors));
    return EXIT_BAD_INPUT;
  }
  const scenario = loaded.scenario;
  const replay = `seed ${scenario.seed}, run ${run}\nreplay: ${replayCommand({ ...args, seed: scenario.seed, run, maxEvents: budget.budget.maxEvents })}\n`;

  if (scenario.compare) {
    const outPath = args.out ?? defaultRunPath(scenario, run);
    return runComparison(scenario, { outPath, outGiven: args.out !== undefined, run, quiet: args.quiet, check: args.check === true, budget: budget.budget, replay }, io, engineLoader);
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
  const stop = watchForStop(io, budget.budget);
  const startedMs = io.wallMs();
  let summary: RunSummary;
  try {
    const engine = await engineLoader();
    summary = await engine(scenario, { run, out, progress, version: packageVersion(), checkInvariants: args.check === true, ...stop.engineLimits });
  } catch (e) {
    progress.finish();
    const reason = e instanceof Error ? (e.stack ?? e.message) : String(e);
    out.abandon(`internal failure: ${reason}\n${replay}`);
    io.stderr.write(`internal failure: ${reason}\npartial output (flagged incomplete): ${out.path}\n${replay}`);
    return EXIT_INTERNAL;
  } finally {
    stop.dispose();
  }
  progress.finish();
  const early = earlyStop(summary, stop);
  if (early !== undefined) {
    if (!args.quiet) io.stdout.write(summaryText(summary));
    out.abandon(`${early.reason}\n${replay}`);
    io.stderr.write(`stopped: ${early.reason}; partial output (flagged incomplete): ${out.path}\n${replay}`);
    return early.exitCode;
  }
  const written = out.commit();
  if (!args.quiet) {
    io.stdout.write(summaryText(summary));
    if (summary.invariants) io.stdout.write(`invariants   ${summary.invariants.checks} checks, ${summary.invariants.violations} violations\n`);
    io.stdout.write(`${written}  (wall time ${((io.wallMs() - startedMs) / 1000).toFixed(1)} s)\n`);
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
