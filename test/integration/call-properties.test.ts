// Properties of calls on the real simulated network, over generated cases:
//   (a) an invite with a forged or foreign credential, or a signature its credential's key did not
//       make, is refused - on a direct connection and routed through an SN;
//   (b) every relay a party joins is a public node that is up and serving at that moment;
//   (c) no voice frame reaches a host behind a NAT except through a mapping the host made itself;
//   (d) a host whose UDP is blocked sends no UDP, whatever the call.
// fast-check prints the seed and the path of a failing case; replay with { seed, path }.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnId, Ctx, Output } from '../../protocol/node.js';
import { decodeCredential, encodeCredential, issueCredential, signChallenge } from '../../protocol/crypto/credentials.js';
import { deriveAgreementKeyPair, deriveSigningKeyPair } from '../../protocol/crypto/keys.js';
import { sharedObfuscator, Transport } from '../../protocol/roles/transport.js';
import { CALL_PATH, CALL_REFUSAL, NAT_CLASS, type Message, type MessageOf } from '../../protocol/wire/messages.js';
import { encodeMessage, isDecodeError } from '../../protocol/wire/codec.js';
import type { HostId } from '../../sim/net/index.js';
import { HOST_CLASSES, SmallWorld, type SmallHostSpec } from '../../sim/testing/index.js';

const wire = new Transport(sharedObfuscator('real'));

function scratchCtx(seed = 1): Ctx {
  let x = seed >>> 0 || 1;
  // A tiny xorshift: the keys the attacker draws need not be good, only different per case.
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  return { now: 0, rng: { next }, out: [] };
}

function decode(bytes: Uint8Array): Message | undefined {
  return wire.readData(scratchCtx(), bytes, 0 as ConnId);
}

/** The bytes of `msg` as one TCP message, framed and obfuscated as a node would write it. */
function encode(msg: Message): Uint8Array {
  const ctx = scratchCtx();
  wire.write(ctx, 0 as ConnId, msg);
  const out = ctx.out[0] as Extract<Output, { kind: 'write' }>;
  return out.bytes;
}

/** What the caller signs (calls.ts `proof`): the call id, the callee's name, the caller's key share. */
function proof(callId: number, callee: string, keyShare: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode(callee);
  const out = new Uint8Array(4 + name.length + keyShare.length);
  new DataView(out.buffer).setUint32(0, callId >>> 0);
  out.set(name, 4);
  out.set(keyShare, 4 + name.length);
  return out;
}

