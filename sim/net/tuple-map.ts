/**
 * A hash index from a fixed-width tuple of unsigned 32-bit words to a non-negative int32.
 *
 * The network's lookup tables (address -> node, host+port -> listener, NAT mappings, filter
 * permissions) are keyed by several numbers at once. A JS Map would need a string or a
 * composed float per key; this keeps keys in one Uint32Array and values in one Int32Array, so
 * a lookup allocates nothing and a table of a million entries is two flat buffers.
 *
 * Use: write the key words into `key`, then call `get`, `set` or `delete`. Open addressing with
 * linear probing, load kept at most 1/2, deletion by backward shift (no tombstones, so a table
 * that churns does not slow down).
 */

const EMPTY = -1;
const MIN_CAPACITY = 8;

export class TupleMap {
  /** Scratch key: the caller writes `words` words here before each call. */
  readonly key: Uint32Array;
  private keys: Uint32Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;

  constructor(
    readonly words: number,
    initialCapacity = MIN_CAPACITY,
  ) {
    let capacity = MIN_CAPACITY;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.key = new Uint32Array(words);
    this.keys = new Uint32Array(capacity * words);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value stored under `key`, or -1. */
  get(): number {
    const slot = this.find();
    return slot >= 0 ? this.values[slot] : EMPTY;
  }

  /** Stores `value` (>= 0) under `key`, replacing any value there. */
  set(value: number): void {
    let slot = this.find();
    if (slot < 0) {
      if ((this.count + 1) * 2 > this.values.length) {
        this.grow();
        slot = this.find();
      }
      slot = ~slot;
      this.keys.set(this.key, slot * this.words);
      this.count++;
    }
    this.values[slot] = value;
  }

  /** Removes `key`; returns whether it was there. */
  delete(): boolean {
    const slot = this.find();
    if (slot < 0) return false;
    this.removeAt(slot);
    this.count--;
    return true;
  }

  /** The slot holding `key`, or the one's complement of the empty slot where it would go. */
  private find(): number {
    const words = this.words;
    const keys = this.keys;
    const key = this.key;
    const values = this.values;
    const mask = this.mask;
    let slot = hashWords(key, 0, words) & mask;
    for (;;) {
      if (values[slot] === EMPTY) return ~slot;
      const base = slot * words;
      let w = 0;
      while (w < words && keys[base + w] === key[w]) w++;
      if (w === words) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private removeAt(hole: number): void {
    const words = this.words;
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      if (values[j] === EMPTY) break;
      const home = hashWords(keys, j * words, words) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      keys.copyWithin(hole * words, j * words, j * words + words);
      values[hole] = values[j];
      hole = j;
    }
    values[hole] = EMPTY;
  }

  private grow(): void {
    const words = this.words;
    const oldKeys = this.keys;
    const oldValues = this.values;
    const capacity = oldValues.length * 2;
    this.keys = new Uint32Array(capacity * words);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    const scratch = this.key.slice();
    for (let slot = 0; slot < oldValues.length; slot++) {
      if (oldValues[slot] === EMPTY) continue;
      this.key.set(oldKeys.subarray(slot * words, slot * words + words));
      const free = ~this.find();
      this.keys.set(this.key, free * words);
      this.values[free] = oldValues[slot];
    }
    this.key.set(scratch);
  }
}

function hashWords(words: Uint32Array, offset: number, count: number): number {
  let h = 0x9e3779b9;
  for (let w = 0; w < count; w++) {
    h = Math.imul(h ^ words[offset + w], 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
