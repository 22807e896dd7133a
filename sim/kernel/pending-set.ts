/**
 * The kernel's pending-event set: events (time, seq, slot, handler, payload) taken out in
 * (time, seq) order.
 *
 * A binary heap alone costs a cache miss per level once it outgrows the caches (millions of
 * pending events). This is a two-tier "ladder" instead (after Tang, Goh and Thng's ladder
 * queue, 2005), so that most events are only appended and read sequentially:
 *
 * - a bucket index g(t) = floor((t - bucketStart) * bucketsPerMs) splits time into a rung of
 *   `bucketCount` buckets; g is monotone in t, so bucket order is time order;
 * - the bottom is a small binary heap holding every event with g(t) < `current`;
 * - bucket i (current <= i < bucketCount) is an unsorted list of its events;
 * - the top is an unsorted list of every event with g(t) >= bucketCount.
 *
 * Every heap event is strictly earlier than every bucket event, and every bucket event than
 * every top event, so the heap minimum is the set's minimum. When the heap empties, the next
 * non-empty bucket is poured into it (and heapified); when the rung is used up, the top is
 * spread over a new rung sized to hold about BUCKET_TARGET events per bucket by the time
 * each bucket is poured (events keep arriving in a rung as it is consumed). Each event is
 * thus appended once or twice and heaped among a few dozen others. A crowded bucket (many
 * events at one instant) degrades to a plain heap, never to wrong order.
 *
 * Lists are chains of fixed-size chunks (three numbers an entry in one Float64Array, handler
 * and payload in one array beside it), so appends and pours touch memory in order. Handler and
 * payload travel with the entry: taking out the front event reads nothing outside the heap,
 * which is what keeps a set of millions of events fast. Pouring asks the owner whether each
 * event is still wanted (`retain`), so cancelled events are dropped early.
 */

/** Events aimed at per bucket when a rung is built. */
const BUCKET_TARGET = 32;
/** Entries per chunk (a power of two). */
const CHUNK = 16;
const CHUNK_SHIFT = 4;
const MAX_BUCKETS = 2 ** 22;
/** Bound on how much a rung is assumed to fill beyond the events it was built with. */
const MAX_RUNG_GROWTH = 64;
const INITIAL_HEAP = 256;
const INITIAL_CHUNKS = 64;

export type Handler = (payload: unknown) => void;

export class PendingSet {
  // Bottom heap, 1-based: parent of p is p >> 1. Columns: time, seq, slot, and handler and
  // payload at heapRefs[2p], heapRefs[2p + 1].
  private heapTime = new Float64Array(INITIAL_HEAP + 1);
  private heapSeq = new Float64Array(INITIAL_HEAP + 1);
  private heapSlot = new Int32Array(INITIAL_HEAP + 1);
  private heapRefs: unknown[] = new Array<unknown>(2 * (INITIAL_HEAP + 1)).fill(undefined);
  private heapSize = 0;

  // The rung: bucket i's list is listHead[i] / listEnd[i]; the top list lives at index bucketCount.
  private bucketStart = 0;
  private bucketsPerMs = 0;
  private bucketCount = 0;
  private current = 0;
  private listHead = new Int32Array([-1]);
  /** Entry index one past the list's last entry, or -1 for an empty list. */
  private listEnd = new Int32Array([-1]);
  private topCount = 0;
  private topMinMs = Infinity;
  private topMaxMs = -Infinity;
  private farCount = 0;
  // Entries the rung was built with, and entries its buckets held when poured: events keep
  // arriving in a rung's buckets while it is consumed, and the next rung is sized for that.
  private rungBuiltWith = 0;
  private rungPoured = 0;

  // Chunks: entry e holds time, seq, slot at chunkData[3e .. 3e + 2] and handler, payload at
  // chunkRefs[2e], chunkRefs[2e + 1]; chunk c holds entries [c * CHUNK, (c + 1) * CHUNK) and
  // chunkNext[c] links the list (or the free list).
  private chunkData = new Float64Array(3 * CHUNK * INITIAL_CHUNKS);
  private chunkRefs: unknown[] = new Array<unknown>(2 * CHUNK * INITIAL_CHUNKS).fill(undefined);
  private chunkNext = new Int32Array(INITIAL_CHUNKS);
  private chunkCount = 0;
  private freeChunk = -1;

  /** `retain(slot)` is asked once per event when it is poured into the heap; false drops it. */
  constructor(private readonly retain: (slot: number) => boolean) {}

  /** Entries held, including any the owner has cancelled but not yet dropped. */
  get size(): number {
    return this.heapSize + this.farCount;
  }

  push(time: number, seq: number, slot: number, handler: Handler, payload: unknown): void {
    const g = Math.floor((time - this.bucketStart) * this.bucketsPerMs);
    if (g < this.current) this.heapPush(time, seq, slot, handler, payload);
    else this.pushFar(g, time, seq, slot, handler, payload);
  }

  /** Time of the earliest entry, or Infinity when empty. The other `min*` need this first. */
  minTime(): number {
    if (this.heapSize === 0) this.refill();
    return this.heapSize > 0 ? this.heapTime[1] : Infinity;
  }

