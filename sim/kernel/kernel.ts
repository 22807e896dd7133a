/**
 * The simulation kernel: a clock and a pending-event set.
 *
 * Ordering rule (total, written down once): events run in increasing `time`; events with
 * equal `time` run in the order they were scheduled (a global sequence number, assigned at
 * `at`/`after`, breaks the tie). Nothing else - not Map order, not handler identity - decides.
 *
 * Time is a float in milliseconds of simulated time and never goes backwards: scheduling in
 * the past throws, and `runUntil` refuses a target before `now`.
 *
 * The pending set is a 4-ary min-heap over parallel typed arrays (time, seq, slot). An event's
 * handler and payload live in slot arrays indexed by `slot`, so the heap moves only numbers
 * and a steady-state run allocates nothing per event. Cancellation is lazy: the slot is
 * marked dead and its heap entry is discarded when it reaches the top. An EventId carries the
 * slot's generation, so cancelling an id whose event already ran (and whose slot was reused)
 * does nothing.
 */

export type EventHandler<P> = (payload: P) => void;

/** Opaque handle for `cancel`. */
export type EventId = number;

const GEN_FACTOR = 2 ** 32;
const INITIAL_CAPACITY = 1024;

export class Kernel {
  private timeMs = 0;
  private nextSeq = 0;
  private executedCount = 0;

  // Heap entries (parallel arrays); heapSize entries are live in [0, heapSize).
  private heapTime = new Float64Array(INITIAL_CAPACITY);
  private heapSeq = new Float64Array(INITIAL_CAPACITY);
  private heapSlot = new Int32Array(INITIAL_CAPACITY);
  private heapSize = 0;

  // Slots: handler + payload of a scheduled event; a free list threads unused slots.
  private slotHandler: (EventHandler<any> | undefined)[] = [];
  private slotPayload: unknown[] = [];
  private slotGen = new Uint32Array(INITIAL_CAPACITY);
  private slotNextFree = new Int32Array(INITIAL_CAPACITY);
  private freeHead = -1;
  private slotCount = 0;
  private liveCount = 0;

  /** Current simulated time in milliseconds. */
  get now(): number {
    return this.timeMs;
  }

  /** Events scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.liveCount;
  }

  /** Events run so far. */
  get executed(): number {
    return this.executedCount;
  }

  /** Schedules `handler(payload)` at absolute time `timeMs` (>= now). */
  at<P>(timeMs: number, handler: EventHandler<P>, payload: P): EventId {
    if (!(timeMs >= this.timeMs)) {
      throw new RangeError(`cannot schedule at ${timeMs} ms: simulated time is already ${this.timeMs} ms`);
    }
    const slot = this.allocSlot();
    this.slotHandler[slot] = handler;
    this.slotPayload[slot] = payload;
    this.push(timeMs, this.nextSeq++, slot);
    this.liveCount++;
    return this.slotGen[slot] * GEN_FACTOR + slot;
  }

  /** Schedules `handler(payload)` after `delayMs` (>= 0) from now. */
  after<P>(delayMs: number, handler: EventHandler<P>, payload: P): EventId {
    return this.at(this.timeMs + delayMs, handler, payload);
  }

  /** Cancels a pending event; returns false if it already ran or was cancelled. */
  cancel(id: EventId): boolean {
    const slot = id % GEN_FACTOR;
    const gen = (id - slot) / GEN_FACTOR;
    if (slot >= this.slotCount || this.slotGen[slot] !== gen || this.slotHandler[slot] === undefined) return false;
    this.slotHandler[slot] = undefined;
    this.slotPayload[slot] = undefined;
    this.liveCount--;
    return true;
  }

  /** Time of the next live event, or Infinity when idle. */
  nextTime(): number {
    this.discardCancelledTop();
    return this.heapSize > 0 ? this.heapTime[0] : Infinity;
  }

