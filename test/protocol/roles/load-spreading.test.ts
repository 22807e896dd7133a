// Load spreading among super nodes (super-node.ts): SNs report their load over the overlay; an
// SN redirects an attaching client to lighter SNs, and hands clients off to them at its load
// checks. Without it every fresh install piles onto the first bootstrap SN until it is full.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ctx, Endpoint, Input, ProtocolNode } from '../../../protocol/node.js';
import type { ProtocolParams } from '../../../protocol/params.js';
import { sharedObfuscator, Transport } from '../../../protocol/roles/transport.js';
import { ROLE } from '../../../protocol/wire/messages.js';
import { ep, fmt, ip } from './harness.js';
import { bootstrapList, WEAK, Wire, World } from './world.js';

const MIN = 60_000;

function users(n: number): { name: string; password: string }[] {
  return Array.from({ length: n }, (_, i) => ({ name: `u${i}`, password: `u${i}-pw` }));
}

/** A world of `superNodes` bootstrap SNs and `hosts` hosts (not logged in yet). */
function world(superNodes: number, hosts: number, params: Partial<ProtocolParams> = {}): World {
  const w = new World({ superNodes, accounts: users(hosts), params });
  for (let i = 0; i < hosts; i++) w.addHost(`u${i}`, `2.0.${i >> 8}.${(i & 255) + 1}`);
  return w;
}

function loads(w: World, names: readonly string[]): number[] {
  return names.map((n) => w.host(n).superNode?.clientCount ?? 0);
}

const SNS = ['sn1', 'sn2', 'sn3'];

describe('redirect at attach', () => {
  it('spreads fresh installs that all try the first bootstrap SN over the SNs (before any load check)', () => {
    // Capacity 20, margin 5%: an SN redirects when it knows an SN one client lighter.
    const w = world(3, 12, { snClientCapacity: 20 });
    for (let i = 0; i < 12; i++) w.net.at(1000 + i * 2000, () => w.login(`u${i}`));
    w.net.runUntil(30_000); // the first load check is at 60 s: no hand-off has run
    expect(Array.from({ length: 12 }, (_, i) => w.host(`u${i}`).state)).toEqual(Array(12).fill('online'));
    const counts = loads(w, SNS);
    expect(counts.reduce((a, b) => a + b)).toBe(12);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(w.net.traces('sn1', 'attachRedirected').length).toBeGreaterThan(0);
    expect(w.net.traces('sn1', 'clientDropped')).toEqual([]);
    // A redirected host tried the SNs it was given next, and counts the redirect.
    const redirected = Array.from({ length: 12 }, (_, i) => `u${i}`).filter((n) => w.net.traces(n, 'loginRedirected').length > 0);
    expect(redirected.length).toBeGreaterThan(0);
    for (const n of redirected) {
      expect(w.net.metrics(n, 'loginRedirects')).toMatchObject([{ value: 1 }]);
      expect(w.host(n).currentSuperNode).not.toEqual(ep('1.0.0.1:33033'));
    }
  });

  it('is off with snReferralsMax 0: everyone stays on the first bootstrap SN', () => {
    const w = world(3, 6, { snClientCapacity: 20, snReferralsMax: 0 });
    for (let i = 0; i < 6; i++) w.net.at(1000 + i * 2000, () => w.login(`u${i}`));
    w.net.runUntil(5 * MIN);
    expect(loads(w, SNS)).toEqual([6, 0, 0]);
  });

  it('a full SN that knows a lighter SN redirects instead of refusing, in its challenge: the host signs no attach for it', () => {
    const w = world(2, 3, { snClientCapacity: 2, snLoadMarginRatio: 1, snHandOffPerCheck: 0 });
    // Margin 100%: only a full SN redirects (to an empty one).
    for (let i = 0; i < 3; i++) w.net.at(1000 + i * 2000, () => w.login(`u${i}`));
    w.net.runUntil(20_000);
    expect(loads(w, ['sn1', 'sn2'])).toEqual([2, 1]);
    expect(w.net.traces('sn1', 'attachRefused')).toEqual([]);
    // The redirect went out with the challenge, before any name was known.
    expect(w.net.traces('sn1', 'attachRedirected')).toMatchObject([{ output: { detail: { name: '', to: '1.0.0.2:33033', full: true } } }]);
    expect(w.net.traces('u2', 'loginRedirected')).toMatchObject([{ output: { detail: { entry: '1.0.0.1:33033', superNodes: 1 } } }]);
    expect(w.net.writes('u2', 'attach')).toHaveLength(1);
    expect(w.host('u2').currentSuperNode).toEqual(ep('1.0.0.2:33033'));
  });

  it('a host that cannot probe (UDP blocked) is redirected by a full SN\'s challenge the same way', () => {
    const w = world(2, 3, { snClientCapacity: 2, snLoadMarginRatio: 1, snHandOffPerCheck: 0 });
    w.net.firewalls.set(ip('2.0.0.3'), { blockUdp: true });
    for (let i = 0; i < 3; i++) w.net.at(1000 + i * 2000, () => w.login(`u${i}`));
    w.net.runUntil(60_000);
    expect(loads(w, ['sn1', 'sn2'])).toEqual([2, 1]);
    expect(w.net.traces('sn1', 'attachRefused')).toEqual([]);
    expect(w.net.writes('u2', 'attach')).toHaveLength(1);
    expect(w.host('u2').currentSuperNode).toEqual(ep('1.0.0.2:33033'));
  });

  it('a host sent round in a circle ends on the SN that redirected it first (no redirect loops)', () => {
    // "liar" claims in the overlay to be empty, and redirects every attach back to sn1.
    const sn1 = ep('1.0.0.1:33033');
    const w = new World({ superNodes: 0, bootstrap: [sn1, ep('1.0.0.2:33033')], accounts: users(3), params: { snClientCapacity: 20 } });
    w.addHost('sn1', '1.0.0.1', { bootstrapSuperNode: true, port: 33033 });
    w.net.add('liar', '1.0.0.2', new RedirectingSuperNode(33033, [sn1]));
    w.net.start('liar');
    for (let i = 0; i < 3; i++) w.addHost(`u${i}`, `2.0.0.${i + 1}`);
    for (let i = 0; i < 3; i++) w.net.at(1000 + i * 20_000, () => w.login(`u${i}`));
    w.net.runUntil(90_000);
    expect(loads(w, ['sn1'])).toEqual([3]);
    // u0 found sn1 empty; u1 and u2 were sent to the liar, back to sn1 (tried already in that
    // round), and taken by sn1 in round 2.
    expect(w.net.metrics('u0', 'loginRedirects')).toMatchObject([{ value: 0 }]);
    for (const n of ['u1', 'u2']) {
      expect(w.net.metrics(n, 'loginRedirects')).toMatchObject([{ value: 2 }]);
      expect(w.net.metrics(n, 'loginRounds')).toMatchObject([{ value: 2 }]);
    }
    expect(w.net.traces('sn1', 'attachRedirected').map((r) => r.output.kind === 'trace' && r.output.detail!.name)).toEqual(['u1', 'u2']);
  });
});

