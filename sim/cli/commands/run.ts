/**
 * `sim run FILE`: validate, then hand the Scenario to the engine (engine.ts) with a run
 * directory, a progress sink and the replay command.
 *
 * Output goes to `--out DIR`, or `runs/<name>-<seed>` (`-run<N>` appended for a replication
 * other than 0). The directory is committed when the engine returns and flagged incomplete
 * when it throws (sim/output/run-directory.ts).
 */

import { join } from 'node:path';
import { RunDirectory, RunDirectoryError } from '../../output/run-directory.js';
import type { Scenario } from '../../scenario/index.js';
import { describeScenario } from '../describe.js';
import { loadEngine, type RunScenario } from '../engine.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { createProgress, SILENT_PROGRESS, wantsProgress } from '../progress.js';
import { replayCommand } from '../replay.js';
import { errorReport, loadFromArgs, type ScenarioArgs } from '../scenario-args.js';
import { packageVersion } from '../version.js';

export interface RunArgs extends ScenarioArgs {
  readonly run?: string;
  readonly out?: string;
  readonly quiet: boolean;
}

/** `engineLoader` is for tests; `sim` itself always loads sim/run.ts. */
export async function runCommand(args: RunArgs, io: CliIo, engineLoader: () => Promise<RunScenario | undefined> = loadEngine): Promise<number> {
  const loaded = loadFromArgs(args);
  const run = parseRun(args.run);
  if (!loaded.ok || run === undefined) {
    const errors = [...(loaded.ok ? [] : loaded.errors), ...(run === undefined ? [{ source: `--run ${args.run}`, path: '', message: 'expected an integer >= 0' }] : [])];
    io.stderr.write(errorReport(errors));
    return EXIT_BAD_INPUT;
  }
  const scenario = loaded.scenario;
  const replay = replayCommand({ ...args, seed: scenario.seed, run });
  const failure = (what: string) => `${what}\nseed ${scenario.seed}, run ${run}\nreplay: ${replay}\n`;

  const engine = await engineLoader();
  if (engine === undefined) {
    io.stderr.write(failure(`${args.file}: valid (${describeScenario(scenario)}), but nothing was run: the simulation engine (sim/run.ts) is not built yet`));
    return EXIT_INTERNAL;
  }

  let out: RunDirectory;
  try {
    out = RunDirectory.open(args.out ?? defaultRunPath(scenario, run));
  } catch (e) {
    if (!(e instanceof RunDirectoryError)) throw e;
    io.stderr.write(`--out ${args.out}  ${e.message}\n`);
    return EXIT_BAD_INPUT;
  }

  const progress = wantsProgress(io.stdout, io.env, args.quiet) ? createProgress(io.stdout, scenario.durationMs) : SILENT_PROGRESS;
  const startedMs = performance.now();
  try {
    await engine(scenario, { run, out, progress, version: packageVersion(), replay });
  } catch (e) {
    progress.finish();
    const reason = e instanceof Error ? (e.stack ?? e.message) : String(e);
    out.abandon(failure(reason));
    io.stderr.write(failure(`internal failure: ${reason}\npartial output (flagged incomplete): ${out.path}`));
    return EXIT_INTERNAL;
  }
  progress.finish();
  const written = out.commit();
  if (!args.quiet) io.stdout.write(`${written}  (wall time ${((performance.now() - startedMs) / 1000).toFixed(1)} s)\n`);
  return EXIT_OK;
}

function parseRun(text: string | undefined): number | undefined {
  if (text === undefined) return 0;
  return /^\d+$/.test(text.trim()) ? Number(text) : undefined;
}

export function defaultRunPath(s: Scenario, run: number): string {
  return join('runs', `${s.name}-${s.seed}${run === 0 ? '' : `-run${run}`}`);
}
