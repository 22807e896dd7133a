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
 * Prints JSON lines: ours, the reference's (same arguments, in a child process), and the ratio.
 */
import { Kernel, RngStreams, makeSampler } from '../sim/kernel/index.js';
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

const ours = runOurs();
console.log(JSON.stringify(ours));
if (!options.has('no-reference')) {
  const reference = runReference(argv.filter((a) => a !== '--no-reference'));
  console.log(JSON.stringify(reference));
  console.log(
    JSON.stringify({
      bench: 'phold',
      N: lpCount,
      E: eventsPerLp,
      eventsPerSecRatio: +((ours.eventsPerSec as number) / (reference.eventsPerSec as number)).toFixed(3),
      bytesPerLPRatio: +((ours.bytesPerLP as number) / (reference.bytesPerLP as number)).toFixed(3),
    }),
  );
}
