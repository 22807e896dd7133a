/**
 * The columns of `metrics.csv`, read from the world at each sampling interval.
 *
 *   online_hosts        ordinary hosts whose login state is `online`
 *   up_hosts            ordinary hosts whose application is running (online, logging in, idle)
 *   logins_in_progress  ordinary hosts between `login` and `online`
 *   supernodes          hosts serving as SNs (bootstrap SNs included)
 *   sn_clients_mean     mean attached clients per serving SN
 *   sn_clients_max      largest attached-client count of any SN
 *   msgs_sent, bytes_sent                 all traffic in the interval, headers included
 *   bytes_<type>, msgs_<type>             per message type, in the interval
 *   drops_<reason>                        packets dropped in the interval, per reason
 *   calls_in_progress          answered calls (user-to-user and PSTN) not yet over, each once
 *   relayed_calls_in_progress  of those, the ones on a relayed path (UDP or TCP) right now
 *
 * Counters are deltas over the interval, gauges are values at the sampling instant. A run ended
 * early (Ctrl-C, a budget) has one more row at the instant it stopped, whose counters cover the
 * shorter stretch since the row before.
 */

import { MESSAGES } from '../../protocol/wire/messages.js';
import type { HostNode } from '../../protocol/roles/ordinary-host.js';
import type { Probe } from '../metrics/time-series.js';
import type { MsgTypeCounters } from '../net/index.js';
import { DROP_REASONS } from '../trace/events.js';
import type { World } from '../world/world.js';
import type { CallGauges, CallStats } from './call-stats.js';

interface Gauges {
  online: number;
  up: number;
  loggingIn: number;
  supernodes: number;
  snClientsMean: number;
  snClientsMax: number;
}

/** Reads the world once per row; probes read from the snapshot. */
export class WorldSnapshot {
  gauges: Gauges = { online: 0, up: 0, loggingIn: 0, supernodes: 0, snClientsMean: 0, snClientsMax: 0 };
  byType = new Map<string, MsgTypeCounters>();
  drops: Record<string, number> = {};
  calls: CallGauges = { inProgress: 0, relayedInProgress: 0 };

  constructor(
    private readonly world: World,
    private readonly callStats?: CallStats,
  ) {
    this.refresh();
  }

  refresh(): void {
    this.gauges = gaugesOf(this.world);
    if (this.callStats) this.calls = this.callStats.gauges(this.world);
    this.byType = new Map(this.world.net.msgTypeCounters().map((c) => [c.msgType, c]));
    this.drops = this.world.net.drops();
  }

  totalSent(field: 'sentBytes' | 'sentPackets'): number {
    let sum = 0;
    for (const c of this.byType.values()) sum += c[field];
    return sum;
  }
}

/**
 * The gauges: counts from the world's HostTally (kept as inputs are delivered), client counts
 * from the SNs - a sample costs time in proportion to the super nodes, not to the hosts.
 */
export function gaugesOf(world: World): Gauges {
  const tally = world.tally;
  let supernodes = 0;
  let clients = 0;
  let clientsMax = 0;
  const serving = tally.serving;
  const hosts = world.hosts;
  const visit = (node: HostNode | undefined): void => {
    const sn = node?.superNode;
    if (!sn) return;
    supernodes++;
    clients += sn.clientCount;
    if (sn.clientCount > clientsMax) clientsMax = sn.clientCount;
  };
  for (let k = 0; k < serving.size; k++) visit(hosts[serving.at(k)].runtime.node);
  for (const b of world.bootstrapSupernodes) visit(b.runtime.node);
  return {
    online: tally.online,
    up: tally.up,
    loggingIn: tally.loggingIn,
    supernodes,
    snClientsMean: supernodes === 0 ? 0 : clients / supernodes,
    snClientsMax: clientsMax,
  };
}

export function worldProbes(snap: WorldSnapshot): Probe[] {
  const gauge = (column: string, read: (g: Gauges) => number): Probe => ({ column, mode: 'gauge', read: () => read(snap.gauges) });
  const delta = (column: string, read: () => number): Probe => ({ column, mode: 'delta', read });
  const types = Object.keys(MESSAGES).sort();
  return [
    gauge('online_hosts', (g) => g.online),
    gauge('up_hosts', (g) => g.up),
    gauge('logins_in_progress', (g) => g.loggingIn),
    gauge('supernodes', (g) => g.supernodes),
    gauge('sn_clients_mean', (g) => g.snClientsMean),
    gauge('sn_clients_max', (g) => g.snClientsMax),
    delta('msgs_sent', () => snap.totalSent('sentPackets')),
    delta('bytes_sent', () => snap.totalSent('sentBytes')),
    ...types.map((t) => delta(`bytes_${t}`, () => snap.byType.get(t)?.sentBytes ?? 0)),
    ...types.map((t) => delta(`msgs_${t}`, () => snap.byType.get(t)?.sentPackets ?? 0)),
    ...DROP_REASONS.map((r) => delta(`drops_${r}`, () => snap.drops[r] ?? 0)),
    // Appended after the older columns so that readers by position keep working.
    { column: 'calls_in_progress', mode: 'gauge', read: () => snap.calls.inProgress },
    { column: 'relayed_calls_in_progress', mode: 'gauge', read: () => snap.calls.relayedInProgress },
  ];
}
