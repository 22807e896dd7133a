// Super-node election: eligibility, the two policies, the OT-4 restart delay.
import { describe, expect, it } from 'vitest';
import { checkEligibility, decideLoad, eligibleFromMs } from '../../../protocol/roles/election.js';
import { ip } from './harness.js';
import { STRONG, testParams, WEAK, World } from './world.js';

const MIN = 60_000;

describe('eligibility (BS-1, OT-3, OT-4, BS-32)', () => {
  const p = testParams({ snUptimeThresholdMs: 10 * MIN, snRestartDelayMs: 20 * MIN });
  const open = { natClass: 'open' as const, startedAtMs: 0, holdUntilMs: 0 };

  it('needs an open NAT class, the machine floors, and the uptime', () => {
    expect(checkEligibility(p, STRONG, open, 10 * MIN)).toEqual({ eligible: true });
    expect(checkEligibility(p, STRONG, open, 10 * MIN - 1)).toEqual({ eligible: false, reason: 'uptime' });
    expect(checkEligibility(p, WEAK, open, 10 * MIN)).toEqual({ eligible: false, reason: 'uplink' });
    expect(checkEligibility(p, { ...STRONG, cpuMhz: 500 }, open, 10 * MIN)).toEqual({ eligible: false, reason: 'cpu' });
    expect(checkEligibility(p, { ...STRONG, memoryMb: 64 }, open, 10 * MIN)).toEqual({ eligible: false, reason: 'memory' });
    for (const natClass of ['full-cone', 'restricted', 'port-restricted', 'symmetric', 'udp-blocked', 'unknown'] as const) {
      expect(checkEligibility(p, STRONG, { ...open, natClass }, 10 * MIN)).toEqual({ eligible: false, reason: 'nat' });
    }
    expect(eligibleFromMs(p, STRONG, open)).toBe(10 * MIN);
    expect(eligibleFromMs(p, WEAK, open)).toBeUndefined();
  });

  it('a restarted SN waits the restart delay (OT-4)', () => {
    const held = { ...open, holdUntilMs: 20 * MIN };
    expect(checkEligibility(p, STRONG, held, 15 * MIN)).toEqual({ eligible: false, reason: 'restartDelay' });
    expect(eligibleFromMs(p, STRONG, held)).toBe(20 * MIN);
  });

  it('opt-out is ignored in 2004 (BS-32) and honoured when the profile says so', () => {
    const optedOut = { ...STRONG, optOut: true };
    expect(checkEligibility(p, optedOut, open, 10 * MIN).eligible).toBe(true);
    expect(checkEligibility(testParams({ honourOptOut: true, snUptimeThresholdMs: 0 }), optedOut, open, 0)).toEqual({ eligible: false, reason: 'optOut' });
  });

  it('load decisions: only promote-on-demand requests or demotes', () => {
    const state = { clientCount: 9, refusedSinceCheck: false, bootstrap: false, overlayLinks: 1, underusedSinceMs: undefined };
    const onDemand = testParams({ electionPolicy: 'promote-on-demand', snClientCapacity: 10, overloadRatio: 0.9, underuseRatio: 0.1, underuseDemoteAfterMs: 5 * MIN });
    expect(decideLoad(onDemand, state, 0).requestPromotion).toBe(true);
    expect(decideLoad(onDemand, { ...state, clientCount: 8 }, 0).requestPromotion).toBe(false);
    expect(decideLoad(onDemand, { ...state, clientCount: 8, refusedSinceCheck: true }, 0).requestPromotion).toBe(true);
    const idle = { ...state, clientCount: 1 };
    expect(decideLoad(onDemand, idle, 1000)).toEqual({ requestPromotion: false, underusedSinceMs: 1000, demote: false });
    expect(decideLoad(onDemand, { ...idle, underusedSinceMs: 1000 }, 1000 + 5 * MIN)).toEqual({ requestPromotion: false, underusedSinceMs: 1000, demote: true });
    expect(decideLoad(onDemand, { ...idle, underusedSinceMs: 1000, bootstrap: true }, 1000 + 5 * MIN).demote).toBe(false);
    expect(decideLoad(onDemand, { ...idle, underusedSinceMs: 1000, overlayLinks: 0 }, 1000 + 5 * MIN).demote).toBe(false);
    const eager = testParams({ electionPolicy: 'promote-when-eligible', snClientCapacity: 10 });
    expect(decideLoad(eager, { ...state, clientCount: 10 }, 0).requestPromotion).toBe(false);
    expect(decideLoad(eager, { ...idle, underusedSinceMs: 0 }, 100 * MIN).demote).toBe(false);
  });
});

