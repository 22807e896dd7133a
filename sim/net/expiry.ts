/**
 * When soft state runs out: NAT mappings and filter permissions, each with an expiry time.
 *
 * They could each be a kernel event, but there are hundreds of thousands of them at a time in a
 * large run, living minutes, while packets live milliseconds: in the kernel's heap they would
 * make every packet's event cost more. So they wait here instead, in a binary min-heap of
 * their own, with one kernel event armed at the earliest of them.
 *
 * Order: by time, then by the order they were added, so equal times fire in a fixed order. An
 * entry fires at its time exactly; the owner's handler decides whether the state has really
 * run out (it may have been refreshed since) and may add it again.
 */
import type { EventId, Kernel } from '../kernel/index.js';
import { grown } from './grow.js';

export class ExpiryQueue {
  private time = new Float64Array(1024);
  private seq = new Float64Array(1024);
  private id = new Int32Array(1024);
  private size = 0;
  private nextSeq = 0;
  private armedMs = Infinity;
  private armed: EventId = -1;
  private firing = false;

  constructor(
    private readonly kernel: Kernel,
    private readonly onDue: (id: number) => void,
  ) {}

  /** `onDue(id)` will run at `timeMs` (>= now). */
  add(timeMs: number, id: number): void {
    if (this.size === this.time.length) {
      const n = this.size * 2;
      this.time = grown(this.time, n);
      this.seq = grown(this.seq, n);
      this.id = grown(this.id, n);
    }
    const seq = this.nextSeq++;
    const time = this.time;
    const seqs = this.seq;
    const ids = this.id;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (time[p] < timeMs || (time[p] === timeMs && seqs[p] < seq)) break;
      time[i] = time[p];
      seqs[i] = seqs[p];
      ids[i] = ids[p];
      i = p;
    }
    time[i] = timeMs;
    seqs[i] = seq;
    ids[i] = id;
    if (!this.firing && timeMs < this.armedMs) this.arm(timeMs);
  }

  private arm(timeMs: number): void {
    if (this.armed !== -1) this.kernel.cancel(this.armed);
    this.armedMs = timeMs;
    this.armed = this.kernel.at(timeMs, this.fire, null);
  }

  private readonly fire = (): void => {
    this.armed = -1;
    this.armedMs = Infinity;
    this.firing = true;
    const nowMs = this.kernel.now;
    while (this.size > 0 && this.time[0] <= nowMs) this.onDue(this.pop());
    this.firing = false;
    if (this.size > 0) this.arm(this.time[0]);
  };

  private pop(): number {
    const time = this.time;
    const seqs = this.seq;
    const ids = this.id;
    const top = ids[0];
    const last = --this.size;
    const t = time[last];
    const s = seqs[last];
    const v = ids[last];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && (time[c + 1] < time[c] || (time[c + 1] === time[c] && seqs[c + 1] < seqs[c]))) c++;
      if (t < time[c] || (t === time[c] && s < seqs[c])) break;
      time[i] = time[c];
      seqs[i] = seqs[c];
      ids[i] = ids[c];
      i = c;
    }
    time[i] = t;
    seqs[i] = s;
    ids[i] = v;
    return top;
  }
}
