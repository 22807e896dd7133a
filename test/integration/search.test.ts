// User search on the real network (BS-16 - BS-20; design in protocol/roles/user-index.ts and
// host-search.ts). Five bootstrap SNs, no promotion (snUptimeThreshold 30 d), so every SN
// knows every SN and the rendezvous order of a name is the same everywhere.
//
// The target's SN (A) and the searchers' SN (B) are chosen so that B is none of the target's
// home SNs: B cannot answer from its store, and the search has to go where BS-17 - BS-19 say.
//
// 1-3. who is contacted, by the wire: a public searcher asks its SN over the TCP SN link, then
//      over UDP only nodes its SN named (BS-17); a NATed (port-restricted) searcher asks its SN
//      and host-cache entries over UDP, never over TCP (BS-18); a UDP-blocked searcher sends one
//      TCP request to its SN and nothing else, and the SN searches over UDP (BS-19).
// 4.   a name no one has ends at the LS (BS-20): notFound; an account that never logged in:
//      foundAtLoginServer.
// 5.   retention (BS-16): a user who logged out 71 h ago is found by peers; 73 h ago it is not
//      (the LS still knows the account).
// 6.   property: under generated logins, logouts and host crashes, a search for a user who
//      logged in within the last 72 h is found (the condition is stated there).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../protocol/node.js';
import { formatEndpoint } from '../../protocol/roles/support.js';
import { rankByWeight } from '../../protocol/roles/user-index.js';
import { SmallWorld, type SmallHostSpec } from '../../sim/testing/index.js';

const HOUR_MS = 3_600_000;
const NO_PROMOTION = { snUptimeThreshold: '30d' };
const TARGET = 'target-0';

interface Placed {
  readonly sw: SmallWorld;
  /** The target's SN. */
  readonly a: Endpoint;
  /** The searchers' SN: not a home of the target's name. */
  readonly b: Endpoint;
  readonly homes: Endpoint[];
}

/** The target on A, every other host on B, all online, the index settled. */
function placed(hosts: readonly SmallHostSpec[], o: { seed?: number; check?: boolean } = {}): Placed {
  const sw = new SmallWorld({ seed: o.seed ?? 5, superNodes: 5, hosts: [{ name: 'target' }, ...hosts], protocol: NO_PROMOTION, check: o.check });
  const a = sw.bootstrap[0];
  const homes = rankByWeight(TARGET, sw.bootstrap, sw.params.searchReplicas, [a]);
  const b = sw.bootstrap.find((e) => e !== a && !homes.includes(e))!;
  sw.setHostCache('target', [a]);
  for (const h of hosts) sw.setHostCache(h.name, [b]);
  sw.advance(1_000);
  const all = ['target', ...hosts.map((h) => h.name)];
  for (const h of all) sw.login(h);
  expect(sw.until(() => all.every((h) => sw.state(h) === 'online'), 120_000)).toBe(true);
  expect(formatEndpoint(sw.node('target').currentSuperNode!)).toBe(formatEndpoint(a));
  for (const h of hosts) expect(formatEndpoint(sw.node(h.name).currentSuperNode!)).toBe(formatEndpoint(b));
  sw.advance(5_000);
  return { sw, a, b, homes };
}

/** Search packets a host put on the wire since `fromMs` (the trace rounds times to the microsecond): `proto dst`. */
function searchSends(sw: SmallWorld, host: string, fromMs: number): string[] {
  const id = sw.netHost(host);
  return sw
    .traceEvents()
    .filter((e) => e.ev === 'send' && e.from === id && e.msg === 'searchRequest' && (e.t as number) >= fromMs - 0.001)
    .map((e) => `${e.proto as string} ${e.dst as string}`);
}

function finished(sw: SmallWorld, host: string) {
  const f = sw.nodeEvents(host, 'searchFinished');
  return f[f.length - 1]?.detail;
}

