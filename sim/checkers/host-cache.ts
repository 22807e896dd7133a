/**
 * Invariant (c): every host cache holds at most hostCacheMax (BS-5: 200) entries, and every
 * entry is the address of a host that serves or served as an SN, or a bootstrap entry (BS-7),
 * or one a test put there on purpose (`seeded`, e.g. unreachable entries for the BS-9 ladder).
 *
 * "Served" is remembered: the checker records the endpoint of every SN it sees serving, and of
 * every `promoted` node event it is told of (so an SN that served only between two checks is
 * known too). Checked for every live host node and, for hosts that are down, the cache on
 * their disk. Reported at once: an entry is never allowed to be wrong, however briefly.
 */

import type { Endpoint } from '../../protocol/node.js';
import { endpointKey, formatEndpoint } from '../../protocol/roles/support.js';
import type { Checker, Violation, WorldView } from './types.js';
import { servingSuperNodes } from './view.js';

export class HostCacheChecker implements Checker {
  readonly name = 'host-cache';
  private readonly served = new Set<number>();
  /** Reported (host, entry) pairs, so a bad entry is reported once, not at every step. */
  private readonly reported = new Set<string>();

  constructor(seeded: readonly Endpoint[] = []) {
    for (const e of seeded) this.served.add(endpointKey(e));
  }

  /** Entries a test placed in a cache on purpose. */
  allow(entries: readonly Endpoint[]): void {
    for (const e of entries) this.served.add(endpointKey(e));
  }

  noteNodeEvent(_host: string, event: string, detail: Readonly<Record<string, string | number | boolean>> | undefined): void {
    if (event !== 'promoted' || typeof detail?.self !== 'string') return;
    const e = parseEndpoint(detail.self);
    if (e) this.served.add(endpointKey(e));
  }

  check(view: WorldView): Violation[] {
    for (const key of servingSuperNodes(view).keys()) this.served.add(key);
    for (const e of view.bootstrap) this.served.add(endpointKey(e));
    const out: Violation[] = [];
    const max = view.params.hostCacheMax;
    for (const h of view.hosts) {
      const cache = h.node ? h.node.hostCache : h.diskHostCache;
      if (!cache) continue;
      const where = h.node ? 'host cache' : 'host cache on disk';
      if (cache.length > max && this.once(`${h.name}|size`)) {
        out.push({ timeMs: view.nowMs, invariant: this.name, host: h.name, message: `${h.name}'s ${where} holds ${cache.length} entries (at most ${max})` });
      }
      for (const e of cache) {
        if (this.served.has(endpointKey(e)) || !this.once(`${h.name}|${endpointKey(e)}`)) continue;
        out.push({
          timeMs: view.nowMs,
          invariant: this.name,
          host: h.name,
          message: `${h.name}'s ${where} holds ${formatEndpoint(e)}, which never served as a super node and is not a bootstrap entry`,
        });
      }
    }
    return out;
  }

  private once(id: string): boolean {
    if (this.reported.has(id)) return false;
    this.reported.add(id);
    return true;
  }
}

function parseEndpoint(text: string): Endpoint | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const [a, b, c, d, port] = m.slice(1).map(Number);
  return { ip: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, port };
}
