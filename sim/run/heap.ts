/**
 * The V8 heap a run needs, and `sim run` raising Node's heap limit to it.
 *
 * Node caps its old-generation heap (here about 4 GB, less on small machines) whatever the
 * machine has; a run larger than the cap dies in a GC crash long after it started. So `sim
 * run` estimates the heap from the scenario's host count before it starts and, if that is
 * above the process's limit, runs itself again in a child process with
 * `--max-old-space-size=<MiB>` (stdio shared, exit status passed on; Ctrl-C reaches the child
 * from the terminal as before).
 *
 * It does not when: the command is not `run`; the scenario does not load (the CLI then
 * reports the errors as usual); the user chose a limit (`--max-old-space-size` in the node
 * options or NODE_OPTIONS); or it already is that child (environment SIM_HEAP_RELAUNCHED).
 *
 * The estimate: HEAP_BYTES_PER_HOST per ordinary host plus a fixed HEAP_BASE_MIB, times
 * HEAP_HEADROOM for the garbage between collections and for busier scenarios; never above 90%
 * of the machine's memory. bench/churn.ts measured, at 100,000 hosts of churn.yaml (calls,
 * chat and searches included), 5.1 KB per host live after one simulated hour and 7.1 KB after
 * two (heap and array buffers after a forced GC; the second hour has ten times the super nodes
 * and three times the hosts online): 100,000 hosts get a 2.0 GB limit. The default limit
 * (about 4 GB here) is thus raised for runs of more than about 230,000 hosts.
 */

import { spawn } from 'node:child_process';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { isOverride, loadScenarioFile, parseSetOption, type Override } from '../scenario/index.js';

export const HEAP_BYTES_PER_HOST = 8_000;
export const HEAP_BASE_MIB = 256;
export const HEAP_HEADROOM = 2;

const RELAUNCHED_ENV = 'SIM_HEAP_RELAUNCHED';
const MIB = 2 ** 20;

/** The heap limit, in MiB, for a run of `hostCount` ordinary hosts. */
export function heapLimitMiBFor(hostCount: number): number {
  const wanted = Math.ceil(HEAP_HEADROOM * (HEAP_BASE_MIB + (hostCount * HEAP_BYTES_PER_HOST) / MIB));
  return Math.min(wanted, Math.floor((0.9 * totalmem()) / MIB));
}

/**
 * For `sim run`: if the run needs a larger heap than this process has, runs `sim` again with
 * that heap and resolves to the child's exit status; otherwise resolves to undefined and the
 * caller goes on in this process. `args` are the command-line arguments after the script.
 */
export async function relaunchWithHeapFor(args: readonly string[]): Promise<number | undefined> {
  if (args[0] !== 'run' || process.env[RELAUNCHED_ENV] !== undefined) return undefined;
  if ([...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('max-old-space-size'))) return undefined;
  const hosts = hostCountOf(args.slice(1));
  if (hosts === undefined) return undefined;
  const limitMiB = heapLimitMiBFor(hosts);
  if (limitMiB <= getHeapStatistics().heap_size_limit / MIB) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${limitMiB}`, process.argv[1], ...args], {
    stdio: 'inherit',
    env: { ...process.env, [RELAUNCHED_ENV]: String(limitMiB) },
  });
  // The terminal sends Ctrl-C to the child too; the child decides what it means.
  const ignore = (): void => {};
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      resolve(code ?? 128 + signalNumber(signal));
    });
  });
}

/** Ordinary hosts of the scenario `sim run <args>` would run, or undefined if it does not load. */
function hostCountOf(runArgs: readonly string[]): number | undefined {
  const valued = new Set(['--set', '--seed', '--run', '--out', '--trace']);
  const sets: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < runArgs.length; i++) {
    const a = runArgs[i];
    if (a === '--set') sets.push(runArgs[++i] ?? '');
    else if (a.startsWith('--set=')) sets.push(a.slice('--set='.length));
    else if (valued.has(a)) i++;
    else if (!a.startsWith('-') && file === undefined) file = a;
  }
  if (file === undefined) return undefined;
  const overrides = sets.map(parseSetOption);
  if (!overrides.every(isOverride)) return undefined;
  const loaded = loadScenarioFile(file, overrides as Override[]);
  return loaded.ok ? loaded.scenario.hosts.reduce((s, g) => s + g.count, 0) : undefined;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1;
}
