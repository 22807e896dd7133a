// The invariant checkers can fail: each is shown a world that breaks its invariant - a view
// written by hand, or a real world driven into the state - and must report it, with the
// window the bounds allow and not before. The bounds themselves are checked against their
// formulas with the skype-2004 numbers.
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../protocol/node.js';
import { SKYPE_2004 } from '../../protocol/params.js';
import {
  candidateWorstMs,
  DEFAULT_SLACK_MS,
  duplicateOnlineMs,
  HostCacheChecker,
  ladderFailureMs,
  livenessBoundMs,
  livenessViolations,
  SnAttachmentChecker,
  snLossDetectionMs,
  SnPlacementChecker,
  staleClientMs,
  tcpConnectTimeoutMs,
  tcpGiveUpMs,
  UniqueSessionChecker,
  type HostView,
  type NodeView,
  type WorldView,
} from '../../sim/checkers/index.js';
import { tcpDefaults } from '../../sim/net/index.js';
import { SmallWorld } from '../../sim/testing/index.js';

const SN_A: Endpoint = { ip: 0x01000002, port: 33033 };
const SN_B: Endpoint = { ip: 0x01000003, port: 33033 };

function node(over: Partial<NodeView> = {}): NodeView {
  return { state: 'offline', port: 5000, currentSuperNode: undefined, isSuperNode: false, clientNames: [], hostCache: [], ...over };
}

function host(name: string, over: Partial<HostView> = {}): HostView {
  return { name, kind: 'host', region: 'a', publicAddress: true, natName: 'none', firewall: 'none', ip: 0x0a000001, node: node(), user: name, diskHostCache: undefined, ...over };
}

function sn(name: string, at: Endpoint, clients: string[], over: Partial<HostView> = {}): HostView {
  return host(name, { kind: 'bootstrap', ip: at.ip, node: node({ port: at.port, isSuperNode: true, clientNames: clients, state: 'offline' }), ...over });
}

function view(nowMs: number, hosts: HostView[], over: Partial<WorldView> = {}): WorldView {
  return { nowMs, params: SKYPE_2004, tcp: tcpDefaults, hosts, loginServers: [], bootstrap: [SN_A, SN_B], cut: () => false, ...over };
}

const online = (at: Endpoint, over: Partial<NodeView> = {}) => node({ state: 'online', currentSuperNode: at, ...over });

describe('bounds, from the parameters', () => {
  it('match their formulas with the 2004 numbers', () => {
    expect(tcpConnectTimeoutMs(tcpDefaults)).toBe(21_000);
    expect(tcpGiveUpMs(tcpDefaults, 100)).toBe(300 * 63);
    expect(snLossDetectionMs(SKYPE_2004)).toBe(4 * 60_000 + DEFAULT_SLACK_MS);
    expect(staleClientMs(SKYPE_2004)).toBe(180_000 + 60_000 + DEFAULT_SLACK_MS);
    expect(duplicateOnlineMs(tcpDefaults, 100)).toBe(300 * 63 + DEFAULT_SLACK_MS);
    const seven = Array.from({ length: 7 }, (_, i) => ({ ip: i + 1, port: 33033 }));
    expect(ladderFailureMs(SKYPE_2004, seven, 0)).toBe(199_000);
    expect(ladderFailureMs(SKYPE_2004, seven, 21_000)).toBe(2_404_000);
    // An entry on port 80 has two ladder ports, not three.
    expect(ladderFailureMs(SKYPE_2004, [{ ip: 1, port: 80 }], 1_000)).toBe(5 * (5_000 + 2 * 1_000) + 4 * 6_000);
    expect(candidateWorstMs(SKYPE_2004, tcpDefaults)).toBe(5_000 + 3 * 21_000 + 3 * 10_000);
    expect(livenessBoundMs(SKYPE_2004, tcpDefaults, 9)).toBe(250_000 + 2 * (9 * 98_000 + 6_000) + (21_000 + 60_000 + 20_000) + 8_000 + 10_000);
  });
});