function search(sw: SmallWorld, host: string, name: string, waitMs = 30_000) {
  const before = sw.nodeEvents(host, 'searchFinished').length;
  expect(sw.act(host, { type: 'search', name })).toBe(true);
  expect(sw.until(() => sw.nodeEvents(host, 'searchFinished').length > before, waitMs)).toBe(true);
  return finished(sw, host)!;
}

describe('who a searcher contacts (BS-17 - BS-19)', () => {
  it('1. public: its SN over the SN link, then over UDP the nodes its SN named; the record comes from a home SN (BS-17)', () => {
    const { sw, a, b, homes } = placed([{ name: 'pub' }]);
    const t0 = sw.nowMs;
    const f = search(sw, 'pub', TARGET);
    expect(f).toMatchObject({ outcome: 'found', searcherClass: 'public' });
    expect(homes.map(formatEndpoint)).toContain(f.from);
    const sends = searchSends(sw, 'pub', t0);
    expect(sends[0]).toBe(`tcp ${formatEndpoint(b)}`);
    const named = rankByWeight(TARGET, sw.bootstrap, sw.params.searchFanout, [b]).map((e) => `udp ${formatEndpoint(e)}`);
    expect(sends.length).toBeGreaterThan(1);
    for (const s of sends.slice(1)) expect(named).toContain(s);
    const rounds = sw.nodeEvents('pub', 'searchRound').map((e) => e.detail!.asked);
    expect(rounds[0]).toBe(`${formatEndpoint(b)}/tcp`);
    // The record: the target's SN and its address there (public: its own address and port).
    expect(f.superNode).toBe(formatEndpoint(a));
    expect(f.address).toBe(formatEndpoint({ ip: sw.world.net.ipOf(sw.netHost('target')), port: sw.node('target').port }));
    expect(sw.world.metrics.values('searchMs', { outcome: 'found', searcherClass: 'public' })).toHaveLength(1);
    expect(sw.world.metrics.values('searchMessages', { outcome: 'found', searcherClass: 'public' })[0]).toBe(sends.length);
    sw.assertNoViolations();
  });

  it('2. NATed (port-restricted): its SN and its best host-cache entries, all over UDP (BS-18)', () => {
    const { sw, b, homes } = placed([{ name: 'home', nat: 'port-restricted-cone' }]);
    expect(sw.node('home').natClass).toBe('port-restricted');
    const t0 = sw.nowMs;
    const f = search(sw, 'home', TARGET);
    expect(f).toMatchObject({ outcome: 'found', searcherClass: 'nat' });
    const sends = searchSends(sw, 'home', t0);
    expect(sends.every((s) => s.startsWith('udp '))).toBe(true);
    const hc = sw.node('home').hostCacheEntries();
    const round1 = [b, ...rankByWeight(TARGET, hc, sw.params.searchFanout - 1, [b])].map((e) => `${formatEndpoint(e)}/udp`).join(' ');
    expect(sw.nodeEvents('home', 'searchRound')[0].detail!.asked).toBe(round1);
    // The NAT let the replies of the nodes it sent to in: the record came from a home SN.
    expect(homes.map(formatEndpoint)).toContain(f.from);
    sw.assertNoViolations();
  });

  it('3. UDP-blocked: one TCP request to its SN, which searches the overlay over UDP for it (BS-19)', () => {
    const { sw, b } = placed([{ name: 'walled', firewall: 'udp-blocked' }]);
    expect(sw.node('walled').natClass).toBe('udp-blocked');
    const t0 = sw.nowMs;
    const f = search(sw, 'walled', TARGET);
    expect(f).toMatchObject({ outcome: 'found', searcherClass: 'udpBlocked', messages: 1 });
    expect(searchSends(sw, 'walled', t0)).toEqual([`tcp ${formatEndpoint(b)}`]);
    const snName = sw.world.bootstrapSupernodes.find((s) => s.endpoint === b)!.name;
    const snSearch = sw.nodeEvents(snName, 'searchFinished').filter((e) => e.tMs >= t0);
    expect(snSearch.map((e) => e.detail)).toMatchObject([{ outcome: 'found', searcherClass: 'superNode' }]);
    const snSends = searchSends(sw, snName, t0);
    expect(snSends.length).toBeGreaterThan(0);
    expect(snSends.every((s) => s.startsWith('udp '))).toBe(true);
    // The SN keeps what it learned: a second search is answered from its cache, no UDP.
    const t1 = sw.nowMs;
    expect(search(sw, 'walled', TARGET)).toMatchObject({ outcome: 'found' });
    expect(searchSends(sw, snName, t1)).toEqual([]);
    sw.assertNoViolations();
  });
});