describe('(a) a forged or foreign credential never gets a call answered', () => {
  // b is called; c and m are real users whose invites an eavesdropper captured (direct calls, so
  // the invites cross the wire as such). The attacker owns neither c's nor m's private key.
  const sw = new SmallWorld({ seed: 31, superNodes: 3, hosts: [{ name: 'b' }, { name: 'c' }, { name: 'm' }], buddiesPerHost: 2 });
  const invites = sw.capture('callInvite');
  const stranger = sw.addStranger();
  const captured = new Map<string, MessageOf<'callInvite'>>();

  beforeAll(() => {
    sw.advance(1_000);
    for (const h of ['b', 'c', 'm']) sw.login(h);
    sw.until(() => ['b', 'c', 'm'].every((h) => sw.state(h) === 'online' && sw.node(h).contactOf('b-0') !== undefined) && sw.node('b').contactOf('c-0') !== undefined, 120_000);
    for (const caller of ['c', 'm']) {
      sw.act(caller, { type: 'call', callee: 'b-0', durationMs: 1_000 });
      sw.advance(3_000);
      const msg = decode(invites[invites.length - 1].bytes);
      if (msg?.type !== 'callInvite') throw new Error('no invite captured');
      captured.set(`${caller}-0`, msg);
    }
  });

  it('the captured invites were real and answered (the harness sees what a forger could)', () => {
    expect([...captured.keys()]).toEqual(['c-0', 'm-0']);
    expect(sw.nodeEvents('b', 'callAnswered')).toHaveLength(2);
    expect(sw.nodeEvents('b', 'callRefused')).toEqual([]);
  });

  const credentialKind = fc.constantFrom('c', 'm', 'fakeLs', 'flipped', 'garbage');
  const signatureKind = fc.constantFrom('attacker', 'replayed', 'garbage');

  it('is refused badCredential or badSignature, over a direct connection or routed through an SN', () => {
    fc.assert(
      fc.property(
        fc.record({
          via: fc.constantFrom('direct', 'routed'),
          claimed: fc.constantFrom('c-0', 'm-0'),
          credential: credentialKind,
          signature: signatureKind,
          flipAt: fc.nat(),
          garbageBytes: fc.integer({ min: 0, max: 200 }),
          keySeed: fc.integer({ min: 1, max: 2 ** 31 }),
        }),
        (k) => {
          const ctx = scratchCtx(k.keySeed);
          const attacker = deriveSigningKeyPair(ctx.rng);
          const keyShare = deriveAgreementKeyPair(ctx.rng).publicKey;
          const callId = (k.keySeed * 2654435761) >>> 0;
          const real = captured.get('c-0')!;
          let credential: Uint8Array;
          if (k.credential === 'c' || k.credential === 'm') credential = captured.get(`${k.credential}-0`)!.credential;
          else if (k.credential === 'flipped') {
            credential = real.credential.slice();
            credential[k.flipAt % credential.length] ^= 1 << k.flipAt % 8;
          } else if (k.credential === 'fakeLs') {
            // Well-formed, issued to the claimed name for the attacker's key - by a key that is not the LS's.
            const fakeLs = deriveSigningKeyPair(ctx.rng);
            const issued = issueCredential(fakeLs.privateKey, k.claimed, attacker.publicKey, sw.nowMs - 1_000, 3_600_000);
            credential = encodeCredential(issued);
          } else credential = new Uint8Array(randomBytes(k.garbageBytes));
          const signature =
            k.signature === 'attacker' ? signChallenge(attacker.privateKey, proof(callId, 'b-0', keyShare)) : k.signature === 'replayed' ? real.signature : new Uint8Array(randomBytes(64));
          const invite: Message = {
            type: 'callInvite',
            callId,
            caller: k.claimed,
            callee: 'b-0',
            credential,
            signature,
            keyShare,
            path: CALL_PATH.direct,
            media: { ip: stranger.ip, port: 40_000 },
            natClass: NAT_CLASS.open,
          };
          // The credential passes only if it is the claimed user's own (the LS signed it for that
          // name) and has not expired: each case ages the shared world 2 s, so a day on (some
          // 43,000 cases) the captured credentials are past their lifetime.
          const own = (k.credential === 'c' || k.credential === 'm') && `${k.credential}-0` === k.claimed ? decodeCredential(credential) : undefined;
          const expiresAtMs = own === undefined || isDecodeError(own) ? -Infinity : own.expiresAtMs;
          // An expiry while the invite is on its way could go either way.
          fc.pre(sw.nowMs >= expiresAtMs || sw.nowMs + 2_000 < expiresAtMs);
          const credentialOk = sw.nowMs < expiresAtMs;
          const expected = credentialOk ? 'badSignature' : 'badCredential';

          const since = sw.nowMs;
          let conn: number;
          if (k.via === 'direct') {
            conn = stranger.writeAfterChallenge({ ip: sw.world.net.ipOf(sw.netHost('b')), port: sw.node('b').port }, encode(invite));
          } else {
            // A stranger speaking as an SN to b's SN: the router takes `from` as the peer SN says it.
            const sn = sw.node('b').currentSuperNode!;
            const routed: Message = { type: 'routed', from: k.claimed, fromSuperNode: sw.bootstrap.find((e) => e.ip !== sn.ip)!, to: 'b-0', toSuperNode: sn, hops: 0, payload: encodeMessage(invite) };
            conn = stranger.writeAfterChallenge(sn, encode(routed));
          }
          sw.advance(2_000);
          stranger.close(conn);
          const refused = sw.nodeEvents('b', 'callRefused').filter((e) => e.tMs >= since);
          expect(refused.map((e) => `${e.detail?.caller} ${e.detail?.reason}`)).toEqual([`${k.claimed} ${expected}`]);
          expect(sw.nodeEvents('b', 'callAnswered').filter((e) => e.tMs >= since)).toEqual([]);
          expect(sw.node('b').call).toBeUndefined();
          if (k.via === 'direct') {
            // The refusal goes back on the connection it came on.
            const replies = stranger.dataOn(conn).map(decode);
            expect(replies.map((m) => m?.type)).toEqual(['challenge', 'callRefused']);
            expect(replies[1]).toMatchObject({ type: 'callRefused', callId, reason: CALL_REFUSAL[expected] });
          }
        },
      ),
      { numRuns: 20 },
    );
    sw.assertNoViolations();
  });

  // The invite's signature covers the challenge nonce the callee sent on that connection, so a
  // captured invite replayed verbatim on a new connection fails its signature check (without it,
  // b would answer and send voice at c's media port until the silence ended the ghost call).
  it('a captured invite replayed verbatim is refused', () => {
    const since = sw.nowMs;
    const conn = stranger.writeAfterChallenge({ ip: sw.world.net.ipOf(sw.netHost('b')), port: sw.node('b').port }, encode(captured.get('c-0')!));
    sw.advance(10_000);
    stranger.close(conn);
    expect(sw.nodeEvents('b', 'callAnswered').filter((e) => e.tMs >= since)).toEqual([]);
  });
});

