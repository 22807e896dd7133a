/**
 * A hash index from a fixed-width tuple of unsigned 32-bit words to a non-negative int32.
 *
 * The network's lookup tables (address -> node, host+port -> listener, NAT mappings, filter
 * permissions) are keyed by several numbers at once. A JS Map would need a string or a
 * composed float per key; this keeps each key's words and its value side by side in one
 * Uint32Array, so a lookup allocates nothing and usually reads one cache line, and a table of a
 * million entries is one flat buffer.
 *
 * Use: write the key words (two or more) into `key`, then call `get`, `set` or `delete`. Open
 * addressing with linear probing, load kept at most 3/4 (the longer probes stay within a cache
 * line or two; a sparser table is a bigger one, and tables of NAT mappings and permissions
 * outgrow the caches), deletion by backward shift (no tombstones, so a table that churns does
 * not slow down).
 *
 * A timed map also keeps a time (a double, e.g. when the entry expires) in each slot, beside
 * the key: a lookup that wants the value's time too then still reads one slot.
 */

const EMPTY = 0xffffffff;
const MIN_CAPACITY = 8;

export class TupleMap {
  /** Scratch key: the caller writes `words` words here before each call. */
  readonly key: Uint32Array;
  /** Slots of `words` key words then the value, so a probe reads one cache line. */
  private slots: Uint32Array;
  /** The slots again, as doubles, for the times of a timed map. */
  private times: Float64Array;
  private readonly stride: number;
  /** Where a slot's time starts, in words (a timed map's slots are a whole number of doubles). */
  private readonly timeWord: number;
  private mask: number;
  private count = 0;

  constructor(
    readonly words: number,
    initialCapacity = MIN_CAPACITY,
    timed = false,
  ) {
    if (!(Number.isInteger(words) && words >= 2)) throw new RangeError(`a TupleMap key has at least 2 words, got ${words}`);
    let capacity = MIN_CAPACITY;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.key = new Uint32Array(words);
    this.timeWord = timed ? (words + 2) & ~1 : 0;
    this.stride = timed ? this.timeWord + 2 : words + 1;
    this.slots = emptySlots(capacity, this.stride, words);
    this.times = timed ? new Float64Array(this.slots.buffer) : new Float64Array(0);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value stored under `key`, or -1. */
  get(): number {
    const slot = this.find();
    return slot >= 0 ? this.slots[slot * this.stride + this.words] : -1;
  }

  /** Stores `value` (0 <= value < 2^31) under `key`, replacing any value there. */
  set(value: number): void {
    const slot = this.slotOf();
    this.slots[slot * this.stride + this.words] = value;
  }

  /** Timed maps: stores `value` and `time` under `key`, replacing what is there. */
  setTimed(value: number, time: number): void {
    const slot = this.slotOf();
    this.slots[slot * this.stride + this.words] = value;
    this.times[(slot * this.stride + this.timeWord) >> 1] = time;
  }

  /** Timed maps: the time stored under `key`, or -Infinity when there is none. */
  time(): number {
    const slot = this.find();
    return slot >= 0 ? this.times[(slot * this.stride + this.timeWord) >> 1] : -Infinity;
  }

  /** Timed maps: raises the time stored under `key` to `time` if it is lower; false when there is none. */
  raiseTime(time: number): boolean {
    const slot = this.find();
    if (slot < 0) return false;
    const at = (slot * this.stride + this.timeWord) >> 1;
    if (time > this.times[at]) this.times[at] = time;
    return true;
  }

  /** Removes `key`; returns whether it was there. */
  delete(): boolean {
    const slot = this.find();
    if (slot < 0) return false;
    this.removeAt(slot);
    this.count--;
    return true;
  }

  /** The slot holding `key`, made (growing the table if need be) when there is none. */
  private slotOf(): number {
    let slot = this.find();
    if (slot < 0) {
      if ((this.count + 1) * 4 > (this.mask + 1) * 3) {
        this.grow();
        slot = this.find();
      }
      slot = ~slot;
      this.slots.set(this.key, slot * this.stride);
      this.count++;
    }
    return slot;
  }

  /** The slot holding `key`, or the one's complement of the empty slot where it would go. */
  private find(): number {
    const words = this.words;
    const stride = this.stride;
    const slots = this.slots;
    const key = this.key;
    const mask = this.mask;
    let slot = hashWords(key, 0, words) & mask;
    // Every key has at least two words, and a slot whose first two differ is most probes:
    // comparing them outside the loop spares the loop on nearly every miss.
    const k0 = key[0];
    const k1 = key[1];
    for (;;) {
      const base = slot * stride;
      if (slots[base + words] === EMPTY) return ~slot;
      if (slots[base] === k0 && slots[base + 1] === k1) {
        let w = 2;
        while (w < words && slots[base + w] === key[w]) w++;
        if (w === words) return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  private removeAt(hole: number): void {
    const words = this.words;
    const stride = this.stride;
    const slots = this.slots;
    const mask = this.mask;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      if (slots[j * stride + words] === EMPTY) break;
      const home = hashWords(slots, j * stride, words) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      slots.copyWithin(hole * stride, j * stride, j * stride + stride);
      hole = j;
    }
    slots[hole * stride + words] = EMPTY;
  }

  private grow(): void {
    const stride = this.stride;
    const words = this.words;
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = emptySlots(capacity, stride, words);
    if (this.timeWord > 0) this.times = new Float64Array(this.slots.buffer);
    this.mask = capacity - 1;
    for (let base = 0; base < old.length; base += stride) {
      if (old[base + words] === EMPTY) continue;
      let slot = hashWords(old, base, words) & this.mask;
      while (this.slots[slot * stride + words] !== EMPTY) slot = (slot + 1) & this.mask;
      this.slots.set(old.subarray(base, base + stride), slot * stride);
    }
  }
}

function emptySlots(capacity: number, stride: number, words: number): Uint32Array {
  const slots = new Uint32Array(capacity * stride);
  for (let i = words; i < slots.length; i += stride) slots[i] = EMPTY;
  return slots;
}

function hashWords(words: Uint32Array, offset: number, count: number): number {
  let h = Math.imul(0x9e3779b9 ^ words[offset], 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ words[offset + 1], 0x85ebca6b);
  h ^= h >>> 13;
  for (let w = 2; w < count; w++) {
    h = Math.imul(h ^ words[offset + w], 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
