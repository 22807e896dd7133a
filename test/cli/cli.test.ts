// The command line, run in-process: commands, help, exit codes, and what `sim run` hands the
// engine and does with its result.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sim/cli/cli.js';
import { defaultRunPath, runCommand, type RunArgs } from '../../sim/cli/commands/run.js';
import type { RunOptions, RunScenario } from '../../sim/cli/engine.js';
import { EXIT_BAD_INPUT, EXIT_BUDGET, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK } from '../../sim/cli/exit-codes.js';
import { INCOMPLETE_FILE, MARKER_FILE } from '../../sim/output/run-directory.js';
import { loadScenarioFile, scenarioJsonSchema, type Scenario } from '../../sim/scenario/index.js';
import { summaryText } from '../../sim/cli/summary-text.js';
import type { RunSummary } from '../../sim/run/run.js';
import { fakeIo } from './fake-io.js';

const churn = resolve(import.meta.dirname, '../../scenarios/churn.yaml');
/** A summary.json of a small real run, what the stand-in engine returns. */
const fixtureSummary = JSON.parse(readFileSync(resolve(import.meta.dirname, 'fixtures/summary.json'), 'utf8')) as RunSummary;
const version = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')).version as string;

async function cli(...args: string[]) {
  const io = fakeIo();
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('sim report', () => {
  it('says why it cannot write the report before it measures anything', async () => {
    const base = mkdtempSync(join(tmpdir(), 'report-out-'));
    writeFileSync(join(base, 'a-file'), 'x');
    const { code, out, err } = await cli('report', 'baset', '--quick', '--out', join(base, 'a-file', 'baset'));
    expect(code).toBe(EXIT_BAD_INPUT);
    expect(err).toBe(`--out ${join(base, 'a-file', 'baset')}  cannot create ${join(base, 'a-file', 'baset')}: a part of the path is not a directory\n`);
    expect(out).toBe('');
    rmSync(base, { recursive: true });
  });
});

describe('sim --help', () => {
  it('lists the commands', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(EXIT_OK);
    for (const command of ['sim run <file>', 'sim validate <file>', 'sim schema']) expect(r.out).toContain(command);
  });

  it.each([
    ['run', ['--seed', '--run', '--out', '--set', '--trace', '--pcap', '--quiet', '--max-events', '--max-wall', 'sim run scenarios/churn.yaml --seed 7 --run 2']],
    ['validate', ['--set', '--print', 'sim validate scenarios/churn.yaml']],
    ['schema', ['sim schema > scenario.schema.json']],
  ])('%s --help shows its options and examples', async (command, expected) => {
    const r = await cli(command, '--help');
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toContain('Examples:');
    for (const text of expected) expect(r.out).toContain(text);
  });

  it('prints the package version', async () => {
    expect((await cli('--version')).out.trim()).toBe(version);
  });
});

describe('usage errors exit 2', () => {
  it.each([[[]], [['bogus']], [['validate']], [['run', churn, '--bogus']], [['run', churn, '--set']]])('%j', async (args) => {
    const r = await cli(...args);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.err).toMatch(/^sim: .+\nRun "sim --help"/);
    expect(r.out).toBe('');
  });

  it.each([
    ['valdiate', 'sim: unknown command "valdiate" (did you mean "validate"?); the commands are run, validate, viz, report, schema'],
    ['bogus', 'sim: unknown command "bogus"; the commands are run, validate, viz, report, schema'],
  ])('an unknown command %j is named, with a did-you-mean', async (command, message) => {
    const r = await cli(command, churn);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.err.split('\n')[0]).toBe(message);
  });

  it.each([
    [['run', churn, '--sed', '2'], 'sim: unknown option --sed (did you mean "--seed"?)'],
    [['run', churn, '--max-wal', '10m', '--quite'], 'sim: unknown option --max-wal (did you mean "--max-wall"?); unknown option --quite (did you mean "--quiet"?)'],
    [['validate', churn, '--prnt'], 'sim: unknown option --prnt (did you mean "--print"?)'],
    [['run', churn, '--bogus'], 'sim: unknown option --bogus'],
    [['run', churn, 'second.yaml'], 'sim: unexpected argument "second.yaml"'],
  ])('an unknown option of the command is named, with a did-you-mean among its own: %j', async (args, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.err.split('\n')[0]).toBe(message);
  });
});