/** A fake SN: joins the overlay reporting no load, answers probes, redirects every attach to `to`. */
class RedirectingSuperNode implements ProtocolNode {
  private readonly transport = new Transport(sharedObfuscator('real'));
  constructor(
    private readonly port: number,
    private readonly to: Endpoint[],
  ) {}
  handle(input: Input, ctx: Ctx): void {
    const t = this.transport;
    if (input.kind === 'start') ctx.out.push({ kind: 'listenUdp', port: this.port }, { kind: 'listenTcp', port: this.port });
    if (input.kind === 'accepted') t.write(ctx, input.conn, { type: 'challenge', role: ROLE.superNode, nonce: new Uint8Array(16), full: false, superNodes: [] });
    if (input.kind === 'datagram') {
      const m = t.readDatagram(ctx, input.bytes, input.from);
      if (m?.type === 'probe') t.sendDatagram(ctx, input.localPort, input.from, { type: 'probeReply', nonce: m.nonce, hostCache: [], full: false });
    }
    if (input.kind === 'data') {
      const m = t.readData(ctx, input.bytes, input.conn);
      if (m?.type === 'attach') t.write(ctx, input.conn, { type: 'attachRedirect', superNodes: this.to });
      if (m?.type === 'overlayJoin') {
        t.write(ctx, input.conn, { type: 'overlayAccepted', superNodes: [] });
        t.write(ctx, input.conn, { type: 'superNodeLoad', clients: 0, capacity: 100 });
      }
    }
  }
}