describe('the LS fall-back (BS-20)', () => {
  it('4. a name no one has: the peers, then the LS: notFound; an account never online: foundAtLoginServer', () => {
    const { sw } = placed([{ name: 'pub' }]);
    const f = search(sw, 'pub', 'nobody-at-all');
    expect(f).toMatchObject({ outcome: 'notFound', cause: 'noAccount', searcherClass: 'public' });
    expect(sw.nodeEvents('pub', 'searchRound').map((e) => e.detail!.asked).pop()).toBe('loginServer/tcp');
    expect(sw.nodeEvents('ls-0', 'accountQueried').map((e) => e.detail)).toEqual([{ name: 'nobody-at-all', exists: false }]);
    expect(sw.world.metrics.values('searchMs', { outcome: 'notFound', searcherClass: 'public' })).toHaveLength(1);
  });

  it('4b. an account that never logged in is known to the LS only: foundAtLoginServer', () => {
    const sw = new SmallWorld({ seed: 6, superNodes: 5, hosts: [{ name: 'pub' }, { name: 'ghost' }], protocol: NO_PROMOTION });
    sw.advance(1_000);
    sw.login('pub');
    expect(sw.until(() => sw.state('pub') === 'online', 60_000)).toBe(true);
    const f = search(sw, 'pub', 'ghost-0');
    expect(f).toMatchObject({ outcome: 'foundAtLoginServer', cause: 'accountExists' });
    expect(sw.nodeEvents('ls-0', 'accountQueried').map((e) => e.detail)).toEqual([{ name: 'ghost-0', exists: true }]);
    sw.assertNoViolations();
  });
});