  minSlot(): number {
    return this.heapSlot[1];
  }

  minHandler(): Handler {
    return this.heapRefs[2] as Handler;
  }

  minPayload(): unknown {
    return this.heapRefs[3];
  }

  /** Removes the earliest entry; call after `minTime`. */
  removeMin(): void {
    const last = this.heapSize--;
    const refs = this.heapRefs;
    const handler = refs[2 * last] as Handler;
    const payload = refs[2 * last + 1];
    refs[2 * last] = undefined;
    refs[2 * last + 1] = undefined;
    if (last > 1) this.siftDown(1, this.heapTime[last], this.heapSeq[last], this.heapSlot[last], handler, payload);
  }

  /** `removeMin` then `push`, in one sift when the new entry belongs in the heap. */
  replaceMin(time: number, seq: number, slot: number, handler: Handler, payload: unknown): void {
    const g = Math.floor((time - this.bucketStart) * this.bucketsPerMs);
    if (g < this.current) {
      this.siftDown(1, time, seq, slot, handler, payload);
    } else {
      this.removeMin();
      this.pushFar(g, time, seq, slot, handler, payload);
    }
  }

  private pushFar(g: number, time: number, seq: number, slot: number, handler: Handler, payload: unknown): void {
    if (g < this.bucketCount) {
      this.append(g, time, seq, slot, handler, payload);
    } else {
      this.append(this.bucketCount, time, seq, slot, handler, payload);
      this.topCount++;
      if (time < this.topMinMs) this.topMinMs = time;
      if (time > this.topMaxMs) this.topMaxMs = time;
    }
    this.farCount++;
  }

  /** Pours the next non-empty bucket into the empty heap, building a new rung when needed. */
  private refill(): void {
    while (this.heapSize === 0 && this.farCount > 0) {
      while (this.current < this.bucketCount && this.listEnd[this.current] < 0) this.current++;
      if (this.current === this.bucketCount) {
        // Our own bug if either fails: the counts say entries exist that no list holds, or
        // the new rung did not take the whole top (and would be rebuilt forever).
        if (this.topCount === 0) throw new Error(`PendingSet lost ${this.farCount} entries`);
        this.buildRung();
        if (this.topCount !== 0) throw new Error('PendingSet rung left entries in the top list');
        continue;
      }
      this.pour(this.current++);
    }
  }