describe('redirect and hand-off targets are hints', () => {
  /** A host whose first bootstrap SN redirects it to a dead SN, then to sn1. */
  function hinted(firewall: boolean) {
    const sn1 = ep('1.0.0.1:33033');
    const dead = ep('1.0.0.9:33033');
    const w = new World({ superNodes: 0, bootstrap: [ep('1.0.0.2:33033'), sn1], accounts: users(1) });
    w.addHost('sn1', '1.0.0.1', { bootstrapSuperNode: true, port: 33033 });
    w.net.add('liar', '1.0.0.2', new RedirectingSuperNode(33033, [dead, sn1]));
    w.net.start('liar');
    w.addHost('u0', '2.0.0.1');
    if (firewall) w.net.firewalls.set(ip('2.0.0.1'), { blockUdp: true });
    w.net.runUntil(1000);
    w.login('u0');
    w.net.runUntil(120_000);
    const connects = w.net.of('u0', 'connect').map((r) => (r.output.kind === 'connect' ? fmt(r.output.to) : ''));
    return { w, connects };
  }

  it('a hint whose probe goes unanswered is skipped: no TCP steps to it', () => {
    const { w, connects } = hinted(false);
    expect(w.host('u0').state).toBe('online');
    expect(w.host('u0').currentSuperNode).toEqual(ep('1.0.0.1:33033'));
    expect(connects.filter((c) => c.startsWith('1.0.0.9:'))).toEqual([]);
    expect(w.net.traces('u0', 'loginEntryFailed')).toMatchObject([{ output: { detail: { entry: '1.0.0.9:33033', cause: 'hintSilent' } } }]);
    // One probe timeout (5 s) for the dead hint, not 5 s plus three connect timeouts; NAT
    // detection takes about 2 s more here (the fake SN ignores NAT tests).
    const [t] = w.net.metrics('u0', 'loginTimeMs');
    expect(t.value).toBeGreaterThan(5000);
    expect(t.value).toBeLessThan(8000);
  });

  it('a host that knows its UDP is blocked tries a hint on one TCP port only', () => {
    const { w, connects } = hinted(true);
    expect(w.host('u0').state).toBe('online');
    expect(connects.filter((c) => c.startsWith('1.0.0.9:'))).toEqual(['1.0.0.9:33033']);
  });
});

describe('hand-off', () => {
  it('an SN that is well above a lighter SN it learns of hands clients off to it at its load checks', () => {
    // sn2 is known to hosts and to sn1, but comes up only after everyone is on sn1.
    const boot = bootstrapList(2);
    const w = new World({ superNodes: 0, bootstrap: boot, accounts: users(10), params: { snClientCapacity: 20 } });
    w.addHost('sn1', '1.0.0.1', { bootstrapSuperNode: true, port: 33033 });
    for (let i = 0; i < 10; i++) w.addHost(`u${i}`, `2.0.0.${i + 1}`);
    for (let i = 0; i < 10; i++) w.net.at(1000 + i * 1000, () => w.login(`u${i}`));
    w.net.runUntil(3 * MIN);
    expect(loads(w, ['sn1'])).toEqual([10]);
    w.addHost('sn2', '1.0.0.2', { bootstrapSuperNode: true, port: 33033 });
    w.net.runUntil(8 * MIN);
    // 10 / 0 -> 5 / 5: each move narrows the gap by two clients (margin: one).
    expect(loads(w, ['sn1', 'sn2'])).toEqual([5, 5]);
    expect(Array.from({ length: 10 }, (_, i) => w.host(`u${i}`).state)).toEqual(Array(10).fill('online'));
    const handed = Array.from({ length: 10 }, (_, i) => `u${i}`).filter((n) => w.net.traces(n, 'handedOff').length > 0);
    expect(handed).toHaveLength(5);
    for (const n of handed) {
      expect(w.host(n).currentSuperNode).toEqual(boot[1]);
      expect(w.net.metrics(n, 'loginTimeMs').map((m) => m.labels!.trigger)).toEqual(['user', 'handOff']);
    }
    // Re-logins after a hand-off re-use the credential: one LS login per user.
    expect(w.net.traces('ls', 'authAccepted')).toHaveLength(10);
    // Nothing moves once the gap is under the margin.
    const moves = w.net.traces('sn1', 'clientHandedOff').length;
    w.net.runUntil(20 * MIN);
    expect(w.net.traces('sn1', 'clientHandedOff').length).toBe(moves);
    expect(w.net.traces('sn2', 'clientHandedOff')).toEqual([]);
  });

  it('below snHandOffAboveRatio nothing is handed off', () => {
    const boot = bootstrapList(2);
    const w = new World({ superNodes: 0, bootstrap: boot, accounts: users(4), params: { snClientCapacity: 20, snHandOffAboveRatio: 0.5 } });
    w.addHost('sn1', '1.0.0.1', { bootstrapSuperNode: true, port: 33033 });
    for (let i = 0; i < 4; i++) w.addHost(`u${i}`, `2.0.0.${i + 1}`);
    for (let i = 0; i < 4; i++) w.net.at(1000 + i * 1000, () => w.login(`u${i}`));
    w.net.runUntil(3 * MIN);
    w.addHost('sn2', '1.0.0.2', { bootstrapSuperNode: true, port: 33033 });
    w.net.runUntil(10 * MIN);
    expect(loads(w, ['sn1', 'sn2'])).toEqual([4, 0]);
  });
});