describe('(a) a third party that knows the call id cannot end, hold, refuse or move the call', () => {
  // c calls b, both behind NATs: signalling is routed through the SNs, where `from` is the
  // sender's name. The intruder speaks to the victim's SN as a peer SN would, under a name that is
  // not the other party's.
  const sw = new SmallWorld({ seed: 32, superNodes: 3, hosts: [{ name: 'b', nat: 'port-restricted-cone' }, { name: 'c', nat: 'port-restricted-cone' }], buddiesPerHost: 1 });
  const stranger = sw.addStranger();
  beforeAll(() => {
    sw.advance(1_000);
    sw.login('b');
    sw.login('c');
    sw.until(() => sw.state('b') === 'online' && sw.state('c') === 'online' && sw.node('c').contactOf('b-0') !== undefined, 120_000);
    // No duration (0: until hung up): each case advances the shared world a second, and a call
    // that ended on its own timer after that many cases would look like the intruder's doing.
    sw.act('c', { type: 'call', callee: 'b-0', durationMs: 0 });
    sw.until(() => sw.node('b').call?.phase === 'active' && sw.node('c').call?.phase === 'active', 20_000);
  });

  it('changes nothing, whatever it sends to either party', () => {
    const before = { b: sw.node('b').call, c: sw.node('c').call };
    expect(before.b?.path).toBe('relayedUdp');
    fc.assert(
      fc.property(
        fc.constantFrom('b', 'c'),
        fc.constantFrom('callEnd', 'callHold', 'callRelayChanged', 'callRefused'),
        fc.string({ minLength: 1, maxLength: 12 }).filter((n) => n !== 'b-0' && n !== 'c-0'),
        (victim, type, intruder) => {
          const call = sw.node(victim).call!;
          const payloads: Record<string, Message> = {
            callEnd: { type: 'callEnd', callId: call.id, reason: 1 },
            callHold: { type: 'callHold', callId: call.id, held: true },
            callRelayChanged: { type: 'callRelayChanged', callId: call.id, relay: { ip: stranger.ip, port: 40_000 } },
            callRefused: { type: 'callRefused', callId: call.id, reason: CALL_REFUSAL.busy },
          };
          const sn = sw.node(victim).currentSuperNode!;
          const routed: Message = { type: 'routed', from: intruder, fromSuperNode: sw.bootstrap.find((e) => e.ip !== sn.ip)!, to: `${victim}-0`, toSuperNode: sn, hops: 0, payload: encodeMessage(payloads[type]) };
          const since = sw.nowMs;
          const conn = stranger.writeAfterChallenge(sn, encode(routed));
          sw.advance(1_000);
          stranger.close(conn);
          // Delivered to the victim, and turned away there.
          expect(sw.nodeEvents(victim, 'unexpected').filter((e) => e.tMs >= since).map((e) => `${e.detail?.input} ${e.detail?.state}`)).toEqual([`${type} notFromPeer`]);
          for (const h of ['b', 'c'] as const) {
            expect(sw.node(h).call).toEqual(before[h]);
            expect(sw.nodeEvents(h, 'callEnded')).toEqual([]);
          }
        },
      ),
      { numRuns: 12 },
    );
    sw.assertNoViolations();
  });
});

