// Bad input is reported where the user can fix it: file:line:col, the path, what was
// expected and what was found, every error of a file at once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatError, loadScenarioFile, loadScenarioText, type LoadResult } from '../../sim/scenario/index.js';
import { BROKEN_CASES } from './broken-cases.js';

function errorsOf(result: LoadResult): string[] {
  return result.ok ? [] : result.errors.map(formatError);
}

describe('broken scenario files', () => {
  it.each(BROKEN_CASES)('$name', ({ yaml, errors }) => {
    expect(errorsOf(loadScenarioText(yaml, 'broken.yaml'))).toEqual(errors.map((e) => e.replace('FILE', 'broken.yaml')));
  });

  it('refuses values that pass their type but that the model cannot run with', () => {
    // Each ran into an internal failure before: a SYN backoff of 3 s x 2^1000000 is Infinity, a
    // chat text of a million bytes does not fit in a message, a credential holds whole ms.
    const yaml = [
      'duration: 1h',
      'hosts: [{ count: 1 }]',
      'network: { tcp: { synRetries: 1000000, dataRetries: 31 } }',
      'workload: { chat: { messageBytes: 64001 } }',
      '',
    ].join('\n');
    expect(errorsOf(loadScenarioText(yaml, 'm.yaml'))).toEqual([
      'm.yaml:3:31  network.tcp.synRetries: expected an integer from 0 to 30, got 1000000',
      'm.yaml:3:53  network.tcp.dataRetries: expected an integer from 0 to 30, got 31',
      'm.yaml:4:35  workload.chat.messageBytes: expected an integer from 1 to 64000, got 64001',
    ]);
    expect(errorsOf(loadScenarioText('duration: 1h\nhosts: [{ count: 1 }]\nprotocol: { credentialLifetime: 0.5ms }\n', 'c.yaml'))).toEqual([
      'c.yaml:3:33  protocol.credentialLifetime: expected a whole number of ms, at most 2^52, got 0.5ms',
    ]);
  });

  it('names both parameters of a broken relation as the file writes them, with their units', () => {
    expect(errorsOf(loadScenarioText('duration: 1h\nhosts: [{ count: 1 }]\nprotocol: { voiceFrame: 2s }\n', 'v.yaml'))).toEqual([
      'v.yaml:3:11  protocol.flowInterval: expected at least protocol.voiceFrame (2s), got 1s',
    ]);
    expect(errorsOf(loadScenarioText('duration: 1h\nhosts: [{ count: 1 }]\nprotocol: { lsSessionLease: 90s }\n', 'l.yaml'))).toEqual([
      'l.yaml:3:29  protocol.lsSessionLease: expected above protocol.lsSessionKeepAlive (2min), got 90s',
    ]);
  });

  it('says when the file is missing', () => {
    expect(errorsOf(loadScenarioFile('/nonexistent/churn.yaml'))).toEqual(['/nonexistent/churn.yaml  cannot read the scenario file: no such file']);
  });

  it('locates a mistake inside a template where the template is written', () => {
    const yaml = ['templates:', '  home: &home', '    nat: { full-cone: 50%, symetric: 50% }', 'duration: 1h', 'hosts:', '  - { count: 1, <<: *home }', ''].join('\n');
    expect(errorsOf(loadScenarioText(yaml, 't.yaml'))).toEqual([
      't.yaml:3:28  hosts[0].nat.symetric: expected one of none | full-cone | restricted-cone | port-restricted-cone | symmetric, got "symetric" (did you mean "symmetric"?)',
    ]);
  });

  it('lists the keys there are when no key is near the unknown one, if they are few', () => {
    const yaml = 'duration: 1h\nhosts: [{ count: 1 }]\nchurn: { mode: sessions, session: 1h, offTime: 1h, diurnal: { hourlyWeights: [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1], utcOffsetHours: { asia: 8 } } }\nbogus: 1\n';
    expect(errorsOf(loadScenarioText(yaml, 'k.yaml'))).toEqual([
      'k.yaml:3:147  churn.diurnal.utcOffsetHours.asia: unknown key "asia"; expected one of world',
      'k.yaml:4:1  bogus: unknown key "bogus"',
    ]);
  });

  it('says which trace file is missing, relative to the scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 's.yaml');
    writeFileSync(file, 'duration: 1h\nhosts: [{ count: 1 }]\nchurn: { mode: trace, trace: week.csv }\n');
    expect(errorsOf(loadScenarioFile(file))).toEqual([`${file}:3:30  churn.trace: no such file: ${join(dir, 'week.csv')}`]);
    writeFileSync(join(dir, 'week.csv'), 'host,join_s,leave_s\n');
    const loaded = loadScenarioFile(file);
    expect(loaded.ok && loaded.scenario.churn).toEqual({ mode: 'trace', traceFile: join(dir, 'week.csv'), persistentIdentity: true });
    rmSync(dir, { recursive: true });
  });

  it('reports a mistake in the churn trace file at its line and column there, before any run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
    const file = join(dir, 's.yaml');
    const csv = join(dir, 'week.csv');
    writeFileSync(file, 'duration: 1h\nhosts: [{ name: peers, count: 2 }]\nchurn: { mode: trace, trace: week.csv }\n');
    writeFileSync(csv, 'host,join_s,leave_s\npeers-0,10,5\n');
    expect(errorsOf(loadScenarioFile(file))).toEqual([`${csv}:2:12  leave_s: expected a number of seconds after join_s (10), got "5"`]);
    writeFileSync(csv, 'host,join_s,leave_s\npeers-1,0,5\npeers-2,0,5\n');
    expect(errorsOf(loadScenarioFile(file))).toEqual([
      `${csv}:3:1  host: no host named "peers-2" in the scenario (hosts are <group>-<index>, index below the group's count)`,
    ]);
    writeFileSync(csv, '\u0000\u0001garbage');
    expect(errorsOf(loadScenarioFile(file))).toEqual([`${csv}:1:1  expected the header "host,join_s,leave_s[,leave]", got "\\u0000\\u0001garbage"`]);
    rmSync(dir, { recursive: true });
  });
});
