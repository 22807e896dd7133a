// Same scenario + same seed => byte-identical trace.ndjson and metrics.csv, and a summary.json
// equal but for its wall-clock section; another replication (--run) differs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunDirectory } from '../../sim/output/run-directory.js';
import { runScenario } from '../../sim/run/run.js';
import { loadScenarioFile, parseSetOption, isOverride, type Scenario } from '../../sim/scenario/index.js';

const churnFile = resolve(import.meta.dirname, '../../scenarios/churn.yaml');
const dir = mkdtempSync(join(tmpdir(), 'determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** churn.yaml at a size a test can afford: 4 groups of 40 hosts, 20 minutes, full trace. */
function smallChurn(): Scenario {
  const sets = ['hosts[0].count=40', 'hosts[1].count=40', 'hosts[2].count=40', 'hosts[3].count=40', 'duration=20min', 'output.trace=full'];
  const overrides = sets.map(parseSetOption).map((o) => {
    if (!isOverride(o)) throw new Error(JSON.stringify(o));
    return o;
  });
  const loaded = loadScenarioFile(churnFile, overrides);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.scenario;
}

async function runTo(name: string, run: number, maxEvents?: number) {
  const out = RunDirectory.open(join(dir, name));
  await runScenario(smallChurn(), { run, out, version: 'test', ...(maxEvents !== undefined ? { maxEvents } : {}) });
  const path = out.commit();
  const read = (f: string) => readFileSync(join(path, f), 'utf8');
  const summary = JSON.parse(read('summary.json')) as Record<string, unknown>;
  return { trace: read('trace.ndjson'), metrics: read('metrics.csv'), summary };
}

describe('determinism end to end', () => {
  it('one seed gives byte-identical outputs; another run number does not', async () => {
    const a = await runTo('a', 0);
    const b = await runTo('b', 0);
    const c = await runTo('c', 2);
    expect(a.trace.length).toBeGreaterThan(10_000);
    expect(a.metrics.split('\n').length).toBeGreaterThan(100);
    expect(b.trace === a.trace).toBe(true);
    expect(b.metrics === a.metrics).toBe(true);
    const { wall: wallA, ...restA } = a.summary;
    const { wall: wallB, ...restB } = b.summary;
    expect(wallA).toBeDefined();
    expect(wallB).toBeDefined();
    // The wall section splits the run: setup and event loop, both inside the whole.
    const wall = wallA as { wallTimeS: number; setupS: number; eventLoopS: number };
    expect(wall.setupS).toBeGreaterThan(0);
    expect(wall.eventLoopS).toBeGreaterThan(0);
    expect(wall.setupS + wall.eventLoopS).toBeLessThanOrEqual(wall.wallTimeS + 0.002);
    expect(restB).toEqual(restA);
    expect(c.trace === a.trace).toBe(false);
    expect(c.metrics === a.metrics).toBe(false);
    // Something actually happened: hosts logged in.
    const logins = (a.summary.logins as { outcomes: Record<string, number> }).outcomes;
    expect(logins.ok).toBeGreaterThan(20);
  });
});

describe('a run ended by its event budget', () => {
  it('stops after the same event every time, with every file written and the reason in its summary', async () => {
    const budget = 15_000;
    const a = await runTo('budget-a', 0, budget);
    const b = await runTo('budget-b', 0, budget);
    const status = a.summary.status as { complete: boolean; events: number; simulatedMs: number; stoppedBecause: string };
    expect(status.complete).toBe(false);
    expect(status.stoppedBecause).toBe('event budget reached (15000 events)');
    // At the first batch boundary (20,000 events a batch) at or past the budget; the whole run takes about 38,000.
    expect(status.events).toBe(20_000);
    expect(status.simulatedMs).toBeLessThan(20 * 60_000);
    // The time series ends with a row at the instant the run stopped.
    const rows = a.metrics.trim().split('\n');
    expect(Number(rows[rows.length - 1].split(',')[0])).toBeCloseTo(status.simulatedMs / 1000, 3);
    expect(b.trace === a.trace).toBe(true);
    expect(b.metrics === a.metrics).toBe(true);
    expect(a.trace.split('\n').length).toBeGreaterThan(1000);
  });
});

describe('invariants over a churn scenario', () => {
  it('the safety checkers find nothing wrong at any sampling instant', async () => {
    const out = RunDirectory.open(join(dir, 'checked'));
    const summary = await runScenario(smallChurn(), { run: 0, out, version: 'test', checkInvariants: true });
    out.commit();
    expect(summary.invariants!.checks).toBeGreaterThan(100);
    expect(summary.invariants!.first).toEqual([]);
    expect(summary.invariants!.violations).toBe(0);
  });
});

describe('determinism of calls, relays, chat and search', () => {
  const relayFile = resolve(import.meta.dirname, '../../scenarios/relay-selection.yaml');

  /** relay-selection.yaml at a twentieth of its hosts for 12 minutes, packet-mode media, full trace: many calls, relayed and direct. */
  async function runRelays(name: string) {
    const sets = ['hosts[0].count=20', 'hosts[1].count=20', 'hosts[2].count=12', 'hosts[3].count=8', 'hosts[4].count=20', 'duration=12min', 'output.trace=full', 'compare=null', 'protocol.mediaMode=packets'];
    const overrides = sets.map(parseSetOption).map((o) => {
      if (!isOverride(o)) throw new Error(JSON.stringify(o));
      return o;
    });
    const loaded = loadScenarioFile(relayFile, overrides);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const out = RunDirectory.open(join(dir, name));
    await runScenario(loaded.scenario, { run: 0, out, version: 'test' });
    const path = out.commit();
    const read = (f: string) => readFileSync(join(path, f), 'utf8');
    return { trace: read('trace.ndjson'), metrics: read('metrics.csv'), summary: JSON.parse(read('summary.json')) as { calls: { answered: number; paths: { all: Record<string, number> } } } };
  }

  it('one seed gives byte-identical traces and metrics with calls in flight', async () => {
    const a = await runRelays('calls-a');
    const b = await runRelays('calls-b');
    expect(a.summary.calls.answered).toBeGreaterThan(10);
    expect(b.trace === a.trace).toBe(true);
    expect(b.metrics === a.metrics).toBe(true);
  });
});
