// Login security through the network (BS-8): a wrong password never logs in, and a login
// message an eavesdropper captured and replays creates no session - neither at the LS (the
// authRequest carries the nonce of the connection it was sent on) nor at an SN (the attach
// carries a signature of that connection's nonce).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ctx } from '../../protocol/node.js';
import { sharedObfuscator, Transport } from '../../protocol/roles/transport.js';
import { ATTACH_REFUSAL, AUTH_REFUSAL, type Message } from '../../protocol/wire/messages.js';
import { SmallWorld } from '../../sim/testing/index.js';

const reader = new Transport(sharedObfuscator('real'));

function decode(bytes: Uint8Array): Message | undefined {
  const ctx: Ctx = { now: 0, rng: { next: () => 0 }, out: [] };
  return reader.readData(ctx, bytes, 0);
}

describe('a wrong password', () => {
  it('never logs in, whatever it is', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }).filter((pw) => pw !== 'pw:alice-0'),
        (password) => {
          const sw = new SmallWorld({ seed: 3, superNodes: 2, hosts: [{ name: 'alice' }] });
          sw.advance(1_000);
          sw.login('alice', { user: 'alice-0', password });
          sw.advance(5 * 60_000);
          expect(sw.state('alice')).toBe('offline');
          expect(sw.nodeEventLog.filter((e) => e.event === 'loginSucceeded')).toEqual([]);
          expect(sw.nodeEvents('alice', 'loginFailed').map((e) => e.detail?.cause)).toEqual(['badCredentials']);
          expect(sw.world.loginServers[0].runtime.node!.sessionNames()).toEqual([]);
          // No SN took the user as a client.
          expect(sw.nodeEventLog.filter((e) => e.event === 'clientAttached')).toEqual([]);
          sw.assertNoViolations();
        },
      ),
      { numRuns: 12 },
    );
  });

  it('is rate-limited after lsFailureLimit tries, and the right password still works after the window', () => {
    const sw = new SmallWorld({ seed: 3, superNodes: 2, hosts: [{ name: 'alice' }] });
    sw.advance(1_000);
    const causes = (): unknown[] => sw.nodeEvents('alice', 'loginFailed').map((e) => e.detail?.cause);
    for (let i = 0; i < sw.params.lsFailureLimit; i++) {
      sw.login('alice', { user: 'alice-0', password: `guess-${i}` });
      sw.until(() => causes().length === i + 1, 120_000);
    }
    sw.login('alice');
    sw.until(() => causes().length === sw.params.lsFailureLimit + 1, 120_000);
    expect(causes()).toEqual([...Array(sw.params.lsFailureLimit).fill('badCredentials'), 'rateLimited']);
    sw.advance(sw.params.lsFailureWindowMs);
    sw.login('alice');
    expect(sw.until(() => sw.state('alice') === 'online', 120_000)).toBe(true);
    sw.assertNoViolations();
  });
});

describe('a captured login message, replayed', () => {
  const sw = new SmallWorld({ seed: 4, superNodes: 2, hosts: [{ name: 'alice' }] });
  const authRequests = sw.capture('authRequest');
  const attaches = sw.capture('attach');
  sw.advance(1_000);
  sw.login('alice');
  sw.until(() => sw.state('alice') === 'online', 60_000);
  const ls = sw.world.loginServers[0].runtime.node!;
  const stranger = sw.addStranger();

  it('was captured as sent: one authRequest, one attach', () => {
    expect(authRequests).toHaveLength(1);
    expect(attaches).toHaveLength(1);
    expect(decode(authRequests[0].bytes)?.type).toBe('authRequest');
    expect(ls.sessionNames()).toEqual(['alice-0']);
  });

  it('to the LS while the user is online: refused as a replay, the session stays the user\'s', () => {
    const conn = stranger.writeAfterChallenge(sw.loginServer, authRequests[0].bytes);
    sw.advance(2_000);
    const replies = stranger.dataOn(conn).map(decode);
    expect(replies.map((m) => m?.type)).toEqual(['challenge', 'authRefused']);
    expect(replies[1]).toMatchObject({ type: 'authRefused', reason: AUTH_REFUSAL.badNonce });
    expect(sw.nodeEvents('ls-0', 'replayRejected')).toHaveLength(1);
    expect(sw.state('alice')).toBe('online');
    expect(ls.sessionNames()).toEqual(['alice-0']);
  });

  it('to the LS after the user logged out: still no session', () => {
    sw.logout('alice');
    sw.advance(2_000);
    expect(ls.sessionNames()).toEqual([]);
    for (const port of [sw.params.loginServerPort, ...sw.params.fallbackTcpPorts]) {
      const conn = stranger.writeAfterChallenge({ ip: sw.loginServer.ip, port }, authRequests[0].bytes);
      sw.advance(2_000);
      expect(stranger.dataOn(conn).map(decode)[1]).toMatchObject({ type: 'authRefused', reason: AUTH_REFUSAL.badNonce });
    }
    expect(ls.sessionNames()).toEqual([]);
    expect(sw.nodeEventLog.filter((e) => e.event === 'authAccepted')).toHaveLength(1);
  });

  it('to an SN (the captured attach): refused, no client added', () => {
    const sn = sw.world.bootstrapSupernodes.find((s) => s.runtime.node!.superNode!.clientNames().length === 0)!;
    const conn = stranger.writeAfterChallenge(sn.endpoint, attaches[0].bytes);
    sw.advance(2_000);
    const replies = stranger.dataOn(conn).map(decode);
    expect(replies.map((m) => m?.type)).toEqual(['challenge', 'attachRefused']);
    expect(replies[1]).toMatchObject({ type: 'attachRefused', reason: ATTACH_REFUSAL.badSignature });
    expect(sn.runtime.node!.superNode!.clientNames()).toEqual([]);
    sw.assertNoViolations();
  });
});
