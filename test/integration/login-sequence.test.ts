// BS-9 on the real network: every login candidate unreachable. Per candidate the trace must
// show a UDP probe, then TCP to the SN's port, then TCP 80, then TCP 443; 6 s between rounds;
// 5 rounds; then failure - at times given by the timers alone. Done twice, with sim/net's two
// ways a TCP connect fails: refused (the host is up with nothing listening: a RST) and
// black-holed (the host is down: the SYN and its retransmissions are swallowed, connect fails
// after synRto x (2^(synRetries+1) - 1) = 3 + 6 + 12 s).
//
// The network is ideal (core RTT 0, access delay 0, 1000 Gbit/s links, no jitter), so a refusal
// takes no time and every instant is timer arithmetic, up to serialization (< 1 ns a packet).
//
// Total time from the login to its failure, R rounds, E candidates, P probe timeout, W round
// delay, 3 TCP ports per candidate, C the time one connect takes to fail:
//     T = R x E x (P + 3 x C) + (R - 1) x W
//   refused:      C = 0                         T = 5 x 4 x  5 s        + 4 x 6 s =   124 s
//   black-holed:  C = 3 x (2^(2+1) - 1) = 21 s  T = 5 x 4 x (5 s + 63 s) + 4 x 6 s = 1 384 s
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../protocol/node.js';
import { formatEndpoint } from '../../protocol/roles/support.js';
import { ladderFailureMs, tcpConnectTimeoutMs } from '../../sim/checkers/index.js';
import { SmallWorld, type Unreachable } from '../../sim/testing/index.js';

const TOLERANCE_MS = 0.001;
const IDEAL_LINK = { uplink: '1000Gbit', downlink: '1000Gbit', accessDelay: 0 };

function ladderWorld(kind: Unreachable) {
  const sw = new SmallWorld({
    seed: 9,
    rttMs: [[0]],
    superNodes: 2,
    hosts: [{ name: 'alice', link: 'ideal' }],
    network: { bandwidthClasses: { ideal: IDEAL_LINK, server: IDEAL_LINK } },
  });
  // Two cache entries of our own, then the two bootstrap SNs (BS-6: tried after the cache).
  const cache = [sw.addUnreachable(kind), sw.addUnreachable(kind)];
  sw.setHostCache('alice', cache);
  sw.makeSuperNodeUnreachable(0, kind);
  sw.makeSuperNodeUnreachable(1, kind);
  const candidates = [...cache, ...sw.bootstrap];
  sw.advance(1_000);
  const t0 = sw.nowMs;
  sw.login('alice');
  sw.advance(2_000_000);
  return { sw, t0, candidates };
}

/** `t kind target` lines of the expected attempts, and the failure time. */
function expectedLadder(candidates: Endpoint[], t0: number, probeMs: number, connectFailMs: number, roundDelayMs: number, rounds: number) {
  const attempts: { t: number; line: string }[] = [];
  const roundEnds: number[] = [];
  let t = t0;
  for (let round = 1; round <= rounds; round++) {
    for (const e of candidates) {
      attempts.push({ t, line: `udp ${formatEndpoint(e)}` });
      t += probeMs;
      for (const port of [e.port, 80, 443]) {
        attempts.push({ t, line: `tcp ${formatEndpoint({ ip: e.ip, port })}` });
        t += connectFailMs;
      }
    }
    roundEnds.push(t);
    if (round < rounds) t += roundDelayMs;
  }
  return { attempts, roundEnds, failMs: t };
}