  /**
   * Spreads the top list over a fresh rung, with enough buckets for BUCKET_TARGET events each
   * once the rung has filled up as much as the last one did.
   */
  private buildRung(): void {
    const oldTop = this.bucketCount;
    let chunk = this.listHead[oldTop];
    const end = this.listEnd[oldTop];
    const growth = this.rungBuiltWith > 0 ? Math.min(MAX_RUNG_GROWTH, Math.max(1, this.rungPoured / this.rungBuiltWith)) : 1;
    const count = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil((this.topCount * growth) / BUCKET_TARGET)));
    this.rungBuiltWith = this.topCount;
    this.rungPoured = 0;
    const spanMs = this.topMaxMs - this.topMinMs;
    this.bucketStart = this.topMinMs;
    // count - 0.5 keeps g(topMax) = count - 1 inside the rung despite rounding; a zero span
    // makes g constant, which is still monotone (and the heap takes everything).
    this.bucketsPerMs = spanMs > 0 ? (count - 0.5) / spanMs : 0;
    this.bucketCount = count;
    this.current = 0;
    if (this.listHead.length < count + 1) {
      this.listHead = new Int32Array(count + 1);
      this.listEnd = new Int32Array(count + 1);
    }
    this.listHead.fill(-1, 0, count + 1);
    this.listEnd.fill(-1, 0, count + 1);
    this.topCount = 0;
    this.topMinMs = Infinity;
    this.topMaxMs = -Infinity;

    const data = this.chunkData;
    const refs = this.chunkRefs;
    while (chunk >= 0) {
      const first = chunk << CHUNK_SHIFT;
      const stop = chunk === (end - 1) >> CHUNK_SHIFT ? end : first + CHUNK;
      for (let e = first; e < stop; e++) {
        const time = data[3 * e];
        const g = Math.floor((time - this.bucketStart) * this.bucketsPerMs);
        this.append(g, time, data[3 * e + 1], data[3 * e + 2], refs[2 * e] as Handler, refs[2 * e + 1]);
      }
      const next = this.chunkNext[chunk];
      this.freeChunkAt(chunk);
      chunk = next;
    }
  }

  /** Moves bucket i into the empty heap, dropping what the owner no longer retains. */
  private pour(i: number): void {
    let chunk = this.listHead[i];
    const end = this.listEnd[i];
    this.listHead[i] = -1;
    this.listEnd[i] = -1;
    const data = this.chunkData;
    const refs = this.chunkRefs;
    let n = 0;
    while (chunk >= 0) {
      const first = chunk << CHUNK_SHIFT;
      const stop = chunk === (end - 1) >> CHUNK_SHIFT ? end : first + CHUNK;
      this.reserveHeap(n + (stop - first));
      const ht = this.heapTime;
      const hq = this.heapSeq;
      const hs = this.heapSlot;
      const hr = this.heapRefs;
      for (let e = first; e < stop; e++) {
        const slot = data[3 * e + 2] | 0;
        if (this.retain(slot)) {
          n++;
          ht[n] = data[3 * e];
          hq[n] = data[3 * e + 1];
          hs[n] = slot;
          hr[2 * n] = refs[2 * e];
          hr[2 * n + 1] = refs[2 * e + 1];
        }
        refs[2 * e] = undefined;
        refs[2 * e + 1] = undefined;
      }
      this.farCount -= stop - first;
      this.rungPoured += stop - first;
      const next = this.chunkNext[chunk];
      this.freeChunkAt(chunk);
      chunk = next;
    }
    this.heapSize = n;
    const ht = this.heapTime;
    const hq = this.heapSeq;
    const hs = this.heapSlot;
    const hr = this.heapRefs;
    for (let p = n >> 1; p >= 1; p--) this.siftDown(p, ht[p], hq[p], hs[p], hr[2 * p] as Handler, hr[2 * p + 1]);
  }

  private append(list: number, time: number, seq: number, slot: number, handler: Handler, payload: unknown): void {
    let e = this.listEnd[list];
    if (e < 0 || (e & (CHUNK - 1)) === 0) {
      const chunk = this.allocChunk();
      if (e < 0) this.listHead[list] = chunk;
      else this.chunkNext[(e - 1) >> CHUNK_SHIFT] = chunk;
      e = chunk << CHUNK_SHIFT;
    }
    const data = this.chunkData;
    data[3 * e] = time;
    data[3 * e + 1] = seq;
    data[3 * e + 2] = slot;
    const refs = this.chunkRefs;
    refs[2 * e] = handler;
    refs[2 * e + 1] = payload;
    this.listEnd[list] = e + 1;
  }

  private allocChunk(): number {
    let chunk = this.freeChunk;
    if (chunk >= 0) {
      this.freeChunk = this.chunkNext[chunk];
    } else {
      chunk = this.chunkCount++;
      if (chunk === this.chunkNext.length) {
        this.chunkNext = grow(this.chunkNext, new Int32Array(2 * chunk));
        this.chunkData = grow(this.chunkData, new Float64Array(2 * this.chunkData.length));
        for (let k = this.chunkRefs.length; k < 2 * CHUNK * 2 * chunk; k++) this.chunkRefs.push(undefined);
      }
    }
    this.chunkNext[chunk] = -1;
    return chunk;
  }

  private freeChunkAt(chunk: number): void {
    this.chunkNext[chunk] = this.freeChunk;
    this.freeChunk = chunk;
  }

  private reserveHeap(entries: number): void {
    if (entries < this.heapTime.length) return;
    let cap = this.heapTime.length;
    while (cap <= entries) cap *= 2;
    this.heapTime = grow(this.heapTime, new Float64Array(cap));
    this.heapSeq = grow(this.heapSeq, new Float64Array(cap));
    this.heapSlot = grow(this.heapSlot, new Int32Array(cap));
    for (let k = this.heapRefs.length; k < 2 * cap; k++) this.heapRefs.push(undefined);
  }

  private heapPush(time: number, seq: number, slot: number, handler: Handler, payload: unknown): void {
    this.reserveHeap(this.heapSize + 1);
    const ht = this.heapTime;
    const hq = this.heapSeq;
    const hs = this.heapSlot;
    const hr = this.heapRefs;
    let p = ++this.heapSize;
    while (p > 1) {
      const parent = p >> 1;
      const pt = ht[parent];
      if (pt < time || (pt === time && hq[parent] < seq)) break;
      ht[p] = pt;
      hq[p] = hq[parent];
      hs[p] = hs[parent];
      hr[2 * p] = hr[2 * parent];
      hr[2 * p + 1] = hr[2 * parent + 1];
      p = parent;
    }
    ht[p] = time;
    hq[p] = seq;
    hs[p] = slot;
    hr[2 * p] = handler;
    hr[2 * p + 1] = payload;
  }

  /** Places the entry at position p or below, moving smaller children up. */
  private siftDown(p: number, time: number, seq: number, slot: number, handler: Handler, payload: unknown): void {
    const ht = this.heapTime;
    const hq = this.heapSeq;
    const hs = this.heapSlot;
    const hr = this.heapRefs;
    const n = this.heapSize;
    for (;;) {
      let c = 2 * p;
      if (c > n) break;
      let ct = ht[c];
      if (c < n) {
        const rt = ht[c + 1];
        if (rt < ct || (rt === ct && hq[c + 1] < hq[c])) {
          c++;
          ct = rt;
        }
      }
      if (time < ct || (time === ct && seq < hq[c])) break;
      ht[p] = ct;
      hq[p] = hq[c];
      hs[p] = hs[c];
      hr[2 * p] = hr[2 * c];
      hr[2 * p + 1] = hr[2 * c + 1];
      p = c;
    }
    ht[p] = time;
    hq[p] = seq;
    hs[p] = slot;
    hr[2 * p] = handler;
    hr[2 * p + 1] = payload;
  }
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
