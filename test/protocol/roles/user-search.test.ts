// The search step machine (roles/user-search.ts), driven by hand: rounds, fanout, replies
// naming better nodes, timeouts, the end.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../protocol/node.js';
import { rankByWeight } from '../../../protocol/roles/user-index.js';
import { UserSearch, type SearchStep, type SearchTarget, type UserSearchOptions } from '../../../protocol/roles/user-search.js';
import type { MessageOf } from '../../../protocol/wire/messages.js';
import { NAT_CLASS } from '../../../protocol/wire/messages.js';
import { ep, fmt } from './harness.js';

const NAME = 'target';
const QUERY = 77;
const sns = Array.from({ length: 16 }, (_, i) => ep(`1.0.${i >> 3}.${(i & 7) + 1}:33033`));
const NONE = { ip: 0, port: 0 };

function options(o: Partial<UserSearchOptions> = {}): UserSearchOptions {
  return { name: NAME, queryId: QUERY, first: [], fanout: 3, rounds: 3, roundTimeoutMs: 2000, retentionMs: 72 * 3_600_000, ...o };
}

function udp(...es: Endpoint[]): SearchTarget[] {
  return es.map((to) => ({ to, via: 'udp' }));
}

function noRecord(nodes: Endpoint[], queryId = QUERY): MessageOf<'searchReply'> {
  return { type: 'searchReply', queryId, found: false, superNode: NONE, address: NONE, natClass: 0, ageMs: 0, nodes };
}

function withRecord(ageMs: number): MessageOf<'searchReply'> {
  return { type: 'searchReply', queryId: QUERY, found: true, superNode: sns[9], address: ep('5.5.5.5:4000'), natClass: NAT_CLASS['port-restricted'], ageMs, nodes: [] };
}

function sent(steps: readonly SearchStep[] | undefined): string[] {
  return (steps ?? []).flatMap((s) => (s.kind === 'send' ? [`${fmt(s.to)}/${s.via}`] : []));
}

function done(steps: readonly SearchStep[] | undefined): Extract<SearchStep, { kind: 'done' }> | undefined {
  return (steps ?? []).find((s): s is Extract<SearchStep, { kind: 'done' }> => s.kind === 'done');
}

