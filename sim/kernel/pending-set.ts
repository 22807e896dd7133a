/**
 * The kernel's pending-event set: events (time, seq, slot) taken out in (time, seq) order.
 * Entries are numbers only; the kernel keeps each event's handler and payload by its slot.
 *
 * A binary heap alone costs a cache miss per level once it outgrows the caches (millions of
 * pending events). This is a ladder queue instead (after Tang, Goh and Thng, 2005), so that
 * most events are only appended to lists and read back in order:
 *
 * - the top is an unsorted list of the events beyond the ladder;
 * - rung 0 splits the time span of the top, when it was last taken, into buckets with
 *   g(t) = floor((t - rungStart) * rungPerMs); g is monotone in t, so bucket order is time
 *   order. Buckets before `rungCurrent` have been taken;
 * - a bucket too crowded to heap cheaply is split again into a child rung over its own time
 *   span (rungs 1, 2, ... each subdividing one bucket of the rung above);
 * - the bottom is a small binary heap holding every event earlier than all remaining buckets.
 *
 * So every heap event precedes every bucket event, which precede every top event, and the
 * heap minimum is the set's minimum. When the heap empties, the first remaining bucket of the
 * deepest rung is poured into it (and heapified), or split; a used-up rung is dropped; when
 * rung 0 is used up the top becomes the new rung 0. Rung 0 gets enough buckets for about
 * BUCKET_TARGET events each once it has filled up as much as the last one did (events keep
 * arriving in a rung while it is consumed). An event is appended a few times and heaped
 * among a few dozen others. A crowd at one instant cannot be split; it is heaped whole, which
 * is slower, never wrong.
 *
 * A rung built from a few events over a wide span, then filled by dense traffic inside that
 * span, would send all of that traffic to the heap (it lands before the bucket just taken):
 * measured, a heap of 15,000 events in the network benchmark, a sixth of its time. So a heap
 * that outgrows HEAP_MAX is spread into a new deepest rung over its own span, and the last
 * bucket of a child rung, which takes everything after the rung's span, is split by rebuilding
 * that rung rather than by opening one more below it.
 *
 * Lists are chains of fixed-size chunks (three numbers an entry in Float64Arrays), so appends
 * and pours touch memory in order. An entry holds no reference: moving one (append, spread,
 * pour, every level of a sift) copies numbers between typed arrays, where a reference would
 * also pay V8's write barrier. Pouring asks the owner whether each event is still wanted
 * (`retain`), so cancelled events are dropped early.
 *
 * Memory: 24 bytes a pending event plus a part-filled chunk per non-empty bucket.
 */

/** Events aimed at per bucket when a rung is built. */
const BUCKET_TARGET = 32;
/** A bucket with more entries than this is split into a child rung rather than heaped. */
const SPLIT_ABOVE = 4 * BUCKET_TARGET;
const MAX_RUNGS = 8;
/** A heap with more entries than this is spread into a new rung when an event is pushed onto it. */
const HEAP_MAX = 4 * SPLIT_ABOVE;
/** Entries per chunk (a power of two). */
const CHUNK = 16;
const CHUNK_SHIFT = 4;
const MAX_BUCKETS = 2 ** 22;
/** Bound on how much rung 0 is assumed to fill beyond the events it was built with. */
const MAX_RUNG_GROWTH = 64;
const INITIAL_HEAP = 256;
/**
 * Spans no wider than this are treated as one instant: dividing them into buckets would take a
 * scale beyond the largest double (a span of a few subnormals gives Infinity, and 0 * Infinity
 * a NaN bucket). Their events are heaped, which orders them exactly.
 */
const MIN_SPAN_MS = 1e-290;
/** Chunk storage grows a segment at a time, so growing copies nothing and wastes at most a segment. */
const SEGMENT_SHIFT = 14;
const SEGMENT_MASK = (1 << SEGMENT_SHIFT) - 1;
const INITIAL_CHUNKS = 64;
const INITIAL_LISTS = 64;
/** List index of the top. */
const TOP = 0;
/** Lists: head chunk, end (entry index one past the last entry; -1 when empty), size. */
const LIST_STRIDE = 3;

