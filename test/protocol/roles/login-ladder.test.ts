// BS-9 exactly: every HC entry unreachable. Per entry: UDP probe, 5 s, TCP to the SN's port,
// TCP 80, TCP 443 (each connection fails when the test says), next entry; after the round 6 s;
// 5 rounds; then failure - at timer-exact times. The host runs alone; the test is its network.
import { describe, expect, it } from 'vitest';
import type { ConnId, Endpoint, Output } from '../../../protocol/node.js';
import { HostNode } from '../../../protocol/roles/ordinary-host.js';
import { ep, fmt, ip, Solo } from './harness.js';
import { bootstrapList, LS_ENDPOINT, LS_KEYS, STRONG, testParams, Wire } from './world.js';

interface Pending {
  at: number;
  fire: () => Output[];
}

/**
 * Runs the host until nothing is pending. Every connect fails `connectFailMs` after it was
 * issued; timers fire at their set time. Returns log lines "t kind target".
 */
function runLadder(connectFailMs: number, entries: Endpoint[]) {
  const params = testParams();
  const host = new HostNode({ params, disk: {}, localIp: ip('10.0.0.2'), port: 5000, bootstrap: entries, loginServer: LS_ENDPOINT, lsPublicKey: LS_KEYS.publicKey, config: STRONG });
  const solo = new Solo(host);
  const lines: string[] = [];
  const timers = new Map<string, Pending>();
  const connects = new Map<ConnId, Pending>();
  const absorb = (outs: Output[]) => {
    for (const o of outs) {
      if (o.kind === 'sendDatagram') lines.push(`${solo.now} udp ${o.msgType} ${fmt(o.to)}`);
      if (o.kind === 'connect') {
        lines.push(`${solo.now} tcp ${fmt(o.to)}`);
        const conn = o.conn;
        connects.set(conn, { at: solo.now + connectFailMs, fire: () => (connects.delete(conn), solo.feed({ kind: 'connectFailed', conn, reason: 'timeout' })) });
      }
      if (o.kind === 'setTimer') {
        const { name, tag } = o;
        timers.set(name, { at: solo.now + o.delayMs, fire: () => (timers.delete(name), solo.feed({ kind: 'timer', name, tag })) });
      }
      if (o.kind === 'cancelTimer') timers.delete(o.name);
    }
  };
  absorb(solo.feed({ kind: 'start' }));
  absorb(solo.feed({ kind: 'user', action: { type: 'login', name: 'alice', password: 'pw' } }));
  for (let guard = 0; guard < 10_000; guard++) {
    const next = [...timers.values(), ...connects.values()].sort((a, b) => a.at - b.at)[0];
    if (!next) break;
    solo.now = next.at;
    absorb(next.fire());
  }
  return { host, solo, lines, params };
}

function expectedLines(entries: Endpoint[], connectFailMs: number) {
  const lines: string[] = [];
  let t = 0;
  for (let round = 1; round <= 5; round++) {
    for (const e of entries) {
      lines.push(`${t} udp probe ${fmt(e)}`);
      t += 5000;
      for (const port of [e.port, 80, 443]) {
        lines.push(`${t} tcp ${fmt({ ip: e.ip, port })}`);
        t += connectFailMs;
      }
    }
    if (round < 5) t += 6000;
  }
  return { lines, endMs: t };
}

