// HostNode.searchUser and the SN's locate / lookupLocal on the in-memory Net (no NATs: every
// host is public): the callback contract, several searches at once, going offline mid-search,
// and what the SN keeps. Who is contacted by NAT class is test/integration/search.test.ts's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ctx, Endpoint, Input, Output, ProtocolNode } from '../../../protocol/node.js';
import { makeParams } from '../../../protocol/params.js';
import { HostCache, type HostCacheDisk } from '../../../protocol/roles/host-cache.js';
import type { SearchResult } from '../../../protocol/roles/host-search.js';
import { HostNode, type HostAction } from '../../../protocol/roles/ordinary-host.js';
import { SuperNodeSearch } from '../../../protocol/roles/sn-search.js';
import { sharedObfuscator, Transport } from '../../../protocol/roles/transport.js';
import { rankByWeight, type UserRecord } from '../../../protocol/roles/user-index.js';
import type { MessageOf } from '../../../protocol/wire/messages.js';
import { ep, ip, SeededRandom, Solo } from './harness.js';
import { LS_ENDPOINT, LS_KEYS, STRONG, Wire, World } from './world.js';

/** A test action: call the API from inside `handle`, as calls and routed signalling will. */
type ApiAction = HostAction | { readonly type: 'searchApi'; readonly names: readonly string[] } | { readonly type: 'locateApi'; readonly name: string };

interface Answer {
  readonly name: string;
  readonly atMs: number;
  readonly result: SearchResult | { record: UserRecord | undefined };
}

/** A host whose test actions call the API; everything else goes to the host as it is. */
class ApiHost implements ProtocolNode<ApiAction> {
  readonly answers: Answer[] = [];
  constructor(readonly host: HostNode) {}
  handle(input: Input<ApiAction>, ctx: Ctx): void {
    if (input.kind === 'user' && input.action.type === 'searchApi') {
      for (const name of input.action.names) this.host.searchUser(ctx, name, (c, result) => this.answers.push({ name, atMs: c.now, result }));
      return;
    }
    if (input.kind === 'user' && input.action.type === 'locateApi') {
      const name = input.action.name;
      this.host.superNode!.locate(ctx, name, (c, record) => this.answers.push({ name, atMs: c.now, result: { record } }));
      return;
    }
    this.host.handle(input as Input<HostAction>, ctx);
  }
}

function apiHost(w: World, name: string, address: string, o: { bootstrapSuperNode?: boolean; port?: number } = {}): ApiHost {
  const host = new HostNode({
    params: w.params,
    disk: {},
    localIp: ip(address),
    port: o.port ?? 6000,
    bootstrap: w.bootstrap,
    loginServer: LS_ENDPOINT,
    lsPublicKey: LS_KEYS.publicKey,
    config: STRONG,
    bootstrapSuperNode: o.bootstrapSuperNode,
  });
  const api = new ApiHost(host);
  w.net.add(name, address, api, 300);
  w.net.start(name);
  return api;
}

/** alice and bob online, carol (the API host) online; four bootstrap SNs. */
function world() {
  const w = new World({ superNodes: 4 });
  w.addHost('alice', '2.0.0.1');
  w.addHost('bob', '2.0.0.2');
  const carol = apiHost(w, 'carol', '2.0.0.3');
  w.net.runUntil(1000);
  w.login('alice');
  w.login('bob');
  w.net.act('carol', { type: 'login', name: 'carol', password: 'carol-pw' });
  w.net.runUntil(20_000);
  for (const h of ['alice', 'bob']) expect(w.host(h).state).toBe('online');
  expect(carol.host.state).toBe('online');
  return { w, carol };
}