describe('(a) sn-attachment', () => {
  const window = snLossDetectionMs(SKYPE_2004);

  it('accepts an online host on a live SN that holds it', () => {
    const c = new SnAttachmentChecker();
    expect(c.check(view(0, [sn('sn-0', SN_A, ['h']), host('h', { node: online(SN_A) })]))).toEqual([]);
  });

  it('reports an online host that names no SN, at once', () => {
    const c = new SnAttachmentChecker();
    expect(c.check(view(0, [host('h', { node: node({ state: 'online' }) })]))).toMatchObject([{ invariant: 'sn-attachment', host: 'h' }]);
  });

  it('reports a host still online on a dead SN after the detection window, once, not before', () => {
    const c = new SnAttachmentChecker();
    const dead = [host('h', { node: online(SN_A) })];
    expect(c.check(view(1_000, dead))).toEqual([]);
    expect(c.check(view(1_000 + window, dead))).toEqual([]);
    const v = c.check(view(1_001 + window, dead));
    expect(v).toHaveLength(1);
    expect(v[0].message).toContain('is not a live serving super node');
    expect(c.check(view(2_000 + window, dead))).toEqual([]);
  });

  it('reports an SN that dropped the host, and one cut off by a partition', () => {
    const dropped = new SnAttachmentChecker();
    const hosts = [sn('sn-0', SN_A, []), host('h', { node: online(SN_A) })];
    dropped.check(view(0, hosts));
    expect(dropped.check(view(window + 1, hosts))[0].message).toContain('does not hold user h');
    const cut = new SnAttachmentChecker();
    const split = [sn('sn-0', SN_A, ['h'], { region: 'b' }), host('h', { node: online(SN_A) })];
    cut.check(view(0, split, { cut: () => true }));
    expect(cut.check(view(window + 1, split, { cut: () => true }))[0].message).toContain('partition');
  });

  it('forgets an episode when the host recovers', () => {
    const c = new SnAttachmentChecker();
    c.check(view(0, [host('h', { node: online(SN_A) })]));
    c.check(view(window / 2, [host('h', { node: node({ state: 'probing' }) })]));
    expect(c.check(view(window + 1, [host('h', { node: online(SN_A) })]))).toEqual([]);
  });

  it('reports a second SN holding the user beyond the stale-client bound', () => {
    const c = new SnAttachmentChecker();
    const hosts = [sn('sn-0', SN_A, ['h']), sn('sn-1', SN_B, ['h']), host('h', { node: online(SN_A) })];
    expect(c.check(view(0, hosts))).toEqual([]);
    expect(c.check(view(staleClientMs(SKYPE_2004), hosts))).toEqual([]);
    expect(c.check(view(staleClientMs(SKYPE_2004) + 1, hosts))[0].message).toContain('still holds user h');
  });
});

describe('(b) unique-session', () => {
  it('reports a name with sessions at two LSs, at once', () => {
    const c = new UniqueSessionChecker();
    const ls = (name: string, sessions: string[]) => ({ name, region: 'a', up: true, sessionNames: sessions });
    expect(c.check(view(0, [], { loginServers: [ls('ls-0', ['x']), ls('ls-1', ['x', 'y'])] }))).toMatchObject([{ invariant: 'unique-session', message: expect.stringContaining('name x') }]);
  });

  it('reports two hosts online under one user beyond the notification delay', () => {
    const c = new UniqueSessionChecker(100);
    const both = [host('h1', { user: 'x', node: online(SN_A) }), host('h2', { user: 'x', node: online(SN_B) })];
    expect(c.check(view(0, both))).toEqual([]);
    expect(c.check(view(duplicateOnlineMs(tcpDefaults, 100), both))).toEqual([]);
    expect(c.check(view(duplicateOnlineMs(tcpDefaults, 100) + 1, both))[0].message).toContain('user x is online on 2 hosts');
  });
});

describe('(c) host-cache', () => {
  it('reports an entry that never served, and a cache over hostCacheMax', () => {
    const c = new HostCacheChecker();
    const stranger = { ip: 0x05050505, port: 1234 };
    expect(c.check(view(0, [host('h', { node: node({ hostCache: [SN_A, stranger] }) })]))).toMatchObject([{ message: expect.stringContaining('5.5.5.5:1234') }]);
    const big = Array.from({ length: 201 }, () => SN_A);
    expect(c.check(view(0, [host('h2', { node: node({ hostCache: big }) })]))).toMatchObject([{ message: expect.stringContaining('201 entries') }]);
  });

  it('accepts an SN that served once, after it stopped, and entries on a down host\'s disk are checked too', () => {
    const c = new HostCacheChecker();
    const promoted = { ip: 0x0a000009, port: 7000 };
    c.noteNodeEvent('p', 'promoted', { self: '10.0.0.9:7000' });
    expect(c.check(view(0, [host('h', { node: node({ hostCache: [promoted, SN_B] }) })]))).toEqual([]);
    expect(c.check(view(0, [host('d', { node: undefined, diskHostCache: [{ ip: 9, port: 9 }] })]))).toHaveLength(1);
  });
});

