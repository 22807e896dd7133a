import { describe, expect, it } from 'vitest';
import { Kernel } from '../../sim/kernel/kernel.js';
import { seededRandom } from '../protocol/crypto/random.js';
import { ChurnDriver, type ChurnModel, type LeaveKind } from '../../sim/world/churn.js';
import { ChurnTraceError, checkTraceHosts, parseChurnTrace } from '../../sim/scenario/churn-trace.js';
import type { HostGroup } from '../../sim/scenario/index.js';
import { scheduleChurnTrace } from '../../sim/world/churn-trace.js';

/** Uniform draws from the tests' seeded generator. */
function uniformFrom(seed: number): () => number {
  const r = seededRandom(seed);
  return () => r.next();
}

function exponential(u: () => number, meanMs: number): () => number {
  return () => -Math.log(1 - u()) * meanMs;
}

function runChurn(model: Omit<ChurnModel, 'uniform'>, seed: number, hosts: number, untilMs: number) {
  const kernel = new Kernel();
  const uniform = uniformFrom(seed);
  const sessions: { host: number; ms: number; kind: LeaveKind }[] = [];
  const joins: number[] = [];
  const online = new Set<number>();
  const driver = new ChurnDriver(
    kernel,
    hosts,
    { ...model, uniform },
    {
      join: (h) => {
        expect(online.has(h)).toBe(false);
        online.add(h);
        joins.push(kernel.now);
      },
      leave: (h) => {
        expect(online.delete(h)).toBe(true);
      },
    },
    (host, ms, kind) => sessions.push({ host, ms, kind }),
  );
  driver.start();
  kernel.runUntil(untilMs);
  return { sessions, joins, online };
}

describe('churn', () => {
  const model = (seed: number) => {
    const u = uniformFrom(seed);
    return {
      sessionMs: exponential(u, 600_000),
      offMs: exponential(u, 1_200_000),
      crashRatio: 0.25,
      initialOnlineRatio: 1 / 3,
      warmupMs: 60_000,
    };
  };
  const base = model(99);

  it('measured session lengths match the configured distribution', () => {
    const { sessions } = runChurn(base, 1, 2000, 20 * 3_600_000);
    const mean = sessions.reduce((s, x) => s + x.ms, 0) / sessions.length;
    expect(sessions.length).toBeGreaterThan(20_000);
    expect(Math.abs(mean - 600_000) / 600_000).toBeLessThan(0.03);
    // Exponential: the median is mean * ln 2.
    const sorted = sessions.map((s) => s.ms).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    expect(Math.abs(median - 600_000 * Math.LN2) / (600_000 * Math.LN2)).toBeLessThan(0.04);
    const crashShare = sessions.filter((s) => s.kind === 'crash').length / sessions.length;
    expect(Math.abs(crashShare - 0.25)).toBeLessThan(0.02);
  });

  it('starts near the steady-state online share, spread over the warm-up', () => {
    const { joins } = runChurn(base, 2, 3000, 60_000);
    expect(Math.abs(joins.length / 3000 - 1 / 3)).toBeLessThan(0.04);
    expect(Math.max(...joins)).toBeLessThanOrEqual(60_000);
  });

  it('diurnal profile: arrivals follow the hourly weights', () => {
    const weights = Array.from({ length: 24 }, (_, h) => (h < 12 ? 1 : 0.25));
    const { joins } = runChurn(
      { ...base, initialOnlineRatio: 0, diurnal: { hourlyWeights: weights, utcOffsetHours: () => 0 } },
      3,
      3000,
      48 * 3_600_000,
    );
    const inDay = joins.filter((t) => Math.floor(t / 3_600_000) % 24 < 12).length;
    const inNight = joins.length - inDay;
    expect(inDay / inNight).toBeGreaterThan(2.5);
    expect(inDay / inNight).toBeLessThan(6);
  });

  it('the same seed gives the same schedule', () => {
    const a = runChurn(model(5), 7, 200, 3_600_000);
    const b = runChurn(model(5), 7, 200, 3_600_000);
    const c = runChurn(model(6), 7, 200, 3_600_000);
    expect(a.joins).toEqual(b.joins);
    expect(a.joins).not.toEqual(c.joins);
  });
});

describe('trace-driven churn', () => {
  it('replays the file exactly', () => {
    const sessions = parseChurnTrace('host,join_s,leave_s,leave\npeers-1,0,10,crash\npeers-0,5,7\n# comment\npeers-1,20,30\n', 'c.csv');
    const kernel = new Kernel();
    const log: string[] = [];
    scheduleChurnTrace(kernel, sessions, (n) => ({ 'peers-0': 0, 'peers-1': 1 })[n], {
      join: (h) => log.push(`${kernel.now} join ${h}`),
      leave: (h, k) => log.push(`${kernel.now} ${k} ${h}`),
    });
    kernel.runUntilIdle();
    expect(log).toEqual(['0 join 1', '5000 join 0', '7000 logout 0', '10000 crash 1', '20000 join 1', '30000 logout 1']);
  });

  it.each([
    ['hosts,join_s,leave_s\n', /^c\.csv:1:1  expected the header/],
    ['', /^c\.csv:1:1  expected the header "host,join_s,leave_s\[,leave\]", got ""/],
    ['host,join_s,leave_s\na,x,3\n', /^c\.csv:2:3  join_s: expected a non-negative number of seconds, got "x"/],
    ['host,join_s,leave_s\nab, -1,3\n', /^c\.csv:2:4  join_s: expected a non-negative number/],
    ['host,join_s,leave_s\na,5,3\n', /^c\.csv:2:5  leave_s: expected a number of seconds after join_s \(5\), got "3"/],
    ['host,join_s,leave_s\na,5,\n', /^c\.csv:2:5  leave_s: expected a number of seconds after join_s \(5\), got ""/],
    ['host,join_s,leave_s,leave\na,1,3,vanish\n', /^c\.csv:2:7  leave: expected one of logout \| crash, got "vanish"/],
    ['host,join_s,leave_s,leave\na,1,3,crash,x\n', /^c\.csv:2:13  expected at most 4 cells/],
    ['host,join_s,leave_s\n,1,3\n', /^c\.csv:2:1  host: expected a host name/],
    ['host,join_s,leave_s\na,1,30\na,20,40\n', /^c\.csv:3:3  host a: session overlaps/],
  ])('rejects %j with a located message', (text, message) => {
    expect(() => parseChurnTrace(text, 'c.csv')).toThrow(message);
    expect(() => parseChurnTrace(text, 'c.csv')).toThrow(ChurnTraceError);
  });

  it('knows the hosts of the scenario by group and index', () => {
    const groups = [{ name: 'home-na', count: 3 }, { name: 'campus', count: 1 }] as unknown as HostGroup[];
    const check = (host: string) => () => checkTraceHosts(parseChurnTrace(`host,join_s,leave_s\n${host},0,1\n`, 'c.csv'), 'c.csv', groups);
    for (const ok of ['home-na-0', 'home-na-2', 'campus-0']) expect(check(ok)).not.toThrow();
    for (const bad of ['home-na-3', 'home-na-01', 'home-na--1', 'home-0', 'campus', 'ghost-1', 'home-na-1.0']) {
      expect(check(bad), bad).toThrow(/^c\.csv:2:1  host: no host named/);
    }
  });
});