describe('HostNode.searchUser', () => {
  it('answers each of several searches at once exactly once: found with the record, at the LS, or not at all', () => {
    const { w, carol } = world();
    w.net.act('carol', { type: 'searchApi', names: ['bob', 'nobody', 'frank', 'alice'] });
    w.net.runFor(30_000);
    const byName = new Map(carol.answers.map((a) => [a.name, a.result as SearchResult]));
    expect(carol.answers.map((a) => a.name).sort()).toEqual(['alice', 'bob', 'frank', 'nobody']);
    const bob = byName.get('bob')!;
    expect(bob.outcome).toBe('found');
    expect(bob.record).toMatchObject({ name: 'bob', superNode: w.host('bob').currentSuperNode, address: { ip: ip('2.0.0.2'), port: w.host('bob').port }, natClass: 'open' });
    expect(byName.get('alice')).toMatchObject({ outcome: 'found', record: { name: 'alice', address: { ip: ip('2.0.0.1'), port: w.host('alice').port } } });
    expect(byName.get('frank')).toEqual({ outcome: 'foundAtLoginServer' });
    expect(byName.get('nobody')).toEqual({ outcome: 'notFound' });
    // One sample per search, labelled by outcome and class.
    const samples = w.net.metrics('carol', 'searchMs');
    expect(samples.map((s) => s.labels).sort((a, b) => (a!.outcome < b!.outcome ? -1 : 1))).toEqual([
      { outcome: 'found', searcherClass: 'public' },
      { outcome: 'found', searcherClass: 'public' },
      { outcome: 'foundAtLoginServer', searcherClass: 'public' },
      { outcome: 'notFound', searcherClass: 'public' },
    ]);
    expect(w.net.traces('carol', 'unexpected')).toEqual([]);
  });

  it('offline: done at once with notFound, nothing sent', () => {
    const w = new World({ superNodes: 2 });
    const dave = apiHost(w, 'dave', '2.0.0.4');
    w.net.runUntil(1000);
    const before = w.net.of('dave').length;
    w.net.act('dave', { type: 'searchApi', names: ['alice'] });
    expect(dave.answers).toEqual([{ name: 'alice', atMs: 1000, result: { outcome: 'notFound' } }]);
    expect(w.net.of('dave').filter((r) => r.output.kind === 'sendDatagram' || r.output.kind === 'write')).toHaveLength(0);
    expect(w.net.of('dave').length).toBeGreaterThan(before);
  });

  it('logging out mid-search ends it notFound, once; nothing unexpected follows', () => {
    const { w, carol } = world();
    w.net.act('carol', { type: 'searchApi', names: ['nobody'] });
    w.net.act('carol', { type: 'logout' });
    w.net.runFor(30_000);
    expect(carol.answers).toEqual([{ name: 'nobody', atMs: 20_000, result: { outcome: 'notFound' } }]);
    expect(w.net.traces('carol', 'searchFinished').map((r) => r.output.kind === 'trace' && r.output.detail?.cause)).toEqual(['offline']);
    expect(w.net.traces('carol', 'unexpected')).toEqual([]);
  });

  it('the user action searches too; offline it is counted as unexpected', () => {
    const { w } = world();
    w.net.act('alice', { type: 'search', name: 'bob' });
    w.net.runFor(10_000);
    expect(w.net.traces('alice', 'searchFinished').map((r) => r.output.kind === 'trace' && r.output.detail?.outcome)).toEqual(['found']);
    w.net.act('alice', { type: 'logout' });
    w.net.act('alice', { type: 'search', name: 'bob' });
    expect(w.net.traces('alice', 'unexpected').map((r) => r.output.kind === 'trace' && r.output.detail?.input)).toEqual(['search']);
  });
});