describe('(d) sn-placement', () => {
  it('reports an SN behind a NAT or a UDP-blocking firewall (configured truth)', () => {
    const c = new SnPlacementChecker();
    const natted = sn('n', SN_A, [], { kind: 'host', publicAddress: false, natName: 'symmetric' });
    const walled = sn('w', SN_B, [], { kind: 'host', firewall: 'udp-blocked' });
    expect(c.check(view(0, [natted, walled])).map((v) => v.message)).toEqual(['n serves as a super node behind NAT symmetric', 'w serves as a super node behind firewall udp-blocked']);
    expect(c.check(view(1, [natted, walled]))).toEqual([]);
  });
});

describe('liveness', () => {
  it('reports a host that wants to be online and can reach an SN, but is not online', () => {
    const hosts = [sn('sn-0', SN_A, []), host('h', { node: node({ state: 'probing' }) }), host('gone', { node: undefined })];
    expect(livenessViolations(view(0, hosts), () => true).map((v) => v.host)).toEqual(['h']);
    expect(livenessViolations(view(0, hosts), () => false)).toEqual([]);
    expect(livenessViolations(view(0, hosts, { cut: () => true }), () => true).map((v) => v.host)).toEqual(['h']); // same region: not cut
    const far = [sn('sn-0', SN_A, [], { region: 'b' }), host('h', { node: node({ state: 'probing' }) })];
    expect(livenessViolations(view(0, far, { cut: () => true }), () => true)).toEqual([]);
  });

  it('owes nothing for an SN the host does not know, or one that is full', () => {
    const unknown = { ip: 0x0a0a0a0a, port: 33033 };
    const hosts = [sn('x', unknown, []), host('h', { node: node({ state: 'probing', hostCache: [SN_A] }) })];
    expect(livenessViolations(view(0, hosts), () => true)).toEqual([]);
    const full = Array.from({ length: SKYPE_2004.snClientCapacity }, (_, i) => `c${i}`);
    expect(livenessViolations(view(0, [sn('sn-0', SN_A, full), host('h', { node: node({ state: 'probing' }) })]), () => true)).toEqual([]);
    expect(livenessViolations(view(0, [sn('sn-0', SN_A, full.slice(1)), host('h', { node: node({ state: 'probing' }) })]), () => true)).toHaveLength(1);
  });
});

describe('on a real world', () => {
  it('sees a host kept "online" past the window when its SN vanishes and keep-alives are held back', () => {
    // Keep-alives every 10 min with a 3-miss limit: the host needs 40 min to notice a dead SN.
    // Against a checker whose window assumes the 2004 numbers (a 60 s period) it must be caught.
    const sw = new SmallWorld({ seed: 2, superNodes: 2, hosts: [{ name: 'h' }], protocol: { keepAliveInterval: '10min' } });
    sw.advance(1_000);
    sw.login('h');
    sw.until(() => sw.state('h') === 'online', 60_000);
    const strict = new SnAttachmentChecker();
    const i = sw.bootstrap.findIndex((e) => e.ip === sw.node('h').currentSuperNode!.ip);
    sw.crashSuperNode(i);
    const found: string[] = [];
    sw.until(() => {
      for (const v of strict.check({ ...sw.view(), params: SKYPE_2004 })) found.push(v.message);
      return found.length > 0;
    }, 30 * 60_000);
    expect(found[0]).toContain('is not a live serving super node');
    expect(sw.state('h')).toBe('online');
  });

  it('sees an SN placed behind a NAT (a host given the bootstrap role by mistake)', () => {
    const sw = new SmallWorld({ seed: 2, superNodes: 2, hosts: [{ name: 'home', nat: 'full-cone' }] });
    sw.advance(1_000);
    sw.login('home');
    sw.until(() => sw.state('home') === 'online', 60_000);
    // Pretend the configured truth differs from what was built: the view says sn-0 is NATed.
    const v = sw.view();
    const lie = { ...v, hosts: v.hosts.map((h) => (h.name === 'sn-0' ? { ...h, publicAddress: false, natName: 'symmetric' } : h)) };
    expect(new SnPlacementChecker().check(lie).map((x) => x.host)).toEqual(['sn-0']);
    expect(new SnPlacementChecker().check(v)).toEqual([]);
  });
});
