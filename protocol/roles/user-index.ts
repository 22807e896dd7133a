/**
 * The user index of the overlay (BS-16, BS-2): where each user's record lives, and the store
 * one super node keeps. Pure: no I/O, time passed in.
 *
 * What a record says: `UserRecord` - the user's name, the SN it is attached to, its address as
 * that SN sees it (with the user's own port: for a public user, where it can be called
 * directly), its NAT class, and when its SN last saw it online (`seenAtMs`).
 *
 * Where records live (ours; the studies say only that the index is spread over SNs, BS-2):
 * rendezvous (highest-random-weight) hashing of (name, SN endpoint). Every node ranks the SNs
 * it knows (its host cache, and an SN its overlay neighbours) by `weightOf(name, sn)`, highest
 * first; the `searchReplicas` SNs of highest weight a node knows are the name's home SNs in its
 * view. HRW needs no agreed ring or membership: two nodes that know the same SNs agree on the
 * homes, and two partial views agree on every SN both know (the order is global, only the
 * cut-off differs) - which is what makes the Kademlia-like search of user-search.ts converge.
 * When SNs come and go only the names whose top-k changed move, and re-publication moves them.
 *
 * Who holds a record:
 *   - the user's own SN, from every `indexAnnounce` (sent with every presence, so at login and
 *     every hostCacheRefreshIntervalMs while online), with seenAtMs = then;
 *   - the `searchReplicas` SNs of highest weight that SN knows at that moment (`indexStore`
 *     over UDP; SNs are public): re-published at every refresh, so while the user is online
 *     the replicas follow SN churn within one refresh period;
 *   - on a graceful stop (demotion, logout: SuperNodeService.stop) an SN hands every record it
 *     stores to the `searchReplicas` SNs of highest weight for the record's name it knows
 *     besides itself - the record's next homes. A crash hands nothing over;
 *   - SNs that learned a record by searching (for routed signalling, or for a UDP-blocked
 *     client) keep it as a cache entry for `searchCacheMs` (BS-20 "cached").
 * A user's former SN keeps its copy after the user moved to another SN (it cannot tell a move
 * from a logout); a search does not stop at such an old copy (user-search.ts: fresh records
 * end a search, older ones only after one more round, the newest winning).
 * A store keeps, per name, the record with the newest seenAtMs; a record is dropped once
 * `searchRetentionMs` (72 h) have passed since seenAtMs - so a user who was online at any time
 * in the last 72 hours, up to one refresh period before it went offline, is still indexed.
 *
 * When a search finds a record (the guarantee; the property test of search.test.ts generates
 * schedules inside it): a user U whose SN processed its last indexAnnounce at time t is found
 * by a search at s <= t + searchRetentionMs if, from t to s, at least one SN that got U's
 * record stays up without a crash (U's SN, or a replica chosen at t that the UDP indexStore
 * reached - a lost one is made good at the next refresh while U is online - or a successor a
 * holder handed it to on a graceful stop), and the search asks that holder. With every SN
 * knowing every SN (a network of at most hostCacheMax SNs after an overlay period, as in the
 * tests) it does: a replica chosen at t is among the searchFanout SNs of highest weight at s -
 * the first a search asks after the searcher's SN - unless more than searchFanout -
 * searchReplicas SNs of higher weight joined after t; the searcher's own SN is always asked.
 * Outside it - every holder crashed, or partial views that do not meet within searchRounds
 * rounds - the peers miss the record and the search falls back to the LS (BS-20):
 * `foundAtLoginServer`, no location.
 *
 * What it abstracts: a store is unbounded (at most one record per name per SN; 72 h of users);
 * any node may send indexStore (no authentication of index writes); an SN's clock is the time
 * of the last input it handled (lookups between inputs use that).
 */

import type { Endpoint } from '../node.js';
import type { NatClass } from './nat-detection.js';
import { endpointKey, sameEndpoint } from './support.js';

export interface UserRecord {
  readonly name: string;
  /** The SN the user is (or was last) attached to. */
  readonly superNode: Endpoint;
  /** The user's address as its SN sees it, with the user's own port. */
  readonly address: Endpoint;
  readonly natClass: NatClass;
  /** When the user's SN last saw it online (its last indexAnnounce). */
  readonly seenAtMs: number;
}

/**
 * The rendezvous weight of `sn` for `name`: FNV-1a over the name's UTF-16 units and the
 * endpoint's six bytes, then the murmur3 finaliser so that close endpoints spread. A u32.
 */
export function weightOf(name: string, sn: Endpoint): number {
  return weightAfter(nameHash(name), sn);
}

/** FNV-1a over the name's UTF-16 units: the part of a weight that is the same for every SN. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h;
}

function weightAfter(nameHashed: number, sn: Endpoint): number {
  let h = Math.imul(nameHashed ^ (sn.ip >>> 24), 0x01000193);
  h = Math.imul(h ^ ((sn.ip >>> 16) & 255), 0x01000193);
  h = Math.imul(h ^ ((sn.ip >>> 8) & 255), 0x01000193);
  h = Math.imul(h ^ (sn.ip & 255), 0x01000193);
  h = Math.imul(h ^ (sn.port >>> 8), 0x01000193);
  h = Math.imul(h ^ (sn.port & 255), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * `candidates` without duplicates and without `exclude`, highest weight for `name` first; ties
 * (equal weights) by endpoint, so no input order decides. At most `max`.
 */
