/**
 * Liveness after healing: once churn has stopped and every partition is healed, a host that is
 * up, whose user wants to be online, and that can reach a serving SN, is `online` within
 * `livenessBoundMs` (bounds.ts).
 *
 * This file checks the end of that window: call `livenessViolations` once the bound has passed
 * since the last fault (and since a serving SN was reachable). It is a snapshot, not a monitor:
 * the driver owns the clock and knows when the faults stopped.
 *
 * "Can reach a serving SN": some live SN that serves, with room for a client (fewer than
 * snClientCapacity; a full SN refuses, OT-2), that the host knows of - in its host cache or the
 * bootstrap list, the only places a login looks (BS-6: with none of those reachable a login
 * fails, whatever other SNs exist) - in a region no partition separates from the host's.
 * Every SN listens on TCP 80 and 443 (BS-9's fall-backs), so even a host whose firewall allows
 * only those ports reaches it.
 *
 * A login that failed (BS-9: five rounds, then failure) is final for the protocol; the user
 * logs in again. The driver does that for hosts whose user wants to be online (`wantsOnline`)
 * at healing - the bound counts it.
 */

import { endpointKey } from '../../protocol/roles/support.js';
import { candidateWorstMs, livenessBoundMs } from './bounds.js';
import type { HostView, Violation, WorldView } from './types.js';
import { servingSuperNodes } from './view.js';

export function livenessViolations(view: WorldView, wantsOnline: (hostName: string) => boolean): Violation[] {
  const serving = servingSuperNodes(view);
  const out: Violation[] = [];
  for (const h of view.hosts) {
    if (h.kind !== 'host' || !h.node || h.node.state === 'online' || !wantsOnline(h.name)) continue;
    const known = new Set([...h.node.hostCache, ...view.bootstrap].map(endpointKey));
    const room = (sn: HostView): boolean => sn.node!.clientNames.length < view.params.snClientCapacity;
    const reachable = [...serving]
      .filter(([key, sn]) => known.has(key) && sn !== h && room(sn) && (sn.region === h.region || !view.cut(h.region, sn.region)))
      .map(([, sn]) => sn);
    if (reachable.length === 0) continue;
    out.push({
      timeMs: view.nowMs,
      invariant: 'liveness',
      host: h.name,
      message: `${h.name} is up, its user wants to be online, ${reachable.length} serving SN(s) it knows are reachable with room (${reachable.map((s) => s.name).join(', ')}), yet it is ${h.node.state}`,
    });
  }
  return out;
}

/** The bound for a world whose login rounds can try `candidates` SN endpoints; re-exported with its parts for reports. */
export function livenessBound(view: Pick<WorldView, 'params' | 'tcp'>, candidates: number, slackMs?: number): { boundMs: number; candidateWorstMs: number } {
  return { boundMs: livenessBoundMs(view.params, view.tcp, candidates, slackMs), candidateWorstMs: candidateWorstMs(view.params, view.tcp) };
}