describe('retention (BS-16)', () => {
  it('5. a user who logged out 71 h ago is found by peers; 73 h ago only the LS knows the name', () => {
    // Three days of keep-alives: the safety checkers are for the other tests.
    const { sw } = placed([{ name: 'pub' }, { name: 'home', nat: 'port-restricted-cone' }], { check: false });
    sw.logout('target');
    const outAtMs = sw.nowMs;
    sw.runUntil(outAtMs + 71 * HOUR_MS);
    // An old record: the search asks one more round for a newer one, then takes the newest.
    expect(search(sw, 'pub', TARGET)).toMatchObject({ outcome: 'found', cause: 'newest' });
    expect(search(sw, 'home', TARGET)).toMatchObject({ outcome: 'found', cause: 'newest' });
    sw.runUntil(outAtMs + 73 * HOUR_MS);
    expect(search(sw, 'pub', TARGET)).toMatchObject({ outcome: 'foundAtLoginServer' });
    expect(search(sw, 'home', TARGET)).toMatchObject({ outcome: 'foundAtLoginServer' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('a user who moved', () => {
  it('7. is found at its new SN, not where its former SN (the searcher\'s) last saw it', () => {
    const sw = new SmallWorld({ seed: 9, superNodes: 5, hosts: [{ name: 'target' }, { name: 'pub' }, { name: 'walled', firewall: 'udp-blocked' }], protocol: NO_PROMOTION });
    // C the new SN; A the former one, none of the name's homes in C's view (so C's
    // publications do not reach it and its own copy stays the old one).
    const c = sw.bootstrap[2];
    const homes = rankByWeight(TARGET, sw.bootstrap, sw.params.searchReplicas, [c]);
    const a = sw.bootstrap.find((e) => e !== c && !homes.includes(e))!;
    sw.setHostCache('target', [a]);
    sw.setHostCache('pub', [a]);
    sw.setHostCache('walled', [a]);
    sw.advance(1_000);
    for (const h of ['target', 'pub', 'walled']) sw.login(h);
    expect(sw.until(() => ['target', 'pub', 'walled'].every((h) => sw.state(h) === 'online'), 120_000)).toBe(true);
    sw.advance(10_000);
    sw.crashHost('target');
    // Longer than a record stays fresh: A's copy is now an old one.
    sw.advance(20 * 60_000);
    sw.setHostCache('target', [c]);
    sw.restartHost('target');
    expect(sw.until(() => sw.state('target') === 'online', 60_000)).toBe(true);
    expect(formatEndpoint(sw.node('target').currentSuperNode!)).toBe(formatEndpoint(c));
    sw.advance(5_000);
    const former = sw.world.bootstrapSupernodes.find((sn) => sn.endpoint === a)!.runtime.node!.superNode!;
    expect(former.lookupLocal(TARGET)?.superNode).toEqual(a);
    const f = search(sw, 'pub', TARGET);
    expect(f).toMatchObject({ outcome: 'found', cause: 'record', superNode: formatEndpoint(c) });
    expect(sw.nodeEvents('pub', 'searchRound').map((e) => e.detail!.round)).toEqual([1, 2]);
    // The SN's own locate (for a UDP-blocked client here) does not stop at its old copy either.
    expect(search(sw, 'walled', TARGET)).toMatchObject({ outcome: 'found', superNode: formatEndpoint(c) });
    sw.assertNoViolations();
  });
});

// ---------------------------------------------------------------------------------------------
// 6. The property (BS-16 under churn).
//
// The condition the design guarantees (protocol/roles/user-index.ts): a user whose SN processed
// its last indexAnnounce at t is found by a search at s <= t + searchRetentionMs if at least
// one SN that held its record stays up from t to s and the search asks it. The schedules below
// stay inside it by construction: five bootstrap SNs that all know one another (no promotion),
// and at most searchReplicas - 1 (= 2) SN crashes in a whole schedule, never restarted. Every
// record goes to searchReplicas + 1 = 4 distinct SNs (the user's SN and the 3 of highest weight
// besides it), so at least 2 of them are up at the end and were up since it was sent; and a
// searcher asks every SN within two rounds (a public one: its SN names the other four, and its
// host cache, ranked with them, holds all five - which matters while its SN is dead and it has
// not noticed; a NATed one: its SN and its host cache). A user who logged in within the last 72 hours
// was last announced no earlier than that login (it re-announces every 10 minutes while online),
// so its search must end `found`.
//
// Outside the condition (every holder of a record crashed: a third SN crash, or SN views so
// partial that no searcher's rounds meet a holder) the peers miss the record and the search
// ends at the LS with `foundAtLoginServer` - the account exists, the location is unknown - which
// is what a caller then sees. Users are logged in, logged out and crashed (no goodbye: their SN
// drops them after snClientTimeoutMs and their record keeps its last refresh time); the
// searchers (one public, one behind a port-restricted NAT) stay logged in, re-logging in when
// their SN crashes. `login(u)` lets the minute of the login pass. A `check` command searches for every user that logged in within the last
// 72 hours (a minute of slack for the announce on its way); the schedule ends with one.
// ---------------------------------------------------------------------------------------------

type Command =
  | { readonly kind: 'login' | 'logout' | 'crash'; readonly user: number }
  | { readonly kind: 'crashSuperNode'; readonly sn: number }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'check' };

const USERS: readonly SmallHostSpec[] = [{ name: 'u0' }, { name: 'u1', nat: 'port-restricted-cone' }, { name: 'u2' }, { name: 'u3', nat: 'symmetric' }];
const SEEKERS: readonly SmallHostSpec[] = [{ name: 'seeker' }, { name: 'natseeker', nat: 'port-restricted-cone' }];

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('login' as const), user: fc.nat(USERS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('logout' as const), user: fc.nat(USERS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), user: fc.nat(USERS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crashSuperNode' as const), sn: fc.nat(4) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(60_000, 10 * 60_000, HOUR_MS, 12 * HOUR_MS, 12 * HOUR_MS, 30 * HOUR_MS) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'check' as const }) },
);

function describeCommand(c: Command): string {
  switch (c.kind) {
    case 'advance':
      return `advance(${c.ms / 60_000} min)`;
    case 'crashSuperNode':
      return `crashSN(sn-${c.sn})`;
    case 'check':
      return 'check';
    default:
      return `${c.kind}(${USERS[c.user].name})`;
  }
}

function runSchedule(seed: number, commands: readonly Command[]): void {
  const sw = new SmallWorld({ seed, superNodes: 5, hosts: [...SEEKERS, ...USERS], protocol: NO_PROMOTION, check: false, trace: false });
  const log: string[] = [];
  const crashedSns = new Set<number>();
  sw.advance(1_000);
  for (const s of SEEKERS) sw.login(s.name);
  sw.advance(60_000);
  const check = (): void => {
    for (const u of USERS) {
      for (const s of SEEKERS) {
        // A searcher re-logging in (its SN crashed) searches once it is back.
        expect(sw.until(() => sw.state(s.name) === 'online', 10 * 60_000), `${s.name} online`).toBe(true);
        const logins = sw.nodeEvents(u.name, 'loginSucceeded');
        const lastMs = logins.length > 0 ? logins[logins.length - 1].tMs : -Infinity;
        if (sw.nowMs - lastMs > sw.params.searchRetentionMs - 60_000) continue;
        const f = search(sw, s.name, sw.userOf(u.name), 60_000);
        expect(f.outcome, `${s.name} searching ${u.name} (logged in ${((sw.nowMs - lastMs) / HOUR_MS).toFixed(2)} h ago) after:\n  ${log.join('\n  ')}`).toBe('found');
      }
    }
  };
  for (const c of commands) {
    log.push(`${(sw.nowMs / HOUR_MS).toFixed(2)} h  ${describeCommand(c)}`);
    switch (c.kind) {
      case 'login':
        // A login, and the minute it takes: the next command finds the user online.
        if (sw.state(USERS[c.user].name) === 'offline' || sw.state(USERS[c.user].name) === 'down') sw.login(USERS[c.user].name);
        sw.advance(60_000);
        break;
      case 'logout':
        if (sw.state(USERS[c.user].name) !== 'down') sw.logout(USERS[c.user].name);
        break;
      case 'crash':
        sw.crashHost(USERS[c.user].name);
        break;
      case 'crashSuperNode':
        // Inside the condition: at most searchReplicas - 1 SNs ever crash.
        if (crashedSns.size < sw.params.searchReplicas - 1 || crashedSns.has(c.sn)) {
          crashedSns.add(c.sn);
          sw.crashSuperNode(c.sn);
        }
        break;
      case 'advance':
        sw.advance(c.ms);
        break;
      case 'check':
        sw.advance(1_000);
        check();
        break;
    }
  }
  sw.advance(1_000);
  check();
}

describe('a user who logged in within the last 72 hours is found, under churn (BS-16)', () => {
  it('6. property: generated logins, logouts, host crashes and up to two SN crashes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(command, { minLength: 4, maxLength: 24 }), (seed, commands) => runSchedule(seed, commands)),
      {
        numRuns: 15,
        // Pinned: the user's own SN crashes after the user logged out; only the replicas have it.
        examples: [[7, [{ kind: 'login', user: 0 }, { kind: 'logout', user: 0 }, { kind: 'crashSuperNode', sn: 0 }, { kind: 'advance', ms: HOUR_MS }, { kind: 'check' }]]] as [number, Command[]][],
      },
    );
  });
});
