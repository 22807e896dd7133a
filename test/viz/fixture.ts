// A small real run for the visualizer's tests: churn.yaml cut down to a size a test affords,
// run in-process with the simulator's own engine, full trace.
import { join, resolve } from 'node:path';
import { RunDirectory } from '../../sim/output/run-directory.js';
import { runScenario, type RunSummary } from '../../sim/run/run.js';
import { isOverride, loadScenarioFile, parseSetOption } from '../../sim/scenario/index.js';

export const root = resolve(import.meta.dirname, '../..');

/** Runs scenarios/churn.yaml with `sets` applied into `dir`/`name`; returns the committed path. */
export async function makeRun(dir: string, name: string, sets: readonly string[]): Promise<{ path: string; summary: RunSummary }> {
  const overrides = sets.map(parseSetOption).map((o) => {
    if (!isOverride(o)) throw new Error(`bad --set: ${JSON.stringify(o)}`);
    return o;
  });
  const loaded = loadScenarioFile(join(root, 'scenarios', 'churn.yaml'), overrides);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const out = RunDirectory.open(join(dir, name));
  const summary = await runScenario(loaded.scenario, { run: 0, out, version: 'viz-test' });
  return { path: out.commit(), summary };
}

/** 240 hosts over 20 simulated minutes, every event traced. */
export const SMALL_RUN = ['hosts[0].count=70', 'hosts[1].count=70', 'hosts[2].count=40', 'hosts[3].count=60', 'duration=20min', 'output.trace=full'];