describe('load spreading: liveness and balance (model: clients spread within the margin)', () => {
  it('every host logs in; no SN above capacity; once quiet, no SN is a margin above another', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 4, max: 20 }),
        fc.constantFrom(0.05, 0.1, 0.25),
        fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 14, maxLength: 14 }),
        (superNodes, hosts, capacity, margin, loginAtMs) => {
          fc.pre(hosts <= superNodes * capacity);
          const w = world(superNodes, hosts, { snClientCapacity: capacity, snLoadMarginRatio: margin, snHandOffAboveRatio: 0 });
          for (let i = 0; i < hosts; i++) w.net.at(1000 + loginAtMs[i], () => w.login(`u${i}`));
          const sns = Array.from({ length: superNodes }, (_, i) => `sn${i + 1}`);
          let over = false;
          for (let t = 5_000; t <= 12 * MIN; t += 5_000) {
            w.net.runUntil(t);
            if (loads(w, sns).some((n) => n > capacity)) over = true;
          }
          expect(over).toBe(false);
          expect(Array.from({ length: hosts }, (_, i) => w.host(`u${i}`).state)).toEqual(Array(hosts).fill('online'));
          const counts = loads(w, sns);
          expect(counts.reduce((a, b) => a + b)).toBe(hosts);
          // Settled: a move needs a gap of a margin and of two clients (one only swaps who is heavier).
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThan(Math.max(margin * capacity, 2) + 1e-9);
        },
      ),
      { numRuns: 25, seed: 20_240_611 },
    );
  });
});

describe('SN lists name lighter SNs first', () => {
  it('an attach reply lists the up neighbours by their reported load, lightest first', () => {
    const w = new World({ superNodes: 3, accounts: users(5), params: { snClientCapacity: 100, snReferralsMax: 0 } });
    // No spreading: put 3 clients on sn2 by hand (their HC starts with sn2), none on sn3.
    for (let i = 0; i < 3; i++) w.addHost(`u${i}`, `2.0.0.${i + 1}`, { disk: { hostCache: [ep('1.0.0.2:33033')] } });
    w.addHost('u4', '2.0.0.5');
    for (let i = 0; i < 3; i++) w.net.at(1000 + i * 1000, () => w.login(`u${i}`));
    w.net.runUntil(2 * MIN); // the load reports of the 60 s exchange are in
    w.login('u4');
    w.net.runFor(10_000);
    expect(w.host('u4').currentSuperNode).toEqual(ep('1.0.0.1:33033'));
    const hc = w.host('u4').hostCacheEntries().map((e) => e.ip);
    expect(hc.indexOf(ip('1.0.0.3'))).toBeLessThan(hc.indexOf(ip('1.0.0.2')));
  });
});

describe('a leaving SN names its successors', () => {
  it("its clients log in again through its up neighbours, spread over them, without waiting on its dead address", () => {
    const w = new World({ superNodes: 2, accounts: users(5), params: { snUptimeThresholdMs: 0 } });
    // p promotes at its login (eligible at once); u0..u3 have only p in their host caches.
    const p = w.addHost('u4', '2.0.1.1', { port: 7000 });
    w.net.runUntil(1000);
    w.login('u4');
    w.net.runUntil(10_000);
    expect(p.isSuperNode).toBe(true);
    // Weak machines: they do not promote themselves.
    for (let i = 0; i < 4; i++) w.addHost(`u${i}`, `2.0.0.${i + 1}`, { config: WEAK, disk: { hostCache: [ep('2.0.1.1:7000')] } });
    for (let i = 0; i < 4; i++) w.net.at(20_000 + i * 1000, () => w.login(`u${i}`));
    w.net.runUntil(2 * MIN);
    expect(p.superNode!.clientCount).toBe(4);
    const leftAt = w.net.now;
    w.net.act('u4', { type: 'logout' });
    w.net.runFor(10_000);
    const homes = Array.from({ length: 4 }, (_, i) => w.host(`u${i}`).currentSuperNode?.ip);
    expect(homes.sort()).toEqual([ip('1.0.0.1'), ip('1.0.0.1'), ip('1.0.0.2'), ip('1.0.0.2')]);
    for (let i = 0; i < 4; i++) {
      const relogin = w.net.metrics(`u${i}`, 'loginTimeMs').filter((m) => m.at > leftAt);
      expect(relogin).toMatchObject([{ labels: { trigger: 'reconnect', outcome: 'ok' } }]);
      expect(relogin[0].value).toBeLessThan(1000);
    }
  });
});