export class PendingSet {
  // Bottom heap, 1-based: parent of p is p >> 1. Columns: time, seq, slot.
  private heapTime = new Float64Array(INITIAL_HEAP + 1);
  private heapSeq = new Float64Array(INITIAL_HEAP + 1);
  private heapSlot = new Int32Array(INITIAL_HEAP + 1);
  private heapSize = 0;
  /** Heap size at which a push spreads the heap into a rung; raised when that cannot be done. */
  private heapSpillAbove = HEAP_MAX;

  // Rungs 0 .. rungCount - 1; rung r's bucket i is list rungBase[r] + i.
  private rungCount = 0;
  private readonly rungStart = new Float64Array(MAX_RUNGS);
  private readonly rungPerMs = new Float64Array(MAX_RUNGS);
  private readonly rungBuckets = new Int32Array(MAX_RUNGS);
  private readonly rungCurrent = new Int32Array(MAX_RUNGS);
  private readonly rungBase = new Int32Array(MAX_RUNGS);
  private lists = new Int32Array(LIST_STRIDE * INITIAL_LISTS).fill(-1);
  private topMinMs = Infinity;
  private topMaxMs = -Infinity;
  /** Entries in lists (not in the heap). */
  private farCount = 0;
  // Entries rung 0 was built with, and entries its buckets held when taken: the next rung 0
  // is sized for that growth.
  private rungBuiltWith = 0;
  private rungTaken = 0;

  // Chunks: chunk c holds entries [c * CHUNK, (c + 1) * CHUNK), and chunkNext[c] links the
  // list (or the free list). Entry e lives in segment e >> SEGMENT_SHIFT at i = e & SEGMENT_MASK:
  // time, seq, slot at dataSegments[s][3i .. 3i + 2]. A chunk never straddles two segments.
  private readonly dataSegments: Float64Array[] = [];
  private chunkNext = new Int32Array(INITIAL_CHUNKS);
  private chunkCount = 0;
  private freeChunk = -1;

  /** `retain(slot)` is asked once per event when it is poured into the heap; false drops it. */
  constructor(private readonly retain: (slot: number) => boolean) {
    this.lists[LIST_STRIDE * TOP + 2] = 0;
  }

  /** Entries held, including any the owner has cancelled but not yet dropped. */
  get size(): number {
    return this.heapSize + this.farCount;
  }

  push(time: number, seq: number, slot: number): void {
    const list = this.listFor(time);
    if (list >= 0) {
      this.append(list, time, seq, slot);
      return;
    }
    this.heapPush(time, seq, slot);
    if (this.heapSize > this.heapSpillAbove) this.spillHeap();
  }

  /** Time of the earliest entry, or Infinity when empty. The other `min*` need this first. */
  minTime(): number {
    if (this.heapSize === 0) this.refill();
    return this.heapSize > 0 ? this.heapTime[1] : Infinity;
  }

  minSlot(): number {
    return this.heapSlot[1];
  }

  /** Removes the earliest entry; call after `minTime`. */
  removeMin(): void {
    const last = this.heapSize--;
    if (last > 1) this.siftDown(1, this.heapTime[last], this.heapSeq[last], this.heapSlot[last]);
  }

  /** `removeMin` then `push`, in one sift when the new entry belongs in the heap. */
  replaceMin(time: number, seq: number, slot: number): void {
    const list = this.listFor(time);
    if (list < 0) {
      this.siftDown(1, time, seq, slot);
    } else {
      this.removeMin();
      this.append(list, time, seq, slot);
    }
  }

