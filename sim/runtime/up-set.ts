/**
 * A set of small non-negative integers (host indices) with O(1) add and delete and a dense
 * member list to walk: the hosts that are up, for samplers that would otherwise visit every
 * host. Members are listed in no particular order (a delete moves the last member into the
 * hole), so only order-free reductions (counts, sums, maxima) may walk it.
 */
export class UpSet {
  private list: Int32Array = new Int32Array(64);
  /** Position of each member in `list`, or -1. */
  private position: Int32Array = new Int32Array(64).fill(-1);
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(i: number): boolean {
    return i < this.position.length && this.position[i] >= 0;
  }

  add(i: number): void {
    if (i >= this.position.length) this.position = grown(this.position, i + 1, -1);
    if (this.position[i] >= 0) return;
    if (this.count === this.list.length) this.list = grown(this.list, this.count + 1, 0);
    this.position[i] = this.count;
    this.list[this.count++] = i;
  }

  delete(i: number): void {
    const p = i < this.position.length ? this.position[i] : -1;
    if (p < 0) return;
    const last = this.list[--this.count];
    this.list[p] = last;
    this.position[last] = p;
    this.position[i] = -1;
  }

  /** The k-th member, 0 <= k < size. */
  at(k: number): number {
    return this.list[k];
  }
}

function grown(a: Int32Array, atLeast: number, fill: number): Int32Array {
  const b = new Int32Array(Math.max(atLeast, 2 * a.length)).fill(fill);
  b.set(a);
  return b;
}
