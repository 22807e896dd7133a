// The ordinary host against a login server and bootstrap super nodes on the in-memory Net.
import { describe, expect, it } from 'vitest';
import type { ProtocolParams } from '../../../protocol/params.js';
import { ip } from './harness.js';
import { Wire, World } from './world.js';

const LOGIN_AT = 1000;

function onlineWorld(superNodes = 3) {
  const w = new World({ superNodes });
  w.addHost('h1', '2.0.0.1');
  w.net.runUntil(LOGIN_AT);
  w.login('h1', 'alice');
  w.net.runUntil(LOGIN_AT + 10_000);
  return w;
}

describe('ordinary host: successful login (BS-9 steps 1-6)', () => {
  it('probes the first HC entry, connects, authenticates with the LS, attaches, classifies its NAT, announces presence', () => {
    const w = onlineWorld();
    const h1 = w.host('h1');
    expect(h1.state).toBe('online');
    expect(h1.currentSuperNode).toEqual({ ip: ip('1.0.0.1'), port: 33033 });
    // One probe, then the SN's TCP port; the LS over TCP; NAT tests over UDP.
    expect(w.net.datagrams('h1', 'probe')).toEqual([{ at: LOGIN_AT, msgType: 'probe', to: '1.0.0.1:33033' }]);
    expect(w.net.writes('h1').map((x) => x.msgType)).toEqual(['authRequest', 'attach', 'presence', 'indexAnnounce']);
    expect(w.net.datagrams('h1', 'natProbe').length).toBeGreaterThanOrEqual(2);
    // The LS signed a credential and keeps the session; the SN has the client.
    expect(w.ls.sessionNames()).toEqual(['alice']);
    expect(w.host('sn1').superNode!.clientNames()).toEqual(['alice']);
    // No NAT in the harness: the host is open (the "another node" reply came through sn1's overlay).
    expect(h1.natClass).toBe('open');
    const [login] = w.net.metrics('h1', 'loginTimeMs');
    expect(login.labels).toEqual({ outcome: 'ok', natClass: 'open', trigger: 'user' });
    expect(login.value).toBeGreaterThan(0);
    expect(login.value).toBeLessThan(1000);
    expect(w.net.metrics('h1', 'loginAttempts')).toMatchObject([{ value: 1 }]);
    expect(w.net.metrics('h1', 'loginRounds')).toMatchObject([{ value: 1 }]);
    // The HC was refreshed from the SN's replies and the SN it reached is first.
    expect(h1.hostCacheEntries()[0]).toEqual({ ip: ip('1.0.0.1'), port: 33033 });
    expect(w.disks.get('h1')!.hostCache).toEqual(h1.hostCacheEntries());
  });

  it('a wrong password fails the login with cause badCredentials and no session', () => {
    const w = new World();
    w.addHost('h1', '2.0.0.1');
    w.net.runUntil(LOGIN_AT);
    w.login('h1', 'alice', 'wrong');
    w.net.runUntil(LOGIN_AT + 10_000);
    expect(w.host('h1').state).toBe('offline');
    expect(w.net.metrics('h1', 'loginFailure')).toMatchObject([{ labels: { cause: 'badCredentials' } }]);
    expect(w.ls.sessionNames()).toEqual([]);
    expect(w.host('sn1').superNode!.clientCount).toBe(0);
  });

  it('logout detaches from the SN and ends the LS session', () => {
    const w = onlineWorld();
    w.net.act('h1', { type: 'logout' });
    w.net.runFor(1000);
    expect(w.host('h1').state).toBe('offline');
    expect(w.net.writes('h1', 'detach')).toHaveLength(1);
    expect(w.host('sn1').superNode!.clientCount).toBe(0);
    expect(w.ls.sessionNames()).toEqual([]);
    // Nothing keeps running: no keep-alive after logout.
    const before = w.net.datagrams('h1', 'keepAlive').length;
    w.net.runFor(300_000);
    expect(w.net.datagrams('h1', 'keepAlive').length).toBe(before);
  });

  it('a second login of the name elsewhere (rule replace) ends the first host session', () => {
    const w = onlineWorld();
    w.addHost('h2', '2.0.0.2');
    w.login('h2', 'alice');
    w.net.runFor(10_000);
    expect(w.host('h2').state).toBe('online');
    expect(w.host('h1').state).toBe('offline');
    expect(w.net.metrics('h1', 'sessionEnd')).toMatchObject([{ labels: { cause: 'replaced' } }]);
    expect(w.ls.sessionNames()).toEqual(['alice']);
  });
});

