// Chat on the real simulated network (chat.ts): a message reaches its buddy at most once and never
// after a later one from the same sender - with a lossy network, retries racing their own
// acknowledgements, SNs dying under the route and senders restarting - over generated schedules.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NAME_BYTES_MAX } from '../../protocol/crypto/credentials.js';
import type { Endpoint } from '../../protocol/node.js';
import { CHAT_TEXT_BYTES_MAX } from '../../protocol/roles/chat.js';
import { MESSAGE_BYTES_MAX, encodeMessage } from '../../protocol/wire/codec.js';
import type { LossSpec } from '../../sim/net/index.js';
import { SmallWorld, type NodeEventRecord } from '../../sim/testing/index.js';

const HOSTS = [
  { name: 'pa' },
  { name: 'na', nat: 'port-restricted-cone' },
  { name: 'ua', firewall: 'udp-blocked' as const },
];
const NAMES = HOSTS.map((h) => h.name);
const user = (h: string): string => `${h}-0`;

type Command =
  | { readonly kind: 'chat'; readonly from: number; readonly to: number; readonly afterMs: number }
  | { readonly kind: 'restartSender'; readonly host: number; readonly afterMs: number }
  | { readonly kind: 'crashSn'; readonly sn: number; readonly afterMs: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('chat' as const), from: fc.nat(2), to: fc.nat(1), afterMs: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restartSender' as const), host: fc.nat(2), afterMs: fc.integer({ min: 0, max: 1_500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crashSn' as const), sn: fc.nat(2), afterMs: fc.integer({ min: 0, max: 1_500 }) }) },
);

const lossArb: fc.Arbitrary<LossSpec> = fc.oneof(
  fc.record({ kind: fc.constant('bernoulli' as const), lossRatio: fc.constantFrom(0.02, 0.05, 0.1) }),
  fc.record({ kind: fc.constant('gilbert-elliott' as const), pGoodToBad: fc.constant(0.02), pBadToGood: fc.constant(0.3), lossRatioGood: fc.constant(0), lossRatioBad: fc.constant(0.6) }),
);

/** Prints like a log line, so a counterexample reads as a schedule. */
function show(c: Command): string {
  if (c.kind === 'chat') return `+${c.afterMs}ms chat ${NAMES[c.from]} -> ${others(c.from)[c.to]}`;
  if (c.kind === 'restartSender') return `+${c.afterMs}ms restart ${NAMES[c.host]}`;
  return `+${c.afterMs}ms crash sn-${c.sn}`;
}

function others(i: number): string[] {
  return NAMES.filter((_, j) => j !== i);
}

interface Outcome {
  readonly sw: SmallWorld;
  readonly sent: NodeEventRecord[];
  readonly delivered: NodeEventRecord[];
}

function run(loss: LossSpec, commands: readonly Command[], seed: number): Outcome {
  // Retries every 400 ms, so copies of one message race each other and their acknowledgements
  // through the SNs (a routed hop costs tens of ms, TCP retransmissions under loss far more).
  const sw = new SmallWorld({
    seed,
    superNodes: 3,
    hosts: HOSTS,
    buddiesPerHost: 2,
    network: { loss },
    protocol: { chatRetry: '400ms', chatSendsMax: 5 },
  });
  sw.advance(1_000);
  for (const h of NAMES) sw.login(h);
  sw.until(() => NAMES.every((h) => sw.state(h) === 'online'), 600_000);
  for (const c of commands) {
    sw.advance(c.afterMs);
    if (c.kind === 'chat') {
      const from = NAMES[c.from];
      sw.act(from, { type: 'chat', to: user(others(c.from)[c.to]), text: `m${sw.nowMs.toFixed(0)}` });
    } else if (c.kind === 'restartSender') {
      sw.crashHost(NAMES[c.host]);
      sw.advance(200);
      sw.restartHost(NAMES[c.host]);
    } else {
      sw.crashSuperNode(c.sn);
      sw.advance(200);
      sw.restartSuperNode(c.sn);
    }
  }
  // Every pending message sent its last copy and got its answer (or not) by now.
  sw.advance(60_000);
  const sent = sw.nodeEventLog.filter((e) => e.event === 'chatSent');
  const delivered = sw.nodeEventLog.filter((e) => e.event === 'chatDelivered');
  return { sw, sent, delivered };
}

