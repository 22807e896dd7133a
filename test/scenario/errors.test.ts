// Bad input is reported where the user can fix it: file:line:col, the path, what was
// expected and what was found, every error of a file at once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatError, loadScenarioFile, loadScenarioText, type LoadResult } from '../../sim/scenario/index.js';
import { BROKEN_CASES } from './broken-cases.js';

function errorsOf(result: LoadResult): string[] {
  return result.ok ? [] : result.errors.map(formatError);
}

describe('broken scenario files', () => {
  it.each(BROKEN_CASES)('$name', ({ yaml, errors }) => {
    expect(errorsOf(loadScenarioText(yaml, 'broken.yaml'))).toEqual(errors.map((e) => e.replace('FILE', 'broken.yaml')));
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
});