describe('ordinary host: keep-alive (BS-15) and re-login', () => {
  it('sends a keep-alive to its SN every 60 s, answered', () => {
    const w = onlineWorld();
    w.net.runFor(300_000);
    const times = w.net.datagrams('h1', 'keepAlive').map((d) => d.at);
    expect(times.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(60_000);
    expect(w.net.datagrams('h1', 'keepAlive').every((d) => d.to === '1.0.0.1:33033')).toBe(true);
    expect(w.net.datagrams('sn1', 'keepAliveAck')).toHaveLength(times.length);
    expect(w.host('h1').state).toBe('online');
  });

  it('re-logs in from the HC when keep-alives go unanswered (3 in a row), re-using its credential', () => {
    const w = onlineWorld();
    w.net.runFor(100_000);
    const [first] = w.net.datagrams('h1', 'keepAlive').map((d) => d.at);
    w.net.mutedUdp.add(ip('1.0.0.1'));
    w.net.runFor(400_000);
    // Keep-alive k at first + 60 s (sent after the mute) is the first unanswered one; the SN is
    // declared lost three periods later, when the third unanswered one is due for a successor.
    const lost = w.net.traces('h1', 'snLost');
    expect(lost).toHaveLength(1);
    expect(lost[0].output).toMatchObject({ detail: { cause: 'keepAliveTimeout' } });
    expect(lost[0].at).toBe(first + 60_000 + 3 * 60_000);
    expect(w.host('h1').state).toBe('online');
    expect(w.host('h1').currentSuperNode).toEqual({ ip: ip('1.0.0.2'), port: 33033 });
    expect(w.net.metrics('h1', 'loginTimeMs').map((m) => m.labels!.trigger)).toEqual(['user', 'reconnect']);
    // The credential was re-used: one LS login only.
    expect(w.net.traces('ls', 'authAccepted')).toHaveLength(1);
    // The lost SN went to the end of the HC: the re-login tried sn2 first.
    const attempts = w.net.traces('h1', 'loginStep').filter((r) => r.at >= lost[0].at);
    expect(attempts[0].output).toMatchObject({ detail: { entry: '1.0.0.2:33033', transport: 'udp' } });
  });

  it('re-logs in when the SN connection closes (the SN crashed)', () => {
    const w = onlineWorld();
    w.net.runFor(5_000);
    const crashAt = w.net.now;
    w.net.crash('sn1');
    w.net.runFor(20_000);
    expect(w.net.metrics('h1', 'snLost')).toMatchObject([{ at: crashAt + 10, labels: { cause: 'reset' } }]);
    expect(w.host('h1').state).toBe('online');
    expect(w.host('h1').currentSuperNode).toEqual({ ip: ip('1.0.0.2'), port: 33033 });
    expect(w.host('sn2').superNode!.clientNames()).toEqual(['alice']);
    expect(w.net.traces('ls', 'authAccepted')).toHaveLength(1);
  });
});

describe('ordinary host behind a UDP-blocking firewall (BS-10)', () => {
  function firewalled(params: Partial<ProtocolParams> = {}) {
    const w = new World({ superNodes: 3, params });
    w.addHost('h1', '2.0.0.1');
    w.net.firewalls.set(ip('2.0.0.1'), { blockUdp: true, tcpPorts: [80, 443] });
    w.net.runUntil(LOGIN_AT);
    w.login('h1', 'alice');
    w.net.runUntil(LOGIN_AT + 30_000);
    return w;
  }

  function connects(w: World) {
    return w.net.of('h1', 'connect').map((r) => [r.at, r.output.kind === 'connect' ? `${r.output.to.ip === ip('9.9.9.9') ? 'ls' : `sn${r.output.to.ip & 255}`}:${r.output.to.port}` : '']);
  }

  it('logs in over TCP 80 after the UDP probe times out, then sends no more UDP', () => {
    const w = firewalled();
    const h1 = w.host('h1');
    expect(h1.state).toBe('online');
    expect(h1.udpBlocked).toBe(true);
    expect(h1.natClass).toBe('udp-blocked');
    const t = LOGIN_AT + 5000; // the probe timed out
    expect(connects(w)).toEqual([
      [t, 'sn1:33033'],
      [t + 3000, 'sn1:80'], // the firewall let the SYN to 33033 time out
      [t + 3020, 'ls:80'], // only 80 got through to the SN: the LS is tried there first
    ]);
    expect(w.net.datagrams('h1')).toEqual([{ at: LOGIN_AT, msgType: 'probe', to: '1.0.0.1:33033' }]);
    expect(w.net.traces('h1', 'udpBlocked')).toHaveLength(1);
    // Keep-alives go over the TCP connection.
    w.net.runFor(180_000);
    expect(w.net.writes('h1', 'keepAlive').length).toBe(3);
    expect(w.net.writes('sn1', 'keepAliveAck').length).toBe(3);
    expect(w.net.datagrams('h1')).toHaveLength(1);
  });

  it('with rememberFallbackPort off, every TCP step walks its own port first (a SYN timeout each)', () => {
    const w = firewalled({ rememberFallbackPort: false });
    expect(w.host('h1').state).toBe('online');
    const t = LOGIN_AT + 5000;
    expect(connects(w)).toEqual([
      [t, 'sn1:33033'],
      [t + 3000, 'sn1:80'],
      [t + 3020, 'ls:33033'],
      [t + 6020, 'ls:80'],
    ]);
  });

  it('re-logs in without UDP: straight to TCP on the next HC entry, on the port that worked', () => {
    const w = firewalled();
    const crashAt = w.net.now;
    w.net.crash('sn1');
    w.net.runFor(30_000);
    expect(w.host('h1').state).toBe('online');
    expect(w.net.datagrams('h1')).toHaveLength(1);
    const relogin = w.net.traces('h1', 'loginStep').filter((r) => r.at > crashAt);
    expect(relogin.map((r) => r.output.kind === 'trace' && `${r.output.detail!.transport}:${r.output.detail!.entry}:${r.output.detail!.port}`)).toEqual(['tcp:1.0.0.2:33033:80']);
    expect(w.net.metrics('h1', 'loginTimeMs')[1].value).toBeLessThan(1000);
  });

  it('an SN that is not reachable on the remembered port is still tried on its own port and 443 (BS-9 order after it)', () => {
    const w = firewalled();
    // From now on only 443 gets out.
    w.net.firewalls.set(ip('2.0.0.1'), { blockUdp: true, tcpPorts: [443] });
    const crashAt = w.net.now;
    w.net.crash('sn1');
    w.net.runFor(30_000);
    expect(w.host('h1').state).toBe('online');
    const relogin = w.net.traces('h1', 'loginStep').filter((r) => r.at > crashAt);
    expect(relogin.map((r) => r.output.kind === 'trace' && r.output.detail!.port)).toEqual([80, 33033, 443]);
  });
});

describe('super node capacity', () => {
  it('a full SN says so in its probe reply; the client moves on to the next HC entry without connecting', () => {
    // No load spreading (it would redirect instead: load-spreading.test.ts).
    const w = new World({ superNodes: 2, params: { snClientCapacity: 1, snReferralsMax: 0 } });
    w.addHost('h1', '2.0.0.1');
    w.addHost('h2', '2.0.0.2');
    w.net.runUntil(LOGIN_AT);
    w.login('h1', 'alice');
    w.net.runFor(5_000);
    w.login('h2', 'bob');
    w.net.runFor(5_000);
    expect(w.host('h1').currentSuperNode).toEqual({ ip: ip('1.0.0.1'), port: 33033 });
    expect(w.net.traces('h2', 'loginEntryFailed')).toMatchObject([{ output: { detail: { entry: '1.0.0.1:33033', cause: 'full' } } }]);
    // No attach to refuse: bob never signed a challenge of sn1's.
    expect(w.net.traces('sn1', 'attachRefused')).toEqual([]);
    expect(w.host('h2').state).toBe('online');
    expect(w.host('h2').currentSuperNode).toEqual({ ip: ip('1.0.0.2'), port: 33033 });
    expect(w.net.metrics('h2', 'loginAttempts')).toMatchObject([{ value: 2 }]);
    expect(w.host('sn1').superNode!.clientNames()).toEqual(['alice']);
    expect(w.host('sn2').superNode!.clientNames()).toEqual(['bob']);
  });

  it('a client that cannot probe (UDP blocked) learns from the challenge that the SN is full: it signs nothing, attaches elsewhere', () => {
    const w = new World({ superNodes: 2, params: { snClientCapacity: 1, snReferralsMax: 0 } });
    w.addHost('h1', '2.0.0.1');
    w.addHost('h2', '2.0.0.2');
    w.net.firewalls.set(ip('2.0.0.2'), { blockUdp: true });
    w.net.runUntil(LOGIN_AT);
    w.login('h1', 'alice');
    w.net.runFor(5_000);
    w.login('h2', 'bob');
    w.net.runFor(30_000);
    expect(w.net.traces('h2', 'loginEntryFailed')).toContainEqual(expect.objectContaining({ output: expect.objectContaining({ detail: expect.objectContaining({ entry: '1.0.0.1:33033', cause: 'full' }) }) }));
    expect(w.net.traces('sn1', 'attachRefused')).toEqual([]);
    expect(w.net.writes('h2', 'attach')).toHaveLength(1);
    expect(w.host('h2').state).toBe('online');
    expect(w.host('sn2').superNode!.clientNames()).toEqual(['bob']);
  });

  it('an SN drops a client whose keep-alives stopped', () => {
    const w = onlineWorld();
    const lastHeard = w.net.now;
    w.net.silence('h1');
    w.net.runFor(300_000);
    // Silent for snClientTimeoutMs (180 s), noticed at the next sweep (every 60 s).
    const [dropped] = w.net.traces('sn1', 'clientDropped');
    expect(dropped.at).toBeGreaterThan(lastHeard + 180_000);
    expect(dropped.at).toBeLessThanOrEqual(lastHeard + 240_000);
    expect(w.host('sn1').superNode!.clientCount).toBe(0);
    expect(w.net.traces('sn1', 'clientDropped')).toMatchObject([{ output: { detail: { cause: 'keepAliveTimeout' } } }]);
  });
});

describe('ordinary host and a loaded or missing login server', () => {
  it('LS busy: the host backs off and retries; every login completes, later', () => {
    const w = new World({ superNodes: 2, params: { lsLoginsPerSec: 1, lsQueueMax: 1, lsRetryDelayMs: 1000 } });
    for (const [i, user] of ['alice', 'bob', 'carol'].entries()) w.addHost(user, `2.0.0.${i + 1}`);
    w.net.runUntil(LOGIN_AT);
    for (const user of ['alice', 'bob', 'carol']) w.login(user, user);
    w.net.runFor(60_000);
    expect(['alice', 'bob', 'carol'].map((u) => w.host(u).state)).toEqual(['online', 'online', 'online']);
    const busy = w.net.traces('ls', 'lsBusy');
    expect(busy.length).toBeGreaterThan(0);
    // A host that was told busy waited at least the LS's retry time before asking again.
    const times = w.net.metrics('carol', 'loginTimeMs').concat(w.net.metrics('bob', 'loginTimeMs')).map((m) => m.value);
    expect(Math.max(...times)).toBeGreaterThan(1000);
    expect(w.ls.sessionNames()).toEqual(['alice', 'bob', 'carol']);
  });

  it('LS unreachable: after lsTriesMax tries the login fails with cause loginServerUnreachable', () => {
    const w = new World({ superNodes: 2, params: { lsTriesMax: 2, lsRetryDelayMs: 1000 } });
    w.net.crash('ls');
    w.addHost('h1', '2.0.0.1');
    w.net.runUntil(LOGIN_AT);
    w.login('h1', 'alice');
    w.net.runFor(120_000);
    expect(w.host('h1').state).toBe('offline');
    expect(w.net.metrics('h1', 'loginFailure')).toMatchObject([{ labels: { cause: 'loginServerUnreachable' } }]);
    // Each try walks the LS's port, then 80, then 443.
    const lsConnects = w.net.of('h1', 'connect').filter((r) => r.output.kind === 'connect' && r.output.to.ip === ip('9.9.9.9'));
    expect(lsConnects.map((r) => (r.output.kind === 'connect' ? r.output.to.port : 0))).toEqual([33033, 80, 443, 33033, 80, 443]);
    // The SN connection was closed too: the SN has no half-attached client.
    expect(w.host('sn1').superNode!.clientCount).toBe(0);
  });

  it('the SN answers probes with other SNs for the host cache (OT-2)', () => {
    const w = onlineWorld(3);
    const reply = w.net.of('sn1', 'sendDatagram').find((r) => r.output.kind === 'sendDatagram' && r.output.msgType === 'probeReply')!;
    const msg = new Wire().read(reply.output);
    expect(msg.type === 'probeReply' && msg.hostCache.map((e) => e.ip).sort()).toEqual([ip('1.0.0.2'), ip('1.0.0.3')]);
    expect(new Set(w.host('h1').hostCacheEntries().map((e) => e.ip))).toEqual(new Set([ip('1.0.0.1'), ip('1.0.0.2'), ip('1.0.0.3')]));
  });
});
