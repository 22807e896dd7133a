// The workload's searches reach the protocol: a host the workload picks searches for another
// user (or, with missingRatio, for a name no one has, which ends at the LS): search messages
// are on the wire, and nothing is counted as "not supported" for them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunDirectory } from '../../sim/output/run-directory.js';
import { runScenario } from '../../sim/run/run.js';
import { isOverride, loadScenarioFile, parseSetOption } from '../../sim/scenario/index.js';

const churnFile = resolve(import.meta.dirname, '../../scenarios/churn.yaml');
const dir = mkdtempSync(join(tmpdir(), 'search-workload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('workload searches', () => {
  it('go to the hosts: search requests and, for missing names, LS queries on the wire', async () => {
    const sets = ['hosts[0].count=20', 'hosts[1].count=20', 'hosts[2].count=20', 'hosts[3].count=20', 'duration=30min', 'workload.searches.ratePerHostHour=6', 'workload.searches.missing=30%'];
    const overrides = sets.map(parseSetOption).map((o) => {
      if (!isOverride(o)) throw new Error(JSON.stringify(o));
      return o;
    });
    const loaded = loadScenarioFile(churnFile, overrides);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const out = RunDirectory.open(join(dir, 'run'));
    await runScenario(loaded.scenario, { run: 0, out, version: 'test' });
    const path = out.commit();
    const summary = JSON.parse(readFileSync(join(path, 'summary.json'), 'utf8')) as { counters: Record<string, number> };
    expect(summary.counters['workload.search.notSupportedByProtocol']).toBeUndefined();
    // metrics.csv: one row per sample period, a column of messages sent per type.
    const [header, ...rows] = readFileSync(join(path, 'metrics.csv'), 'utf8').trim().split('\n');
    const columns = header.split(',');
    const total = (column: string): number => {
      const i = columns.indexOf(column);
      expect(i).toBeGreaterThan(0);
      return rows.reduce((sum, r) => sum + Number(r.split(',')[i]), 0);
    };
    expect(total('msgs_searchRequest')).toBeGreaterThan(0);
    expect(total('msgs_searchReply')).toBeGreaterThan(0);
    // The missing names end at the LS (BS-20).
    expect(total('msgs_accountQuery')).toBeGreaterThan(0);
  });
});