describe('the SN side: locate, lookupLocal, hand-over', () => {
  it('an SN finds its own clients locally, others over the overlay, and caches what it learned', () => {
    const { w } = world();
    const bobSn = w.host('bob').currentSuperNode!;
    const sn = [...w.hosts.values()].find((h) => h.isSuperNode && h.superNode!.clientNames().includes('bob'))!;
    expect(sn.superNode!.lookupLocal('bob')).toMatchObject({ name: 'bob', superNode: bobSn });
    // An SN that holds nothing of 'bob' locates it over the overlay and then keeps it.
    const sna = apiHost(w, 'sn9', '1.0.0.9', { bootstrapSuperNode: true, port: 33033 });
    w.net.runFor(5_000);
    expect(sna.host.superNode!.lookupLocal('bob')).toBeUndefined();
    w.net.act('sn9', { type: 'locateApi', name: 'bob' });
    w.net.runFor(10_000);
    expect(sna.answers).toHaveLength(1);
    expect((sna.answers[0].result as { record: UserRecord }).record).toMatchObject({ name: 'bob', superNode: bobSn });
    expect(sna.host.superNode!.lookupLocal('bob')).toMatchObject({ name: 'bob' });
    w.net.act('sn9', { type: 'locateApi', name: 'nobody' });
    w.net.runFor(10_000);
    expect(sna.answers[1]).toMatchObject({ name: 'nobody', result: { record: undefined } });
  });

  it('replies that reach an SN after its search ended (at the first answer) count as late, not unexpected', () => {
    const { w } = world();
    const sn9 = apiHost(w, 'sn9', '1.0.0.9', { bootstrapSuperNode: true, port: 33033 });
    w.net.runFor(5_000);
    w.net.act('sn9', { type: 'locateApi', name: 'bob' });
    w.net.runFor(10_000);
    expect(sn9.answers).toHaveLength(1);
    const inputOf = (r: { output: Output }) => (r.output.kind === 'trace' ? r.output.detail?.input : undefined);
    const asked = w.net.datagrams('sn9', 'searchRequest').length;
    expect(asked).toBeGreaterThan(1);
    expect(w.net.traces('sn9', 'late').map(inputOf)).toEqual(Array(asked - 1).fill('searchReply'));
    expect(w.net.traces('sn9', 'unexpected')).toEqual([]);
  });

  it('a serving host searches with its own SN service: class superNode, its overlay requests counted', () => {
    const { w } = world();
    const sn9 = apiHost(w, 'sn9', '1.0.0.9', { bootstrapSuperNode: true, port: 33033 });
    w.net.runFor(5_000);
    w.net.act('sn9', { type: 'login', name: 'erin', password: 'erin-pw' });
    w.net.runFor(20_000);
    expect(sn9.host.state).toBe('online');
    w.net.act('sn9', { type: 'searchApi', names: ['bob'] });
    w.net.runFor(10_000);
    expect(sn9.answers).toMatchObject([{ name: 'bob', result: { outcome: 'found', record: { name: 'bob' } } }]);
    const [ms] = w.net.metrics('sn9', 'searchMs');
    expect(ms.labels).toEqual({ outcome: 'found', searcherClass: 'superNode' });
    // One sample for the one search: the service's own overlay search is not counted twice.
    expect(w.net.metrics('sn9', 'searchMs')).toHaveLength(1);
    expect(w.net.metrics('sn9', 'searchMessages')[0].value).toBeGreaterThan(0);
  });

  it('a stopping SN hands its records to the name\'s next homes', () => {
    const { w } = world();
    const sn = [...w.hosts.values()].find((h) => h.isSuperNode && h.superNode!.clientNames().includes('bob'))!;
    const held = sn.superNode!.search.index.heldCount;
    expect(held).toBeGreaterThan(0);
    // It published bob's record when bob announced.
    const name = [...w.hosts.entries()].find(([, h]) => h === sn)![0];
    expect(w.net.datagrams(name, 'indexStore').length).toBeGreaterThan(0);
    const ctx: Ctx = { now: w.net.now, rng: { next: () => 0.5 }, out: [] };
    sn.superNode!.search.stop(ctx);
    const stores = ctx.out.filter((o) => o.kind === 'sendDatagram' && o.msgType === 'indexStore');
    expect(stores).toHaveLength(held * w.params.searchReplicas);
    expect(ctx.out.some((o) => o.kind === 'trace' && o.event === 'indexHandedOver')).toBe(true);
  });
});