describe('chat: at most once, in order per pair', () => {
  it('holds over generated schedules on a lossy network with retries', () => {
    let deliveredInAll = 0;
    fc.assert(
      fc.property(lossArb, fc.array(commandArb, { minLength: 3, maxLength: 14 }).map((cs) => Object.assign(cs, { toString: () => cs.map(show).join(' · ') })), fc.integer({ min: 1, max: 10_000 }), (loss, commands, seed) => {
        const { sent, delivered } = run(loss, commands, seed);
        deliveredInAll += delivered.length;
        // Per (receiver, sender): strictly increasing sequence numbers - never a repeat, never an older one after a newer.
        const last = new Map<string, number>();
        for (const d of delivered) {
          const key = `${d.host}<${d.detail?.from}`;
          const seq = Number(d.detail?.seq);
          const before = last.get(key) ?? -Infinity;
          expect(seq, `${key}: seq ${seq} after ${before} at ${d.tMs}`).toBeGreaterThan(before);
          last.set(key, seq);
        }
        // And only what was sent, to that receiver, before it arrived.
        for (const d of delivered) {
          const match = sent.find((s) => user(s.host.replace(/-0$/, '')) === d.detail?.from && s.detail?.to === d.host && s.detail?.seq === d.detail?.seq && s.tMs <= d.tMs);
          expect(match, `chatDelivered at ${d.host} from ${d.detail?.from} seq ${d.detail?.seq} was never sent`).toBeDefined();
        }
      }),
      { numRuns: 10 },
    );
    // Not vacuous: messages got through in the schedules drawn.
    expect(deliveredInAll).toBeGreaterThan(0);
  });

  it('retries do make duplicates on the wire that the receiver drops (the property above is not vacuous)', () => {
    // Loss-free, but retries faster than a round trip: every message arrives several times.
    const sw = new SmallWorld({ seed: 5, superNodes: 3, hosts: HOSTS, buddiesPerHost: 2, protocol: { chatRetry: '20ms', chatSendsMax: 5 } });
    sw.advance(1_000);
    for (const h of NAMES) sw.login(h);
    sw.until(() => NAMES.every((h) => sw.state(h) === 'online' && NAMES.every((o) => o === h || sw.node(h).contactOf(user(o)) !== undefined)), 600_000);
    for (let i = 0; i < 5; i++) sw.act('pa', { type: 'chat', to: user('na'), text: `m${i}` });
    sw.advance(10_000);
    const delivered = sw.nodeEvents('na', 'chatDelivered').map((e) => e.detail?.seq);
    expect(delivered).toHaveLength(5);
    expect(sw.nodeEvents('na', 'chatDuplicate').length).toBeGreaterThan(0);
    expect(new Set(delivered).size).toBe(5);
    sw.assertNoViolations();
  });
});

describe('chat across a restart of the receiver', () => {
  // A message delivered just before the receiver crashed, whose ack died with the receiver's SN,
  // is sent again by its sender; the receiver's next process must not deliver it again (the last
  // seq per sender is kept on the host's disk, chat.ts).
  it('a message is not delivered twice when the receiver restarts before the ack got out', () => {
    const sw = new SmallWorld({ seed: 5, superNodes: 3, hosts: [{ name: 'pa' }, { name: 'na', nat: 'port-restricted-cone' }], buddiesPerHost: 1, protocol: { chatRetry: '3s', chatSendsMax: 30 } });
    sw.advance(1_000);
    sw.login('pa');
    sw.login('na');
    sw.until(() => sw.state('pa') === 'online' && sw.state('na') === 'online' && sw.node('pa').contactOf('na-0') !== undefined, 60_000);
    const sn = sw.node('na').currentSuperNode!;
    // Both on one SN, which dies with the receiver: the ack never leaves it.
    expect(sw.node('pa').currentSuperNode).toEqual(sn);
    sw.act('pa', { type: 'chat', to: 'na-0', text: 'once' });
    sw.until(() => sw.nodeEvents('na', 'chatDelivered').length > 0, 10_000);
    sw.crashSuperNode(sw.world.bootstrapSupernodes.findIndex((s) => s.endpoint.ip === sn.ip));
    sw.crashHost('na');
    sw.advance(300);
    sw.restartHost('na');
    sw.advance(120_000);
    expect(sw.nodeEvents('na', 'chatDelivered').map((e) => `${e.detail?.from} ${e.detail?.seq}`)).toEqual(['pa-0 1']);
  });
});

