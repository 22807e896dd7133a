// Records: fields written through any view survive the table's growth, in their own record.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Records } from '../../sim/net/records.js';

describe('Records', () => {
  it('keeps every record the same through growth, whatever view wrote it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }).map((words) => words * 8),
        fc.integer({ min: 1, max: 300 }),
        fc.double({ noNaN: true }),
        (recordBytes, count, x) => {
          const r = new Records(recordBytes, 1);
          const f64 = recordBytes / 8;
          const u32 = recordBytes / 4;
          const u16 = recordBytes / 2;
          for (let i = 0; i < count; i++) {
            expect(r.add()).toBe(i);
            // Apart in the record: its first double, the byte after it, and its last half-word and word.
            r.f64[i * f64] = x + i;
            r.i32[i * u32 + u32 - 1] = -i;
            r.u16[i * u16 + u16 - 3] = i & 0xffff;
            r.u8[i * recordBytes + 8] = i & 0xff;
          }
          expect(r.size).toBe(count);
          for (let i = 0; i < count; i++) {
            expect(r.f64[i * f64]).toBe(x + i);
            expect(r.i32[i * u32 + u32 - 1]).toBe(-i | 0);
            expect(r.u16[i * u16 + u16 - 3]).toBe(i & 0xffff);
            expect(r.u8[i * recordBytes + 8]).toBe(i & 0xff);
          }
          // All views see one buffer: the i32 field reads back through u32 as its unsigned bits.
          expect(r.u32[(count - 1) * u32 + u32 - 1]).toBe(-(count - 1) >>> 0);
        },
      ),
    );
  });

  it('starts a new record at zero after growth', () => {
    const r = new Records(16, 1);
    r.add();
    r.f64[0] = 5;
    const id = r.add();
    expect([r.f64[id * 2], r.f64[id * 2 + 1]]).toEqual([0, 0]);
  });

  it('refuses a record size that would misalign its doubles', () => {
    for (const bytes of [0, 4, 12, 2.5, -8]) expect(() => new Records(bytes)).toThrow(RangeError);
  });
});