describe('host cache refresh during operation (OT-2)', () => {
  it('an online host re-announces its presence every hostCacheRefreshIntervalMs and takes the reply into its host cache', () => {
    const w = world(2, 1, { hostCacheRefreshIntervalMs: 5 * MIN });
    w.net.runUntil(1000);
    w.login('u0');
    w.net.runUntil(21 * MIN);
    const presences = w.net.writes('u0', 'presence').map((x) => x.at);
    expect(presences).toHaveLength(5);
    for (let i = 2; i < presences.length; i++) expect(presences[i] - presences[i - 1]).toBe(5 * MIN);
    expect(w.net.writes('sn1', 'presenceAck')).toHaveLength(5);
  });
});

/** A fake SN that joins the overlay and reports the load it is told to (a user action: clients of 100). */
class ReportingSuperNode implements ProtocolNode<number> {
  private readonly transport = new Transport(sharedObfuscator('real'));
  private links: number[] = [];
  constructor(private clients: number) {}
  handle(input: Input<number>, ctx: Ctx): void {
    const t = this.transport;
    if (input.kind === 'start') ctx.out.push({ kind: 'listenUdp', port: 33033 }, { kind: 'listenTcp', port: 33033 });
    if (input.kind === 'accepted') t.write(ctx, input.conn, { type: 'challenge', role: ROLE.superNode, nonce: new Uint8Array(16), full: false, superNodes: [] });
    if (input.kind === 'data' && t.readData(ctx, input.bytes, input.conn)?.type === 'overlayJoin') {
      this.links.push(input.conn);
      t.write(ctx, input.conn, { type: 'overlayAccepted', superNodes: [] });
      t.write(ctx, input.conn, { type: 'superNodeLoad', clients: this.clients, capacity: 100 });
    }
    if (input.kind === 'user') {
      this.clients = input.action;
      for (const conn of this.links) t.write(ctx, conn, { type: 'superNodeLoad', clients: this.clients, capacity: 100 });
    }
  }
}

describe('the SN list a super node hands out', () => {
  it('follows its neighbours\' loads as they change: lightest first, equal loads by endpoint', () => {
    // sn1 links to "reporter" (1.0.0.2) and to sn2 (1.0.0.3, no clients: load 0).
    const w = new World({ superNodes: 0, bootstrap: [ep('1.0.0.1:33033'), ep('1.0.0.2:33033'), ep('1.0.0.3:33033')] });
    w.addHost('sn1', '1.0.0.1', { bootstrapSuperNode: true, port: 33033 });
    w.net.add('reporter', '1.0.0.2', new ReportingSuperNode(90));
    w.net.start('reporter');
    w.addHost('sn2', '1.0.0.3', { bootstrapSuperNode: true, port: 33033 });
    w.addHost('u0', '2.0.0.1');
    w.addHost('u1', '2.0.0.2');
    const wire = new Wire();
    const listOnProbe = (user: string): string[] => {
      const before = w.net.of('sn1', 'sendDatagram').length;
      w.login(user);
      w.net.runFor(10_000);
      const reply = w.net.of('sn1', 'sendDatagram').slice(before).find((r) => r.output.kind === 'sendDatagram' && r.output.msgType === 'probeReply')!;
      const msg = wire.read(reply.output);
      return msg.type === 'probeReply' ? msg.hostCache.slice(0, 2).map(fmt) : [];
    };
    w.net.runUntil(5 * MIN);
    // (sn1 and sn2 may each have opened a link to the other.)
    expect([...new Set(w.host('sn1').superNode!.overlayPeers().map(fmt))].sort()).toEqual(['1.0.0.2:33033', '1.0.0.3:33033']);
    // 90 of 100 against 0: sn2 first.
    expect(listOnProbe('u0')).toEqual(['1.0.0.3:33033', '1.0.0.2:33033']);
    w.net.act('reporter', 0);
    w.net.runFor(MIN);
    // 0 against 0: by endpoint.
    expect(listOnProbe('u1')).toEqual(['1.0.0.2:33033', '1.0.0.3:33033']);
  });
});