describe('policy promote-when-eligible', () => {
  it('promotes an eligible host at the exact instant its uptime passes the threshold; never a weak one', () => {
    const w = new World({ superNodes: 2, params: { snUptimeThresholdMs: 10 * MIN } });
    w.addHost('strong', '2.0.0.1');
    w.addHost('weak', '2.0.0.2', { config: WEAK });
    w.net.runUntil(1000);
    w.login('strong', 'alice');
    w.login('weak', 'bob');
    w.net.runUntil(30 * MIN);
    const [promoted] = w.net.traces('strong', 'promoted');
    expect(promoted.at).toBe(10 * MIN);
    expect(promoted.output).toMatchObject({ detail: { policy: 'promote-when-eligible', trigger: 'eligible' } });
    expect(w.net.metrics('strong', 'promotion')).toMatchObject([{ value: 0 }]);
    expect(w.host('strong').isSuperNode).toBe(true);
    expect(w.host('weak').isSuperNode).toBe(false);
    // The new SN serves: TCP 80/443 and the NAT-test port, overlay links, known to the overlay.
    const listens = w.net.of('strong').filter((r) => r.output.kind === 'listenTcp' || r.output.kind === 'listenUdp').map((r) => r.output);
    expect(listens).toEqual(expect.arrayContaining([{ kind: 'listenTcp', port: 80 }, { kind: 'listenTcp', port: 443 }]));
    expect(w.host('strong').superNode!.overlayLinkCount).toBeGreaterThan(0);
    expect(w.host('sn1').hostCacheEntries()).toContainEqual({ ip: ip('2.0.0.1'), port: w.host('strong').port });
    expect(w.disks.get('strong')!.wasSuperNode).toBe(true);
  });

  it('a host eligible already when it finishes logging in promotes then (time from eligible measured)', () => {
    const w = new World({ superNodes: 2, params: { snUptimeThresholdMs: 0 } });
    w.addHost('h', '2.0.0.1');
    w.net.runUntil(1000);
    w.login('h', 'alice');
    w.net.runFor(10_000);
    const [online] = w.net.traces('h', 'loginSucceeded');
    const [promoted] = w.net.traces('h', 'promoted');
    expect(promoted.at).toBe(online.at);
    // Eligible from the NAT classification (open) on, promoted at presence ack: one round trip later.
    const [nat] = w.net.traces('h', 'natClassified');
    expect(w.net.metrics('h', 'promotion')).toMatchObject([{ value: online.at - nat.at }]);
  });

  it('a restarted SN waits snRestartDelayMs before it serves again (OT-4)', () => {
    const w = new World({ superNodes: 2, params: { snUptimeThresholdMs: 10 * MIN, snRestartDelayMs: 25 * MIN } });
    w.addHost('h', '2.0.0.1', { disk: { wasSuperNode: true } });
    w.net.runUntil(1000);
    w.login('h', 'alice');
    w.net.runUntil(60 * MIN);
    expect(w.net.traces('h', 'promoted').map((r) => r.at)).toEqual([25 * MIN]);
  });

  it('a restarted bootstrap SN does not serve during the restart delay: hosts move on', () => {
    const w = new World({ superNodes: 2, params: { snRestartDelayMs: 5 * MIN } });
    w.net.crash('sn1');
    w.addHost('sn1b', '1.0.0.1', { bootstrapSuperNode: true, port: 33033, disk: { wasSuperNode: true, starts: 1 } });
    w.addHost('h', '2.0.0.9');
    w.net.runUntil(1000);
    w.login('h', 'alice');
    w.net.runFor(30_000);
    expect(w.host('sn1b').isSuperNode).toBe(false);
    expect(w.host('h').currentSuperNode).toEqual({ ip: ip('1.0.0.2'), port: 33033 });
    // The host's probe (the other SN's index publications may reach it too: not what this counts).
    expect(w.net.traces('sn1b', 'notServing').filter((r) => r.output.kind === 'trace' && r.output.detail?.msgType === 'probe')).toHaveLength(1);
    w.net.runUntil(5 * MIN);
    expect(w.host('sn1b').isSuperNode).toBe(true);
  });
});