describe('sim validate', () => {
  it('says what a good file comes to', async () => {
    const r = await cli('validate', churn);
    expect(r).toEqual({
      code: EXIT_OK,
      out:
        `${churn}: ok - churn: 5000 hosts in 4 groups, 2:00:00 simulated, seed 1, profile skype-2004, churn sessions, 0 events\n` +
        '  workload: at most 2000 calls, 20000 chat messages, 1000 searches, 500 PSTN calls (every host online the whole run)\n' +
        "  churn: about 7220 sessions (every host's first, then one per 4:30:16 of mean session and off time)\n",
      err: '',
    });
  });

  it('bounds the workload by its rates, every host and the whole run, and names a workload that is off', async () => {
    const r = await cli('validate', churn, '--set', 'workload.calls.ratePerHostHour=4000000', '--set', 'duration=30min');
    expect(r.out.split('\n')[1]).toBe('  workload: at most 10000000000 calls, 5000 chat messages, 250 searches, 125 PSTN calls (every host online the whole run)');
    expect(r.out.split('\n')[3]).toBe('  large: about 10000010930 sessions and actions; a run may take hours (sim run --max-wall 1h or --max-events N bounds it)');
    const off = ['calls', 'chat', 'searches', 'pstnCalls'].flatMap((k) => ['--set', `workload.${k}.ratePerHostHour=0`]);
    expect((await cli('validate', churn, ...off)).out.split('\n')[1]).toBe('  workload: none');
  });

  it('counts the sessions churn makes, so hosts that come and go every millisecond show before the run', async () => {
    const churnLine = async (...sets: string[]) => (await cli('validate', churn, ...sets.flatMap((x) => ['--set', x]))).out.split('\n')[2];
    expect(await churnLine('churn.session=1ms', 'churn.offTime=1ms', 'duration=1min')).toBe(
      "  churn: about 150005000 sessions (every host's first, then one per 2 ms of mean session and off time)",
    );
    // Just below the mark of a large run, no such line; just above, one.
    const noWorkload = ['calls', 'chat', 'searches', 'pstnCalls'].map((k) => `workload.${k}.ratePerHostHour=0`);
    const lastLine = async (...sets: string[]) => (await cli('validate', churn, ...[...noWorkload, ...sets].flatMap((x) => ['--set', x]))).out.trim().split('\n').pop();
    expect(await lastLine('churn.session=1h', 'churn.offTime=1h', 'duration=3997h')).toMatch(/^ {2}churn: about 9997500 sessions/);
    expect(await lastLine('churn.session=1h', 'churn.offTime=1h', 'duration=4001h')).toBe(
      '  large: about 10007500 sessions and actions; a run may take hours (sim run --max-wall 1h or --max-events N bounds it)',
    );
    expect(await churnLine('churn.session={kind: pareto, shape: 0.5, scale: 1min}')).toBe('  churn: about 5000 sessions (the mean session is infinite: mostly every host\'s first)');
    // No line without session churn.
    const snCrash = (await cli('validate', join(dirname(churn), 'sn-crash.yaml'))).out;
    expect(snCrash.split('\n').map((line) => line.split(':')[0].trim())).toEqual([join(dirname(churn), 'sn-crash.yaml'), 'workload', '']);
  });

  it('prints the scenario with every default filled', async () => {
    const r = await cli('validate', churn, '--print', '--set', 'seed=9');
    const expected = loadScenarioFile(churn);
    expect(expected.ok && JSON.parse(r.out)).toEqual(expected.ok && JSON.parse(JSON.stringify({ ...expected.scenario, seed: 9 })));
  });

  it('reports every error and exits 2', async () => {
    const r = await cli('validate', churn, '--set', 'hosts[0].count=-1', '--set', 'duration=2 hours');
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.err).toBe(
      '--set hosts[0].count=-1  hosts[0].count: expected an integer >= 0, got -1\n' +
        '--set duration=2 hours  duration: expected a positive duration with a unit (ms, s, min, h, d; e.g. 90s, 150ms, 2h), got "2 hours"\n' +
        '2 errors\n',
    );
  });

  it('exits 2 for a missing file', async () => {
    expect(await cli('validate', '/nonexistent.yaml')).toEqual({ code: EXIT_BAD_INPUT, out: '', err: '/nonexistent.yaml  cannot read the scenario file: no such file\n1 error\n' });
  });
});

describe('sim schema', () => {
  it('prints the JSON Schema', async () => {
    const r = await cli('schema');
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.out)).toEqual(scenarioJsonSchema());
  });
});

