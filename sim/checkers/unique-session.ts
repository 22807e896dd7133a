/**
 * Invariant (b): names are unique.
 *
 *   1. The login servers together never hold two active sessions for one name (checked at
 *      once: the LS ends or refuses the older session in the same step that accepts the newer).
 *   2. Never two hosts are online under one user name for longer than the notification delay
 *      `duplicateOnlineMs` (bounds.ts: TCP's give-up time for the LS's `sessionEnded` on the
 *      slowest path, + slack). With duplicateLogin `replace` the older host hears it and goes
 *      offline; with `refuse` the newer never gets a credential.
 *
 * `rttMaxMs` is the largest round-trip time between any host and the LS in the world (the
 * small worlds pass theirs; default 1 s, generous for a three-region core).
 */

import { duplicateOnlineMs } from './bounds.js';
import type { Checker, Violation, WorldView } from './types.js';

const DEFAULT_RTT_MAX_MS = 1_000;

export class UniqueSessionChecker implements Checker {
  readonly name = 'unique-session';
  /** user -> since when two or more hosts are online under it, and whether reported. */
  private readonly duplicates = new Map<string, { sinceMs: number; reported: boolean }>();

  constructor(
    private readonly rttMaxMs = DEFAULT_RTT_MAX_MS,
    private readonly slackMs?: number,
  ) {}

  check(view: WorldView): Violation[] {
    const out: Violation[] = [];
    const sessions = new Map<string, string[]>();
    for (const ls of view.loginServers) {
      if (!ls.up) continue;
      for (const name of ls.sessionNames) sessions.set(name, [...(sessions.get(name) ?? []), ls.name]);
    }
    for (const [name, where] of sessions) {
      if (where.length > 1) {
        out.push({ timeMs: view.nowMs, invariant: this.name, host: where[0], message: `name ${name} has ${where.length} active sessions (${where.join(', ')})` });
      }
    }

    const online = new Map<string, string[]>();
    for (const h of view.hosts) if (h.node?.state === 'online') online.set(h.user, [...(online.get(h.user) ?? []), h.name]);
    const windowMs = duplicateOnlineMs(view.tcp, this.rttMaxMs, this.slackMs);
    for (const [user, hosts] of online) {
      if (hosts.length < 2) {
        this.duplicates.delete(user);
        continue;
      }
      let d = this.duplicates.get(user);
      if (!d) this.duplicates.set(user, (d = { sinceMs: view.nowMs, reported: false }));
      if (!d.reported && view.nowMs - d.sinceMs > windowMs) {
        d.reported = true;
        out.push({
          timeMs: view.nowMs,
          invariant: this.name,
          host: hosts[0],
          message: `user ${user} is online on ${hosts.length} hosts (${hosts.join(', ')}) for ${Math.round(view.nowMs - d.sinceMs)} ms (allowed ${windowMs} ms)`,
        });
      }
    }
    for (const user of [...this.duplicates.keys()]) if (!online.has(user)) this.duplicates.delete(user);
    return out;
  }
}