  /** The list an event at `time` belongs in, or -1 for the heap. */
  private listFor(time: number): number {
    if (this.rungCount === 0) return TOP;
    let g = Math.floor((time - this.rungStart[0]) * this.rungPerMs[0]);
    if (g >= this.rungBuckets[0]) return TOP;
    if (g >= this.rungCurrent[0]) return this.rungBase[0] + g;
    for (let r = 1; r < this.rungCount; r++) {
      // A child rung covers one bucket of its parent: anything past its span belongs in its
      // last bucket, while that is still to be taken.
      const buckets = this.rungBuckets[r];
      const current = this.rungCurrent[r];
      g = Math.floor((time - this.rungStart[r]) * this.rungPerMs[r]);
      if (g >= current && current < buckets) return this.rungBase[r] + (g < buckets ? g : buckets - 1);
    }
    return -1;
  }

  /** Fills the empty heap from the first remaining bucket, splitting and rebuilding as needed. */
  private refill(): void {
    this.heapSpillAbove = HEAP_MAX;
    while (this.heapSize === 0 && this.farCount > 0) {
      if (this.rungCount === 0) {
        this.buildTopRung();
        continue;
      }
      const r = this.rungCount - 1;
      const base = this.rungBase[r];
      const buckets = this.rungBuckets[r];
      let i = this.rungCurrent[r];
      while (i < buckets && this.lists[LIST_STRIDE * (base + i) + 1] < 0) i++;
      if (i === buckets) {
        this.rungCurrent[r] = i;
        if (r > 0) this.rungCount--;
        else this.buildTopRung();
        continue;
      }
      this.rungCurrent[r] = i + 1;
      const list = base + i;
      const size = this.lists[LIST_STRIDE * list + 2];
      if (r === 0) this.rungTaken += size;
      if (size > SPLIT_ABOVE) {
        // A child rung's last bucket also takes every event after the rung's span: rebuilt in
        // place over its own events, the rung follows the traffic instead of growing a chain
        // of rungs, one below the other, until none is left to open.
        if (r > 0 && i === buckets - 1) {
          this.rungCount--;
          if (this.splitBucket(list, size)) continue;
          this.rungCount++;
        } else if (this.rungCount < MAX_RUNGS && this.splitBucket(list, size)) {
          continue;
        }
      }
      this.pour(list);
    }
  }

  /** Makes the top the new rung 0, with enough buckets for the growth the last rung 0 saw. */
  private buildTopRung(): void {
    const size = this.lists[LIST_STRIDE * TOP + 2];
    // Our own bug if this fails: the counts say entries exist that no list holds.
    if (size === 0) throw new Error(`PendingSet lost ${this.farCount} entries`);
    const growth = this.rungBuiltWith > 0 ? Math.min(MAX_RUNG_GROWTH, Math.max(1, this.rungTaken / this.rungBuiltWith)) : 1;
    this.rungBuiltWith = size;
    this.rungTaken = 0;
    const end = this.lists[LIST_STRIDE * TOP + 1];
    const head = this.detach(TOP);
    this.rungCount = 0;
    this.openRung(this.topMinMs, this.topMaxMs, (size * growth) / BUCKET_TARGET);
    this.topMinMs = Infinity;
    this.topMaxMs = -Infinity;
    this.spread(head, end, 0);
  }

  /** Splits a crowded bucket into a child rung; false if its events' span is too narrow to divide. */
  private splitBucket(list: number, size: number): boolean {
    let minMs = Infinity;
    let maxMs = -Infinity;
    const end = this.lists[LIST_STRIDE * list + 1];
    for (let chunk = this.lists[LIST_STRIDE * list]; chunk >= 0; chunk = this.chunkNext[chunk]) {
      const first = chunk << CHUNK_SHIFT;
      const stop = chunk === (end - 1) >> CHUNK_SHIFT ? end : first + CHUNK;
      const data = this.dataSegments[first >> SEGMENT_SHIFT];
      for (let e = first; e < stop; e++) {
        const t = data[3 * (e & SEGMENT_MASK)];
        if (t < minMs) minMs = t;
        if (t > maxMs) maxMs = t;
      }
    }
    if (!(maxMs - minMs > MIN_SPAN_MS)) return false;
    const head = this.detach(list);
    this.openRung(minMs, maxMs, size / BUCKET_TARGET);
    this.spread(head, end, this.rungCount - 1);
    return true;
  }

