// Two behaviours that must hold when a message the protocol relies on is lost or has no sender.
//
// Invariant (b), names are unique: "never two hosts online under one name beyond the
// notification delay", also when the LS's `sessionEnded` to the older machine is lost and when
// the LS restarts. What guards it (login-server.ts and ordinary-host.ts headers): the LS keeps
// its session table on disk (it survives a restart); the host keeps its session link alive
// (`sessionKeepAlive` every lsSessionKeepAliveMs), so a dead link shows up as a TCP give-up or
// RST, and then re-validates its session on a new LS connection (`sessionResume`); a newer
// login from another machine is held by the LS until the older machine is known to be offline
// (it closed its link after `sessionEnded`, re-validated and was told, or its lease lapsed - a
// host whose session the LS has not confirmed for lsSessionLeaseMs goes offline by itself).
//
// 1. replace across a partition: laptop (region b, SN in b) is online as laptop-0; the regions
//    are cut; desktop (region a) logs in as laptop-0. The LS's sessionEnded to laptop is lost
//    (TCP gives up); the LS holds desktop's login. After healing, laptop's next keep-alive meets
//    a RST, it re-validates, is told its session ended, goes offline; desktop is accepted.
//    At no time are both online.
// 2. replace after an LS restart: the restarted LS still knows laptop's session (no link); it
//    holds desktop's login until laptop's keep-alive meets a RST and its re-validation is told.
//    With duplicateLogin `refuse` desktop is refused instead and laptop stays online.
//
// BS-11, detected class = configured class:
//
// 3. the NAT test "reply from another node" when the SN has no overlay link (one bootstrap SN,
//    a partition, the first moments after SN start): the SN asks one of its own clients to
//    reply instead (super-node.ts forwardNatTest, `natForwardViaClient`). A public host whose
//    SN has another client is classed `open` and promoted after snUptimeThreshold. A public
//    host alone with a lone SN has no other node at all: nothing can reply from another
//    address (`natForwardUnavailable`), so it is classed conservatively (restricted) and not
//    promoted. (This case was one test expecting `open` with the host alone; no honest protocol
//    can tell open from an address-filtering firewall with a single other node, so the test now
//    adds a second client for the `open` case and asserts the conservative class for the lone
//    host.)
import { describe, expect, it } from 'vitest';
import { formatViolations } from '../../sim/checkers/index.js';
import { SmallWorld } from '../../sim/testing/index.js';

const user = { user: 'laptop-0', password: 'pw:laptop-0' };

function twoMachines(protocol: Record<string, unknown> = {}) {
  const sw = new SmallWorld({
    seed: 8,
    regions: ['a', 'b'],
    rttMs: [
      [20, 80],
      [80, 20],
    ],
    superNodes: 2,
    superNodeRegions: ['a', 'b'],
    loginServerRegion: 'a',
    hosts: [
      { name: 'laptop', region: 'b' },
      { name: 'desktop', region: 'a' },
    ],
    protocol,
  });
  sw.advance(1_000);
  // The laptop attaches in its own region, so a cut between the regions leaves it online.
  sw.setHostCache('laptop', [sw.bootstrap[1]]);
  sw.login('laptop', user);
  sw.until(() => sw.state('laptop') === 'online', 60_000);
  return sw;
}

function uniqueSessionViolations(sw: SmallWorld): string {
  return formatViolations(sw.violations.filter((v) => v.invariant === 'unique-session'));
}

