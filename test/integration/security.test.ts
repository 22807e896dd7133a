// Security through the network. Login (BS-8): a wrong password never logs in, and a login
// message an eavesdropper captured and replays creates no session - neither at the LS (the
// authRequest carries the nonce of the connection it was sent on) nor at an SN (the attach
// carries a signature of that connection's nonce). The overlay: a host that is no SN cannot
// join it, so it never reaches a host cache.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ctx } from '../../protocol/node.js';
import { formatEndpoint } from '../../protocol/roles/support.js';
import { sharedObfuscator, Transport } from '../../protocol/roles/transport.js';
import { ATTACH_REFUSAL, AUTH_REFUSAL, OVERLAY_REFUSAL, type Message } from '../../protocol/wire/messages.js';
import { SmallWorld, STRANGER_UDP_PORT } from '../../sim/testing/index.js';

const reader = new Transport(sharedObfuscator('real'));

function decode(bytes: Uint8Array): Message | undefined {
  const ctx: Ctx = { now: 0, rng: { next: () => 0 }, out: [] };
  return reader.readData(ctx, bytes, 0);
}

/** `msg` framed as a node would send it. */
function encode(msg: Message): Uint8Array {
  const ctx: Ctx = { now: 0, rng: { next: () => 0 }, out: [] };
  reader.write(ctx, 0, msg);
  const out = ctx.out[0];
  if (out.kind !== 'write') throw new Error('no frame written');
  return out.bytes;
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

describe('an overlayJoin from a host where no SN serves', () => {
  /** A stranger joins sn-0's overlay, naming its own UDP port as where it serves. */
  function join() {
    const sw = new SmallWorld({ seed: 6, superNodes: 2, hosts: [{ name: 'alice' }] });
    sw.advance(1_000);
    sw.login('alice');
    sw.until(() => sw.state('alice') === 'online', 60_000);
    const stranger = sw.addStranger();
    const sn = sw.world.bootstrapSupernodes[0];
    const conn = stranger.writeAfterChallenge(sn.endpoint, encode({ type: 'overlayJoin', port: STRANGER_UDP_PORT }));
    sw.advance(2_000);
    const checks = () => stranger.heard.flatMap((h) => (h.kind === 'datagram' && h.from.ip === sn.endpoint.ip ? [reader.readDatagram({ now: 0, rng: { next: () => 0 }, out: [] }, h.bytes, h.from)] : []));
    return { sw, stranger, sn, conn, checks, self: { ip: stranger.ip, port: STRANGER_UDP_PORT } };
  }

  it('is checked at the endpoint it names, not linked, refused when no SN answers, and named in no host cache', () => {
    const { sw, stranger, sn, conn, checks, self } = join();
    expect(checks().map((m) => m?.type)).toEqual(['overlayCheck']);
    expect(stranger.dataOn(conn).map(decode).map((m) => m?.type)).toEqual(['challenge']);
    sw.advance(sw.params.overlayLinkTimeoutMs + sw.params.overlayMaintainIntervalMs);
    // Checked again every overlay period, then refused and closed.
    expect(checks().length).toBeGreaterThan(1);
    expect(checks().every((m) => m?.type === 'overlayCheck')).toBe(true);
    expect(stranger.dataOn(conn).map(decode)).toEqual([expect.objectContaining({ type: 'challenge' }), { type: 'overlayRefused', reason: OVERLAY_REFUSAL.unverified }]);
    expect(stranger.heard.some((h) => h.kind === 'closed' && h.conn === conn)).toBe(true);
    expect(sw.nodeEvents('sn-0', 'overlayJoinRefused').map((e) => e.detail)).toEqual([{ peer: formatEndpoint(self), cause: 'unverified' }]);
    expect(sw.nodeEvents('sn-0', 'overlayLinkUp').map((e) => e.detail?.peer)).not.toContain(formatEndpoint(self));
    for (const name of ['sn-0', 'sn-1', 'alice']) {
      const cache = name === 'alice' ? sw.node('alice').hostCacheEntries() : sw.world.bootstrapSupernodes.find((s) => s.name === name)!.runtime.node!.hostCacheEntries();
      expect(cache.map(formatEndpoint), name).not.toContain(formatEndpoint(self));
    }
    expect(sn.runtime.node!.superNode!.overlayPeers().map(formatEndpoint)).not.toContain(formatEndpoint(self));
    sw.assertNoViolations();
  });

  it('is linked once the named endpoint answers the check (so the check is what refuses it)', () => {
    const { sw, stranger, sn, conn, checks, self } = join();
    const check = checks()[0];
    if (check?.type !== 'overlayCheck') throw new Error('no overlayCheck');
    const ctx: Ctx = { now: 0, rng: { next: () => 0 }, out: [] };
    reader.sendDatagram(ctx, STRANGER_UDP_PORT, sn.endpoint, { type: 'overlayCheckReply', nonce: check.nonce });
    const reply = ctx.out[0];
    if (reply.kind !== 'sendDatagram') throw new Error('no datagram');
    stranger.sendUdp(sn.endpoint, reply.bytes);
    sw.advance(2_000);
    expect(stranger.dataOn(conn).map(decode).map((m) => m?.type)).toEqual(['challenge', 'overlayAccepted', 'superNodeLoad']);
    expect(sw.nodeEvents('sn-0', 'overlayLinkUp').map((e) => e.detail)).toContainEqual({ peer: formatEndpoint(self), outbound: false });
    expect(sn.runtime.node!.superNode!.overlayPeers().map(formatEndpoint)).toContain(formatEndpoint(self));
  });
});
