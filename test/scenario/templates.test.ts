// YAML anchors, aliases and merge keys: templates reused across host groups.
import { describe, expect, it } from 'vitest';
import { formatError, loadScenarioText, type Scenario } from '../../sim/scenario/index.js';

function load(lines: string[]): Scenario {
  const result = loadScenarioText(lines.join('\n'), 't.yaml');
  if (!result.ok) throw new Error(result.errors.map(formatError).join('\n'));
  return result.scenario;
}

/** A mix as [word, ratio] pairs: the name of a class or NAT type, `none` for no NAT. */
function words(mix: readonly { value: unknown; ratio: number }[]): [unknown, number][] {
  return mix.map((m) => {
    const v = m.value as { name?: string; kind?: string } | string;
    return [typeof v === 'string' ? v : v.kind === 'none' ? 'none' : v.name, m.ratio];
  });
}

describe('templates', () => {
  it('fill a group from a merge key, and the group overrides what it restates', () => {
    const s = load([
      'duration: 1h',
      'templates:',
      '  home: &home',
      '    nat: symmetric',
      '    link: cable',
      '    firewall: { none: 90%, udp-blocked: 10% }',
      'hosts:',
      '  - { name: a, count: 3, <<: *home }',
      '  - { name: b, count: 4, <<: *home, nat: none }',
      '',
    ]);
    expect(s.hosts.map((g) => [g.name, words(g.nat), words(g.link), words(g.firewall)])).toEqual([
      ['a', [['symmetric', 1]], [['cable', 1]], [['none', 0.9], ['udp-blocked', 0.1]]],
      ['b', [['none', 1]], [['cable', 1]], [['none', 0.9], ['udp-blocked', 0.1]]],
    ]);
  });

  it('merge several templates, the first listed winning', () => {
    const s = load([
      'duration: 1h',
      'templates:',
      '  fast: &fast { link: lan, machine: high }',
      '  slow: &slow { link: dialup, machine: low, nat: full-cone }',
      'hosts:',
      '  - { count: 1, <<: [*fast, *slow] }',
      '',
    ]);
    expect([words(s.hosts[0].link), words(s.hosts[0].machine), words(s.hosts[0].nat)]).toEqual([[['lan', 1]], [['high', 1]], [['full-cone', 1]]]);
  });

  it('reuse a whole value through an alias', () => {
    const s = load([
      'duration: 1h',
      'templates:',
      '  talk: &talk { kind: lognormal, mean: 3min, sd: 4min }',
      'hosts: [{ count: 1 }]',
      'workload:',
      '  calls: { ratePerHostHour: 1, duration: *talk }',
      '  pstnCalls: { ratePerHostHour: 1, duration: *talk }',
      '',
    ]);
    expect(s.workload.calls.durationMs).toEqual({ kind: 'lognormal', mean: 180_000, sd: 240_000 });
    expect(s.workload.pstnCalls.durationMs).toEqual(s.workload.calls.durationMs);
  });

  it('leave nothing of `templates` in the scenario', () => {
    const s = load(['duration: 1h', 'templates: { x: &x { count: 2 } }', 'hosts: [*x]', '']);
    expect(Object.keys(s)).not.toContain('templates');
    expect(s.hosts[0].count).toBe(2);
  });
});
