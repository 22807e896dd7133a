/**
 * One run of a scenario: build the world, drive churn, workload and scheduled events, sample
 * the time series, and write the run directory.
 *
 * Output files (in `outDir`):
 *   summary.json   scenario as run, seed, run number, version, headline measurements
 *   metrics.csv    one row per sampling interval (columns: see probes.ts)
 *   trace.ndjson   events at the scenario's trace level (off: not written)
 *   trace.pcapng   with output.pcap: the packets the trace level keeps (all when it is off);
 *                  see sim/trace/pcap.ts. Closed with the trace.
 *
 * Files go into a RunDirectory (sim/output): the caller commits it (renamed into place
 * whole) or abandons it (left flagged incomplete). A run ended early (`stopReason`, or
 * `maxEvents`) still writes every file, with `"complete": false`, the reason and the
 * simulated time it reached in its summary.
 *
 * The simulation is deterministic; only the `wall` section of the summary and the progress
 * callbacks depend on the machine.
 */

import { readFileSync } from 'node:fs';
import type { Obfuscator } from '../../protocol/wire/obfuscation.js';
import { makeSampler } from '../kernel/distributions.js';
import { RngStreams } from '../kernel/rng.js';
import { checkAll, formatViolations, monitorOf } from '../checkers/index.js';
import { TimeSeries } from '../metrics/time-series.js';
import type { RunDirectory } from '../output/run-directory.js';
import type { Scenario } from '../scenario/types.js';
import { ByteFileSink, PcapWriter } from '../trace/pcap.js';
import { FileSink } from '../trace/sinks.js';
import { TraceWriter } from '../trace/writer.js';
import { ChurnDriver } from '../world/churn.js';
import { parseChurnTrace } from '../scenario/churn-trace.js';
import { scheduleChurnTrace } from '../world/churn-trace.js';
import { scheduleEvents } from '../world/scheduled-events.js';
import { WorkloadDriver, type Activity } from '../world/workload.js';
import { World } from '../world/world.js';
import { CallStats } from './call-stats.js';
import { WorldSnapshot, worldProbes } from './probes.js';
import { buildSummary, type RunStatus } from './summary.js';

export interface RunOptions {
  /** Replication number: independent draws for the same scenario and seed. */
  readonly run: number;
  readonly out: RunDirectory;
  /** The package version, echoed in summary.json. */
  readonly version: string;
  /** Told now and then the simulated time reached and the events run so far. */
  readonly progress?: { update(simulatedMs: number, events: number): void };
  /**
   * Polled between batches of events: a reason (Ctrl-C, a wall-time budget) ends the run early,
   * partial results flagged, the reason in summary.json's `status.stoppedBecause`.
   */
  readonly stopReason?: () => string | undefined;
  /**
   * Ends the run at the first batch boundary at or past this many events, like `stopReason`.
   * Batches are counted in events from the start, so the same scenario, seed and budget stop
   * after the same event: the partial outputs are as reproducible as whole ones.
   */
  readonly maxEvents?: number;
  /**
   * Runs the invariant checkers (sim/checkers) at every sampling interval and reports what
   * they find in summary.json's `invariants` section. Costs a pass over all hosts per sample.
   */
  readonly checkInvariants?: boolean;
  /** For benchmarks: the obfuscation layer every node uses (see WorldOptions.obfuscator). */
  readonly obfuscator?: Obfuscator;
}

/** Violations kept in summary.json; the counts cover all of them. */
const VIOLATIONS_KEPT = 50;

export interface InvariantReport {
  checks: number;
  violations: number;
  byInvariant: Record<string, number>;
  /** The first violations, one line each. */
  first: string[];
}

export type RunSummary = ReturnType<typeof buildSummary> & { readonly invariants?: InvariantReport };

