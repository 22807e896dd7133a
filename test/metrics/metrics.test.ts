import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetricsRecorder } from '../../sim/metrics/recorder.js';
import { empiricalCdf, percentile, summarize } from '../../sim/metrics/summary-stats.js';
import { TimeSeries } from '../../sim/metrics/time-series.js';

describe('summary statistics', () => {
  it('nearest-rank percentiles are observed values and monotone in q', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 300 }), (xs) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const s = summarize(xs);
        for (const p of [s.p10, s.p50, s.p90, s.p99]) expect(xs).toContain(p);
        expect(s.min! <= s.p10! && s.p10! <= s.p50! && s.p50! <= s.p90! && s.p90! <= s.p99! && s.p99! <= s.max!).toBe(true);
        expect(percentile(sorted, 1)).toBe(sorted[sorted.length - 1]);
      }),
    );
  });

  it('knows the median of 1..10 and the CDF ends at 1', () => {
    const xs = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    expect(summarize(xs).p50).toBe(5);
    expect(summarize(xs).mean).toBe(5.5);
    const cdf = empiricalCdf(xs, 5);
    expect(cdf).toEqual([[2, 0.2], [4, 0.4], [6, 0.6], [8, 0.8], [10, 1]]);
  });

  it('summarizes an empty sample as nulls', () => {
    expect(summarize([])).toMatchObject({ count: 0, mean: null, p50: null });
  });
});

describe('MetricsRecorder', () => {
  it('keys series by sorted labels, whatever order they were written in', () => {
    const m = new MetricsRecorder();
    m.record('loginTimeMs', 100, { outcome: 'ok', natClass: 'open' });
    m.record('loginTimeMs', 300, { natClass: 'open', outcome: 'ok' });
    m.record('loginTimeMs', 900, { natClass: 'symmetric', outcome: 'ok' });
    const d = m.distributions().loginTimeMs;
    expect(Object.keys(d)).toEqual(['natClass=open,outcome=ok', 'natClass=symmetric,outcome=ok']);
    expect(d['natClass=open,outcome=ok'].summary.count).toBe(2);
    expect(m.values('loginTimeMs', { outcome: 'ok' }).sort()).toEqual([100, 300, 900]);
    expect(m.values('loginTimeMs', { natClass: 'symmetric' })).toEqual([900]);
  });

  it('gives the values of a series of millions of samples (a large run) without running out of stack', () => {
    const m = new MetricsRecorder();
    for (let i = 0; i < 2_000_000; i++) m.record('callMos', 4, { path: 'direct' });
    expect(m.values('callMos', { path: 'direct' }).length).toBe(2_000_000);
  });

  it('counts and histograms', () => {
    const m = new MetricsRecorder();
    m.count('a');
    m.count('a', 4);
    expect(m.counter('a')).toBe(5);
    [1, 1, 2, 5].forEach((v) => m.record('attempts', v));
    expect(m.histogramOf('attempts')).toEqual({ '1': 2, '2': 1, '5': 1 });
  });
});

describe('TimeSeries', () => {
  it('writes a header, gauges as read and counters as deltas', () => {
    const lines: string[] = [];
    let online = 3;
    let bytes = 100;
    const ts = new TimeSeries(
      [
        { column: 'online', mode: 'gauge', read: () => online },
        { column: 'bytes', mode: 'delta', read: () => bytes },
      ],
      (l) => lines.push(l),
    );
    bytes = 250;
    ts.sample(60_000);
    online = 5;
    bytes = 260;
    ts.sample(120_500);
    expect(lines).toEqual(['time_s,online,bytes', '60,3,150', '120.500,5,10']);
  });
});
