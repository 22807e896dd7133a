/**
 * The host cache (HC): a host's ordered list of super-node endpoints (BS-5, BS-7, OT-2).
 *
 * What it models: the file a real client kept on disk, at most `hostCacheMax` (200, BS-5)
 * `ip:port` entries, read in order at login. A fresh install starts from the bootstrap list
 * (7 SNs on port 33033, BS-7). It lives in the `disk` object the runtime keeps across crashes
 * and restarts: every change writes `disk.hostCache` (a fresh array, never mutated after).
 *
 * Order is preference: the freshest evidence that an entry is a live SN first.
 *   - `refresh(list)`: an SN's list (probe reply, attach or presence reply, overlay exchange)
 *     moves those entries to the front, in the list's order; the rest keep their order after.
 *   - `confirm(e)`: we reached SN `e` ourselves: it goes first.
 *   - `markFailed(e)`: `e` failed a login attempt: it goes last, so the next login tries it last
 *     and a full cache drops it first.
 *   - Over `hostCacheMax`, entries fall off the end.
 * Entries are never removed on failure alone: a bootstrap SN that is down for a while is
 * still worth trying later (BS-6 tries the bootstrap SNs after the HC).
 *
 * `self` (a host that serves as an SN) is never stored: an SN must not try to log in to itself.
 *
 * Design choices (not published): the move-to-front / failed-to-back order; refresh lists
 * outrank older entries; a login round's candidates are the first `loginEntriesPerRound`
 * entries followed by bootstrap SNs not among them (`loginCandidates`).
 */

import type { Endpoint } from '../node.js';
import { endpointKey, isUsableEndpoint, sameEndpoint } from './support.js';

/** The part of a host's disk the cache owns. */
export interface HostCacheDisk {
  hostCache?: readonly Endpoint[];
}

export class HostCache {
  private list: readonly Endpoint[];
  private selfEndpoint: Endpoint | undefined;

  constructor(
    private readonly maxEntries: number,
    private readonly disk: HostCacheDisk,
    private readonly bootstrap: readonly Endpoint[],
  ) {
    this.list = this.store(disk.hostCache ?? bootstrap);
  }

  /** The entries, best first. */
  entries(): readonly Endpoint[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  has(e: Endpoint): boolean {
    return this.list.some((x) => sameEndpoint(x, e));
  }

  /** The SN endpoint of this host while it serves (never stored), or undefined. */
  setSelf(e: Endpoint | undefined): void {
    this.selfEndpoint = e;
    if (e) this.list = this.store([], this.list);
  }

  /** Entries of `list` to the front, in that order (deduplicated); the rest after them. */
  refresh(list: readonly Endpoint[]): void {
    if (list.length === 0 || this.startsWith(list)) return;
    this.list = this.store(list, this.list);
  }

  /** We reached SN `e` ourselves: first. */
  confirm(e: Endpoint): void {
    this.refresh([e]);
  }

  /** `e` failed a login or overlay attempt: last. */
  markFailed(e: Endpoint): void {
    const list = this.list;
    const at = list.findIndex((x) => sameEndpoint(x, e));
    if (at < 0 || at === list.length - 1) return;
    // A reordering of entries already stored: nothing to check or drop, one array copied.
    const moved = new Array<Endpoint>(list.length);
    for (let i = 0; i < at; i++) moved[i] = list[i];
    for (let i = at + 1; i < list.length; i++) moved[i - 1] = list[i];
    moved[list.length - 1] = list[at];
    this.list = this.write(moved);
  }

  /**
   * The entries one login round tries, in order: the first `perRound` HC entries, then the
   * bootstrap SNs not among them (BS-6: no reachable HC entry and no reachable bootstrap SN
   * means failure).
   */
  loginCandidates(perRound: number): Endpoint[] {
    const head = this.list.slice(0, perRound);
    const seen = new Set(head.map(endpointKey));
    for (const b of this.bootstrap) {
      if (seen.has(endpointKey(b)) || this.isSelf(b)) continue;
      seen.add(endpointKey(b));
      head.push(b);
    }
    return head;
  }

  /**
   * Whether the cache already starts with `list`, entry for entry: refreshing with it would
   * change nothing (a host that hears the same SN list again, as a failing login does from
   * every SN it probes).
   */
  private startsWith(list: readonly Endpoint[]): boolean {
    if (list.length > this.list.length) return false;
    for (let i = 0; i < list.length; i++) if (!sameEndpoint(list[i], this.list[i])) return false;
    return true;
  }

  private isSelf(e: Endpoint): boolean {
    return this.selfEndpoint !== undefined && sameEndpoint(this.selfEndpoint, e);
  }

  /**
   * `fresh` then `kept`: dedupes (first occurrence wins), drops self and unusable endpoints (a
   * peer's port 0), truncates, writes to disk. Entries of `fresh` come from outside and are
   * copied; those of `kept` are this cache's own.
   */
  private store(fresh: readonly Endpoint[], kept: readonly Endpoint[] = []): readonly Endpoint[] {
    const seen = new Set<number>();
    const out: Endpoint[] = [];
    for (let i = 0; i < fresh.length && out.length < this.maxEntries; i++) {
      const e = fresh[i];
      if (this.takes(e, seen)) out.push({ ip: e.ip, port: e.port });
    }
    for (let i = 0; i < kept.length && out.length < this.maxEntries; i++) {
      const e = kept[i];
      if (this.takes(e, seen)) out.push(e);
    }
    return this.write(out);
  }

  /** Whether `store` keeps `e`: not seen yet (then it is, in `seen`), not self, usable. */
  private takes(e: Endpoint, seen: Set<number>): boolean {
    const k = endpointKey(e);
    if (seen.has(k) || this.isSelf(e) || !isUsableEndpoint(e)) return false;
    seen.add(k);
    return true;
  }

  private write(list: Endpoint[]): readonly Endpoint[] {
    const frozen = Object.freeze(list);
    this.disk.hostCache = frozen;
    return frozen;
  }
}