describe('UserSearch', () => {
  it('asks round 1 as the searcher chose (no duplicates, never itself), each request carrying the query', () => {
    const m = new UserSearch(options({ first: [{ to: sns[0], via: 'superNodeLink' }, ...udp(sns[1], sns[1], sns[2])], self: sns[2] }));
    const steps = m.start(0);
    expect(sent(steps)).toEqual([`${fmt(sns[0])}/superNodeLink`, `${fmt(sns[1])}/udp`]);
    for (const s of steps) if (s.kind === 'send') expect(s.msg).toEqual({ type: 'searchRequest', queryId: QUERY, name: NAME, onBehalf: false });
    expect(steps[0]).toMatchObject({ kind: 'round', round: 1 });
    expect(m.deadlineMs).toBe(2000);
    expect(m.messagesSent).toBe(2);
  });

  it('waits for every request of a round, then asks the fanout nodes of highest weight that replies named', () => {
    const m = new UserSearch(options({ first: udp(sns[0], sns[1]) }));
    m.start(0);
    expect(m.onReply(10, sns[0], noRecord(sns.slice(2, 8)))).toEqual([]);
    const steps = m.onReply(20, sns[1], noRecord([sns[0], ...sns.slice(6, 12)]));
    const expected = rankByWeight(NAME, sns.slice(2, 12), 3);
    expect(sent(steps)).toEqual(expected.map((e) => `${fmt(e)}/udp`));
    expect(m.roundsRun).toBe(2);
    expect(m.deadlineMs).toBe(2020);
  });

  it('moves on at the round timeout with the replies it has; after the last round it ends notFound', () => {
    const m = new UserSearch(options({ first: udp(sns[0], sns[1]), rounds: 2 }));
    m.start(0);
    m.onReply(10, sns[0], noRecord(sns.slice(2, 6)));
    expect(m.onTimeout(1999)).toEqual([]);
    expect(sent(m.onTimeout(2000))).toHaveLength(3);
    const end = done(m.onTimeout(4000));
    expect(end).toMatchObject({ outcome: 'notFound', cause: 'roundsOver' });
    expect(m.done).toBe(true);
    expect(m.onTimeout(9000)).toEqual([]);
  });

  it('ends notFound at once when no node is left to ask', () => {
    const m = new UserSearch(options({ first: udp(sns[0]) }));
    m.start(0);
    expect(done(m.onReply(5, sns[0], noRecord([sns[0]])))).toMatchObject({ outcome: 'notFound', cause: 'noCandidates' });
    expect(done(new UserSearch(options()).start(0))).toMatchObject({ outcome: 'notFound', cause: 'noCandidates' });
  });

  it('uses the known candidates (a host cache) in later rounds, by weight', () => {
    const m = new UserSearch(options({ first: udp(sns[0]), known: sns.slice(0, 10) }));
    m.start(0);
    const steps = m.onReply(5, sns[0], noRecord([]));
    expect(sent(steps)).toEqual(rankByWeight(NAME, sns.slice(1, 10), 3).map((e) => `${fmt(e)}/udp`));
  });

  it('ends found at the first record, its seen time from the age; later replies are not its any more', () => {
    const m = new UserSearch(options({ first: udp(sns[0], sns[1]) }));
    m.start(1000);
    const end = done(m.onReply(5000, sns[1], withRecord(3000)));
    expect(end).toMatchObject({ outcome: 'found', cause: 'record', from: sns[1] });
    expect(end!.record).toEqual({ name: NAME, superNode: sns[9], address: ep('5.5.5.5:4000'), natClass: 'port-restricted', seenAtMs: 2000 });
    expect(m.onReply(5001, sns[0], withRecord(1))).toBeUndefined();
  });

  it('an old record sends it one round further, then it takes the newest; a fresh one ends it at once', () => {
    const o = options({ first: udp(sns[0]), known: sns.slice(1, 8), freshMs: 600_000 });
    const m = new UserSearch(o);
    m.start(0);
    const next = m.onReply(10, sns[0], { ...withRecord(700_000), nodes: [] });
    expect(done(next)).toBeUndefined();
    expect(sent(next)).toHaveLength(3);
    const [x, y, z] = rankByWeight(NAME, sns.slice(1, 8), 3);
    m.onReply(20, x, { ...withRecord(650_000), superNode: sns[4] });
    m.onReply(30, y, noRecord([sns[12], sns[13]]));
    const end = done(m.onReply(40, z, withRecord(900_000)));
    expect(end).toMatchObject({ outcome: 'found', cause: 'newest', from: x, record: { superNode: sns[4], seenAtMs: 20 - 650_000 } });
    const fresh = new UserSearch(o);
    fresh.start(0);
    fresh.onReply(10, sns[0], withRecord(700_000));
    expect(done(fresh.onReply(20, rankByWeight(NAME, sns.slice(1, 8), 1)[0], withRecord(1_000)))).toMatchObject({ outcome: 'found', cause: 'record' });
  });

  it('takes a record past the retention for none, and replies not from a node it asked, or of another query, for nothing', () => {
    const m = new UserSearch(options({ first: udp(sns[0], sns[1]), retentionMs: 1000 }));
    m.start(0);
    expect(m.onReply(1, sns[5], withRecord(0))).toBeUndefined();
    expect(m.onReply(1, sns[0], { ...withRecord(0), queryId: QUERY + 1 })).toBeUndefined();
    expect(done(m.onReply(2, sns[0], { ...withRecord(1001), nodes: [sns[3]] }))).toBeUndefined();
    expect(sent(m.onReply(3, sns[1], noRecord([])))).toEqual([`${fmt(sns[3])}/udp`]);
  });

  it('never asks a node twice, never more than the fanout after round 1 nor more rounds than allowed, and ends exactly once', () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant('reply' as const), from: fc.nat(15), nodes: fc.array(fc.nat(15), { maxLength: 6 }), record: fc.boolean() }),
      fc.constant({ kind: 'timeout' as const }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.array(event, { maxLength: 40 }), (fanout, rounds, events) => {
        const m = new UserSearch(options({ first: udp(sns[0], sns[1], sns[2]), fanout, rounds, known: sns.slice(10, 12) }));
        const asked: string[] = [];
        let dones = 0;
        let nowMs = 0;
        const take = (steps: readonly SearchStep[] | undefined): void => {
          const s = sent(steps);
          if (m.roundsRun > 1 && s.length > 0) expect(s.length).toBeLessThanOrEqual(fanout);
          asked.push(...s);
          dones += (steps ?? []).filter((x) => x.kind === 'done').length;
        };
        take(m.start(nowMs));
        for (const e of events) {
          nowMs += 500;
          if (e.kind === 'timeout') take(m.onTimeout(Math.max(nowMs, m.deadlineMs === Infinity ? nowMs : m.deadlineMs)));
          else take(m.onReply(nowMs, sns[e.from], e.record ? withRecord(0) : noRecord(e.nodes.map((i) => sns[i]))));
        }
        expect(new Set(asked).size).toBe(asked.length);
        expect(m.roundsRun).toBeLessThanOrEqual(rounds);
        expect(dones).toBe(m.done ? 1 : 0);
        expect(m.messagesSent).toBe(asked.length);
      }),
    );
  });
});
