/**
 * `sim run FILE` for a scenario with a `compare` section: one run per value of the varied
 * protocol parameter, same seed and run number, then comparison.json and a table.
 *
 * Layout: `<out>/<parameter>=<value>/` per value, each a normal run directory, and
 * `<out>/comparison.json`. `<out>` is itself a run directory (sim/output/run-directory.ts):
 * the variants are written and committed inside `<out>.incomplete/`, which is renamed to
 * `<out>` only when every variant finished; a failure, Ctrl-C or a budget (stop.ts:
 * `--max-events` bounds each run, `--max-wall` the whole command) leaves it flagged incomplete,
 * the variant that was running flagged too, with the reason and the replay command.
 */

import { join } from 'node:path';
import { RunDirectory, RunDirectoryError } from '../../output/run-directory.js';
import { comparisonEntry, comparisonOf, type ComparisonEntry } from '../../run/comparison.js';
import type { RunSummary } from '../../run/run.js';
import { compareVariants, type Scenario } from '../../scenario/index.js';
import { comparisonText } from '../comparison-text.js';
import type { RunScenario } from '../engine.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { createProgress, SILENT_PROGRESS, wantsProgress } from '../progress.js';
import { earlyStop, watchForStop, type Budget } from '../stop.js';
import { summaryText } from '../summary-text.js';
import { packageVersion } from '../version.js';

export interface ComparisonArgs {
  readonly outPath: string;
  readonly outGiven: boolean;
  readonly run: number;
  readonly quiet: boolean;
  readonly check: boolean;
  readonly budget: Budget;
  /** "seed N, run N\nreplay: sim run ..." */
  readonly replay: string;
}

export async function runComparison(scenario: Scenario, a: ComparisonArgs, io: CliIo, engineLoader: () => Promise<RunScenario>): Promise<number> {
  let parent: RunDirectory;
  try {
    parent = RunDirectory.open(a.outPath);
  } catch (e) {
    if (!(e instanceof RunDirectoryError)) throw e;
    io.stderr.write(`${a.outGiven ? `--out ${a.outPath}  ` : ''}${e.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const startedMs = io.wallMs();
  const stop = watchForStop(io, a.budget);
  const entries: ComparisonEntry[] = [];
  try {
    const engine = await engineLoader();
    for (const v of compareVariants(scenario)) {
      const out = RunDirectory.open(join(parent.path, v.dirName));
      const progress = wantsProgress(io.stdout, io.env, a.quiet) ? createProgress(io.stdout, scenario.durationMs) : SILENT_PROGRESS;
      let summary: RunSummary;
      try {
        summary = await engine(v.scenario, { run: a.run, out, progress, version: packageVersion(), checkInvariants: a.check, ...stop.engineLimits });
      } catch (e) {
        progress.finish();
        const reason = e instanceof Error ? (e.stack ?? e.message) : String(e);
        out.abandon(`internal failure: ${reason}\n${a.replay}`);
        parent.abandon(`internal failure in ${v.dirName}: ${reason}\n${a.replay}`);
        io.stderr.write(`internal failure in ${v.dirName}: ${reason}\npartial output (flagged incomplete): ${parent.path}\n${a.replay}`);
        return EXIT_INTERNAL;
      }
      progress.finish();
      const early = earlyStop(summary, stop);
      if (early !== undefined) {
        out.abandon(`${early.reason}\n${a.replay}`);
        parent.abandon(`${early.reason} in ${v.dirName}\n${a.replay}`);
        io.stderr.write(`stopped: ${early.reason}; partial output (flagged incomplete): ${parent.path}\n${a.replay}`);
        return early.exitCode;
      }
      out.commit();
      entries.push(comparisonEntry(v.label, v.dirName, summary));
      if (!a.quiet) io.stdout.write(`== ${v.dirName}\n${summaryText(summary)}`);
    }
  } finally {
    stop.dispose();
  }
  const comparison = comparisonOf(scenario, a.run, entries);
  parent.writeFile('comparison.json', JSON.stringify(comparison, null, 2) + '\n');
  const written = parent.commit();
  if (!a.quiet) {
    io.stdout.write(`\n${comparisonText(comparison)}`);
    io.stdout.write(`${written}  (${entries.length} runs, wall time ${((io.wallMs() - startedMs) / 1000).toFixed(1)} s)\n`);
  }
  return EXIT_OK;
}
