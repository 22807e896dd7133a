/**
 * Calls, relays, chat and search in summary.json, and the call gauges of metrics.csv.
 *
 * Two sources. The metrics the nodes record (protocol/roles/calls.ts, chat.ts, relay.ts,
 * pstn-gateway.ts list them) give set-up times, paths, failures and per-direction quality.
 * What no metric says - which relay carried which call, how many bytes each relay forwarded,
 * the measured delay of each call beside the network's direct RTT between its two hosts -
 * comes from the nodes' trace events, seen through the run's node-event sink (`CallStats.note`,
 * called for every node event whatever the trace level).
 *
 * RTT stretch of a relayed call = (measured one-way delay caller->callee + callee->caller,
 * each the frame-weighted mean the receiving side reports in `callEnded`) / base RTT of the
 * direct path between the two hosts (2 x (access delay of each) + the core RTT between their
 * regions: what sim/net's Fabric.baseRttMs computes, without queueing, serialization or
 * jitter). With one direction reported (the other party crashed) that direction counts twice.
 * The measured delay includes serialization, queueing and jitter, so even a direct call has a
 * stretch a little above 1: `rttStretch.direct` is that baseline on the same measure.
 *
 * Everything here is deterministic: records are kept in event order and every output is
 * sorted by key; no Map order reaches the output.
 */

import type { HostId } from '../net/index.js';
import { CALL_PATH } from '../../protocol/wire/messages.js';
import type { Labels, MetricsRecorder } from '../metrics/recorder.js';
import { empiricalCdf, histogram, roundTo, summarize, type SampleSummary } from '../metrics/summary-stats.js';
import type { World } from '../world/world.js';

type Detail = Readonly<Record<string, string | number | boolean>> | undefined;

const PATHS = Object.keys(CALL_PATH).sort();
const RELAYED_PATHS: readonly string[] = ['relayedTcp', 'relayedUdp'];
const QUALITY_METRICS = { delayMs: 'callDelayMs', lossRatio: 'callLossRatio', jitterMs: 'callJitterMs', mos: 'callMos' } as const;

/** One party's report at the end of an answered user-to-user call. */
interface EndedLeg {
  readonly host: HostId;
  readonly peer: string;
  readonly callId: number;
  readonly path: string;
  readonly frames: number;
  readonly delayMs: number;
}

export interface CallGauges {
  readonly inProgress: number;
  readonly relayedInProgress: number;
}

/** What the node events tell about calls and relays, collected while the run goes. */
export class CallStats {
  /** Hosts that answered a call, with its id; checked against the node at each sample. */
  private readonly answered = new Map<HostId, number>();
  private readonly ended: EndedLeg[] = [];
  /** Relay endpoint -> the call ids it carried (one entry per call, whichever party joined). */
  private readonly callsByRelay = new Map<string, Set<number>>();
  /** Relay host -> bytes it forwarded for calls that ended there. */
  private readonly bytesByRelay = new Map<HostId, number>();
  private readonly candidateFailures = new Map<string, number>();

  note(host: HostId, event: string, detail: Detail): void {
    if (!detail) return;
    switch (event) {
      case 'callAnswered':
        this.answered.set(host, Number(detail.callId));
        return;
      case 'callEnded':
        if (detail.kind === 'peer') {
          this.ended.push({
            host,
            peer: String(detail.peer),
            callId: Number(detail.callId),
            path: String(detail.path),
            frames: Number(detail.frames),
            delayMs: Number(detail.delayMs),
          });
        }
        return;
      case 'callRelayChosen': {
        const relay = String(detail.relay);
        let calls = this.callsByRelay.get(relay);
        if (!calls) this.callsByRelay.set(relay, (calls = new Set()));
        calls.add(Number(detail.callId));
        return;
      }
      case 'relayEnded':
        this.bytesByRelay.set(host, (this.bytesByRelay.get(host) ?? 0) + Number(detail.bytes));
        return;
      case 'relayCandidateFailed': {
        const cause = String(detail.cause);
        this.candidateFailures.set(cause, (this.candidateFailures.get(cause) ?? 0) + 1);
        return;
      }
    }
  }