describe('peer bytes', () => {
  it('a searchReply nobody asked for, and search messages to a host that does not serve, change nothing', () => {
    const wire = new Wire();
    const host = new HostNode({ params: new World().params, disk: {}, localIp: ip('2.0.0.8'), port: 7000, bootstrap: [ep('1.0.0.1:33033')], loginServer: LS_ENDPOINT, lsPublicKey: LS_KEYS.publicKey, config: STRONG });
    const solo = new Solo<HostAction>(host);
    solo.feed({ kind: 'start' });
    const from = ep('1.0.0.1:33033');
    const none = { ip: 0, port: 0 };
    const out = [
      ...solo.feed({ kind: 'datagram', localPort: 7000, from, bytes: wire.bytes({ type: 'searchReply', queryId: 5, found: true, superNode: from, address: from, natClass: 1, ageMs: 0, nodes: [] }) }),
      ...solo.feed({ kind: 'datagram', localPort: 7000, from, bytes: wire.bytes({ type: 'searchRequest', queryId: 5, name: 'x', onBehalf: false }) }),
      ...solo.feed({ kind: 'datagram', localPort: 7000, from, bytes: wire.bytes({ type: 'indexStore', name: 'x', superNode: from, address: none, natClass: 9, ageMs: 0 }) }),
      ...solo.feed({ kind: 'datagram', localPort: 7000, from, bytes: new Uint8Array([1, 2, 3]) }),
    ];
    expect(out.map((o) => (o.kind === 'trace' ? o.event : o.kind))).toEqual(['unexpected', 'notServing', 'notServing', 'malformed']);
  });
});

describe('the SN list a search request is answered from', () => {
  it('follows every change of the overlay neighbours and of the host cache', () => {
    // A fanout above the candidates' count: every SN known is in the reply, so a stale list shows.
    const params = makeParams({ searchFanout: 16 });
    const self = ep('1.0.0.1:33033');
    const disk: HostCacheDisk = {};
    const hostCache = new HostCache(params.hostCacheMax, disk, [ep('1.0.0.2:33033'), ep('1.0.0.3:33033')]);
    let peers = [ep('1.0.1.1:33033')];
    const transport = new Transport(sharedObfuscator('modelled'));
    const search = new SuperNodeSearch({ params, transport, hostCache, self, overlayPeers: () => [...peers], isClientLink: () => false, setTimer: () => undefined, cancelTimer: () => undefined });
    const from = ep('2.0.0.9:6000');
    const served = (): readonly Endpoint[] => {
      const ctx: Ctx = { now: 1000, rng: new SeededRandom(1), out: [] };
      search.onRequest(ctx, { type: 'searchRequest', queryId: 7, name: 'dave', onBehalf: false }, { localPort: 33033, from });
      const sent = ctx.out.find((o) => o.kind === 'sendDatagram')!;
      const reply = transport.readDatagram(ctx, (sent as { bytes: Uint8Array }).bytes, self) as MessageOf<'searchReply'>;
      return reply.nodes;
    };
    const expected = (): Endpoint[] => rankByWeight('dave', [...peers, ...hostCache.entries()], params.searchFanout, [self, from]);
    expect(served()).toEqual(expected());
    expect(served()).toEqual(expected());
    hostCache.refresh([ep('1.0.0.4:33033'), ep('1.0.0.5:33033'), ep('1.0.0.6:33033')]);
    expect(served()).toEqual(expected());
    expect(served().some((e) => e.ip === ip('1.0.0.4') || e.ip === ip('1.0.0.5') || e.ip === ip('1.0.0.6'))).toBe(true);
    peers = [ep('1.0.1.1:33033'), ep('1.0.1.2:33033'), ep('1.0.1.3:33033'), ep('1.0.1.4:33033')];
    expect(served()).toEqual(expected());
    peers = [peers[3], peers[2]];
    expect(served()).toEqual(expected());
    // Same count, one neighbour replaced.
    peers = [ep('1.0.1.5:33033'), peers[1]];
    expect(served()).toEqual(expected());
    expect(served()).toContainEqual(ep('1.0.1.5:33033'));
    hostCache.markFailed(hostCache.entries()[0]);
    expect(served()).toEqual(expected());
  });
});