  /**
   * Empties an overgrown heap into a new deepest rung over its span (its events precede every
   * bucket's, so the rung goes below the others); refill pours its first bucket back. A heap
   * that cannot be spread (no rung left, or a span too narrow to divide) stays, and is tried
   * again only at twice its size.
   */
  private spillHeap(): void {
    const n = this.heapSize;
    const ht = this.heapTime;
    let minMs = Infinity;
    let maxMs = -Infinity;
    for (let p = 1; p <= n; p++) {
      if (ht[p] < minMs) minMs = ht[p];
      if (ht[p] > maxMs) maxMs = ht[p];
    }
    if (this.rungCount === MAX_RUNGS || !(maxMs - minMs > MIN_SPAN_MS)) {
      this.heapSpillAbove = 2 * n;
      return;
    }
    this.openRung(minMs, maxMs, n / BUCKET_TARGET);
    const r = this.rungCount - 1;
    const start = this.rungStart[r];
    const perMs = this.rungPerMs[r];
    const base = this.rungBase[r];
    const last = this.rungBuckets[r] - 1;
    const hq = this.heapSeq;
    const hs = this.heapSlot;
    for (let p = 1; p <= n; p++) {
      const g = Math.floor((ht[p] - start) * perMs);
      this.append(base + (g < last ? g : last), ht[p], hq[p], hs[p]);
    }
    this.heapSize = 0;
    this.heapSpillAbove = HEAP_MAX;
  }

