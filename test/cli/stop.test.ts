// The run budgets' options (sim/cli/stop.ts): whatever is typed, a budget the engine can use or
// an error that names the option - never a throw, never a budget of zero, a fraction or Infinity.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBudget } from '../../sim/cli/stop.js';

const typed = fc.oneof(
  fc.string(),
  fc.constantFrom('5M', '2.5k', '1G', '0', '-1', '1e7', 'NaN', 'Infinity', '90s', '10m', '1h30min', '0s', '-5m', '10', ' 3 M ', '9007199254740993'),
);

describe('run budget options', () => {
  it('give a usable budget or an error naming the option, for anything typed', () => {
    fc.assert(
      fc.property(typed, typed, (maxEvents, maxWall) => {
        const r = parseBudget({ maxEvents, maxWall });
        if (r.ok) {
          expect(Number.isSafeInteger(r.budget.maxEvents) && r.budget.maxEvents! > 0).toBe(true);
          expect(r.budget.maxWallMs! > 0 && r.budget.maxWallMs! < Infinity).toBe(true);
        } else {
          expect(r.errors.length).toBeGreaterThan(0);
          for (const e of r.errors) expect(e.source).toMatch(/^--max-(events|wall) /);
        }
      }),
    );
  });

  it('read counts with k, M and G, and durations with units', () => {
    expect(parseBudget({ maxEvents: '2.5M', maxWall: '1h30min' })).toEqual({ ok: true, budget: { maxEvents: 2_500_000, maxWallMs: 5_400_000 } });
    expect(parseBudget({ maxEvents: '40000' })).toEqual({ ok: true, budget: { maxEvents: 40_000 } });
    expect(parseBudget({})).toEqual({ ok: true, budget: {} });
  });
});
