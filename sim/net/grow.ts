/**
 * Growing the struct-of-arrays tables of the network model: per-host, per-NAT, per-mapping and
 * per-packet fields live in typed arrays indexed by id, doubled when full.
 */

type TypedArray = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A copy of `from` with room for `capacity` elements (the rest `fill`). */
export function grown<T extends TypedArray>(from: T, capacity: number, fill = 0): T {
  const to = new (from.constructor as new (length: number) => T)(capacity);
  if (fill !== 0) to.fill(fill, from.length);
  to.set(from);
  return to;
}
