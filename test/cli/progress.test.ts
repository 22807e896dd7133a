// The progress line: what it says, when it is drawn, and how often.
import { describe, expect, it } from 'vitest';
import { clock, count, createProgress, renderProgress, wantsProgress } from '../../sim/cli/progress.js';

describe('renderProgress', () => {
  it('shows share done, simulated time, event rate and the wall time left', () => {
    expect(renderProgress({ simMs: 3_024_000, durationMs: 7_200_000, events: 12_000_000, wallMs: 10_000, columns: 100 })).toBe(
      ' 42% [#############-----------------]  sim 50:24 / 2:00:00  1.2M events/s  ETA 0:14',
    );
  });

  it('knows no ETA before any simulated time has passed', () => {
    expect(renderProgress({ simMs: 0, durationMs: 60_000, events: 0, wallMs: 0, columns: 100 })).toContain('ETA ?');
  });

  it('drops the bar, then truncates, on a narrow terminal', () => {
    const p = { simMs: 30_000, durationMs: 60_000, events: 500, wallMs: 1000, columns: 50 };
    expect(renderProgress(p)).toBe(' 50%  sim 0:30 / 1:00  500 events/s  ETA 0:01');
    expect(renderProgress({ ...p, columns: 20 })).toHaveLength(19);
  });

  it('never overflows the terminal width', () => {
    for (const columns of [40, 60, 80, 120, 200]) {
      for (const done of [0, 0.3, 1]) {
        const line = renderProgress({ simMs: done * 86_400_000, durationMs: 86_400_000, events: 123_456_789, wallMs: 3_600_000, columns });
        expect(line.length).toBeLessThan(columns);
      }
    }
  });

  it.each([
    [0, '0:00'],
    [59_400, '0:59'],
    [61_000, '1:01'],
    [3_600_000, '1:00:00'],
    [36_061_000, '10:01:01'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(clock(ms)).toBe(text);
  });

  it.each([
    [950, '950'],
    [1_234, '1.2k'],
    [12_345, '12k'],
    [1_234_567, '1.2M'],
  ])('writes %d as %s', (n, text) => {
    expect(count(n)).toBe(text);
  });
});

describe('wantsProgress', () => {
  it.each([
    [true, {}, false, true],
    [false, {}, false, false],
    [true, {}, true, false],
    [true, { CI: 'true' }, false, false],
    [true, { CI: '1' }, false, false],
    [true, { CI: 'false' }, false, true],
    [true, { TERM: 'dumb' }, false, false],
  ])('tty %s, env %j, quiet %s: %s', (isTTY, env, quiet, expected) => {
    expect(wantsProgress({ write: () => true, isTTY }, env, quiet)).toBe(expected);
  });
});

describe('createProgress', () => {
  it('redraws at most every 200 ms of wall time, and always at the end', () => {
    let nowMs = 0;
    const writes: string[] = [];
    const progress = createProgress({ write: (t) => writes.push(t), columns: 100 }, 100_000, () => nowMs);
    progress.update(1_000, 10);
    nowMs = 100;
    progress.update(2_000, 20);
    nowMs = 250;
    progress.update(3_000, 30);
    progress.update(4_000, 40);
    progress.finish();
    expect(writes.filter((w) => w.startsWith('\r')).map((w) => w.slice(1, 5))).toEqual(['  1%', '  3%', '  4%']);
    expect(writes.at(-1)).toBe('\n');
  });

  it('assumes 80 columns on a terminal that reports none', () => {
    const writes: string[] = [];
    const progress = createProgress({ write: (t) => writes.push(t), columns: 0 }, 60_000, () => 0);
    progress.update(30_000, 1);
    expect(writes[0]).toMatch(/^\r 50% \[#+-+\]  sim 0:30 \/ 1:00/);
  });
});
