// `--set path=value`: applied before validation, checked like the file, errors blamed on the
// option that wrote the value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatError, isOverride, loadScenarioText, parseSetOption, type LoadResult, type Override } from '../../sim/scenario/index.js';
import { parsePath } from '../../sim/scenario/overrides.js';
import { formatPath } from '../../sim/scenario/errors.js';

const BASE = ['name: base', 'duration: 1h', 'hosts:', '  - { name: a, count: 10 }', '  - { name: b, count: 20 }', ''].join('\n');

function load(yaml: string, ...sets: string[]): LoadResult {
  const overrides = sets.map(parseSetOption);
  const bad = overrides.filter((o) => !isOverride(o));
  if (bad.length > 0) throw new Error(`unparsable option in test: ${JSON.stringify(bad)}`);
  return loadScenarioText(yaml, 'base.yaml', overrides as Override[]);
}

function scenarioOf(result: LoadResult) {
  if (!result.ok) throw new Error(result.errors.map(formatError).join('\n'));
  return result.scenario;
}

function errorsOf(result: LoadResult): string[] {
  return result.ok ? [] : result.errors.map(formatError);
}

describe('--set', () => {
  it('changes a value in a list entry', () => {
    expect(scenarioOf(load(BASE, 'hosts[0].count=100000')).hosts.map((g) => g.count)).toEqual([100000, 20]);
  });

  it('changes a protocol parameter, with its unit', () => {
    const s = scenarioOf(load(BASE, 'protocol.cryptoMode=modelled', 'protocol.keepAliveInterval=30s'));
    expect([s.protocol.cryptoMode, s.protocol.keepAliveIntervalMs]).toEqual(['modelled', 30_000]);
  });

  it('creates the sections on its way', () => {
    expect(scenarioOf(load(BASE, 'churn.mode=sessions', 'churn.session=20min', 'churn.offTime={kind: exponential, mean: 1h}')).churn).toMatchObject({
      mode: 'sessions',
      sessionMs: { kind: 'constant', value: 1_200_000 },
      offTimeMs: { kind: 'exponential', mean: 3_600_000 },
    });
  });

  it('appends to a list at its length', () => {
    expect(scenarioOf(load(BASE, 'hosts[2]={name: c, count: 5}')).hosts.map((g) => g.name)).toEqual(['a', 'b', 'c']);
  });

  it('takes YAML values: lists, booleans, numbers', () => {
    const s = scenarioOf(load(BASE, 'protocol.fallbackTcpPorts=[443]', 'output.pcap=true', 'seed=42'));
    expect([s.protocol.fallbackTcpPorts, s.output.pcap, s.seed]).toEqual([[443], true, 42]);
  });

  it('lets a later option win over an earlier one', () => {
    expect(scenarioOf(load(BASE, 'seed=1', 'seed=2')).seed).toBe(2);
  });

  it('changes only its own place when the file shares a template', () => {
    const yaml = ['duration: 1h', 'templates:', '  t: &t { firewall: { none: 50%, udp-blocked: 50% } }', 'hosts:', '  - { count: 1, <<: *t }', '  - { count: 1, <<: *t }', ''].join('\n');
    const s = scenarioOf(load(yaml, 'hosts[0].firewall.none=100%', 'hosts[0].firewall.udp-blocked=0%'));
    expect(s.hosts.map((g) => g.firewall.map((m) => m.ratio))).toEqual([
      [1, 0],
      [0.5, 0.5],
    ]);
  });

  it('is validated like the file, and blamed for what it wrote', () => {
    expect(errorsOf(load(BASE, 'hosts[0].count=-5', 'hosts[1].nat=ful-cone'))).toEqual([
      '--set hosts[0].count=-5  hosts[0].count: expected an integer >= 0, got -5',
      '--set hosts[1].nat=ful-cone  hosts[1].nat: expected one of none | full-cone | restricted-cone | port-restricted-cone | symmetric, got "ful-cone" (did you mean "full-cone"?)',
    ]);
  });

  it('reports a mistyped path as an unknown key, with a did-you-mean', () => {
    expect(errorsOf(load(BASE, 'protocl.cryptoMode=modelled'))).toEqual(['--set protocl.cryptoMode=modelled  protocl: unknown key "protocl" (did you mean "protocol"?)']);
    expect(errorsOf(load(BASE, 'protocol.crypto=modelled'))).toEqual(['--set protocol.crypto=modelled  protocol.crypto: unknown key "crypto" (did you mean "cryptoMode"?)']);
  });

  it('leaves errors of the file with the file', () => {
    expect(errorsOf(load(`${BASE}  - { name: c, count: x }\n`, 'hosts[0].count=5'))).toEqual(['base.yaml:6:23  hosts[2].count: expected an integer >= 0, got "x"']);
  });

  it.each([
    ['hosts[0].count', '--set hosts[0].count  expected path=value, e.g. hosts[0].count=100000'],
    ['hosts[0]..count=1', '--set hosts[0]..count=1  expected a path such as hosts[0].count or protocol.crypto, got "hosts[0]..count"'],
    ['=1', '--set =1  expected a path such as hosts[0].count or protocol.crypto, got ""'],
    ['seed=[1', '--set seed=[1  seed: the value is not valid YAML: Flow sequence must end with a ]'],
    ['seed=*a', '--set seed=*a  seed: the value is not valid YAML: no anchor &a before this alias'],
    ['hosts[0]={<<: 5}', '--set hosts[0]={<<: 5}  hosts[0]: the value is not valid YAML: a merge key (<<) takes a mapping, an alias of one or a list of them (<<: *template), got a plain value'],
  ])('refuses the option %j', (text, message) => {
    const parsed = parseSetOption(text);
    expect(isOverride(parsed) ? 'parsed' : formatError(parsed)).toBe(message);
  });

  it.each([
    ['hosts[5].count=1', '--set hosts[5].count=1  hosts[5].count: hosts has 2 entries; [5] is past the end'],
    ['name.first=x', '--set name.first=x  name.first: name is not a mapping, so it has no key "first"'],
    ['duration[0]=1h', '--set duration[0]=1h  duration[0]: duration is not a list, so it has no entry [0]'],
  ])('refuses to set %j', (text, message) => {
    expect(errorsOf(load(BASE, text))).toEqual([message]);
  });

  it('reads back every path it prints', () => {
    const segment = fc.oneof(fc.stringMatching(/^[A-Za-z_-][A-Za-z0-9_-]{0,8}$/), fc.nat({ max: 99 }));
    const path = fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/), fc.array(segment, { maxLength: 5 })).map(([head, rest]) => [head, ...rest]);
    fc.assert(
      fc.property(path, (p) => {
        expect(parsePath(formatPath(p))).toEqual(p);
      }),
    );
  });
});
