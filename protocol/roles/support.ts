/**
 * Small helpers every role shares: endpoint identity and formatting, draws from a node's Random.
 */

import type { Ctx, Endpoint, Random } from '../node.js';

/** A number that identifies an endpoint (ip * 2^16 + port; exact below 2^53). */
export function endpointKey(e: Endpoint): number {
  return e.ip * 65536 + e.port;
}

/** An endpoint a peer may name as an SN: a non-zero address and port (a peer's 0.0.0.0 or port 0 is garbage, dropped). */
export function isUsableEndpoint(e: Endpoint): boolean {
  return e.ip !== 0 && e.port > 0 && e.port <= 65535;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.ip === b.ip && a.port === b.port;
}

/** `a.b.c.d:port`, for trace details. */
export function formatEndpoint(e: Endpoint): string {
  // The key names the endpoint only for a u32 address and a u16 port; anything else is not kept.
  if (e.ip >>> 0 !== e.ip || (e.port & 0xffff) !== e.port) return endpointText(e);
  const key = endpointKey(e);
  const slot = Math.imul((e.ip << 16) ^ e.port ^ Math.imul(e.ip >>> 16, 0x9e3779b1), 0x85ebca6b) >>> (32 - FORMATTED_BITS);
  if (formattedKeys[slot] !== key) {
    formattedKeys[slot] = key;
    formatted[slot] = endpointText(e);
  }
  return formatted[slot];
}

function endpointText(e: Endpoint): string {
  return `${e.ip >>> 24}.${(e.ip >>> 16) & 255}.${(e.ip >>> 8) & 255}.${e.ip & 255}:${e.port}`;
}

/**
 * Endpoints formatted lately, direct-mapped by a hash of the endpoint (a slot holds the last one
 * to land there): trace details name the same super nodes at every login step, and building
 * the string costs a handful of allocations each time.
 */
const FORMATTED_BITS = 10;
const formattedKeys = new Float64Array(1 << FORMATTED_BITS).fill(-1);
const formatted: string[] = new Array<string>(1 << FORMATTED_BITS).fill('');

/** A uniform u32 from `rng`. */
export function randomU32(rng: Random): number {
  return Math.floor(rng.next() * 0x1_0000_0000) >>> 0;
}

/** A uniform integer in [0, n). */
export function randomInt(rng: Random, n: number): number {
  return Math.min(n - 1, Math.floor(rng.next() * n));
}

/**
 * Ids seen or used lately, at most `max`, the oldest forgotten first: what a node remembers to
 * tell a late reply from an unexpected one, or a replay from a first sight. Adding an id that is
 * remembered changes nothing; a deleted id no longer counts towards `max`.
 *
 * Not a Set whose first entry is evicted: a Set keeps deleted entries at its front until it is
 * rebuilt, and finding the first live one walks past them (measured: 360 ns an add at 1,024 ids,
 * against 100 ns for this). Here each add is a pair (id, add number) in a queue, and an id is
 * remembered while the map holds that same add number for it; queue pairs whose id was deleted
 * or added again since are stale, skipped when they come to the front and dropped when the
 * queue is compacted.
 *
 * Ids are 32-bit integers, u32 or i32 (nonces, query and call ids, connection ids): each is kept
 * as the i32 with the same bits, a small integer to V8, where a u32 over 2^31 would be a boxed
 * number allocated at every add.
 */
export class RecentIds {
  /** Each remembered id, with the number of the add that remembered it. */
  private readonly addedAt = new Map<number, number>();
  /** (id, add number) pairs in add order, from `head` on. */
  private queue: number[] = [];
  private head = 0;
  private adds = 0;

  constructor(private readonly max: number) {}

  add(id: number): void {
    const key = id | 0;
    if (this.addedAt.has(key)) return;
    this.addedAt.set(key, this.adds);
    this.queue.push(key, this.adds);
    this.adds++;
    if (this.addedAt.size > this.max) this.forgetOldest();
    // At most `max` pairs are live: past four times that, most of the queue is the evicted
    // prefix and stale pairs (which no eviction reaches while deletes keep the map small).
    if (this.queue.length > 8 * (this.max + 8)) this.compact();
  }

