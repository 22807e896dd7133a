// `sim run` of a scenario with a `compare` section: one normal run directory per value inside
// the output directory, comparison.json beside them, a table; the whole committed only when
// every variant finished, and byte-identical comparison.json for one seed.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../sim/cli/cli.js';
import { runCommand } from '../../sim/cli/commands/run.js';
import type { RunScenario } from '../../sim/cli/engine.js';
import { EXIT_BAD_INPUT, EXIT_BUDGET, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK } from '../../sim/cli/exit-codes.js';
import { INCOMPLETE_FILE, MARKER_FILE } from '../../sim/output/run-directory.js';
import type { Comparison } from '../../sim/run/comparison.js';
import { runScenario, type RunSummary } from '../../sim/run/run.js';
import { TINY_CALLS } from '../run/tiny-calls.js';
import { fakeIo } from './fake-io.js';

const dir = mkdtempSync(join(tmpdir(), 'compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICIES = ['random-public', 'lowest-rtt', 'least-loaded'];
const file = join(dir, 'tiny.yaml');
writeFileSync(file, `${TINY_CALLS}compare: { relayPolicy: [${POLICIES.join(', ')}] }\n`);
const realEngine = async (): Promise<RunScenario> => runScenario;

async function compareRun(out: string, quiet = true) {
  const io = fakeIo();
  const code = await runCommand({ file, set: [], quiet, out }, io, realEngine);
  return { code, io };
}

describe('sim run with compare', () => {
  it('writes a run directory per value and comparison.json, and prints the table', async () => {
    const out = join(dir, 'a');
    const { code, io } = await compareRun(out, false);
    expect(code).toBe(EXIT_OK);
    expect(readdirSync(out).sort()).toEqual([MARKER_FILE, 'comparison.json', ...POLICIES.map((p) => `relayPolicy=${p}`)].sort());
    expect(existsSync(`${out}.incomplete`)).toBe(false);
    for (const p of POLICIES) {
      const run = join(out, `relayPolicy=${p}`);
      expect(readdirSync(run).sort()).toEqual([MARKER_FILE, 'metrics.csv', 'summary.json']);
      const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as RunSummary;
      // The variant ran with its own policy: the relays were selected by it alone.
      expect(Object.keys(summary.relays.selection)).toEqual([p]);
      expect(summary.seed).toBe(3);
    }
    const c = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')) as Comparison;
    expect([c.scenario, c.seed, c.run, c.parameter]).toEqual(['tiny-calls', 3, 0, 'relayPolicy']);
    expect(c.variants.map((v) => [v.value, v.runDirectory, v.complete])).toEqual(POLICIES.map((p) => [p, `relayPolicy=${p}`, true]));
    for (const v of c.variants) {
      const s = JSON.parse(readFileSync(join(out, v.runDirectory, 'summary.json'), 'utf8')) as RunSummary;
      expect(v.calls.answered).toBe(s.calls.answered);
      expect(v.rttStretchP50).toBe(s.relays.rttStretch.relayed.p50);
      expect(v.relayLoad.callsPerRelayMax).toBe(s.relays.load.callsPerRelay.max);
      expect(v.relayedShare).toBeCloseTo((s.calls.paths.all.relayedUdp ?? 0) + (s.calls.paths.all.relayedTcp ?? 0), 3);
    }
    // The same workload and seed in each: the same calls are placed.
    expect(new Set(c.variants.map((v) => v.calls.placed)).size).toBe(1);
    const text = io.out();
    for (const p of POLICIES) expect(text).toContain(`== relayPolicy=${p}\ntiny-calls  seed 3  run 0`);
    const table = text.slice(text.indexOf('tiny-calls  seed 3  run 0: relayPolicy compared'));
    const lines = table.split('\n');
    expect(lines[1]).toMatch(/^relayPolicy +answered +setup p50\/p90 s +relayed +MOS p50\/p10 +stretch p50 +load max\/mean +resel +drops +failed$/);
    expect(lines.slice(2, 5).map((l) => l.split(/ +/)[0])).toEqual(POLICIES);
    expect(lines[2]).toMatch(/^random-public +\d+\/\d+ +[\d.]+\/[\d.]+ +\d+% +[\d.]+\/[\d.]+ +[\d.]+ +\d+\/[\d.]+ +\d+ +\d+ +\d+$/);
    expect(lines[5]).toMatch(new RegExp(`^${out}  \\(3 runs, wall time \\d+\\.\\d s\\)$`));
  }, 60_000);

  it('gives a byte-identical comparison.json for the same seed', async () => {
    expect((await compareRun(join(dir, 'b1'))).code).toBe(EXIT_OK);
    expect((await compareRun(join(dir, 'b2'))).code).toBe(EXIT_OK);
    const a = readFileSync(join(dir, 'b1', 'comparison.json'), 'utf8');
    expect(readFileSync(join(dir, 'b2', 'comparison.json'), 'utf8') === a).toBe(true);
    // And another seed gives another comparison.
    const io = fakeIo();
    const code = await runCommand({ file, set: [], quiet: true, out: join(dir, 'b3'), seed: '7' }, io, realEngine);
    expect(io.err()).toBe('');
    expect(code).toBe(EXIT_OK);
    expect(readFileSync(join(dir, 'b3', 'comparison.json'), 'utf8') === a).toBe(false);
  }, 60_000);

  it('leaves everything flagged incomplete when a variant fails, the finished ones kept', async () => {
    const out = join(dir, 'c');
    let n = 0;
    const failing = async (): Promise<RunScenario> => async (scenario, options) => {
      if (++n === 2) {
        options.out.writeFile('trace.ndjson', '{"t":0}\n');
        throw new Error('relay table corrupt');
      }
      return runScenario(scenario, options);
    };
    const io = fakeIo();
    expect(await runCommand({ file, set: [], quiet: true, out }, io, failing)).toBe(EXIT_INTERNAL);
    expect(existsSync(out)).toBe(false);
    const working = `${out}.incomplete`;
    expect(readFileSync(join(working, INCOMPLETE_FILE), 'utf8')).toMatch(/^internal failure in relayPolicy=lowest-rtt: Error: relay table corrupt/);
    expect(readFileSync(join(working, INCOMPLETE_FILE), 'utf8')).toContain(`seed 3, run 0\nreplay: sim run ${file} --seed 3 --run 0 --out ${out}\n`);
    expect(readdirSync(join(working, 'relayPolicy=random-public'))).toContain('summary.json');
    expect(readFileSync(join(working, `relayPolicy=lowest-rtt.incomplete`, INCOMPLETE_FILE), 'utf8')).toContain('relay table corrupt');
    expect(existsSync(join(working, 'comparison.json'))).toBe(false);
    expect(io.err()).toContain(`partial output (flagged incomplete): ${working}`);
  }, 60_000);

  it('stops at Ctrl-C after the variant that was running, flagged incomplete', async () => {
    const out = join(dir, 'd');
    const io = fakeIo();
    const interrupting = async (): Promise<RunScenario> => async (scenario, options) => {
      io.interrupt();
      return runScenario(scenario, options);
    };
    expect(await runCommand({ file, set: [], quiet: true, out }, io, interrupting)).toBe(EXIT_INTERRUPTED);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(join(`${out}.incomplete`, INCOMPLETE_FILE), 'utf8')).toMatch(/^interrupted \(Ctrl-C\) in relayPolicy=random-public\n/);
    expect(existsSync(join(`${out}.incomplete`, 'relayPolicy=lowest-rtt.incomplete'))).toBe(false);
  }, 60_000);

  it('stops at the event budget in the first variant, flagged incomplete, exit 3', async () => {
    const out = join(dir, 'budget');
    const io = fakeIo();
    expect(await runCommand({ file, set: [], quiet: true, out, maxEvents: '100' }, io, realEngine)).toBe(EXIT_BUDGET);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(join(`${out}.incomplete`, INCOMPLETE_FILE), 'utf8')).toMatch(/^event budget reached \(100 events\) in relayPolicy=random-public\n/);
    const summary = JSON.parse(readFileSync(join(`${out}.incomplete`, 'relayPolicy=random-public.incomplete', 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.status).toMatchObject({ complete: false, stoppedBecause: 'event budget reached (100 events)' });
    expect(existsSync(join(`${out}.incomplete`, 'relayPolicy=lowest-rtt.incomplete'))).toBe(false);
  }, 60_000);

  it('refuses a bad compare section with exit 2 before running anything', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `${TINY_CALLS}compare: { relayPolicy: [random-public, lowest-rt] }\n`);
    const io = fakeIo();
    expect(await runCli(['run', bad, '--out', join(dir, 'e'), '--quiet'], io)).toBe(EXIT_BAD_INPUT);
    expect(io.err()).toMatch(/bad\.yaml:\d+:\d+ {2}compare\.relayPolicy\[1\]: expected one of random-public \| lowest-rtt \| least-loaded, got "lowest-rt" \(did you mean "lowest-rtt"\?\)/);
    expect(existsSync(join(dir, 'e.incomplete'))).toBe(false);
  });
});