/** Events run between two looks at progress, `stopReason` and `maxEvents`. */
const BATCH_EVENTS = 20_000;

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunSummary> {
  const startedAt = new Date(); // wall-clock ok: reported in the summary's wall section only
  const t0 = process.hrtime.bigint();
  const out = options.out;
  const trace = openTrace(scenario, out, options.run);
  const nodeEvents = new Map<string, number>();
  const callStats = new CallStats();
  const world = new World(scenario, {
    run: options.run,
    trace,
    ...(options.obfuscator ? { obfuscator: options.obfuscator } : {}),
    onNodeEvent: (host, event, detail) => {
      nodeEvents.set(event, (nodeEvents.get(event) ?? 0) + 1);
      callStats.note(host, event, detail);
      if (options.checkInvariants) monitorOf(world).noteNodeEvent(world.nameOf(host), event, detail);
    },
  });
  const invariants: InvariantReport = { checks: 0, violations: 0, byInvariant: {}, first: [] };

  const csv = new FileSink(out.pathOf('metrics.csv'));
  const snapshot = new WorldSnapshot(world, callStats);
  const series = new TimeSeries(worldProbes(snapshot), (line) => csv.write(line + '\n'));
  const snStats = { min: Infinity, max: 0, sum: 0, n: 0, onlineMin: Infinity, onlineMax: 0 };
  let sampledAtMs = -1;
  const sample = (): void => {
    sampledAtMs = world.kernel.now;
    if (options.checkInvariants) {
      invariants.checks++;
      for (const v of checkAll(world)) {
        invariants.violations++;
        invariants.byInvariant[v.invariant] = (invariants.byInvariant[v.invariant] ?? 0) + 1;
        if (invariants.first.length < VIOLATIONS_KEPT) invariants.first.push(formatViolations([v]));
      }
    }
    snapshot.refresh();
    series.sample(world.kernel.now);
    const g = snapshot.gauges;
    snStats.min = Math.min(snStats.min, g.supernodes);
    snStats.max = Math.max(snStats.max, g.supernodes);
    snStats.sum += g.supernodes;
    snStats.n++;
    snStats.onlineMin = Math.min(snStats.onlineMin, g.online);
    snStats.onlineMax = Math.max(snStats.onlineMax, g.online);
  };
  const interval = scenario.output.sampleIntervalMs;
  const onSample = (): void => {
    sample();
    if (world.kernel.now + interval <= scenario.durationMs) world.kernel.after(interval, onSample, null);
  };
  world.kernel.at(interval, onSample, null);

  world.startInfrastructure();
  startChurn(world);
  startWorkload(world);
  scheduleEvents(world, scenario.events, world.rngs.stream('events'));

  let stoppedBecause: string | undefined;
  const loopT0 = process.hrtime.bigint();
  let loopT1 = loopT0;
  try {
    stoppedBecause = await drive(world, scenario.durationMs, options);
    // A run ended early closes its time series where it stopped, so the last row and the
    // summary's ranges include the state it ended in.
    if (stoppedBecause !== undefined && world.kernel.now > sampledAtMs) sample();
    loopT1 = process.hrtime.bigint();
  } finally {
    trace.close();
    csv.close();
  }

  const status: RunStatus = {
    complete: stoppedBecause === undefined,
    simulatedMs: world.kernel.now,
    events: world.kernel.executed,
    ...(stoppedBecause ? { stoppedBecause } : {}),
  };
  const wallTimeS = Number(process.hrtime.bigint() - t0) / 1e9;
  const summary = buildSummary(
    scenario,
    options.run,
    options.version,
    world,
    status,
    {
      countMin: snStats.n ? snStats.min : 0,
      countMax: snStats.max,
      countMean: snStats.n ? Math.round((snStats.sum / snStats.n) * 1000) / 1000 : 0,
      onlineMin: snStats.n ? snStats.onlineMin : 0,
      onlineMax: snStats.onlineMax,
    },
    Object.fromEntries([...nodeEvents.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    callStats,
    {
      startedAt: startedAt.toISOString(),
      wallTimeS: Math.round(wallTimeS * 1000) / 1000,
      setupS: Math.round(Number(loopT0 - t0) / 1e6) / 1000,
      eventLoopS: Math.round(Number(loopT1 - loopT0) / 1e6) / 1000,
      eventsPerSec: Math.round(world.kernel.executed / Math.max(wallTimeS, 1e-9)),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    },
  );
  const full: RunSummary = options.checkInvariants ? { ...summary, invariants } : summary;
  out.writeFile('summary.json', JSON.stringify(full, null, 2) + '\n');
  return full;
}

async function drive(world: World, endMs: number, options: RunOptions): Promise<string | undefined> {
  const kernel = world.kernel;
  for (;;) {
    let n = 0;
    while (n < BATCH_EVENTS && kernel.nextTime() <= endMs) {
      kernel.step();
      n++;
    }
    options.progress?.update(kernel.now, kernel.executed);
    if (n < BATCH_EVENTS) break;
    if (options.maxEvents !== undefined && kernel.executed >= options.maxEvents) return `event budget reached (${options.maxEvents} events)`;
    await new Promise<void>((r) => setImmediate(r));
    const reason = options.stopReason?.();
    if (reason !== undefined) return reason;
  }
  kernel.runUntil(endMs);
  return undefined;
}

function openTrace(scenario: Scenario, out: RunDirectory, run: number): TraceWriter {
  const level = scenario.output.trace;
  const pcap = scenario.output.pcap ? new PcapWriter(new ByteFileSink(out.pathOf('trace.pcapng'))) : undefined;
  if (level === 'off') return TraceWriter.off(pcap);
  const saltStream = new RngStreams(scenario.seed, run).stream('trace/sample');
  return new TraceWriter(new FileSink(out.pathOf('trace.ndjson')), {
    level,
    sampleOneInN: scenario.output.traceSampleOneInN,
    sampleSalt: saltStream.int(2 ** 32 - 1),
    ...(pcap ? { packetTap: pcap } : {}),
  });
}

function startChurn(world: World): void {
  const churn = world.scenario.churn;
  const target = { join: (h: number) => world.join(h), leave: (h: number, k: 'crash' | 'logout') => world.leave(h, k) };
  const rng = world.rngs.stream('churn');
  if (churn.mode === 'trace') {
    const sessions = parseChurnTrace(readFileSync(churn.traceFile, 'utf8'), churn.traceFile);
    scheduleChurnTrace(world.kernel, sessions, (n) => world.hostIndex(n), target);
    return;
  }
  if (churn.mode === 'off') {
    for (const h of world.hosts) {
      if (rng.next() < churn.initialOnlineRatio) world.kernel.at(rng.next() * churn.warmupMs, (i: number) => world.join(i), h.index);
    }
    return;
  }
  const session = makeSampler(churn.sessionMs);
  const off = makeSampler(churn.offTimeMs);
  const regionOffset = churn.diurnal?.utcOffsetHours ?? {};
  const driver = new ChurnDriver(
    world.kernel,
    world.hosts.length,
    {
      sessionMs: () => session(rng),
      offMs: () => off(rng),
      crashRatio: churn.crashRatio,
      initialOnlineRatio: churn.initialOnlineRatio,
      warmupMs: churn.warmupMs,
      uniform: () => rng.next(),
      ...(churn.diurnal
        ? { diurnal: { hourlyWeights: churn.diurnal.hourlyWeights, utcOffsetHours: (h: number) => regionOffset[world.hosts[h].region] ?? 0 } }
        : {}),
    },
    target,
    (_h, ms, kind) => world.metrics.record('churnSessionMs', ms, { leave: kind }),
  );
  driver.start();
}

function startWorkload(world: World): void {
  const w = world.scenario.workload;
  const rng = world.rngs.stream('workload');
  const missing = world.rngs.stream('workload/searchMissing');
  const callDuration = makeSampler(w.calls.durationMs);
  const pstnDuration = makeSampler(w.pstnCalls.durationMs);
  const activities: Activity[] = [
    { kind: 'call', ratePerHostHour: w.calls.ratePerHostHour, peerChoice: w.calls.peerChoice, durationMs: () => callDuration(rng) },
    { kind: 'chat', ratePerHostHour: w.chat.ratePerHostHour, peerChoice: w.chat.peerChoice },
    { kind: 'search', ratePerHostHour: w.searches.ratePerHostHour, peerChoice: w.searches.peerChoice },
    { kind: 'pstnCall', ratePerHostHour: w.pstnCalls.ratePerHostHour, peerChoice: 'random', durationMs: () => pstnDuration(rng) },
  ];
  new WorkloadDriver(world.kernel, world.hosts.length, activities, () => rng.next(), {
    isOnline: (h) => world.hosts[h].runtime.node?.state === 'online',
    buddiesOf: (h) => world.buddies[h],
    noBuddyOnline: (_h, kind) => world.metrics.count(`workload.${kind}.noBuddyOnline`),
    act: (h, kind, peer, durationMs) => {
      const host = world.hosts[h];
      const other = world.hosts[peer].name;
      world.metrics.count(`workload.${kind}`);
      switch (kind) {
        case 'call':
          host.runtime.act({ type: 'call', callee: other, durationMs });
          return;
        case 'chat':
          host.runtime.act({ type: 'chat', to: other, text: 'x'.repeat(w.chat.messageBytes) });
          return;
        case 'search': {
          // A name no user has, with probability missingRatio: such searches end at the LS (BS-20).
          const name = missing.next() < w.searches.missingRatio ? `missing-${other}` : other;
          host.runtime.act({ type: 'search', name });
          return;
        }
        case 'pstnCall':
          if (rng.next() < w.pstnCalls.inboundRatio) world.pstnIncoming(h, phoneNumber(rng), durationMs);
          else host.runtime.act({ type: 'pstnCall', number: phoneNumber(rng), durationMs });
          return;
      }
    },
  }).start();
}

/** A made-up phone number for a PSTN call (the gateway does not look at it). */
function phoneNumber(rng: { next(): number }): string {
  return `+1${String(Math.floor(rng.next() * 1e10)).padStart(10, '0')}`;
}