describe('login ladder (BS-9) with every HC entry unreachable', () => {
  for (const connectFailMs of [3000, 0, 21_000]) {
    it(`probes, falls back to TCP port / 80 / 443, waits 6 s between 5 rounds, then fails (connect fails after ${connectFailMs} ms)`, () => {
      const entries = bootstrapList(7);
      const { host, solo, lines } = runLadder(connectFailMs, entries);
      const expected = expectedLines(entries, connectFailMs);
      expect(lines).toEqual(expected.lines);
      expect(host.state).toBe('offline');
      const metric = (name: string) => solo.log.map((l) => l.output).filter((o) => o.kind === 'metric' && o.name === name);
      expect(metric('loginTimeMs')).toEqual([{ kind: 'metric', name: 'loginTimeMs', value: expected.endMs, labels: { outcome: 'failed', natClass: 'unknown', trigger: 'user' } }]);
      expect(metric('loginRounds')).toMatchObject([{ value: 5 }]);
      expect(metric('loginAttempts')).toMatchObject([{ value: 35 }]);
      expect(metric('loginFailure')).toMatchObject([{ value: 1, labels: { cause: 'noSuperNode' } }]);
      const failedAt = solo.log.find((l) => l.output.kind === 'trace' && l.output.event === 'loginFailed')?.at;
      expect(failedAt).toBe(expected.endMs);
    });
  }

  it('arms exactly a 5 s probe timer and a 6 s round timer', () => {
    const { solo } = runLadder(1000, bootstrapList(2));
    const delays = (name: string) => [...new Set(solo.log.flatMap((l) => (l.output.kind === 'setTimer' && l.output.name === name ? [l.output.delayMs] : [])))];
    expect(delays('probeTimeout')).toEqual([5000]);
    expect(delays('roundDelay')).toEqual([6000]);
    // Four waits between five rounds, none after the last.
    expect(solo.log.filter((l) => l.output.kind === 'setTimer' && l.output.name === 'roundDelay')).toHaveLength(4);
  });

  it('with an empty HC and no bootstrap list, fails after 5 rounds of nothing (BS-6)', () => {
    const { host, lines, solo } = runLadder(1000, []);
    expect(lines).toEqual([]);
    expect(host.state).toBe('offline');
    expect(solo.log.find((l) => l.output.kind === 'trace' && l.output.event === 'loginFailed')?.at).toBe(4 * 6000);
  });

  it('a failed entry moves to the end of the host cache', () => {
    const entries = bootstrapList(3);
    const params = testParams({ loginRounds: 1 });
    const disk = {};
    const host = new HostNode({ params, disk, localIp: ip('10.0.0.2'), port: 5000, bootstrap: entries, loginServer: LS_ENDPOINT, lsPublicKey: LS_KEYS.publicKey, config: STRONG });
    const solo = new Solo(host);
    solo.feed({ kind: 'start' });
    let outs = solo.feed({ kind: 'user', action: { type: 'login', name: 'alice', password: 'pw' } });
    // Entry 1: probe timeout, then three refusals.
    const timer = outs.find((o) => o.kind === 'setTimer')!;
    if (timer.kind !== 'setTimer') throw new Error();
    solo.now = 5000;
    outs = solo.feed({ kind: 'timer', name: timer.name, tag: timer.tag });
    for (let i = 0; i < 3; i++) {
      const c = outs.find((o) => o.kind === 'connect');
      if (!c || c.kind !== 'connect') throw new Error('no connect');
      outs = solo.feed({ kind: 'connectFailed', conn: c.conn, reason: 'refused' });
    }
    expect(host.hostCacheEntries().map(fmt)).toEqual([entries[1], entries[2], entries[0]].map(fmt));
  });

  it('a probe reply after its timeout is late (counted, ignored); one to no probe of ours is unexpected', () => {
    const entries = bootstrapList(2);
    const host = new HostNode({ params: testParams(), disk: {}, localIp: ip('10.0.0.2'), port: 5000, bootstrap: entries, loginServer: LS_ENDPOINT, lsPublicKey: LS_KEYS.publicKey, config: STRONG });
    const solo = new Solo(host);
    const wire = new Wire();
    solo.feed({ kind: 'start' });
    const outs = solo.feed({ kind: 'user', action: { type: 'login', name: 'alice', password: 'pw' } });
    const probe = wire.read(outs.find((o) => o.kind === 'sendDatagram')!);
    const timer = outs.find((o) => o.kind === 'setTimer')!;
    if (probe.type !== 'probe' || timer.kind !== 'setTimer') throw new Error();
    solo.now = 5000;
    solo.feed({ kind: 'timer', name: timer.name, tag: timer.tag });
    expect(host.state).toBe('connecting');
    const reply = (nonce: number) => solo.feed({ kind: 'datagram', localPort: 5000, from: entries[0], bytes: wire.bytes({ type: 'probeReply', nonce, hostCache: [ep('8.8.8.8:1')], full: false }) });
    expect(reply(probe.nonce)).toEqual([{ kind: 'trace', event: 'late', detail: { input: 'probeReply' } }]);
    expect(reply((probe.nonce + 1) >>> 0)).toEqual([{ kind: 'trace', event: 'unexpected', detail: { input: 'probeReply', state: 'connecting' } }]);
    expect(host.state).toBe('connecting');
    expect(host.hostCacheEntries()).toEqual(entries);
  });
});
