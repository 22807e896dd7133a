/**
 * The V8 heap a run needs, and `sim run` giving Node that heap.
 *
 * Old generation. Node caps its old-generation heap (here about 4 GB, less on small machines)
 * whatever the machine has; a run larger than the cap dies in a GC crash long after it
 * started. The estimate: HEAP_BYTES_PER_HOST per ordinary host plus a fixed HEAP_BASE_MIB,
 * times HEAP_HEADROOM for the garbage between collections and for busier scenarios; never
 * above 90% of the machine's memory. bench/churn.ts measured, at 100,000 hosts of churn.yaml
 * (calls, chat and searches included), 5.1 KB per host live after one simulated hour and 7.1
 * KB after two (heap and array buffers after a forced GC; the second hour has ten times the
 * super nodes and three times the hosts online): 100,000 hosts get a 2.0 GB limit. The
 * default limit (about 4 GB here) is thus raised for runs of more than about 230,000 hosts.
 *
 * Young generation. A large run keeps many short-lived objects alive at once (messages in
 * flight, pending timers' payloads, searches under way): with Node's default young generation
 * (16 MiB semi-spaces) each scavenge finds many of them still alive, copies them and promotes
 * them to the old generation, whose collections then cost more. From LARGE_RUN_HOSTS ordinary
 * hosts on, a run gets LARGE_RUN_SEMI_SPACE_MIB semi-spaces (about 250 MiB more memory).
 * Measured with bench/churn.ts, one simulated hour, AES modelled, 64 MiB semi-spaces against
 * Node's default, runs interleaved: at 100,000 hosts 85.6, 87.9 and 92.1 s against 94.4, 103.2
 * and 107.4 s, and in a later series 84.9 and 97.6 s against 92.6 and 98.4 s; at 50,000 hosts
 * 61.9 and 75.5 s against 83.1 and 96.5 s; at 20,000 hosts no difference. Then 128 MiB against
 * 64 MiB, real AES, 100,000 hosts, four runs each interleaved: 72.6-81.1 s (mean 78.1) against
 * 81.1-84.3 s (mean 82.6), peak RSS 1.55 GB against 1.39 GB. 256 MiB against 128 MiB, eight
 * runs each interleaved: means of 79.3 s against 78.7 s (CPU 86.9 s both), for 290 MiB more
 * peak RSS: no gain, so 128 MiB it is.
 *
 * `sim run` works out both before it starts and, if this process lacks either, runs itself
 * again in a child process with the flags it lacks (stdio shared, exit status passed on;
 * Ctrl-C reaches the child from the terminal as before). It does not when: the command is
 * not `run`; the scenario does not load (the CLI then reports the errors as usual); it
 * already is that child (environment SIM_HEAP_RELAUNCHED). A flag the user gave (in the node
 * options or NODE_OPTIONS) is never overridden.
 */

import { spawn } from 'node:child_process';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { isOverride, loadScenarioFile, parseSetOption, type Override } from '../scenario/index.js';

export const HEAP_BYTES_PER_HOST = 8_000;
export const HEAP_BASE_MIB = 256;
export const HEAP_HEADROOM = 2;
export const LARGE_RUN_HOSTS = 50_000;
export const LARGE_RUN_SEMI_SPACE_MIB = 128;

const RELAUNCHED_ENV = 'SIM_HEAP_RELAUNCHED';
const MIB = 2 ** 20;

/** The heap limit, in MiB, for a run of `hostCount` ordinary hosts. */
export function heapLimitMiBFor(hostCount: number): number {
  const wanted = Math.ceil(HEAP_HEADROOM * (HEAP_BASE_MIB + (hostCount * HEAP_BYTES_PER_HOST) / MIB));
  return Math.min(wanted, Math.floor((0.9 * totalmem()) / MIB));
}

/**
 * The V8 flags a run of `hostCount` ordinary hosts needs and a process lacks: the old
 * generation when its limit (`heapLimitMiB`) is smaller than the run needs, the young
 * generation for a large run; none that `given` (the process's node options) already sets.
 */
export function v8FlagsFor(hostCount: number, heapLimitMiB: number, given: string): string[] {
  const flags: string[] = [];
  // V8 takes a flag's dashes as underscores too.
  const set = given.replaceAll('_', '-');
  const oldMiB = heapLimitMiBFor(hostCount);
  if (oldMiB > heapLimitMiB && !set.includes('max-old-space-size')) flags.push(`--max-old-space-size=${oldMiB}`);
  if (hostCount >= LARGE_RUN_HOSTS && !set.includes('max-semi-space-size')) flags.push(`--max-semi-space-size=${LARGE_RUN_SEMI_SPACE_MIB}`);
  return flags;
}

/**
 * For `sim run`: if the run needs V8 flags this process lacks (see the file's header), runs
 * `sim` again with them and resolves to the child's exit status; otherwise resolves to
 * undefined and the caller goes on in this process. `args` are the command-line arguments
 * after the script.
 */
export async function relaunchWithHeapFor(args: readonly string[]): Promise<number | undefined> {
  if (args[0] !== 'run' || process.env[RELAUNCHED_ENV] !== undefined) return undefined;
  const hosts = hostCountOf(args.slice(1));
  if (hosts === undefined) return undefined;
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  const flags = v8FlagsFor(hosts, getHeapStatistics().heap_size_limit / MIB, given);
  if (flags.length === 0) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, ...flags, process.argv[1], ...args], {
    stdio: 'inherit',
    env: { ...process.env, [RELAUNCHED_ENV]: flags.join(' ') },
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
