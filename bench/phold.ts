/**
 * PHOLD on our Kernel, beside the plain-JS yardstick (bench/reference/phold_limit.mjs).
 *
 * PHOLD (Fujimoto 1990) is the standard synthetic load for a discrete-event kernel: N logical
 * processes (LPs), E events in flight per LP; an event at LP i and time t increments LP i's
 * counter and schedules one event at a uniformly random LP at t + lookahead + Exp(mean). It
 * measures the pending-event set and the per-event overhead, nothing else.
 *
 * Our side goes through the public API a simulation uses: `Kernel.after` with a handler and
 * a payload (the LP index), randomness from `RngStreams` (Alea) through an exponential sampler
 * from `makeSampler`. The reference inlines a binary heap and xorshift128; the ratio of the two
 * is the price of a general kernel.
 *
 * Usage: node dist/bench/phold.js N E TOTAL [--lookahead=0.1] [--mean=1] [--seed=42] [--no-reference]
 *          [--repeat=K]
 * Prints JSON lines: ours, the reference's (same arguments, in a child process), and the ratio.
 * With --repeat=K the two run K times, one after the other (ours in a child process too, so
 * each run starts from a fresh heap), and the last line has the median of the K ratios
 * (nearest rank: the lower middle one when K is even) with the K ratios beside it. The
 * machine's speed drifts within minutes (the reference alone has taken anywhere from 2.5 to
 * 3.5 s for 10 million events in one hour); a ratio of runs made side by side, taken over
 * several pairs, is the figure that drift disturbs least.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kernel, RngStreams, makeSampler } from '../sim/kernel/index.js';
import { summarize } from '../sim/metrics/summary-stats.js';
import { runReference } from './machine.js';

const argv = process.argv.slice(2);
const positional = argv.filter((a) => !a.startsWith('--'));
const options = new Map(
  argv
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const [key, value] = a.slice(2).split('=');
      return [key, value ?? 'true'] as const;
    }),
);
const lpCount = Number(positional[0] ?? 10_000);
const eventsPerLp = Number(positional[1] ?? 10);
const totalEvents = Number(positional[2] ?? 10_000_000);
const lookaheadMs = Number(options.get('lookahead') ?? 0.1);
const meanMs = Number(options.get('mean') ?? 1);
const seed = Number(options.get('seed') ?? 42);

function runOurs(): Record<string, unknown> {
  const kernel = new Kernel();
  const rng = new RngStreams(seed).stream('phold');
  const delayMs = makeSampler({ kind: 'exponential', mean: meanMs });
  const received = new Uint32Array(lpCount);

  const onEvent = (lp: number): void => {
    received[lp]++;
    kernel.after(lookaheadMs + delayMs(rng), onEvent, rng.int(lpCount));
  };
  for (let lp = 0; lp < lpCount; lp++) {
    for (let k = 0; k < eventsPerLp; k++) kernel.at(delayMs(rng), onEvent, lp);
  }
  const afterInit = process.memoryUsage();

  const start = process.hrtime.bigint();
  const executed = kernel.runUntilIdle(totalEvents);
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;

  let checksum = 0;
  for (let i = 0; i < lpCount; i++) checksum = (Math.imul(checksum, 31) + received[i]) | 0;
  const usage = process.memoryUsage();
  return {
    impl: 'kernel+alea',
    N: lpCount,
    E: eventsPerLp,
    events: executed,
    simTime: +kernel.now.toFixed(3),
    wallS: +wallS.toFixed(3),
    eventsPerSec: Math.round(executed / wallS),
    nsPerEvent: +((wallS * 1e9) / executed).toFixed(1),
    rssMiB: +(usage.rss / 2 ** 20).toFixed(1),
    heapUsedMiB: +(afterInit.heapUsed / 2 ** 20).toFixed(1),
    arrayBuffersMiB: +(afterInit.arrayBuffers / 2 ** 20).toFixed(1),
    bytesPerLP: Math.round((afterInit.heapUsed + afterInit.arrayBuffers) / lpCount),
    checksum: checksum >>> 0,
  };
}

const repeat = Number(options.get('repeat') ?? 1);
if (!(Number.isInteger(repeat) && repeat >= 1)) throw new RangeError(`--repeat must be a positive integer, got ${options.get('repeat')}`);
const passOn = argv.filter((a) => a !== '--no-reference' && !a.startsWith('--repeat='));

if (options.has('no-reference')) {
  console.log(JSON.stringify(runOurs()));
} else {
  const ratios: number[] = [];
  let bytesPerLPRatio = 0;
  for (let k = 0; k < repeat; k++) {
    const ours = repeat === 1 ? runOurs() : runOursInChild();
    console.log(JSON.stringify(ours));
    const reference = runReference(passOn);
    console.log(JSON.stringify(reference));
    ratios.push((ours.eventsPerSec as number) / (reference.eventsPerSec as number));
    bytesPerLPRatio = (ours.bytesPerLP as number) / (reference.bytesPerLP as number);
  }
  console.log(
    JSON.stringify({
      bench: 'phold',
      N: lpCount,
      E: eventsPerLp,
      eventsPerSecRatio: +summarize(ratios).p50!.toFixed(3),
      bytesPerLPRatio: +bytesPerLPRatio.toFixed(3),
      ...(repeat > 1 ? { of: repeat, eventsPerSecRatios: ratios.map((r) => +r.toFixed(3)) } : {}),
    }),
  );
}

function runOursInChild(): Record<string, unknown> {
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...passOn, '--no-reference'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`phold child failed (exit ${result.status ?? result.signal}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim()) as Record<string, unknown>;
}

