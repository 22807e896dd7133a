/**
 * The yardstick every speed figure is read against: the reference PHOLD loop
 * (bench/reference/phold_limit.mjs - a binary heap over typed arrays and xorshift128, the
 * practical limit of one V8 core), run in a child process.
 *
 * The speed targets of the benchmarks were set on a machine where the reference ran about 5
 * million events per second at 10,000 LPs, 10 events each. The same 2-core machine, shared,
 * has run it at 3 million on busy days, and everything else slows down with it. So `net` and
 * `churn` print `referenceEventsPerSec`, measured just before their run: a figure is
 * comparable to another only with its reference beside it.
 */
import { execFileSync } from 'node:child_process';
import { projectPath } from '../sim/project.js';

const referenceScript = projectPath(import.meta.url, 'bench', 'reference', 'phold_limit.mjs');

/** Runs the reference loop with PHOLD arguments (N E TOTAL and options); its JSON line. */
export function runReference(args: readonly string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [referenceScript, ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** The reference's events per second at 10,000 LPs x 10 events, 3 million events (about a second). */
export function referenceEventsPerSec(): number {
  return runReference(['10000', '10', '3000000']).eventsPerSec as number;
}