export function rankByWeight(name: string, candidates: readonly Endpoint[], max: number, exclude: readonly Endpoint[] = NONE): Endpoint[] {
  // A top-`max` insertion: `max` is a fanout or replica count (a handful) and the candidates a
  // host cache (up to hundreds), so this beats sorting them all. Equal endpoints rank side by
  // side, which is where a duplicate is caught.
  const h = nameHash(name);
  const top: Endpoint[] = [];
  // No more than the candidates: `max` comes from a scenario and may be anything.
  const limit = Math.min(Math.max(0, max), candidates.length);
  if (limit === 0) return top;
  if (limit > topWeights.length) {
    topWeights = new Float64Array(limit);
    topKeys = new Float64Array(limit);
  }
  const weights = topWeights;
  const keys = topKeys;
  // Indexed loops: this runs for every search request an SN serves, over its whole host cache.
  next: for (let c = 0; c < candidates.length; c++) {
    const e = candidates[c];
    const k = endpointKey(e);
    for (let x = 0; x < exclude.length; x++) if (endpointKey(exclude[x]) === k) continue next;
    const w = weightAfter(h, e);
    let i = top.length;
    while (i > 0 && (weights[i - 1] < w || (weights[i - 1] === w && keys[i - 1] > k))) i--;
    if (i >= limit || (i > 0 && keys[i - 1] === k)) continue;
    // Shift the tail down by hand (splice allocates the array of what it removed).
    let j = Math.min(top.length, limit - 1);
    for (; j > i; j--) {
      top[j] = top[j - 1];
      weights[j] = weights[j - 1];
      keys[j] = keys[j - 1];
    }
    top[i] = e;
    weights[i] = w;
    keys[i] = k;
  }
  return top;
}

const NONE: readonly Endpoint[] = [];

/**
 * The weights and endpoint keys of rankByWeight's running top, beside `top` itself: scratch
 * shared by every call (it returns before another can start), grown to the largest `max`.
 */
let topWeights = new Float64Array(16);
let topKeys = new Float64Array(16);

/** True iff `a` outranks `b` for `name` (the order rankByWeight sorts by). */
export function outranks(name: string, a: Endpoint, b: Endpoint): boolean {
  const wa = weightOf(name, a);
  const wb = weightOf(name, b);
  return wa !== wb ? wa > wb : endpointKey(a) < endpointKey(b);
}

interface CacheEntry {
  readonly record: UserRecord;
  readonly untilMs: number;
}

/** One SN's records: the ones it holds for the index (72 h), and the ones it learned by searching (searchCacheMs). */
export class UserIndex {
  private readonly held = new Map<string, UserRecord>();
  private readonly cached = new Map<string, CacheEntry>();

  constructor(
    private readonly retentionMs: number,
    private readonly cacheMs: number,
  ) {}

  get heldCount(): number {
    return this.held.size;
  }

  get cachedCount(): number {
    return this.cached.size;
  }

  /** Whether a record last seen at `seenAtMs` is still within the retention at `nowMs`. */
  retained(seenAtMs: number, nowMs: number): boolean {
    return nowMs - seenAtMs <= this.retentionMs;
  }

  /** Holds `r` unless a record of the name seen later is held, or `r` is past the retention. True if it was taken. */
  hold(r: UserRecord, nowMs: number): boolean {
    if (!this.retained(r.seenAtMs, nowMs)) return false;
    const old = this.held.get(r.name);
    if (old && old.seenAtMs > r.seenAtMs) return false;
    if (old && old.seenAtMs === r.seenAtMs && sameEndpoint(old.superNode, r.superNode) && sameEndpoint(old.address, r.address) && old.natClass === r.natClass) return false;
    this.held.set(r.name, r);
    return true;
  }

  /** Keeps `r`, learned by a search, for cacheMs (a newer cache entry of the name replaces it). */
  cache(r: UserRecord, nowMs: number): void {
    if (!this.retained(r.seenAtMs, nowMs) || this.cacheMs <= 0) return;
    const old = this.cached.get(r.name);
    if (old && old.untilMs > nowMs && old.record.seenAtMs > r.seenAtMs) return;
    this.cached.set(r.name, { record: r, untilMs: nowMs + this.cacheMs });
  }

  /** The newest live record of `name`, held or cached. */
  lookup(name: string, nowMs: number): UserRecord | undefined {
    let best: UserRecord | undefined;
    const h = this.held.get(name);
    if (h) {
      if (this.retained(h.seenAtMs, nowMs)) best = h;
      else this.held.delete(name);
    }
    const c = this.cached.get(name);
    if (c) {
      if (c.untilMs >= nowMs && this.retained(c.record.seenAtMs, nowMs)) {
        if (!best || c.record.seenAtMs > best.seenAtMs) best = c.record;
      } else {
        this.cached.delete(name);
      }
    }
    return best;
  }

  /** Held records still within the retention, by name (what a stopping SN hands over). */
  heldRecords(nowMs: number): UserRecord[] {
    this.expire(nowMs);
    return [...this.held.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Drops records past the retention and cache entries past their time; returns how many went. */
  expire(nowMs: number): number {
    let n = 0;
    for (const [name, r] of this.held) {
      if (!this.retained(r.seenAtMs, nowMs)) {
        this.held.delete(name);
        n++;
      }
    }
    for (const [name, c] of this.cached) {
      if (c.untilMs < nowMs || !this.retained(c.record.seenAtMs, nowMs)) {
        this.cached.delete(name);
        n++;
      }
    }
    return n;
  }
}