describe("the SN's one timer for all its searches", () => {
  it('is armed for the earliest round deadline, and takes the timeouts due in the order the searches started', () => {
    // One SN asked per round, so that one reply ends a round and starts the next; no sweep
    // within the horizon.
    const params = makeParams({ searchFanout: 1, searchRounds: 4, searchCacheMs: 1e9, hostCacheRefreshIntervalMs: 1e9 });
    const roundMs = params.searchRoundTimeoutMs;
    const self = ep('1.0.0.1:33033');
    const sns = [2, 3, 4, 5, 6, 7].map((i) => ep(`1.0.0.${i}:33033`));
    const transport = new Transport(sharedObfuscator('modelled'));
    type Command = { kind: 'start'; name: number } | { kind: 'reply'; pick: number } | { kind: 'wait'; ms: number };
    const command: fc.Arbitrary<Command> = fc.oneof(
      fc.record({ kind: fc.constant('start' as const), name: fc.nat(5) }),
      fc.record({ kind: fc.constant('reply' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(0, 1, roundMs / 2, roundMs) }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
        let now = 0;
        let armedAt = Infinity;
        const search = new SuperNodeSearch({
          params,
          transport,
          hostCache: new HostCache(params.hostCacheMax, {}, sns),
          self,
          overlayPeers: () => [],
          isClientLink: () => true,
          setTimer: (ctx, delayMs) => void (armedAt = ctx.now + delayMs),
          cancelTimer: () => void (armedAt = Infinity),
        });
        // The model: each search's deadline from its searchRound traces, its place in start order.
        const deadlines = new Map<number, number>();
        const startOrder = new Map<number, number>();
        let outstanding: { queryId: number; to: Endpoint }[] = [];
        const sweepDue = params.hostCacheRefreshIntervalMs;
        const input = (run: (ctx: Ctx) => void): number[] => {
          const ctx: Ctx = { now, rng: new SeededRandom(1), out: [] };
          run(ctx);
          const touched: number[] = [];
          for (const o of ctx.out) {
            if (o.kind === 'sendDatagram') {
              const msg = transport.readDatagram(ctx, o.bytes, self);
              if (msg?.type === 'searchRequest') outstanding.push({ queryId: msg.queryId, to: o.to });
            }
            if (o.kind !== 'trace' || o.detail === undefined) continue;
            const queryId = o.detail.queryId as number;
            if (o.event === 'searchStarted') startOrder.set(queryId, startOrder.size);
            if (o.event === 'searchRound') deadlines.set(queryId, now + roundMs);
            if (o.event === 'searchFinished') deadlines.delete(queryId);
            if (o.event === 'searchRound' || o.event === 'searchFinished') touched.push(startOrder.get(queryId)!);
          }
          expect(armedAt).toBe(Math.min(sweepDue, ...deadlines.values()));
          return touched;
        };
        input((ctx) => search.start(ctx));
        for (const c of commands) {
          if (c.kind === 'start') {
            input((ctx) => search.locate(ctx, `user${c.name}`, () => undefined));
          } else if (c.kind === 'reply' && outstanding.length > 0) {
            const [asked] = outstanding.splice(c.pick % outstanding.length, 1);
            input((ctx) => search.onReply(ctx, asked.to, { type: 'searchReply', queryId: asked.queryId, found: false, superNode: ep('0.0.0.0:0'), address: ep('0.0.0.0:0'), natClass: 0, ageMs: 0, nodes: [] }));
          } else if (c.kind === 'wait') {
            if (now + c.ms < armedAt) {
              now += c.ms;
              continue;
            }
            now = armedAt;
            const order = input((ctx) => search.onTimer(ctx));
            expect(order).toEqual([...order].sort((a, b) => a - b));
            outstanding = outstanding.filter((o) => deadlines.has(o.queryId));
          }
        }
      }),
    );
  });
});