describe('presence', () => {
  // Presence notices (chat.ts, routing.ts): a login tells every buddy, the SN locating an unknown
  // recipient with one search round; a logout tells only the buddies known to be online.
  it('reaches the online buddy, searches one round for the offline one, and says goodbye only to the online one', () => {
    // Seven SNs: more than one round's fanout, so a full search would take a second round.
    const sw = new SmallWorld({ seed: 3, superNodes: 7, hosts: HOSTS, buddiesPerHost: 2 });
    sw.advance(1_000);
    sw.login('pa');
    sw.login('na');
    sw.until(() => sw.node('pa').contactOf('na-0') !== undefined && sw.node('na').contactOf('pa-0') !== undefined, 120_000);
    sw.advance(30_000);
    const forUa = sw.nodeEventLog.filter((e) => e.event === 'searchFinished' && e.detail?.name === 'ua-0');
    expect(forUa.length).toBeGreaterThan(0);
    for (const e of forUa) expect(e.detail).toMatchObject({ outcome: 'notFound', rounds: 1 });

    const loggedOutAtMs = sw.nowMs;
    sw.logout('pa');
    sw.advance(30_000);
    const since = (event: string) => sw.nodeEventLog.filter((e) => e.event === event && e.tMs >= loggedOutAtMs);
    expect(sw.nodeEvents('na', 'presenceReceived').filter((e) => e.tMs >= loggedOutAtMs).map((e) => e.detail)).toEqual([{ from: 'pa-0', status: 'offline' }]);
    expect(since('searchStarted').filter((e) => e.detail?.name === 'ua-0')).toEqual([]);
    expect(since('routeFailed').filter((e) => e.detail?.to === 'ua-0')).toEqual([]);
    sw.assertNoViolations();
  });
});

describe('chat text length', () => {
  it('routes a text of CHAT_TEXT_BYTES_MAX bytes between the longest names, and refuses one byte more', () => {
    const longest = 'n'.repeat(NAME_BYTES_MAX);
    const sn: Endpoint = { ip: 0xffffffff, port: 65535 };
    const chat = encodeMessage({ type: 'chatMessage', seq: 0xffffffff, text: 'é'.repeat(CHAT_TEXT_BYTES_MAX / 2) });
    const routed = encodeMessage({ type: 'routed', from: longest, fromSuperNode: sn, to: longest, toSuperNode: sn, hops: 255, payload: chat });
    expect(routed.length).toBeLessThanOrEqual(MESSAGE_BYTES_MAX);

    const sw = new SmallWorld({ seed: 5, superNodes: 3, hosts: HOSTS, buddiesPerHost: 2 });
    sw.advance(1_000);
    sw.login('pa');
    sw.login('na');
    sw.until(() => sw.state('pa') === 'online' && sw.state('na') === 'online', 600_000);
    sw.act('pa', { type: 'chat', to: 'na-0', text: 'x'.repeat(CHAT_TEXT_BYTES_MAX) });
    sw.advance(30_000);
    expect(sw.nodeEvents('na', 'chatDelivered').map((e) => e.detail?.from)).toEqual(['pa-0']);
    expect(() => sw.act('pa', { type: 'chat', to: 'na-0', text: 'x'.repeat(CHAT_TEXT_BYTES_MAX + 1) })).toThrow(/at most 64000 UTF-8 bytes, got 64001 bytes/);
    expect(() => sw.act('pa', { type: 'chat', to: 'na-0', text: 'a\ud800' })).toThrow(/lone surrogate/);
    sw.assertNoViolations();
  });
});
