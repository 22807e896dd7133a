// The V8 flags `sim run` relaunches itself with: the old generation only when the run needs more
// than the process has, the young generation from LARGE_RUN_HOSTS on, and never a flag the user
// set.
import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { heapLimitMiBFor, LARGE_RUN_HOSTS, LARGE_RUN_SEMI_SPACE_MIB, v8FlagsFor } from '../../sim/run/heap.js';

const SEMI = `--max-semi-space-size=${LARGE_RUN_SEMI_SPACE_MIB}`;

describe('v8FlagsFor', () => {
  it('gives a small run nothing', () => {
    expect(v8FlagsFor(5_000, 4_096, '')).toEqual([]);
    expect(v8FlagsFor(LARGE_RUN_HOSTS - 1, 4_096, '')).toEqual([]);
  });

  it('gives a large run a larger young generation, and the old generation only when the limit is too small', () => {
    expect(v8FlagsFor(LARGE_RUN_HOSTS, 4_096, '')).toEqual([SEMI]);
    expect(v8FlagsFor(100_000, 4_096, '')).toEqual([SEMI]);
    expect(v8FlagsFor(100_000, 1_024, '')).toEqual([`--max-old-space-size=${heapLimitMiBFor(100_000)}`, SEMI]);
  });

  it('raises the old generation for a run that needs more than the limit', () => {
    const hosts = 400_000;
    const wanted = heapLimitMiBFor(hosts);
    expect(wanted).toBeLessThanOrEqual(Math.floor((0.9 * totalmem()) / 2 ** 20));
    expect(v8FlagsFor(hosts, wanted - 1, '')).toEqual([`--max-old-space-size=${wanted}`, SEMI]);
    expect(v8FlagsFor(hosts, wanted, '')).toEqual([SEMI]);
  });

  it('never overrides a flag the user gave', () => {
    expect(v8FlagsFor(400_000, 1_024, '--max-old-space-size=8000')).toEqual([SEMI]);
    expect(v8FlagsFor(400_000, 1_024, '--inspect --max-semi-space-size=16')).toEqual([`--max-old-space-size=${heapLimitMiBFor(400_000)}`]);
    expect(v8FlagsFor(400_000, 1_024, '--max_old_space_size=8000 --max_semi_space_size=16')).toEqual([]);
  });
});