describe('sim run', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const args = (more: Partial<RunArgs> = {}): RunArgs => ({ file: churn, set: [], quiet: true, out: join(dir, 'out'), ...more });

  /** A stand-in for sim/run/run.ts that records what it was handed. */
  function engine(behaviour: (scenario: Scenario, options: RunOptions) => void) {
    const calls: { scenario: Scenario; options: RunOptions }[] = [];
    const run: RunScenario = async (scenario, options) => {
      calls.push({ scenario, options });
      behaviour(scenario, options);
      return fixtureSummary;
    };
    return { calls, load: async () => run };
  }

  it('hands the engine the scenario with its overrides, and commits what it wrote', async () => {
    const e = engine((_, o) => o.out.writeFile('summary.json', '{}\n'));
    const io = fakeIo();
    const code = await runCommand(args({ seed: '7', run: '3', set: ['hosts[0].count=5'], trace: 'full', pcap: true, quiet: false }), io, e.load);
    expect(code).toBe(EXIT_OK);
    const [{ scenario, options }] = e.calls;
    expect([scenario.seed, scenario.hosts[0].count, scenario.output.trace, scenario.output.pcap]).toEqual([7, 5, 'full', true]);
    expect([options.run, options.version, options.stopReason?.(), options.maxEvents]).toEqual([3, version, undefined, undefined]);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual([MARKER_FILE, 'summary.json']);
    expect(existsSync(join(dir, 'out.incomplete'))).toBe(false);
    expect(io.out()).toContain(summaryText(fixtureSummary));
    expect(io.out()).toMatch(new RegExp(`\\n${join(dir, 'out')}  \\(wall time \\d+\\.\\d s\\)\\n$`));
  });

  it('flags the run incomplete and prints the seed and a replay command when the engine fails', async () => {
    const e = engine((_, o) => {
      o.out.writeFile('trace.ndjson', '{"t":0}\n');
      throw new Error('invariant broken: two SNs own one client');
    });
    const io = fakeIo();
    expect(await runCommand(args({ seed: '7', run: '3', set: ['hosts[0].count=5'], trace: 'full', pcap: true }), io, e.load)).toBe(EXIT_INTERNAL);
    expect(io.err()).toContain('internal failure: Error: invariant broken: two SNs own one client');
    expect(io.err()).toContain(`seed 7, run 3\nreplay: sim run ${churn} --seed 7 --run 3 --out ${join(dir, 'out')} --set 'hosts[0].count=5' --trace full --pcap\n`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(readFileSync(join(dir, 'out.incomplete', INCOMPLETE_FILE), 'utf8')).toContain('invariant broken');
    expect(readFileSync(join(dir, 'out.incomplete', 'trace.ndjson'), 'utf8')).toBe('{"t":0}\n');
  });

  it('counts an engine that cannot even load as an internal failure, with the replay command', async () => {
    const io = fakeIo();
    const broken = async (): Promise<RunScenario> => {
      throw new SyntaxError("The requested module '../world/world.js' does not provide an export named 'World'");
    };
    expect(await runCommand(args(), io, broken)).toBe(EXIT_INTERNAL);
    expect(io.err()).toContain('internal failure: SyntaxError: The requested module');
    expect(io.err()).toContain('seed 1, run 0\nreplay: sim run');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('stops at Ctrl-C, keeps what was written, flagged incomplete, and exits 130', async () => {
    const io = fakeIo();
    const e = engine((_, o) => {
      expect(o.stopReason?.()).toBeUndefined();
      io.interrupt();
      expect(o.stopReason?.()).toBe('interrupted (Ctrl-C)');
      o.out.writeFile('summary.json', '{"complete":false}\n');
    });
    expect(await runCommand(args(), io, e.load)).toBe(EXIT_INTERRUPTED);
    expect(io.err()).toContain('stopping after the current batch of events');
    expect(io.err()).toContain('stopped: interrupted (Ctrl-C); partial output (flagged incomplete)');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(readFileSync(join(dir, 'out.incomplete', INCOMPLETE_FILE), 'utf8')).toMatch(/^interrupted \(Ctrl-C\)\nseed 1, run 0\nreplay: /);
    expect(readFileSync(join(dir, 'out.incomplete', 'summary.json'), 'utf8')).toBe('{"complete":false}\n');
  });

  /** The fixture, as the engine returns a run it ended early. */
  const stoppedSummary = (stoppedBecause: string): RunSummary => ({ ...fixtureSummary, status: { ...fixtureSummary.status, complete: false, stoppedBecause } });

  it('hands the engine the event budget, and flags a run it ended early, with the budget in the replay command, exit 3', async () => {
    const io = fakeIo();
    const calls: RunOptions[] = [];
    const run: RunScenario = async (_, o) => {
      calls.push(o);
      o.out.writeFile('summary.json', '{}\n');
      return stoppedSummary('event budget reached (2500000 events)');
    };
    expect(await runCommand(args({ maxEvents: '2.5M', quiet: false }), io, async () => run)).toBe(EXIT_BUDGET);
    expect(calls[0].maxEvents).toBe(2_500_000);
    expect(io.out()).toContain('(INCOMPLETE: event budget reached (2500000 events))');
    expect(io.err()).toContain(`stopped: event budget reached (2500000 events); partial output (flagged incomplete): ${join(dir, 'out')}`);
    expect(readFileSync(join(dir, 'out.incomplete', INCOMPLETE_FILE), 'utf8')).toMatch(/^event budget reached \(2500000 events\)\nseed 1, run 0\nreplay: sim run .* --max-events 2500000\n$/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('tells the engine to stop once the wall-time budget has passed', async () => {
    const io = fakeIo();
    const reasons: (string | undefined)[] = [];
    const e = engine((_, o) => {
      reasons.push(o.stopReason?.());
      io.advanceWall(89_999);
      reasons.push(o.stopReason?.());
      io.advanceWall(1);
      reasons.push(o.stopReason?.());
    });
    // The stand-in returns a whole run: the budget passed after its last batch, so it is kept.
    expect(await runCommand(args({ maxWall: '90s' }), io, e.load)).toBe(EXIT_OK);
    expect(reasons).toEqual([undefined, undefined, 'wall-time budget reached (90 s)']);
    expect(existsSync(join(dir, 'out'))).toBe(true);
  });

  it.each([
    [{ maxEvents: '0' }, '--max-events 0  expected a whole number of events > 0, like 5000000 or 5M'],
    [{ maxEvents: 'lots' }, '--max-events lots  expected a whole number of events > 0, like 5000000 or 5M'],
    [{ maxEvents: '1.5' }, '--max-events 1.5  expected a whole number of events > 0, like 5000000 or 5M'],
    [{ maxWall: '10' }, '--max-wall 10  expected a wall-clock duration > 0 with a unit, like 90s, 10m or 2h'],
    [{ maxWall: '-5m' }, '--max-wall -5m  expected a wall-clock duration > 0 with a unit, like 90s, 10m or 2h'],
  ])('refuses the budget %j before the engine is asked', async (more, message) => {
    const e = engine(() => {});
    const io = fakeIo();
    expect(await runCommand(args(more), io, e.load)).toBe(EXIT_BAD_INPUT);
    expect(io.err()).toBe(`${message}\n1 error\n`);
    expect(e.calls).toEqual([]);
  });

  it('refuses bad input before the engine is asked', async () => {
    const e = engine(() => {});
    const io = fakeIo();
    expect(await runCommand(args({ run: 'x', seed: '-1' }), io, e.load)).toBe(EXIT_BAD_INPUT);
    expect(io.err()).toBe('--seed -1  seed: expected an integer >= 0, got -1\n--run x  expected an integer >= 0\n2 errors\n');
    expect(e.calls).toEqual([]);
  });

  it('will not write over a directory that is not a run directory', async () => {
    writeFileSync(join(dir, 'precious.txt'), 'keep me');
    const e = engine(() => {});
    const io = fakeIo();
    expect(await runCommand(args({ out: dir }), io, e.load)).toBe(EXIT_BAD_INPUT);
    expect(io.err()).toContain('is not a run directory');
    expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
    expect(e.calls).toEqual([]);
  });

  it('says why it cannot make the run directory, as bad input, before the engine is asked', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const e = engine(() => {});
    const io = fakeIo();
    expect(await runCommand(args({ out: join(dir, 'a-file', 'run') }), io, e.load)).toBe(EXIT_BAD_INPUT);
    expect(io.err()).toBe(`--out ${join(dir, 'a-file', 'run')}  cannot create ${join(dir, 'a-file', 'run')}.incomplete: a part of the path is not a directory\n`);
    expect(e.calls).toEqual([]);
  });

  it('draws progress on a terminal and not elsewhere', async () => {
    const e = engine((s, o) => o.progress?.update(s.durationMs / 2, 1000));
    const tty = fakeIo({ tty: true });
    await runCommand(args({ quiet: false }), tty, e.load);
    expect(tty.out()).toContain(' 50% [');
    const ci = fakeIo({ tty: true, env: { CI: 'true' } });
    await runCommand(args({ quiet: false }), ci, e.load);
    expect(ci.out()).not.toContain('%');
  });

  it('names the run directory after the scenario, seed and replication', () => {
    const s = loadScenarioFile(churn);
    expect(s.ok && [defaultRunPath(s.scenario, 0), defaultRunPath({ ...s.scenario, seed: 7 }, 2)]).toEqual([join('runs', 'churn-1'), join('runs', 'churn-7-run2')]);
  });
});
