// Two nodes over a tiny real network (STYLE.md 11): a bootstrap SN and a host logging in to
// it, driven by hand - deliver what is in flight, drop the next packet, jump to the next timer.
// The LS is an address where nothing lives, so the login stops at the LS step; what is tested
// here is the first half of BS-9 and the harness itself.
import { describe, expect, it } from 'vitest';
import { deriveSigningKeyPair } from '../../protocol/crypto/keys.js';
import type { Output } from '../../protocol/node.js';
import { makeParams } from '../../protocol/params.js';
import { HostNode } from '../../protocol/roles/ordinary-host.js';
import { Pair } from '../../sim/testing/index.js';

const params = makeParams({ passwordWorkFactor: 1 });
const lsKeys = deriveSigningKeyPair({ next: () => 0.25 });
const MACHINE = { uplinkBitsPerSec: 1e8, downlinkBitsPerSec: 1e8, cpuMhz: 3000, memoryMb: 2048 };
const NOWHERE_LS = { ip: 0x09090909, port: params.loginServerPort };

function snAndHost(nat?: 'symmetric') {
  // One disk per side for the pair's life: a restart reads what the crashed node left.
  const snDisk = {};
  const hostDisk = {};
  return new Pair<HostNode, HostNode>({
    rttMs: 20,
    a: {
      node: (env) =>
        new HostNode({ params, disk: snDisk, localIp: env.ipA, port: params.bootstrapPort, bootstrap: [{ ip: env.ipA, port: params.bootstrapPort }], loginServer: NOWHERE_LS, lsPublicKey: lsKeys.publicKey, config: MACHINE, bootstrapSuperNode: true }),
    },
    b: {
      nat,
      node: (env) => new HostNode({ params, disk: hostDisk, localIp: env.ipB, port: 5000, bootstrap: [{ ip: env.ipA, port: params.bootstrapPort }], loginServer: NOWHERE_LS, lsPublicKey: lsKeys.publicKey, config: MACHINE }),
    },
  }).start();
}

const sent = (outs: readonly Output[]) => outs.flatMap((o) => (o.kind === 'sendDatagram' || o.kind === 'write' ? [o.msgType] : o.kind === 'connect' ? [`connect:${o.to.port}`] : []));

describe('pair: a bootstrap SN and a host', () => {
  it('drive delivers the probe, its reply and all that follows, firing no node timer', () => {
    const pair = snAndHost();
    pair.drive();
    pair.b.act({ type: 'login', name: 'alice', password: 'pw' });
    pair.drive();
    // probe (b) -> probeReply (a) -> TCP (b) -> challenge (a) -> the LS on its port, 80, 443:
    // nothing lives at the LS's address, so each connect ends in TCP's own SYN timeout (a
    // network event, 21 s). Drive stops before the first node timer: the SN's 60 s upkeep,
    // which comes while the third connect is still trying.
    expect(pair.a.log.flatMap((e) => sent(e.outputs))).toContain('probeReply');
    expect(pair.b.log.flatMap((e) => sent(e.outputs))).toEqual(['probe', `connect:${params.bootstrapPort}`, `connect:${params.loginServerPort}`, 'connect:80', 'connect:443']);
    expect([...pair.a.log, ...pair.b.log].filter((e) => e.input.kind === 'timer')).toEqual([]);
    expect(pair.b.node.state).toBe('authenticating');
    expect(pair.nowMs).toBeLessThan(params.overlayMaintainIntervalMs);
    expect(pair.b.node.udpBlocked).toBe(false);
  });

  it('a dropped probe leaves the host waiting; the next timer is the 5 s probe timeout, then TCP', () => {
    const pair = snAndHost();
    pair.drive();
    const t0 = pair.nowMs;
    pair.dropNext('b');
    pair.b.act({ type: 'login', name: 'alice', password: 'pw' });
    expect(pair.drive()).toBe(0);
    expect(pair.b.node.state).toBe('probing');
    expect(pair.traceEvents().filter((e) => e.ev === 'drop' && e.msg === 'probe').map((e) => e.reason)).toEqual(['loss']);
    expect(pair.advanceToNextTimer()).toBe(true);
    expect(pair.nowMs).toBe(t0 + params.probeTimeoutMs);
    const fired = pair.b.log.at(-1)!;
    expect(fired.input).toMatchObject({ kind: 'timer', name: 'probeTimeout' });
    expect(sent(fired.outputs)).toEqual([`connect:${params.bootstrapPort}`]);
    pair.drive();
    // The SN answered on TCP after the probe went unanswered: the host infers UDP is blocked (BS-10).
    expect(pair.b.node.udpBlocked).toBe(true);
    expect(pair.b.events('udpBlocked')).toHaveLength(1);
  });

  it('a dropped TCP message is sent again after its RTO (path RTT + rtoMin), not lost', () => {
    const pair = snAndHost();
    pair.drive();
    pair.b.act({ type: 'login', name: 'alice', password: 'pw' });
    // Run until the SN has answered the probe; the next packet it sends is the challenge.
    const answered = (p: typeof pair) => p.a.log.some((e) => e.input.kind === 'datagram');
    while (!answered(pair)) pair.step();
    expect(pair.traceEvents().filter((e) => e.msg === 'challenge')).toEqual([]);
    pair.drive();
    const normal = pair.b.log.find((e) => e.input.kind === 'data')!.tMs;

    const lossy = snAndHost();
    lossy.drive();
    lossy.b.act({ type: 'login', name: 'alice', password: 'pw' });
    while (!answered(lossy)) lossy.step();
    lossy.dropNext('a');
    lossy.drive();
    const late = lossy.b.log.find((e) => e.input.kind === 'data')!.tMs;
    // Base RTT 20 ms core + 4 x 1 ms access = 24 ms; RTO = 24 + 200 ms.
    expect(late - normal).toBeCloseTo(24 + 200, 3);
    const challenges = lossy.traceEvents().filter((e) => e.msg === 'challenge' && e.from === lossy.a.host);
    expect(challenges.map((e) => `${e.ev}${e.reason ? ` ${e.reason}` : ''}`)).toEqual(['send', 'drop loss', 'send', 'deliver']);
  });

  it('through a symmetric NAT the SN sees the mapped address, and the host still gets its reply', () => {
    const pair = snAndHost('symmetric');
    pair.drive();
    pair.b.act({ type: 'login', name: 'alice', password: 'pw' });
    pair.drive();
    const probe = pair.a.log.find((e) => e.input.kind === 'datagram')!.input;
    expect(probe).toMatchObject({ kind: 'datagram', from: { ip: pair.b.publicIp } });
    expect(pair.b.publicIp).not.toBe(pair.b.ip);
    expect(pair.b.node.state).toBe('authenticating');
  });

  it('crash and restart: the SN comes back as a fresh node from its disk', () => {
    const pair = snAndHost();
    pair.drive();
    pair.a.crash();
    expect(pair.a.up).toBe(false);
    expect(() => pair.a.node).toThrow(/down/);
    pair.a.start();
    expect(pair.a.node.isSuperNode).toBe(false); // OT-4: a restarted SN waits before it serves again
    pair.advance(params.snRestartDelayMs);
    expect(pair.a.node.isSuperNode).toBe(true);
  });
});
