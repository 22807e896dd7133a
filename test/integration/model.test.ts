// Model-based test of the protocol core on the real network (STYLE.md 10, 12): fast-check draws
// sequences of logins, logouts, host and SN crashes and restarts, time advances, a partition
// between the two regions and its healing; the four safety checkers (sim/checkers) run after
// every kernel event of every run, and after the last command the world must reach liveness
// within the bound of sim/checkers/bounds.ts. A failure prints fast-check's seed and path and
// the command log (`login(pub-a) · crashSN(sn-0) · advance(30000)`) with the violations.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { begin, COMMANDS, initialModel, modelWorld, settle, type Real } from './model.js';

describe('model-based: safety at every step, liveness after healing', () => {
  it('holds for random command sequences', () => {
    let settledRuns = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.commands(COMMANDS, { maxCommands: 30, size: 'medium' }), (seed, cmds) => {
        const real: Real = { sw: modelWorld(seed), log: [] };
        const model = initialModel();
        begin(real, model);
        fc.modelRun(() => ({ model, real }), cmds);
        if (settle(real, model) > 0) settledRuns++;
      }),
      { numRuns: Number(process.env.MODEL_RUNS ?? 30) },
    );
    // Most runs end with a serving SN reachable, so liveness was actually checked.
    expect(settledRuns).toBeGreaterThan(15);
  });
});