describe('policy promote-on-demand', () => {
  function demandWorld() {
    // Two bootstrap SNs: the NAT test "reply from another node" needs an overlay neighbour.
    const w = new World({
      superNodes: 2,
      params: { electionPolicy: 'promote-on-demand', snUptimeThresholdMs: 0, snClientCapacity: 4, overloadRatio: 0.5, underuseRatio: 0.25, underuseDemoteAfterMs: 2 * MIN },
    });
    for (const i of [0, 1, 2]) w.addHost(`h${i + 1}`, `2.0.0.${i + 1}`);
    w.net.runUntil(1000);
    w.login('h1', 'alice');
    w.login('h2', 'bob');
    w.login('h3', 'carol');
    return w;
  }

  it('an overloaded SN asks its longest-attached eligible client to promote; eligible hosts do not promote by themselves', () => {
    const w = demandWorld();
    w.net.runUntil(MIN - 1);
    expect(['h1', 'h2', 'h3'].map((h) => w.host(h).isSuperNode)).toEqual([false, false, false]);
    w.net.runUntil(MIN + 100);
    // sn1 (3 clients of 4 >= 0.5) checks its load at 60 s.
    const [request] = w.net.traces('sn1', 'promoteRequested');
    expect(request.at).toBe(MIN);
    const first = w.host('sn1').superNode!.clientNames()[0];
    expect(request.output).toMatchObject({ detail: { name: first } });
    const promotedHost = ['h1', 'h2', 'h3'].find((h) => w.host(h).isSuperNode)!;
    expect(w.net.traces(promotedHost, 'promoted')).toMatchObject([{ at: MIN + 10, output: { detail: { policy: 'promote-on-demand', trigger: 'request' } } }]);
    expect(['h1', 'h2', 'h3'].filter((h) => w.host(h).isSuperNode)).toHaveLength(1);
  });

  it('an underused SN demotes itself after underuseDemoteAfterMs; its disk forgets it served', () => {
    const w = demandWorld();
    w.net.runUntil(MIN + 100);
    const promotedHost = ['h1', 'h2', 'h3'].find((h) => w.host(h).isSuperNode)!;
    w.net.runUntil(10 * MIN);
    const [demoted] = w.net.traces(promotedHost, 'demoted');
    expect(demoted.output).toMatchObject({ detail: { policy: 'promote-on-demand', cause: 'underused' } });
    // Load checks at promotion + k minutes; underused from the first, demoted two minutes later.
    expect(demoted.at).toBe(MIN + 10 + 3 * MIN);
    expect(w.net.metrics(promotedHost, 'demotion')).toMatchObject([{ value: 3 * MIN, labels: { cause: 'underused' } }]);
    expect(w.host(promotedHost).isSuperNode).toBe(false);
    expect(w.host(promotedHost).state).toBe('online');
    expect(w.disks.get(promotedHost)!.wasSuperNode).toBe(false);
    // The bootstrap SN never demotes.
    expect(w.host('sn1').isSuperNode).toBe(true);
  });
});