describe('a user is online on one machine only, when the LS cannot tell the older one (invariant b)', () => {
  it('1. replace across a partition: the older machine learns it when the link is back; the newer waits until then', () => {
    const sw = twoMachines();
    sw.partition(['a'], ['b']);
    sw.login('desktop', user);
    sw.advance(2 * 60_000);
    expect(sw.state('laptop')).toBe('online');
    expect(sw.state('desktop')).not.toBe('online');
    sw.heal();
    sw.advance(60 * 60_000);
    expect(uniqueSessionViolations(sw)).toBe('');
    expect(sw.state('laptop')).toBe('offline');
    expect(sw.state('desktop')).toBe('online');
    expect(sw.nodeEvents('laptop', 'sessionEnded').length).toBe(1);
    expect(sw.nodeEvents('ls-0', 'loginHeld').length).toBeGreaterThan(0);
  });

  it('1b. a partition longer than the lease: the cut-off machine goes offline by itself, then the newer is accepted', () => {
    const sw = twoMachines();
    sw.partition(['a'], ['b']);
    sw.login('desktop', user);
    sw.advance(6 * 60_000);
    expect(sw.state('laptop')).toBe('offline');
    expect(sw.nodeEvents('laptop', 'sessionLapsed').length).toBe(1);
    sw.advance(4 * 60_000);
    sw.heal();
    sw.advance(10 * 60_000);
    expect(uniqueSessionViolations(sw)).toBe('');
    // The desktop's login may have run out of LS tries while held; logging in again gets it on.
    if (sw.state('desktop') !== 'online') {
      sw.login('desktop', user);
      sw.until(() => sw.state('desktop') === 'online', 5 * 60_000);
    }
    expect(sw.state('desktop')).toBe('online');
    expect(sw.state('laptop')).toBe('offline');
    expect(uniqueSessionViolations(sw)).toBe('');
  });

  it('2. replace after an LS restart: the LS keeps the session; the older machine re-validates and is told', () => {
    const sw = twoMachines();
    const ls = sw.world.loginServers[0].runtime;
    ls.crash();
    sw.advance(10_000);
    ls.start();
    sw.advance(10_000);
    sw.login('desktop', user);
    sw.advance(10 * 60_000);
    expect(uniqueSessionViolations(sw)).toBe('');
    expect(sw.state('laptop')).toBe('offline');
    expect(sw.state('desktop')).toBe('online');
    expect(sw.nodeEvents('laptop', 'sessionResumeStarted').length).toBeGreaterThan(0);
  });

  it('2b. refuse after an LS restart: the newer machine is refused, the older stays online and re-validates', () => {
    const sw = twoMachines({ duplicateLogin: 'refuse' });
    const ls = sw.world.loginServers[0].runtime;
    ls.crash();
    sw.advance(10_000);
    ls.start();
    sw.advance(10_000);
    sw.login('desktop', user);
    sw.advance(10 * 60_000);
    expect(uniqueSessionViolations(sw)).toBe('');
    expect(sw.state('laptop')).toBe('online');
    expect(sw.state('desktop')).toBe('offline');
    expect(sw.nodeEvents('laptop', 'sessionResumed').length).toBeGreaterThan(0);
  });

  it('a single machine keeps its session across an LS restart with no user-visible change', () => {
    const sw = twoMachines();
    const ls = sw.world.loginServers[0].runtime;
    ls.crash();
    sw.advance(30_000);
    ls.start();
    sw.advance(30 * 60_000);
    expect(sw.state('laptop')).toBe('online');
    expect(sw.nodeEvents('laptop', 'sessionResumed').length).toBe(1);
    expect(sw.nodeEvents('laptop', 'sessionEnded').length).toBe(0);
  });
});

describe('the NAT test "reply from another node" when the SN has no overlay link (BS-11)', () => {
  it('3. one bootstrap SN: another client replies, so a public host is classed open and promoted', () => {
    const sw = new SmallWorld({ seed: 1, superNodes: 1, hosts: [{ name: 'home', nat: 'port-restricted-cone' }, { name: 'pub' }], protocol: { snUptimeThreshold: '2min' } });
    sw.advance(1_000);
    sw.login('home');
    sw.until(() => sw.state('home') === 'online', 60_000);
    // Alone with the SN, the first client's test had no other node: conservative.
    expect(sw.nodeEvents('sn-0', 'natForwardUnavailable').length).toBeGreaterThan(0);
    sw.login('pub');
    sw.advance(10 * 60_000);
    expect(sw.record('pub').expectedNatClass).toBe('open');
    expect(sw.nodeEvents('sn-0', 'natForwardViaClient').length).toBeGreaterThan(0);
    expect(sw.nodeEvents('home', 'natForwardServed').length).toBeGreaterThan(0);
    expect(sw.node('pub').natClass).toBe('open');
    expect(sw.node('pub').isSuperNode).toBe(true);
    sw.assertNoViolations();
  });

  it('3b. a lone SN and a lone public host: no other node exists, so the host is classed conservatively', () => {
    const sw = new SmallWorld({ seed: 1, superNodes: 1, hosts: [{ name: 'pub' }], protocol: { snUptimeThreshold: '2min' } });
    sw.advance(1_000);
    sw.login('pub');
    sw.advance(10 * 60_000);
    expect(sw.record('pub').expectedNatClass).toBe('open');
    expect(sw.nodeEvents('sn-0', 'natForwardUnavailable').length).toBeGreaterThan(0);
    expect(sw.node('pub').natClass).toBe('restricted');
    expect(sw.node('pub').isSuperNode).toBe(false);
  });
});