  /**
   * Answered calls going on now, each counted once (a user-to-user call has two parties),
   * and those on a relayed path. Reads only the hosts that answered a call since the last
   * sample and forgets those whose call is over, so a sample costs time in proportion to the
   * calls, not to the hosts.
   */
  gauges(world: World): CallGauges {
    const seen = new Set<string>();
    let relayed = 0;
    for (const [host, callId] of [...this.answered]) {
      const record = world.hostOnNet(host);
      const call = record?.runtime.node?.call;
      if (!record || !call || call.id !== callId) {
        this.answered.delete(host);
        continue;
      }
      const [a, b] = record.name < call.peer ? [record.name, call.peer] : [call.peer, record.name];
      const key = `${callId}|${a}|${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (RELAYED_PATHS.includes(call.path)) relayed++;
    }
    return { inProgress: seen.size, relayedInProgress: relayed };
  }

  /** Calls per relay (every relay that carried one) and bytes per relay (calls that ended). */
  relayLoad() {
    const calls = [...this.callsByRelay.values()].map((s) => s.size);
    const bytes = [...this.bytesByRelay.values()];
    return {
      relaysUsed: calls.length,
      callsPerRelay: { ...summarize(calls), histogram: histogram(calls) },
      bytesPerRelay: summarize(bytes),
    };
  }

  candidateFailuresByCause(): Record<string, number> {
    return sortedRecord(this.candidateFailures);
  }

  /** RTT stretch per user-to-user call, by the path it ended on (see the header). */
  stretchByPath(world: World): Record<string, number[]> {
    const legs = new Map<string, { host: HostId; peerIndex: number; path: string; delays: number[] }>();
    const order: string[] = [];
    for (const leg of this.ended) {
      if (leg.frames <= 0) continue;
      const self = world.hostOnNet(leg.host);
      const peerIndex = world.hostIndex(leg.peer);
      if (!self || peerIndex === undefined) continue;
      const [a, b] = self.name < leg.peer ? [self.name, leg.peer] : [leg.peer, self.name];
      const key = `${leg.callId}|${a}|${b}`;
      let entry = legs.get(key);
      if (!entry) {
        legs.set(key, (entry = { host: leg.host, peerIndex, path: leg.path, delays: [] }));
        order.push(key);
      }
      entry.delays.push(leg.delayMs);
    }
    const out: Record<string, number[]> = {};
    for (const key of order) {
      const e = legs.get(key)!;
      const self = world.hostOnNet(e.host)!;
      const base = directRttMs(world, self.index, e.peerIndex);
      if (!(base > 0)) continue;
      const measured = e.delays.length >= 2 ? e.delays[0] + e.delays[1] : 2 * e.delays[0];
      (out[e.path] ??= []).push(roundTo(measured / base));
    }
    return out;
  }
}

/**
 * The base RTT of the direct path between two ordinary hosts: their access delays both ways
 * plus the core RTT between their regions (sim/net/fabric.ts baseRttMs, from the scenario).
 */
export function directRttMs(world: World, a: number, b: number): number {
  const net = world.scenario.network;
  const ha = world.hosts[a];
  const hb = world.hosts[b];
  const access = (link: string) => net.bandwidthClasses[link]?.accessDelayMs ?? 0;
  const core = net.rttMs[net.regions.indexOf(ha.region)]?.[net.regions.indexOf(hb.region)] ?? 0;
  return 2 * access(ha.link) + core + 2 * access(hb.link);
}

// ---- summary.json sections -------------------------------------------------------------------

/** Summary statistics with CDF points (summary.json's usual pair). */
function dist(values: readonly number[]): SampleSummary & { cdf: [number, number][] } {
  return { ...summarize(values), cdf: empiricalCdf(values) };
}

/**
 * The values one label takes in a metric's samples, sorted. countByLabel says "none" also for
 * samples without the label, and "none" is a real value too (policy of an unrelayed call):
 * it is kept only when samples carry it.
 */
function labelValues(m: MetricsRecorder, name: string, label: string): string[] {
  return Object.keys(m.countByLabel(name, label)).filter((v) => v !== 'none' || m.values(name, { [label]: 'none' }).length > 0);
}

/** Sample counts of `name` by the value of `label`, among the samples matching `where`. */
function countsBy(m: MetricsRecorder, name: string, label: string, where: Labels = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of labelValues(m, name, label)) {
    const n = m.values(name, { ...where, [label]: v }).length;
    if (n > 0) out[v] = n;
  }
  return out;
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : roundTo(part / whole);
}

function sumOf(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((s, n) => s + n, 0);
}

/** Path shares of answered calls: count, and the share of each path (every path listed). */
function pathShares(counts: Readonly<Record<string, number>>): { answered: number } & Record<string, number | null> {
  const total = sumOf(counts);
  return { answered: total, ...Object.fromEntries(PATHS.map((p) => [p, share(counts[p] ?? 0, total)])) };
}

/**
 * `calls`: user-to-user calls (the caller's view unless said otherwise) and PSTN calls.
 *   placed            calls the workload asked users to place
 *   answered, failed  caller-side outcomes; failures by cause (offline and busy fail at once)
 *   successRatio      answered / (answered + failed); calls still ringing at the end are neither
 *   setupMs           caller's place -> answered: overall and by path (summary and CDF)
 *   paths             share of answered calls per path, overall and per NAT-class pair
 *                     ("callerClass>calleeClass", as the caller knew them)
 *   refusedByCallee   callee-side refusals by reason; endedBy: how answered calls ended, per party
 *   quality           per direction (each sample is what one party received over a call):
 *                     delay, loss, jitter and MOS, all, by path and by relay policy (none: not
 *                     relayed); the host's side of PSTN calls counts here too, as direct
 *   pstn              by direction (out: SkypeOut, in: SkypeIn): set-up time, gateway-side
 *                     outcomes, host-side failures by cause
 */
export function callsSection(m: MetricsRecorder) {
  const peerCaller = { role: 'caller', kind: 'peer' };
  const failedByCause = countsBy(m, 'callFailure', 'cause', peerCaller);
  const answered = m.values('callSetupMs', { outcome: 'ok' }).length;
  const failed = sumOf(failedByCause);
  const byNatPair: Record<string, ReturnType<typeof pathShares>> = {};
  for (const pair of labelValues(m, 'callPath', 'natPair')) byNatPair[pair] = pathShares(countsBy(m, 'callPath', 'path', { natPair: pair }));
  const quality = Object.fromEntries(
    Object.entries(QUALITY_METRICS).map(([key, metric]) => [
      key,
      {
        all: summarize(m.values(metric)),
        byPath: Object.fromEntries(labelValues(m, metric, 'path').map((p) => [p, summarize(m.values(metric, { path: p }))])),
        byPolicy: Object.fromEntries(labelValues(m, metric, 'policy').map((p) => [p, summarize(m.values(metric, { policy: p }))])),
      },
    ]),
  );
  return {
    placed: m.counter('workload.call'),
    answered,
    failed,
    successRatio: share(answered, answered + failed),
    failuresByCause: failedByCause,
    setupMs: {
      all: dist(m.values('callSetupMs', { outcome: 'ok' })),
      byPath: Object.fromEntries(PATHS.map((p) => [p, dist(m.values('callSetupMs', { outcome: 'ok', path: p }))])),
    },
    paths: { all: pathShares(countsBy(m, 'callPath', 'path')), byNatPair },
    refusedByCallee: countsBy(m, 'callRefused', 'reason'),
    endedBy: {
      caller: countsBy(m, 'callEnd', 'cause', peerCaller),
      callee: countsBy(m, 'callEnd', 'cause', { role: 'callee', kind: 'peer' }),
    },
    quality,
    pstn: {
      requested: m.counter('workload.pstnCall'),
      byDirection: Object.fromEntries(
        (['in', 'out'] as const).map((d) => [
          d,
          {
            setupMs: dist(m.values('pstnSetupMs', { direction: d })),
            outcomes: countsBy(m, 'pstnCallMs', 'outcome', { direction: d }),
            hostFailures: countsBy(m, 'callFailure', 'cause', { kind: d === 'in' ? 'pstnIn' : 'pstnOut' }),
          },
        ]),
      ),
    },
  };
}

/**
 * `relays`: how the relayed calls used the relays.
 *   load            relays that carried a call; calls per relay (from callRelayChosen: distinct
 *                   calls whose party joined the relay); bytes per relay (both directions, on
 *                   the wire, for the calls that ended at the relay before the run did);
 *                   concurrent calls at a relay when it accepted a new one
 *   rttStretch      per call, see the file header: relayed (all, and by path), and the
 *                   baseline of the same measure over direct and hole-punched calls
 *   selection       per selection, by policy: time from the start of probing to the decision,
 *                   and probes sent
 *   mosByPolicy     per direction of a relayed call (summary and CDF)
 *   reselections    relays re-selected after a relay went silent; droppedRelayFailed: answered
 *                   calls that ended for want of a working relay, per party;
 *                   candidateFailures: relays tried and given up, by cause (refused, silent ...)
 */
export function relaysSection(m: MetricsRecorder, stats: CallStats, world: World) {
  const stretch = stats.stretchByPath(world);
  const relayed = RELAYED_PATHS.flatMap((p) => stretch[p] ?? []);
  const direct = [...(stretch.direct ?? []), ...(stretch.holePunched ?? [])];
  const policies = labelValues(m, 'relaySelectionMs', 'policy');
  return {
    load: { ...stats.relayLoad(), concurrentCallsAtJoin: summarize(m.values('relayLoad', { result: 'accepted' })), joinsRefused: m.values('relayLoad', { result: 'refused' }).length },
    rttStretch: {
      relayed: dist(relayed),
      byPath: Object.fromEntries(RELAYED_PATHS.map((p) => [p, summarize(stretch[p] ?? [])])),
      direct: summarize(direct),
    },
    selection: Object.fromEntries(
      policies.map((p) => [p, { timeMs: dist(m.values('relaySelectionMs', { policy: p })), probes: { ...summarize(m.values('relayProbes', { policy: p })), histogram: histogram(m.values('relayProbes', { policy: p })) } }]),
    ),
    mosByPolicy: Object.fromEntries(labelValues(m, 'callMos', 'policy').filter((p) => p !== 'none').map((p) => [p, dist(m.values('callMos', { policy: p }))])),
    reselections: m.values('relayReselections').length,
    droppedRelayFailed: {
      caller: m.values('callEnd', { cause: 'relayFailed', role: 'caller' }).length,
      callee: m.values('callEnd', { cause: 'relayFailed', role: 'callee' }).length,
    },
    candidateFailures: stats.candidateFailuresByCause(),
  };
}

/** `chat`: messages the workload sent, their outcome at the sender, and send -> ack time. */
export function chatSection(m: MetricsRecorder) {
  const delivered = m.values('chatOutcome', { outcome: 'delivered' }).length;
  const undelivered = m.values('chatOutcome', { outcome: 'undelivered' }).length;
  return {
    sent: m.counter('workload.chat'),
    delivered,
    undelivered,
    deliveredRatio: share(delivered, delivered + undelivered),
    ackMs: dist(m.values('chatAckMs')),
  };
}

/**
 * `search`, when the nodes reported searches (searchMs{outcome, searcherClass}, and
 * searchMessages per search); null before then.
 */
export function searchSection(m: MetricsRecorder) {
  if (m.values('searchMs').length === 0) return null;
  const of = (where: Labels) => {
    const byOutcome = countsBy(m, 'searchMs', 'outcome', where);
    const n = sumOf(byOutcome);
    return {
      searches: n,
      outcomeShares: Object.fromEntries(Object.entries(byOutcome).map(([o, k]) => [o, share(k, n)])),
      latencyMs: dist(m.values('searchMs', where)),
      messagesPerSearch: summarize(m.values('searchMessages', where)),
    };
  };
  return {
    ...of({}),
    outcomes: countsBy(m, 'searchMs', 'outcome'),
    bySearcherClass: Object.fromEntries(labelValues(m, 'searchMs', 'searcherClass').map((c) => [c, of({ searcherClass: c })])),
  };
}

function sortedRecord(map: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!;
  return out;
}