  /** Runs one event; returns false when nothing is pending. */
  step(): boolean {
    this.discardCancelledTop();
    if (this.heapSize === 0) return false;
    const slot = this.heapSlot[0];
    this.timeMs = this.heapTime[0];
    this.popTop();
    const handler = this.slotHandler[slot]!;
    const payload = this.slotPayload[slot];
    this.freeSlot(slot);
    this.liveCount--;
    this.executedCount++;
    handler(payload);
    return true;
  }

  /** Runs every event with time <= `timeMs`, then sets the clock to `timeMs`. */
  runUntil(timeMs: number): void {
    if (timeMs < this.timeMs) {
      throw new RangeError(`cannot run until ${timeMs} ms: simulated time is already ${this.timeMs} ms`);
    }
    while (this.nextTime() <= timeMs) this.step();
    this.timeMs = timeMs;
  }

  /** Runs until nothing is pending, or `maxEvents` have run; returns the number run. */
  runUntilIdle(maxEvents = Infinity): number {
    let n = 0;
    while (n < maxEvents && this.step()) n++;
    return n;
  }

  private discardCancelledTop(): void {
    while (this.heapSize > 0) {
      const slot = this.heapSlot[0];
      if (this.slotHandler[slot] !== undefined) return;
      this.popTop();
      this.freeSlot(slot);
    }
  }

  private allocSlot(): number {
    if (this.freeHead >= 0) {
      const slot = this.freeHead;
      this.freeHead = this.slotNextFree[slot];
      return slot;
    }
    const slot = this.slotCount++;
    if (slot >= this.slotGen.length) {
      this.slotGen = grow(this.slotGen, new Uint32Array(this.slotGen.length * 2));
      this.slotNextFree = grow(this.slotNextFree, new Int32Array(this.slotNextFree.length * 2));
    }
    this.slotHandler.push(undefined);
    this.slotPayload.push(undefined);
    return slot;
  }

  private freeSlot(slot: number): void {
    this.slotHandler[slot] = undefined;
    this.slotPayload[slot] = undefined;
    this.slotGen[slot] = (this.slotGen[slot] + 1) >>> 0;
    this.slotNextFree[slot] = this.freeHead;
    this.freeHead = slot;
  }

  private push(time: number, seq: number, slot: number): void {
    if (this.heapSize === this.heapTime.length) {
      const cap = this.heapTime.length * 2;
      this.heapTime = grow(this.heapTime, new Float64Array(cap));
      this.heapSeq = grow(this.heapSeq, new Float64Array(cap));
      this.heapSlot = grow(this.heapSlot, new Int32Array(cap));
    }
    const hTime = this.heapTime;
    const hSeq = this.heapSeq;
    const hSlot = this.heapSlot;
    let i = this.heapSize++;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = hTime[p];
      if (pt < time || (pt === time && hSeq[p] < seq)) break;
      hTime[i] = pt;
      hSeq[i] = hSeq[p];
      hSlot[i] = hSlot[p];
      i = p;
    }
    hTime[i] = time;
    hSeq[i] = seq;
    hSlot[i] = slot;
  }

  private popTop(): void {
    const last = --this.heapSize;
    if (last === 0) return;
    const hTime = this.heapTime;
    const hSeq = this.heapSeq;
    const hSlot = this.heapSlot;
    const time = hTime[last];
    const seq = hSeq[last];
    const slot = hSlot[last];
    const n = last;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let c = first;
      let ct = hTime[first];
      let cs = hSeq[first];
      const end = first + 4 < n ? first + 4 : n;
      for (let k = first + 1; k < end; k++) {
        const kt = hTime[k];
        if (kt < ct || (kt === ct && hSeq[k] < cs)) {
          c = k;
          ct = kt;
          cs = hSeq[k];
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      hTime[i] = ct;
      hSeq[i] = cs;
      hSlot[i] = hSlot[c];
      i = c;
    }
    hTime[i] = time;
    hSeq[i] = seq;
    hSlot[i] = slot;
  }
}

function grow<T extends Float64Array | Int32Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
