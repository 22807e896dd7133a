// The `compare` section: one protocol parameter and 2+ values, checked like the protocol
// section (line:col, did-you-mean), each variant checked by the protocol's makeParams.
import { describe, expect, it } from 'vitest';
import { compareVariants, formatError, loadScenarioText, type LoadResult, type Scenario } from '../../sim/scenario/index.js';

const BASE = 'duration: 1h\nhosts: [{ count: 10 }]\nprotocol: { relayPolicy: least-loaded }\n';

function errorsOf(result: LoadResult): string[] {
  return result.ok ? [] : result.errors.map(formatError);
}

function load(compare: string): Scenario {
  const r = loadScenarioText(BASE + compare, 'c.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.scenario;
}

describe('compare: what a valid section means', () => {
  it('is null when absent, and there are no variants', () => {
    const s = load('');
    expect(s.compare).toBeNull();
    expect(compareVariants(s)).toEqual([]);
  });

  it('gives one scenario per value, in the order written, with the value in place and no compare of its own', () => {
    const s = load('compare: { relayPolicy: [random-public, lowest-rtt, least-loaded] }\n');
    expect(s.compare).toEqual({
      parameter: 'relayPolicy',
      protocolKey: 'relayPolicy',
      values: ['random-public', 'lowest-rtt', 'least-loaded'],
      labels: ['random-public', 'lowest-rtt', 'least-loaded'],
    });
    const variants = compareVariants(s);
    expect(variants.map((v) => v.dirName)).toEqual(['relayPolicy=random-public', 'relayPolicy=lowest-rtt', 'relayPolicy=least-loaded']);
    expect(variants.map((v) => v.scenario.protocol.relayPolicy)).toEqual(['random-public', 'lowest-rtt', 'least-loaded']);
    for (const v of variants) {
      expect(v.scenario.compare).toBeNull();
      expect(v.scenario.seed).toBe(s.seed);
      expect({ ...v.scenario.protocol, relayPolicy: 'x' }).toEqual({ ...s.protocol, relayPolicy: 'x' });
    }
    // The base scenario keeps what its protocol section says.
    expect(s.protocol.relayPolicy).toBe('least-loaded');
  });

  it('takes values with units as the protocol section does, and names directories as the file writes them', () => {
    const s = load('compare: { snUptimeThreshold: [10min, 1h], }\n');
    expect(s.compare?.values).toEqual([600_000, 3_600_000]);
    expect(compareVariants(s).map((v) => [v.dirName, v.scenario.protocol.snUptimeThresholdMs])).toEqual([
      ['snUptimeThreshold=10min', 600_000],
      ['snUptimeThreshold=1h', 3_600_000],
    ]);
    expect(compareVariants(load('compare: { overload: [80%, 95%] }\n')).map((v) => v.dirName)).toEqual(['overload=80%', 'overload=95%']);
  });
});

describe('compare: errors', () => {
  it.each([
    ['a value not in the choice', 'compare: { relayPolicy: [random-public, lowest-rt] }', ['c.yaml:4:41  compare.relayPolicy[1]: expected one of random-public | lowest-rtt | least-loaded, got "lowest-rt" (did you mean "lowest-rtt"?)']],
    ['a misspelt parameter', 'compare: { relayPolcy: [random-public, lowest-rtt] }', ['c.yaml:4:12  compare.relayPolcy: unknown key "relayPolcy" (did you mean "relayPolicy"?)']],
    ['one value', 'compare: { relayPolicy: [random-public] }', ['c.yaml:4:25  compare.relayPolicy: expected at least 2 entries, got 1']],
    ['no list', 'compare: { relayPolicy: random-public }', ['c.yaml:4:25  compare.relayPolicy: expected a list, got "random-public"']],
    ['no parameter', 'compare: {}', ['c.yaml:4:10  compare: expected one protocol parameter with a list of 2 or more values, e.g. relayPolicy: [random-public, lowest-rtt]']],
    ['a repeated value', 'compare: { snUptimeThreshold: [1h, 60min] }', ['c.yaml:4:36  compare.snUptimeThreshold[1]: expected values that differ, got 1h again (entry 0)']],
    [
      'two parameters',
      'compare: { relayPolicy: [random-public, lowest-rtt], mediaMode: [flow, packets] }',
      ['c.yaml:4:54  compare.mediaMode: compare varies one parameter, and relayPolicy is already varied'],
    ],
    ['a bad duration', 'compare: { snUptimeThreshold: [10min, 10 parsecs] }', [expect.stringMatching(/^c\.yaml:4:39 {2}compare\.snUptimeThreshold\[1\]: expected a duration/)]],
    ['a value makeParams refuses', 'compare: { underuse: [10%, 95%] }', [expect.stringMatching(/^c\.yaml:4:28 {2}compare\.underuse\[1\]: expected below protocol\.overload \(90%\), got 95%$/)]],
    [
      'a value that makes another parameter wrong',
      'compare: { overload: [90%, 5%] }',
      [expect.stringMatching(/^c\.yaml:4:28 {2}compare\.overload\[1\]: with overload = 5%, protocol\.underuse: expected below protocol\.overload \(5%\), got 5%$/)],
    ],
  ])('%s', (_name, line, expected) => {
    expect(errorsOf(loadScenarioText(`${BASE}${line}\n`, 'c.yaml'))).toEqual(expected);
  });

  it('checks a compare written by --set like one in the file', () => {
    const r = loadScenarioText(BASE, 'c.yaml', [{ path: ['compare'], value: { relayPolicy: ['random-public', 'nearest'] }, label: '--set compare=...' }] as never);
    expect(errorsOf(r)).toEqual([expect.stringContaining('compare.relayPolicy[1]: expected one of random-public | lowest-rtt | least-loaded, got "nearest"')]);
  });
});

describe('compare: null', () => {
  it('means one run, from the file or from --set compare=null', () => {
    expect(load('compare: null\n').compare).toBeNull();
    const r = loadScenarioText(`${BASE}compare: { relayPolicy: [random-public, lowest-rtt] }\n`, 'c.yaml', [{ path: ['compare'], value: null, label: '--set compare=null' }]);
    expect(r.ok && r.scenario.compare).toBeNull();
  });
});