describe.each([
  { kind: 'refused' as const, connectFail: 'RST', reason: 'no-listener' },
  { kind: 'black-hole' as const, connectFail: 'SYN timeout', reason: 'dead-host' },
])('login with every candidate unreachable ($kind)', ({ kind, reason }) => {
  const { sw, t0, candidates } = ladderWorld(kind);
  const p = sw.params;
  const connectFailMs = kind === 'refused' ? 0 : tcpConnectTimeoutMs(sw.tcp);
  const expected = expectedLadder(candidates, t0, p.probeTimeoutMs, connectFailMs, p.loginRoundDelayMs, p.loginRounds);
  const alice = sw.netHost('alice');

  it('states the documented total time, from the parameters', () => {
    const R = p.loginRounds;
    const E = candidates.length;
    const total = R * E * (p.probeTimeoutMs + 3 * connectFailMs) + (R - 1) * p.loginRoundDelayMs;
    expect(total).toBe(kind === 'refused' ? 124_000 : 1_384_000);
    expect(ladderFailureMs(p, candidates, connectFailMs)).toBe(total);
    expect(expected.failMs - t0).toBe(total);
  });

  it('tries each candidate as UDP probe, TCP to its port, TCP 80, TCP 443, in cache order, every round', () => {
    const attempts = sw.nodeEvents('alice', 'loginStep').map((e) => ({ t: e.tMs, line: `${e.detail!.transport} ${e.detail!.entry.toString().replace(/:\d+$/, '')}:${e.detail!.port}` }));
    expect(attempts.map((a) => a.line)).toEqual(expected.attempts.map((a) => a.line));
    attempts.forEach((a, i) => expect(Math.abs(a.t - expected.attempts[i].t), `${a.line} at ${a.t}, expected ${expected.attempts[i].t}`).toBeLessThan(TOLERANCE_MS));
  });

  it('puts exactly those packets on the wire: one probe, then one connect per port (first SYNs)', () => {
    const sends = sw.traceEvents().filter((e) => e.ev === 'send' && e.from === alice);
    const firstSyns = new Map<string, Record<string, unknown>>();
    for (const s of sends) if (s.msg === 'tcp-syn' && !firstSyns.has(s.src as string)) firstSyns.set(s.src as string, s);
    const wire = sends
      .filter((s) => s.msg === 'probe' || (s.msg === 'tcp-syn' && firstSyns.get(s.src as string) === s))
      .map((s) => ({ t: s.t as number, line: `${s.proto} ${s.dst}` }));
    expect(wire.map((w) => w.line)).toEqual(expected.attempts.map((a) => a.line));
    wire.forEach((w, i) => expect(Math.abs(w.t - expected.attempts[i].t)).toBeLessThan(TOLERANCE_MS));
    // Nothing else leaves the host: no LS connection, no keep-alive, no NAT test.
    expect(new Set(sends.map((s) => s.msg))).toEqual(new Set(['probe', 'tcp-syn']));
  });

  it(`each probe is lost (${reason}) and each connect fails the ${kind} way`, () => {
    const trace = sw.traceEvents();
    const probes = trace.filter((e) => e.ev === 'drop' && e.from === alice && e.msg === 'probe');
    expect(probes.map((e) => e.reason)).toEqual(expected.attempts.filter((a) => a.line.startsWith('udp')).map(() => reason));
    const connects = expected.attempts.length - probes.length;
    const failures = trace.filter((e) => e.host === alice && (e.ev === 'tcp-refuse' || e.ev === 'tcp-timeout'));
    expect(failures.map((e) => e.ev)).toEqual(Array(connects).fill(kind === 'refused' ? 'tcp-refuse' : 'tcp-timeout'));
    if (kind === 'black-hole') {
      // sim/net's SYN schedule for one attempt: at 0, 3 and 9 s, failure at 21 s.
      const first = trace.filter((e) => e.ev === 'send' && e.from === alice && e.msg === 'tcp-syn');
      const bySrc = new Map<string, number[]>();
      for (const s of first) bySrc.set(s.src as string, [...(bySrc.get(s.src as string) ?? []), s.t as number]);
      for (const times of bySrc.values()) expect(times.map((t) => Math.round(t - times[0]))).toEqual([0, 3_000, 9_000]);
    }
  });

  it('waits the round delay between rounds, five rounds, then fails at the documented time', () => {
    const roundFailed = sw.nodeEvents('alice', 'loginRoundFailed');
    expect(roundFailed.map((e) => e.detail!.round)).toEqual([1, 2, 3, 4]);
    roundFailed.forEach((e, i) => expect(Math.abs(e.tMs - expected.roundEnds[i])).toBeLessThan(TOLERANCE_MS));
    const failed = sw.nodeEvents('alice', 'loginFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0].detail).toMatchObject({ cause: 'noSuperNode', rounds: 5 });
    expect(Math.abs(failed[0].tMs - expected.failMs)).toBeLessThan(TOLERANCE_MS);
    expect(sw.state('alice')).toBe('offline');
    const loginTimes = sw.world.metrics.values('loginTimeMs', { outcome: 'failed' });
    expect(loginTimes).toHaveLength(1);
    expect(Math.abs(loginTimes[0] - (expected.failMs - t0))).toBeLessThan(TOLERANCE_MS);
  });

  it('breaks no invariant', () => {
    sw.assertNoViolations();
  });
});
