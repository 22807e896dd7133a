/**
 * Fixed-size records side by side in one buffer: the layout of the network model's hot tables.
 *
 * A packet reads several fields of its sender, of each NAT box and mapping on its way, and of
 * its receiver. Kept as one typed array per field, each field read is a cache miss of its own
 * once the tables outgrow the caches; in one record, a whole host, box or mapping is one or two
 * cache lines. The buffer is seen through one view per type, and a field is named by its index
 * within the record in the view of its type: `r.f64[id * F64_STRIDE + FIELD]`, `r.u32[id *
 * U32_STRIDE + FIELD]` and so on, with the strides `recordBytes / 8`, `/ 4`, `/ 2` and `/ 1`.
 * Whoever owns a table fetches the views afresh on each call (they are replaced when it grows).
 */

export class Records {
  f64: Float64Array;
  u32: Uint32Array;
  i32: Int32Array;
  u16: Uint16Array;
  u8: Uint8Array;
  private count = 0;

  /** `recordBytes`: a multiple of 8, so that every record's doubles are aligned. */
  constructor(
    readonly recordBytes: number,
    initialCapacity = 64,
  ) {
    if (!(Number.isInteger(recordBytes) && recordBytes > 0 && recordBytes % 8 === 0)) throw new RangeError(`a record is a positive multiple of 8 bytes, got ${recordBytes}`);
    this.f64 = new Float64Array((initialCapacity * recordBytes) / 8);
    this.u32 = new Uint32Array(this.f64.buffer);
    this.i32 = new Int32Array(this.f64.buffer);
    this.u16 = new Uint16Array(this.f64.buffer);
    this.u8 = new Uint8Array(this.f64.buffer);
  }

  /** Records added so far. */
  get size(): number {
    return this.count;
  }

  /** A new record's id; its fields start at zero. */
  add(): number {
    if ((this.count + 1) * this.recordBytes > this.u8.length) {
      const grown = new Float64Array(this.f64.length * 2);
      grown.set(this.f64);
      this.f64 = grown;
      this.u32 = new Uint32Array(grown.buffer);
      this.i32 = new Int32Array(grown.buffer);
      this.u16 = new Uint16Array(grown.buffer);
      this.u8 = new Uint8Array(grown.buffer);
    }
    return this.count++;
  }
}
