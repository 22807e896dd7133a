/**
 * Invariant (a): a logged-in host is attached to exactly one SN, and that SN is live and
 * serving.
 *
 * For every host whose node is `online`:
 *   1. it names an SN (`currentSuperNode`) - at once, no window: online means attached;
 *   2. that SN is a live node, serving, with this host's user among its clients, and no
 *      partition separates the two regions. When this stops being true (the SN crashed, was
 *      demoted, dropped the client, or a partition cut it off) the host has
 *      `snLossDetectionMs` (bounds.ts: (keepAliveMissLimit + 1) x keepAliveIntervalMs + slack)
 *      to notice and stop being online on it;
 *   3. no other serving SN holds its user as a client for longer than `staleClientMs`
 *      (snClientTimeoutMs + keepAliveIntervalMs + slack): an SN the host left without a goodbye
 *      (lost in a partition, or it crashed and came back) drops the silent client by then.
 *      Skipped for a user online on two hosts at once - that is invariant (b)'s report.
 *
 * Each episode (a host and the SN it is wrongly attached to) is reported once, when its window
 * runs out; the episode ends when the condition holds again or the host is not online.
 */

import { endpointKey, formatEndpoint } from '../../protocol/roles/support.js';
import { snLossDetectionMs, staleClientMs } from './bounds.js';
import type { Checker, HostView, Violation, WorldView } from './types.js';
import { servingSuperNodes } from './view.js';

interface Episode {
  /** Which SN (endpoint key) the episode is about. */
  readonly sn: number;
  readonly sinceMs: number;
  reported: boolean;
}

export class SnAttachmentChecker implements Checker {
  readonly name = 'sn-attachment';
  /** host name -> its SN being bad (condition 2). */
  private readonly detached = new Map<string, Episode>();
  /** host name + SN key -> another SN holding the host's user (condition 3). */
  private readonly stale = new Map<string, Episode>();

  constructor(private readonly slackMs?: number) {}

  check(view: WorldView): Violation[] {
    const out: Violation[] = [];
    const serving = servingSuperNodes(view);
    const detectionMs = snLossDetectionMs(view.params, this.slackMs);
    const staleMs = staleClientMs(view.params, this.slackMs);
    const seenStale = new Set<string>();
    // A user online on two hosts is invariant (b)'s to report; here the SNs cannot tell whose
    // session is whose, so the "held elsewhere" check leaves that user alone.
    const onlineHosts = new Map<string, number>();
    for (const h of view.hosts) if (h.node?.state === 'online') onlineHosts.set(h.user, (onlineHosts.get(h.user) ?? 0) + 1);
    for (const h of view.hosts) {
      const node = h.node;
      if (!node || node.state !== 'online') {
        this.detached.delete(h.name);
        continue;
      }
      const entry = node.currentSuperNode;
      if (!entry) {
        out.push(violation(view, h, 'is online but names no super node'));
        continue;
      }
      const key = endpointKey(entry);
      const problem = whyNotAttached(view, h, serving.get(key));
      this.track(view, this.detached, h.name, key, problem, detectionMs, h, `is online on ${formatEndpoint(entry)}, which ${problem}`, out);
      if (onlineHosts.get(h.user)! > 1) continue;
      for (const [snKey, sn] of serving) {
        if (snKey === key || !sn.node!.clientNames.includes(h.user)) continue;
        const id = `${h.name}|${snKey}`;
        seenStale.add(id);
        const where = formatEndpoint({ ip: sn.ip, port: sn.node!.port });
        this.track(view, this.stale, id, snKey, 'holds', staleMs, h, `is attached to ${formatEndpoint(entry)} but SN ${sn.name} (${where}) still holds user ${h.user} as a client`, out);
      }
    }
    for (const id of [...this.stale.keys()]) if (!seenStale.has(id)) this.stale.delete(id);
    return out;
  }

  /** Starts, continues or ends an episode; reports it once when it outlasts `windowMs`. */
  private track(
    view: WorldView,
    episodes: Map<string, Episode>,
    id: string,
    sn: number,
    problem: string | undefined,
    windowMs: number,
    host: HostView,
    message: string,
    out: Violation[],
  ): void {
    if (problem === undefined) {
      episodes.delete(id);
      return;
    }
    let e = episodes.get(id);
    if (!e || e.sn !== sn) {
      e = { sn, sinceMs: view.nowMs, reported: false };
      episodes.set(id, e);
    }
    if (!e.reported && view.nowMs - e.sinceMs > windowMs) {
      e.reported = true;
      out.push(violation(view, host, `${message}, for ${Math.round(view.nowMs - e.sinceMs)} ms (allowed ${windowMs} ms)`));
    }
  }
}

/** Undefined if `sn` is a live serving SN that has `host`'s user as a client and is reachable; else why not. */
function whyNotAttached(view: WorldView, host: HostView, sn: HostView | undefined): string | undefined {
  if (!sn) return 'is not a live serving super node';
  if (!sn.node!.clientNames.includes(host.user)) return `does not hold user ${host.user} as a client`;
  if (host.region !== sn.region && view.cut(host.region, sn.region)) return `is cut off by a partition (${host.region} | ${sn.region})`;
  return undefined;
}

function violation(view: WorldView, host: HostView, message: string): Violation {
  return { timeMs: view.nowMs, invariant: 'sn-attachment', host: host.name, message: `${host.name} ${message}` };
}
