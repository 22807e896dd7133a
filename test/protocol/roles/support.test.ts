// formatEndpoint keeps recent strings: whatever came before, it gives the endpoint's own text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatEndpoint } from '../../../protocol/roles/support.js';

function dotted(ip: number, port: number): string {
  return `${[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.')}:${port}`;
}

describe('formatEndpoint', () => {
  it('gives a.b.c.d:port for any endpoint, in any order, however often', () => {
    // A pool larger than the memo, so that slots are shared and overwritten; and endpoints whose
    // ip * 2^16 + port collide unless the port is a u16 (e.g. 0.0.0.1:65536 and 0.0.0.2:0).
    const pooled = fc.record({ ip: fc.integer({ min: 0, max: 3000 }), port: fc.constantFrom(0, 1, 33033, 65535) });
    const wild = fc.record({ ip: fc.constantFrom(1, 2, 2 ** 32 - 1), port: fc.constantFrom(0, 65536, 131072) });
    const any = fc.record({ ip: fc.nat({ max: 2 ** 32 - 1 }), port: fc.nat({ max: 65535 }) });
    fc.assert(
      fc.property(fc.array(fc.oneof(pooled, wild, any), { minLength: 1, maxLength: 400 }), (endpoints) => {
        for (const e of endpoints) expect(formatEndpoint(e)).toBe(dotted(e.ip, e.port));
      }),
    );
  });
});
