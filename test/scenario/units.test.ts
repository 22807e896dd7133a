// Values with units: what parses to what, what is refused, and that writing a value back
// (as the schema's descriptions do) reads as the same number.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBandwidth, formatDuration, parseBitsPerSec, parseDurationMs, parseRatio } from '../../sim/scenario/units.js';

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['150ms', 150],
    ['2h', 7_200_000],
    ['30min', 1_800_000],
    ['5m', 300_000],
    ['1h30min', 5_400_000],
    ['1h 30min', 5_400_000],
    ['0.5s', 500],
    ['.5s', 500],
    ['72h', 259_200_000],
    ['1d', 86_400_000],
    ['-5h', -18_000_000],
    [' 20 ms ', 20],
    [0, 0],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each([['90'], ['5 parsecs'], ['5mss'], ['h'], ['1.2.3s'], [''], [90], [true], [null], ['5S']])('refuses %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('reads back what formatDuration writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
        expect(parseDurationMs(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('adds up the terms of a compound duration', () => {
    const units = { ms: 1, s: 1_000, min: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    const term = fc.tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])));
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), (terms) => {
        const text = terms.map(([n, u]) => `${n}${u}`).join('');
        expect(parseDurationMs(text)).toBe(terms.reduce((sum, [n, u]) => sum + n * units[u], 0));
      }),
    );
  });
});

describe('bandwidths', () => {
  it.each([
    ['1Mbit', 1_000_000],
    ['100kbit', 100_000],
    ['56kbps', 56_000],
    ['3kB/s', 24_000],
    ['1.5 Mbit/s', 1_500_000],
    ['1Gbit', 1_000_000_000],
    ['10bit', 10],
    ['2MB', 16_000_000],
    [0, 0],
  ])('%j is %d bits/s', (text, bits) => {
    expect(parseBitsPerSec(text)).toBe(bits);
  });

  it.each([['1Mbitt'], ['100'], ['1 mbit'], ['3kB/h'], [1000], ['fast']])('refuses %j', (text) => {
    expect(parseBitsPerSec(text)).toBeUndefined();
  });

  it('reads back what formatBandwidth writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), (bits) => {
        expect(parseBitsPerSec(formatBandwidth(bits))).toBe(bits);
      }),
    );
  });
});

describe('ratios', () => {
  it.each([
    ['5%', 0.05],
    [0.05, 0.05],
    ['100%', 1],
    ['0%', 0],
    [' 12.5 % ', 0.125],
    [1, 1],
  ])('%j is %d', (text, ratio) => {
    expect(parseRatio(text)).toBeCloseTo(ratio, 12);
  });

  it.each([['150%'], [1.5], [-0.1], ['-5%'], ['0.05'], ['5'], [null], [true]])('refuses %j', (text) => {
    expect(parseRatio(text)).toBeUndefined();
  });
});
