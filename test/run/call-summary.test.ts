// summary.json's calls / relays / chat / search sections and metrics.csv's call gauges, from
// a small real run, checked against each other and against the run's own counters.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callLines, overBudgetText, pstnLines, reloginLines, searchLines, summaryText } from '../../sim/cli/summary-text.js';
import { MetricsRecorder } from '../../sim/metrics/recorder.js';
import { summarize } from '../../sim/metrics/summary-stats.js';
import { RunDirectory } from '../../sim/output/run-directory.js';
import { CallStats, directRttMs, searchSection } from '../../sim/run/call-stats.js';
import { runScenario, type RunSummary } from '../../sim/run/run.js';
import type { World } from '../../sim/world/world.js';
import { load, TINY_CALLS } from './tiny-calls.js';

const dir = mkdtempSync(join(tmpdir(), 'call-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let s: RunSummary;
let csv: string[][];

beforeAll(async () => {
  const out = RunDirectory.open(join(dir, 'run'));
  s = await runScenario(load(TINY_CALLS), { run: 0, out, version: 'test' });
  const path = out.commit();
  csv = readFileSync(join(path, 'metrics.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
}, 60_000);

const sum = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((a, b) => a + b, 0);

describe('calls', () => {
  it('count placed calls as the workload did, and split them into answered and failed', () => {
    const c = s.calls;
    expect(c.placed).toBe(s.counters['workload.call']);
    expect(c.placed).toBeGreaterThan(50);
    expect(c.answered).toBeGreaterThan(5);
    // calls.ts's failEarly labels a PSTN dial refused at once (busy, offline) kind peer, so
    // those can land among the failures too.
    expect(c.answered + c.failed).toBeLessThanOrEqual(c.placed + c.pstn.requested);
    expect(c.failed).toBe(sum(c.failuresByCause));
    expect(c.successRatio).toBeCloseTo(c.answered / (c.answered + c.failed), 3);
    expect(c.setupMs.all.count).toBe(c.answered);
    expect(sum(Object.fromEntries(Object.entries(c.setupMs.byPath).map(([p, d]) => [p, d.count])))).toBe(c.answered);
  });

  it('give path shares that add up to 1, overall and per NAT-class pair', () => {
    const all = s.calls.paths.all;
    expect(all.answered).toBe(s.calls.answered);
    expect(Object.keys(all)).toEqual(['answered', 'direct', 'holePunched', 'relayedTcp', 'relayedUdp']);
    const total = (p: Record<string, number | null>) => ['direct', 'holePunched', 'relayedTcp', 'relayedUdp'].reduce((a, k) => a + (p[k] ?? 0), 0);
    expect(total(all)).toBeCloseTo(1, 2);
    const pairs = Object.keys(s.calls.paths.byNatPair);
    expect(pairs.length).toBeGreaterThan(1);
    expect(pairs).toEqual([...pairs].sort());
    for (const pair of pairs) {
      expect(pair).toMatch(/^[a-z-]+>[a-z-]+$/);
      expect(total(s.calls.paths.byNatPair[pair])).toBeCloseTo(1, 2);
    }
    expect(sum(Object.fromEntries(pairs.map((p) => [p, s.calls.paths.byNatPair[p].answered])))).toBe(all.answered);
    // Two open hosts talk directly; a UDP-blocked party needs a TCP relay.
    if (s.calls.paths.byNatPair['open>open']) expect(s.calls.paths.byNatPair['open>open'].direct).toBe(1);
    for (const pair of pairs.filter((p) => p.includes('udp-blocked'))) expect(s.calls.paths.byNatPair[pair].relayedTcp).toBe(1);
  });

  it('report quality per direction by path and by policy, with MOS in the E-model range', () => {
    const mos = s.calls.quality.mos;
    const byPath = Object.values(mos.byPath);
    expect(byPath.length).toBeGreaterThan(0);
    for (const q of byPath) {
      expect(q.min!).toBeGreaterThanOrEqual(1);
      expect(q.max!).toBeLessThanOrEqual(4.5);
    }
    expect(Object.keys(mos.byPolicy)).toEqual(['lowest-rtt', 'none']);
    // Every sample has a path and a policy: the two splits cover the same samples.
    expect(sum(Object.fromEntries(byPath.map((q, i) => [i, q.count])))).toBe(sum(Object.fromEntries(Object.values(mos.byPolicy).map((q, i) => [i, q.count]))));
  });

  it('count PSTN calls by direction', () => {
    const p = s.calls.pstn;
    expect(p.requested).toBe(s.counters['workload.pstnCall']);
    expect(p.requested).toBeGreaterThan(0);
    expect(Object.keys(p.byDirection)).toEqual(['in', 'out']);
  });
});

describe('relays', () => {
  it('count calls per relay consistently with the relayed calls', () => {
    const load = s.relays.load;
    expect(load.relaysUsed).toBeGreaterThan(0);
    expect(sum(load.callsPerRelay.histogram)).toBe(load.relaysUsed);
    const relayedAnswered = Math.round((s.calls.paths.all.relayedUdp! + s.calls.paths.all.relayedTcp!) * s.calls.answered);
    // Every relayed call used at least one relay; a re-selection can add one more.
    const callsAtRelays = Object.entries(load.callsPerRelay.histogram).reduce((a, [calls, relays]) => a + Number(calls) * relays, 0);
    expect(callsAtRelays).toBeGreaterThanOrEqual(relayedAnswered);
    expect(load.bytesPerRelay.count).toBeGreaterThan(0);
  });

  it('give a relayed RTT stretch above 1 and a direct one near 1', () => {
    const st = s.relays.rttStretch;
    expect(st.relayed.count).toBeGreaterThan(0);
    // The relayed path adds the relay's access delays both ways to the direct path: never shorter.
    expect(st.relayed.min!).toBeGreaterThan(1);
    if (st.direct.count > 0) {
      expect(st.direct.min!).toBeGreaterThanOrEqual(1);
      expect(st.direct.p50!).toBeLessThan(st.relayed.p50!);
    }
  });

  it('report selection time and probes by policy, and the re-selection counts', () => {
    const sel = s.relays.selection['lowest-rtt'];
    expect(sel.timeMs.count).toBeGreaterThan(0);
    expect(sel.probes.max!).toBeLessThanOrEqual(4);
    expect(s.relays.reselections).toBeGreaterThanOrEqual(0);
    expect(Object.keys(s.relays.mosByPolicy)).toEqual(['lowest-rtt']);
  });

  it('take the direct RTT from the region matrix and both access delays', () => {
    const scenario = load(TINY_CALLS);
    const world = {
      scenario,
      hosts: [
        { region: 'a', link: 'lan' },
        { region: 'b', link: 'dsl' },
      ],
    } as unknown as World;
    const lan = scenario.network.bandwidthClasses.lan.accessDelayMs;
    const dsl = scenario.network.bandwidthClasses.dsl.accessDelayMs;
    expect(directRttMs(world, 0, 1)).toBeCloseTo(2 * lan + 120 + 2 * dsl, 9);
    expect(directRttMs(world, 0, 0)).toBeCloseTo(4 * lan + 30, 9);
  });
});

describe('chat and search', () => {
  it('split sent chat messages into delivered and undelivered, with an ack time per delivered one', () => {
    const c = s.chat;
    expect(c.sent).toBe(s.counters['workload.chat']);
    expect(c.delivered + c.undelivered).toBeLessThanOrEqual(c.sent);
    expect(c.delivered).toBeGreaterThan(0);
    expect(c.ackMs.count).toBe(c.delivered);
  });

  it('leave search null without searchMs samples, and summarize them by class when present', () => {
    const empty = new MetricsRecorder();
    expect(searchSection(empty)).toBeNull();
    const m = new MetricsRecorder();
    m.record('searchMs', 300, { outcome: 'found', searcherClass: 'open' });
    m.record('searchMs', 500, { outcome: 'found', searcherClass: 'symmetric' });
    m.record('searchMs', 9000, { outcome: 'notFound', searcherClass: 'symmetric' });
    m.record('searchMessages', 4, { outcome: 'found', searcherClass: 'open' });
    m.record('searchMessages', 12, { outcome: 'notFound', searcherClass: 'symmetric' });
    const r = searchSection(m)!;
    expect(r.searches).toBe(3);
    expect(r.outcomes).toEqual({ found: 2, notFound: 1 });
    expect(r.outcomeShares).toEqual({ found: 0.667, notFound: 0.333 });
    expect(Object.keys(r.bySearcherClass)).toEqual(['open', 'symmetric']);
    expect(r.bySearcherClass.symmetric.latencyMs.max).toBe(9000);
    expect(r.bySearcherClass.open.messagesPerSearch.mean).toBe(4);
    expect(r.messagesPerSearch.count).toBe(2);
  });
});

describe('metrics.csv call gauges', () => {
  it('count a call once for its two parties, PSTN calls too, and forget calls that are over', () => {
    const calls: Record<number, { id: number; peer: string; path: string } | undefined> = {
      0: { id: 7, peer: 'b', path: 'relayedUdp' },
      1: { id: 7, peer: 'a', path: 'relayedUdp' },
      2: { id: 9, peer: '+15550100', path: 'direct' },
      3: { id: 11, peer: 'e', path: 'direct' },
    };
    const names = ['a', 'b', 'c', 'd'];
    const world = { hostOnNet: (h: number) => ({ name: names[h], runtime: { node: { call: calls[h] } } }) } as unknown as World;
    const stats = new CallStats();
    for (const [host, callId] of [[0, 7], [1, 7], [2, 9], [3, 10]]) stats.note(host, 'callAnswered', { callId });
    // Host 3 answered call 10 but is in call 11 now (10 ended unseen): not counted.
    expect(stats.gauges(world)).toEqual({ inProgress: 2, relayedInProgress: 1 });
    calls[0] = undefined;
    expect(stats.gauges(world)).toEqual({ inProgress: 2, relayedInProgress: 1 });
    calls[1] = undefined;
    calls[2] = undefined;
    expect(stats.gauges(world)).toEqual({ inProgress: 0, relayedInProgress: 0 });
  });

  it('append calls_in_progress and relayed_calls_in_progress after every older column', () => {
    const header = csv[0];
    expect(header.slice(-2)).toEqual(['calls_in_progress', 'relayed_calls_in_progress']);
    expect(header.slice(0, 7)).toEqual(['time_s', 'online_hosts', 'up_hosts', 'logins_in_progress', 'supernodes', 'sn_clients_mean', 'sn_clients_max'].slice(0, 7));
    const rows = csv.slice(1).map((r) => r.slice(-2).map(Number));
    expect(Math.max(...rows.map(([calls]) => calls))).toBeGreaterThan(0);
    for (const [calls, relayed] of rows) expect(relayed).toBeLessThanOrEqual(calls);
    expect(rows.some(([, relayed]) => relayed > 0)).toBe(true);
  });
});

describe('the digest', () => {
  it('has a calls / relays / chat block when calls were placed', () => {
    const text = summaryText(s);
    expect(text).toMatch(new RegExp(`\\ncalls {8}${s.calls.placed} placed, ${s.calls.answered} answered, ${s.calls.failed} failed`));
    expect(text).toMatch(/\ncall MOS {5}.*\(p50\/p10 per direction\)\n/);
    expect(text).toMatch(new RegExp(`\\nrelays {7}${s.relays.load.relaysUsed} used, calls per relay max \\d+ mean [\\d.]+; RTT stretch p50 [\\d.]+`));
    expect(text).toMatch(new RegExp(`\\nchat {9}${s.chat.sent} sent, ${s.chat.delivered} delivered`));
  });

  it('has a PSTN line when PSTN calls were requested: outcomes and set-up per direction', () => {
    const p = s.calls.pstn;
    expect(p.requested).toBeGreaterThan(0);
    const [line] = pstnLines(s);
    const okOf = (d: 'in' | 'out') => p.byDirection[d].outcomes.ok;
    expect(line).toMatch(new RegExp(`^pstn calls {3}${p.requested} requested; out ok ${okOf('out')}\\b.*, setup [\\d.]+/[\\d.]+ s; in ok ${okOf('in')}\\b.*, setup [\\d.]+/[\\d.]+ s  \\(p50/p90\\)$`));
    expect(summaryText(s)).toContain(`\n${line}\n`);
    expect(pstnLines({ calls: { ...s.calls, pstn: { ...p, requested: 0 } } })).toEqual([]);
  });

  it('has a search line with each searcher class, the outcomes that happened and the latency', () => {
    const m = new MetricsRecorder();
    m.record('searchMs', 300, { outcome: 'found', searcherClass: 'open' });
    m.record('searchMs', 1500, { outcome: 'notFound', searcherClass: 'superNode' });
    m.record('searchMs', 1500, { outcome: 'found', searcherClass: 'superNode' });
    const search = searchSection(m)!;
    expect(searchLines({ search })).toEqual(['searches     open 1 (found 100%) 0.3/0.3 s; superNode 2 (found 50%, notFound 50%) 1.5/1.5 s  (p50/p90)']);
    expect(searchLines({ search: null })).toEqual([]);
  });

  it('counts each re-login once by trigger and once by NAT class; a crash of super nodes makes reconnects', async () => {
    const out = RunDirectory.open(join(dir, 'crash'));
    const crashed = await runScenario(load(`${TINY_CALLS}events:\n  - { at: 10min, action: crash-supernodes, share: 50% }\n`), { run: 0, out, version: 'test' });
    out.commit();
    const byTrigger = crashed.logins.reloginTimeMsByTrigger;
    const byClass = Object.values(crashed.logins.reloginTimeMsByNatClass).reduce((n, t) => n + t.count, 0);
    expect(byTrigger.reconnect.count).toBeGreaterThan(0);
    expect(byTrigger.reconnect.count + byTrigger.handOff.count).toBe(byClass);
    expect(summaryText(crashed)).toMatch(new RegExp(`\\nre-logins {4}after SN loss ${byTrigger.reconnect.count} `));
  });

  it('has a re-login line by trigger when hosts logged in again, and none otherwise', () => {
    const relogins = (reconnect: number[], handOff: number[]) => ({
      logins: { ...s.logins, reloginTimeMsByTrigger: { reconnect: summarize(reconnect), handOff: summarize(handOff) } },
    });
    expect(reloginLines(relogins([1000, 3000, 70_000], []))).toEqual([
      expect.stringMatching(/^re-logins {4}after SN loss 3 [\d.]+\/[\d.]+\/70\.0 s; after hand-off none {2}\(p50\/p90\/max\)$/),
    ]);
    expect(reloginLines(relogins([], []))).toEqual([]);
    const { reloginTimeMsByTrigger: _r, ...older } = s.logins;
    expect(reloginLines({ logins: older as RunSummary['logins'] })).toEqual([]);
  });

  it('tells of routed messages refused over the signalling budget on the super-node line, only when there were some', () => {
    const refused = { ...s, protocol: { nodeEvents: { ...s.protocol.nodeEvents, signallingOverBudget: 12 } } };
    expect(summaryText(refused)).toMatch(/\nsuper nodes .*max \d+; 12 routed messages refused over the signalling budget\n/);
    expect(overBudgetText({ protocol: { nodeEvents: {} } })).toBe('');
  });

  it('has none without calls, or for a summary from before calls', () => {
    expect(callLines({ ...s, calls: { ...s.calls, placed: 0, answered: 0 } })).toEqual([]);
    const { calls: _c, ...older } = s;
    expect(callLines(older as unknown as RunSummary)).toEqual([]);
  });
});