// --- (b) - (d): generated pairs of host classes, policies and faults ------------------------------

const CLASSES: Record<string, Omit<SmallHostSpec, 'name'>> = HOST_CLASSES;

interface Case {
  readonly a: string;
  readonly b: string;
  readonly policy: 'random-public' | 'lowest-rtt' | 'least-loaded';
  readonly holePunching: boolean;
  readonly mediaMode: 'packets' | 'flow';
  /** Crash the call's relay this long after the answer (none: no crash). */
  readonly crashRelayAfterMs: number | null;
  readonly holdAfterMs: number | null;
  readonly seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  a: fc.constantFrom(...Object.keys(CLASSES)),
  b: fc.constantFrom(...Object.keys(CLASSES)),
  policy: fc.constantFrom('random-public', 'lowest-rtt', 'least-loaded'),
  holePunching: fc.boolean(),
  mediaMode: fc.constantFrom('packets', 'flow'),
  crashRelayAfterMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: null }),
  holdAfterMs: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: null }),
  seed: fc.integer({ min: 1, max: 1_000 }),
});

interface Packet {
  readonly t: number;
  readonly ev: string;
  readonly proto: string;
  readonly from: number;
  readonly to: number;
  readonly src: string;
  readonly dst: string;
  readonly msg: string;
  readonly reason?: string;
}

interface Ran {
  readonly sw: SmallWorld;
  readonly packets: Packet[];
  /** Relays joined that were not public, up and serving when joined (property b). */
  readonly badRelays: string[];
  readonly relaysChosen: number;
}