  /** Pushes a rung over [minMs, maxMs] with about `buckets` buckets, after the rungs in use. */
  private openRung(minMs: number, maxMs: number, buckets: number): void {
    const r = this.rungCount++;
    const count = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil(buckets)));
    const base = r === 0 ? TOP + 1 : this.rungBase[r - 1] + this.rungBuckets[r - 1];
    const spanMs = maxMs - minMs;
    this.rungStart[r] = minMs;
    // count - 0.5 keeps g(maxMs) = count - 1 inside the rung despite rounding; a span too
    // narrow to divide makes g constant, which is still monotone.
    this.rungPerMs[r] = spanMs > MIN_SPAN_MS ? (count - 0.5) / spanMs : 0;
    this.rungBuckets[r] = count;
    this.rungCurrent[r] = 0;
    this.rungBase[r] = base;
    const needed = LIST_STRIDE * (base + count);
    if (this.lists.length < needed) {
      const grown = new Int32Array(Math.max(needed, 2 * this.lists.length));
      grown.set(this.lists);
      this.lists = grown;
    }
    this.lists.fill(-1, LIST_STRIDE * base, needed);
    for (let i = base; i < base + count; i++) this.lists[LIST_STRIDE * i + 2] = 0;
  }

  /** Empties a list; returns its first chunk. */
  private detach(list: number): number {
    const head = this.lists[LIST_STRIDE * list];
    this.lists[LIST_STRIDE * list] = -1;
    this.lists[LIST_STRIDE * list + 1] = -1;
    this.farCount -= this.lists[LIST_STRIDE * list + 2];
    this.lists[LIST_STRIDE * list + 2] = 0;
    return head;
  }

  /** Appends the entries of a detached chain (ending at entry `end`) to rung r, freeing its chunks. */
  private spread(head: number, end: number, r: number): void {
    const start = this.rungStart[r];
    const perMs = this.rungPerMs[r];
    const base = this.rungBase[r];
    const last = this.rungBuckets[r] - 1;
    let chunk = head;
    while (chunk >= 0) {
      const first = chunk << CHUNK_SHIFT;
      const stop = chunk === (end - 1) >> CHUNK_SHIFT ? end : first + CHUNK;
      const data = this.dataSegments[first >> SEGMENT_SHIFT];
      for (let e = first; e < stop; e++) {
        const i = e & SEGMENT_MASK;
        const time = data[3 * i];
        const g = Math.floor((time - start) * perMs);
        this.append(base + (g < last ? g : last), time, data[3 * i + 1], data[3 * i + 2]);
      }
      const next = this.chunkNext[chunk];
      this.freeChunkAt(chunk);
      chunk = next;
    }
  }

  /** Moves a list into the empty heap, dropping what the owner no longer retains. */
  private pour(list: number): void {
    const end = this.lists[LIST_STRIDE * list + 1];
    let chunk = this.detach(list);
    let n = 0;
    while (chunk >= 0) {
      const first = chunk << CHUNK_SHIFT;
      const stop = chunk === (end - 1) >> CHUNK_SHIFT ? end : first + CHUNK;
      const data = this.dataSegments[first >> SEGMENT_SHIFT];
      this.reserveHeap(n + (stop - first));
      const ht = this.heapTime;
      const hq = this.heapSeq;
      const hs = this.heapSlot;
      for (let e = first; e < stop; e++) {
        const i = e & SEGMENT_MASK;
        const slot = data[3 * i + 2] | 0;
        if (this.retain(slot)) {
          n++;
          ht[n] = data[3 * i];
          hq[n] = data[3 * i + 1];
          hs[n] = slot;
        }
      }
      const next = this.chunkNext[chunk];
      this.freeChunkAt(chunk);
      chunk = next;
    }
    this.heapSize = n;
    const ht = this.heapTime;
    const hq = this.heapSeq;
    const hs = this.heapSlot;
    for (let p = n >> 1; p >= 1; p--) this.siftDown(p, ht[p], hq[p], hs[p]);
  }

  private append(list: number, time: number, seq: number, slot: number): void {
    const lists = this.lists;
    const at = LIST_STRIDE * list;
    let e = lists[at + 1];
    if (e < 0 || (e & (CHUNK - 1)) === 0) {
      const chunk = this.allocChunk();
      if (e < 0) lists[at] = chunk;
      else this.chunkNext[(e - 1) >> CHUNK_SHIFT] = chunk;
      e = chunk << CHUNK_SHIFT;
    }
    const data = this.dataSegments[e >> SEGMENT_SHIFT];
    const i = e & SEGMENT_MASK;
    data[3 * i] = time;
    data[3 * i + 1] = seq;
    data[3 * i + 2] = slot;
    lists[at + 1] = e + 1;
    lists[at + 2]++;
    this.farCount++;
    if (list === TOP) {
      if (time < this.topMinMs) this.topMinMs = time;
      if (time > this.topMaxMs) this.topMaxMs = time;
    }
  }

  private allocChunk(): number {
    let chunk = this.freeChunk;
    if (chunk >= 0) {
      this.freeChunk = this.chunkNext[chunk];
    } else {
      chunk = this.chunkCount++;
      if (chunk === this.chunkNext.length) this.chunkNext = grow(this.chunkNext, new Int32Array(2 * chunk));
      if ((chunk << CHUNK_SHIFT) >> SEGMENT_SHIFT === this.dataSegments.length) {
        this.dataSegments.push(new Float64Array(3 << SEGMENT_SHIFT));
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
  }

  private heapPush(time: number, seq: number, slot: number): void {
    this.reserveHeap(this.heapSize + 1);
    const ht = this.heapTime;
    const hq = this.heapSeq;
    const hs = this.heapSlot;
    let p = ++this.heapSize;
    while (p > 1) {
      const parent = p >> 1;
      const pt = ht[parent];
      if (pt < time || (pt === time && hq[parent] < seq)) break;
      ht[p] = pt;
      hq[p] = hq[parent];
      hs[p] = hs[parent];
      p = parent;
    }
    ht[p] = time;
    hq[p] = seq;
    hs[p] = slot;
  }

  /** Places the entry at position p or below, moving smaller children up. */
  private siftDown(p: number, time: number, seq: number, slot: number): void {
    const ht = this.heapTime;
    const hq = this.heapSeq;
    const hs = this.heapSlot;
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
      p = c;
    }
    ht[p] = time;
    hq[p] = seq;
    hs[p] = slot;
  }
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
