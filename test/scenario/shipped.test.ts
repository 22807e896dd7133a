// The scenarios in scenarios/ validate, and say what their headers promise.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatError, loadScenarioFile, type HostGroup, type Scenario } from '../../sim/scenario/index.js';

const dir = resolve(import.meta.dirname, '../../scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

function load(name: string): Scenario {
  const result = loadScenarioFile(join(dir, name));
  if (!result.ok) throw new Error(result.errors.map(formatError).join('\n'));
  return result.scenario;
}

/** Expected hosts of the groups whose attribute matches. */
function hostsWhere(groups: readonly HostGroup[], share: (g: HostGroup) => number): number {
  return groups.reduce((n, g) => n + g.count * share(g), 0);
}

const totalHosts = (s: Scenario) => s.hosts.reduce((n, g) => n + g.count, 0);

describe('shipped scenarios', () => {
  it('include the three the issue asks for', () => {
    expect(files).toEqual(expect.arrayContaining(['churn.yaml', 'login-storm.yaml', 'sn-crash.yaml']));
  });

  it.each(files)('%s validates', (file) => {
    expect(load(file).name).toBe(file.replace(/\.yaml$/, ''));
  });

  it.each(files)('%s opens with a header comment saying what it shows', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text.startsWith(`# ${file} - `)).toBe(true);
    expect(text).toMatch(/^# What it shows: /m);
  });

  it('churn: 5,000+ hosts, ~30% public, NATs of every kind, some UDP-blocked, 2 h of diurnal churn', () => {
    const s = load('churn.yaml');
    const hosts = totalHosts(s);
    const share = (f: (g: HostGroup) => number) => hostsWhere(s.hosts, f) / hosts;
    const natShare = (name: string) => (g: HostGroup) => g.nat.filter((m) => (m.value.kind === 'none' ? 'none' : m.value.name) === name).reduce((a, m) => a + m.ratio, 0);
    expect(hosts).toBeGreaterThanOrEqual(5000);
    expect(share(natShare('none'))).toBeGreaterThan(0.25);
    expect(share(natShare('none'))).toBeLessThan(0.35);
    for (const nat of ['full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric']) expect(share(natShare(nat))).toBeGreaterThan(0.05);
    const udpBlocked = share((g) => g.firewall.filter((m) => m.value === 'udp-blocked' || m.value === 'tcp-80-443-only').reduce((a, m) => a + m.ratio, 0));
    expect(udpBlocked).toBeGreaterThan(0.01);
    expect(udpBlocked).toBeLessThan(0.1);
    expect(s.roles.loginServers.count).toBe(1);
    expect(s.roles.bootstrapSupernodes.count).toBeGreaterThan(0);
    expect(s.durationMs).toBe(2 * 3_600_000);
    expect(s.churn.mode === 'sessions' && s.churn.diurnal?.hourlyWeights).toHaveLength(24);
  });

  it('login-storm: most hosts restart within minutes, after a steady start', () => {
    const s = load('login-storm.yaml');
    const restarts = s.events.filter((e) => e.action === 'restart');
    expect(restarts).toHaveLength(1);
    const [storm] = restarts;
    expect(storm.action === 'restart' && storm).toMatchObject({ groups: s.hosts.map((g) => g.name) });
    expect(storm.action === 'restart' && storm.shareRatio).toBeGreaterThanOrEqual(0.5);
    expect(storm.action === 'restart' && storm.spreadMs).toBeLessThanOrEqual(15 * 60_000);
    expect(storm.atMs).toBeGreaterThanOrEqual(30 * 60_000);
    expectSteadyStart(s, storm.atMs);
  });

  it('sn-crash: a third of the super nodes crash at once, with no churn around it', () => {
    const s = load('sn-crash.yaml');
    expect(s.events).toEqual([{ atMs: 40 * 60_000, action: 'crash-supernodes', shareRatio: 0.33 }]);
    expect(s.churn.mode).toBe('off');
    expectSteadyStart(s, s.events[0].atMs);
  });

  it('relay-selection: the three relay policies on one seed, a NATed population calling buddies, SNs to relay', () => {
    const s = load('relay-selection.yaml');
    const hosts = totalHosts(s);
    expect(hosts).toBeGreaterThanOrEqual(300);
    expect(hosts).toBeLessThanOrEqual(2000);
    const natted = hostsWhere(s.hosts, (g) => g.nat.filter((m) => m.value.kind === 'nat').reduce((a, m) => a + m.ratio, 0));
    expect(natted / hosts).toBeGreaterThan(0.5);
    const udpBlocked = hostsWhere(s.hosts, (g) => g.firewall.filter((m) => m.value === 'udp-blocked').reduce((a, m) => a + m.ratio, 0));
    expect(udpBlocked).toBeGreaterThan(0);
    expect(s.network.regions.length).toBeGreaterThanOrEqual(3);
    expect(s.compare).toMatchObject({ parameter: 'relayPolicy', values: ['random-public', 'lowest-rtt', 'least-loaded'] });
    expect(s.protocol.snUptimeThresholdMs).toBeLessThanOrEqual(10 * 60_000);
    expect(s.protocol.mediaMode).toBe('flow');
    expect(s.workload.calls).toMatchObject({ peerChoice: 'buddies' });
    expect(s.workload.calls.ratePerHostHour).toBeGreaterThan(0);
    expect(s.durationMs).toBeGreaterThanOrEqual(60 * 60_000);
    expect(s.durationMs).toBeLessThanOrEqual(2 * 60 * 60_000);
  });
});

/**
 * The start before a scenario's disturbance has super nodes of its own: fewer hosts log in
 * before the first one can be promoted than the bootstrap SNs take (else the rest fail to log
 * in), and the warm-up and the first promotions end well before the disturbance at `atMs`.
 */
function expectSteadyStart(s: Scenario, atMs: number): void {
  if (s.churn.mode === 'trace') throw new Error(`${s.name}: a trace-driven start has no warm-up`);
  const { warmupMs, initialOnlineRatio } = s.churn;
  const loggedInBeforePromotion = totalHosts(s) * initialOnlineRatio * Math.min(1, s.protocol.snUptimeThresholdMs / warmupMs);
  expect(loggedInBeforePromotion).toBeLessThan(s.roles.bootstrapSupernodes.count * s.protocol.snClientCapacity);
  expect(warmupMs + s.protocol.snUptimeThresholdMs).toBeLessThanOrEqual(0.75 * atMs);
}