function ipText(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Whether the node at `endpoint` is public, up and able to relay right now. */
function relayOk(sw: SmallWorld, endpoint: string): boolean {
  for (const sn of sw.world.bootstrapSupernodes) {
    if (`${ipText(sn.endpoint.ip)}:${sn.endpoint.port}` !== endpoint) continue;
    return sn.runtime.up && sn.runtime.node?.isSuperNode === true && sn.runtime.node.natClass === 'open';
  }
  for (const h of sw.world.hosts) {
    const node = h.runtime.node;
    if (!node || `${ipText(sw.world.net.ipOf(h.netHost))}:${node.port}` !== endpoint) continue;
    return h.runtime.up && h.nat.kind === 'none' && h.firewall === 'none' && node.natClass === 'open' && (node.state === 'online' || node.isSuperNode);
  }
  return false;
}

/** Runs one generated call: a (class `a`) calls b (class `b`) for 4 s, with the case's faults. */
function runCase(c: Case): Ran {
  const sw = new SmallWorld({
    seed: c.seed,
    superNodes: 5,
    hosts: [{ name: 'x', ...CLASSES[c.a] }, { name: 'y', ...CLASSES[c.b] }],
    buddiesPerHost: 1,
    protocol: { relayPolicy: c.policy, holePunching: c.holePunching, mediaMode: c.mediaMode },
  });
  sw.advance(1_000);
  sw.login('x');
  sw.login('y');
  sw.until(() => sw.state('x') === 'online' && sw.state('y') === 'online' && sw.node('x').contactOf('y-0') !== undefined && sw.node('y').contactOf('x-0') !== undefined, 300_000);
  const badRelays: string[] = [];
  let seen = 0;
  let relaysChosen = 0;
  // Checked at every kernel event, so a relay is judged at the instant it was chosen.
  const watch = (): boolean => {
    const log = sw.nodeEventLog;
    for (; seen < log.length; seen++) {
      const e = log[seen];
      // The party's choice, and the relay's own view of the join.
      if (e.event !== 'callRelayChosen' && e.event !== 'relayJoined') continue;
      if (e.event === 'callRelayChosen') relaysChosen++;
      const relay = String(e.detail?.relay);
      if (!relayOk(sw, relay)) badRelays.push(`${e.tMs} ${e.host} ${e.event} ${relay}`);
    }
    return false;
  };
  sw.act('x', { type: 'call', callee: 'y-0', durationMs: 8_000 });
  sw.until(() => watch() || sw.node('x').call?.phase === 'active', 20_000);
  const answeredAtMs = sw.nowMs;
  const events: [number, () => void][] = [];
  if (c.crashRelayAfterMs !== null) {
    events.push([c.crashRelayAfterMs, () => {
      const relay = sw.node('x').call?.relay;
      const i = relay ? sw.world.bootstrapSupernodes.findIndex((s) => s.endpoint.ip === relay.ip) : -1;
      if (i >= 0) sw.crashSuperNode(i);
    }]);
  }
  if (c.holdAfterMs !== null) events.push([c.holdAfterMs, () => sw.act('x', { type: 'hold', held: true })]);
  events.sort((p, q) => p[0] - q[0]);
  for (const [atMs, act] of events) {
    sw.until(watch, answeredAtMs + atMs - sw.nowMs);
    act();
  }
  sw.until(watch, answeredAtMs + 30_000 - sw.nowMs);
  sw.trace.flush();
  const packets: Packet[] = [];
  for (const line of sw.sink.text().split('\n')) {
    if (!line.includes('"proto"') || line.includes('"nat"')) continue;
    packets.push(JSON.parse(line) as Packet);
  }
  return { sw, packets, badRelays, relaysChosen };
}

const RUNS = 12;

describe('(b) - (d) over generated pairs of host classes, relay policies and faults', () => {
  it('(b) every relay joined is a public node, up and serving when chosen', () => {
    let relayed = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = runCase(c);
        relayed += r.relaysChosen;
        expect(r.badRelays).toEqual([]);
        r.sw.assertNoViolations();
      }),
      { numRuns: RUNS },
    );
    // The cases drew relayed calls at all (else the property said nothing).
    expect(relayed).toBeGreaterThan(0);
  });

  it('(c) no voice frame reaches a NATed host except through a mapping it made', () => {
    let checked = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = runCase(c);
        const natted = new Set<HostId>(['x', 'y'].filter((h) => r.sw.record(h).nat.kind !== 'none').map((h) => r.sw.netHost(h)));
        const media = r.packets.filter((p) => p.msg === 'mediaFrame');
        expect(media.filter((p) => p.ev === 'drop' && p.reason === 'nat-filter')).toEqual([]);
        // A NATed host's sends name the public endpoint they went to; a delivery to it names the
        // public endpoint it came from: the latter must be among the former, earlier.
        const sentTo = new Map<HostId, Map<string, number>>();
        for (const p of r.packets) {
          if (p.proto !== 'udp' || p.ev !== 'send' || !natted.has(p.from)) continue;
          const m = sentTo.get(p.from) ?? new Map<string, number>();
          if (!m.has(p.dst)) m.set(p.dst, p.t);
          sentTo.set(p.from, m);
        }
        for (const p of media) {
          if (p.ev !== 'deliver' || p.proto !== 'udp' || !natted.has(p.to)) continue;
          const first = sentTo.get(p.to)?.get(p.src);
          expect(first, `mediaFrame to host ${p.to} from ${p.src} at ${p.t}`).toBeDefined();
          expect(first!).toBeLessThanOrEqual(p.t);
          checked++;
        }
      }),
      { numRuns: RUNS },
    );
    // Voice did reach NATed hosts in the cases drawn (else the property said nothing).
    expect(checked).toBeGreaterThan(0);
  });

  it('(d) a UDP-blocked host sends no UDP at all, in any call (only its first login probe, stopped by its firewall)', () => {
    let blockedRuns = 0;
    fc.assert(
      fc.property(
        caseArb.filter((c) => ['udp-blocked', 'tcp-80-443-only', 'nat+udp-blocked'].some((b) => c.a === b || c.b === b)),
        (c) => {
          blockedRuns++;
          const r = runCase(c);
          for (const h of ['x', 'y']) {
            if (!r.sw.node(h).udpBlocked) continue;
            const id = r.sw.netHost(h);
            const udp = r.packets.filter((p) => p.proto === 'udp' && p.from === id);
            expect(udp.map((p) => `${p.ev} ${p.msg} ${p.reason ?? ''}`)).toEqual(['drop probe firewall']);
          }
          // The call itself happened (answered), so the property was tested on call traffic.
          expect(r.sw.nodeEvents('x', 'callAnswered').length).toBeGreaterThan(0);
        },
      ),
      { numRuns: RUNS },
    );
    expect(blockedRuns).toBeGreaterThan(0);
  });
});