  has(id: number): boolean {
    return this.addedAt.has(id | 0);
  }

  delete(id: number): void {
    this.addedAt.delete(id | 0);
  }

  private forgetOldest(): void {
    const q = this.queue;
    for (;;) {
      const id = q[this.head];
      const at = q[this.head + 1];
      this.head += 2;
      if (this.addedAt.get(id) === at) {
        this.addedAt.delete(id);
        return;
      }
    }
  }

  /** Drops the pairs before `head` and the stale ones. */
  private compact(): void {
    const q = this.queue;
    const live: number[] = [];
    for (let i = this.head; i < q.length; i += 2) if (this.addedAt.get(q[i]) === q[i + 1]) live.push(q[i], q[i + 1]);
    this.queue = live;
    this.head = 0;
  }
}

/**
 * A map from non-zero 32-bit integer keys (connection ids) to values: open addressing with
 * linear probing over a typed array of keys. A delete moves the entries after it back into
 * place (no tombstones), so a map whose keys come and go - a host opens a connection per login
 * attempt and closes it - allocates nothing once it has grown to its largest size, where a
 * Map's table fills with deleted entries and is built anew every few keys (each table outlives
 * a young-generation collection, so all of them were promoted, and collected again there).
 * Key 0 marks a free slot: `set` refuses it.
 */
export class IntMap<V> {
  private keys = new Int32Array(INT_MAP_INITIAL);
  private values: (V | undefined)[] = new Array<V | undefined>(INT_MAP_INITIAL).fill(undefined);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: number): V | undefined {
    const i = this.slotOf(key);
    return i < 0 ? undefined : this.values[i];
  }

  has(key: number): boolean {
    return this.slotOf(key) >= 0;
  }

  set(key: number, value: V): void {
    if (key === 0 || (key | 0) !== key) throw new RangeError(`IntMap keys are non-zero 32-bit integers, got ${key}`);
    if (2 * (this.count + 1) > this.keys.length) this.grow();
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = slotHash(key) & mask; ; i = (i + 1) & mask) {
      if (keys[i] === key) {
        this.values[i] = value;
        return;
      }
      if (keys[i] === 0) {
        keys[i] = key;
        this.values[i] = value;
        this.count++;
        return;
      }
    }
  }

  delete(key: number): boolean {
    let hole = this.slotOf(key);
    if (hole < 0) return false;
    const keys = this.keys;
    const values = this.values;
    const mask = keys.length - 1;
    // Every entry of the run after the hole whose home slot is not between the hole and itself
    // (cyclically) would no longer be found past the hole: it moves into it, leaving a new hole.
    for (let j = (hole + 1) & mask; keys[j] !== 0; j = (j + 1) & mask) {
      const home = slotHash(keys[j]) & mask;
      const staysPut = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (staysPut) continue;
      keys[hole] = keys[j];
      values[hole] = values[j];
      hole = j;
    }
    keys[hole] = 0;
    values[hole] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.keys.fill(0);
    this.values.fill(undefined);
    this.count = 0;
  }

  /** The slot holding `key`, or -1. */
  private slotOf(key: number): number {
    if (key === 0) return -1;
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = slotHash(key) & mask; ; i = (i + 1) & mask) {
      if (keys[i] === key) return i;
      if (keys[i] === 0) return -1;
    }
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Int32Array(2 * keys.length);
    this.values = new Array<V | undefined>(2 * keys.length).fill(undefined);
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i], values[i] as V);
  }
}

const INT_MAP_INITIAL = 4;

/** Spreads consecutive ids (connection ids are) over the table's low bits. */
function slotHash(key: number): number {
  const h = Math.imul(key, 0x9e3779b1);
  return h ^ (h >>> 16);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * An input with no entry for the node's state (STYLE.md 3): counted as a protocol error with a
 * `trace unexpected` output; the caller leaves its state unchanged.
 */
export function unexpected(ctx: Ctx, input: string, state: string): void {
  ctx.out.push({ kind: 'trace', event: 'unexpected', detail: { input, state } });
}
