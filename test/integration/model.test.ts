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
  // MODEL_RUNS=500 MODEL_TIME_LIMIT_MS=900000 npx vitest run test/integration/model.test.ts for a longer hunt.
  const numRuns = Number(process.env.MODEL_RUNS ?? 60);
  const timeLimitMs = Number(process.env.MODEL_TIME_LIMIT_MS ?? 45_000);

  it('holds for random command sequences', () => {
    let onlineAtEnd = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.commands(COMMANDS, { maxCommands: 30, size: 'medium' }), (seed, cmds) => {
        const real: Real = { sw: modelWorld(seed), log: [] };
        const model = initialModel();
        begin(real, model);
        fc.modelRun(() => ({ model, real }), cmds);
        onlineAtEnd += settle(real, model);
      }),
      // Bounded in wall time (a failure is shrunk until then, then reported as it stands:
      // seed, path and command log); the passing runs take a few seconds.
      { numRuns, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: true },
    );
    // Liveness was owed and met, not vacuous: most hosts of most runs end online.
    expect(onlineAtEnd).toBeGreaterThan(numRuns * 3);
  }, timeLimitMs + 30_000);

  it('can fail: with the SN-loss window cut by 200 s, a run is caught and reported with its seed and command log', () => {
    const details = fc.check(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.commands(COMMANDS, { maxCommands: 30, size: 'medium' }), (seed, cmds) => {
        const real: Real = { sw: modelWorld(seed, { slackMs: -200_000 }), log: [] };
        const model = initialModel();
        begin(real, model);
        fc.modelRun(() => ({ model, real }), cmds);
        settle(real, model);
      }),
      { numRuns: 60, seed: 1, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
    expect(details.failed).toBe(true);
    const message = String((details.errorInstance as Error | undefined)?.message);
    expect(message).toMatch(/^invariant violated after: login\(everyone\) · advance\(60000\)( · [a-zA-Z]+\([^)]*\))+\n/);
    expect(message).toContain('sn-attachment');
    expect(details.counterexamplePath).toBeTruthy();
  });
});
