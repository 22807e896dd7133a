// Calls on the real simulated network (BS-21 - BS-28): which path a call takes for every pair of
// host classes, and that its signalling and media really travel that way on the wire; media
// rates, hold packets, flow mode; a relay that dies mid-call; a relay at capacity.
//
// The wire is read from the network's own trace (packet events carry the sending and receiving
// network host ids), so a check here cannot be fooled by what a node believes about itself.
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostId } from '../../sim/net/index.js';
import { HOST_CLASSES, SmallWorld, type HostClass } from '../../sim/testing/index.js';

/** One packet event of the network's trace (sim/trace/writer.ts). */
interface Packet {
  readonly t: number;
  readonly ev: 'send' | 'deliver' | 'drop';
  readonly proto: 'udp' | 'tcp';
  readonly from: number;
  readonly to: number;
  readonly src: string;
  readonly dst: string;
  readonly msg: string;
  readonly bytes: number;
  readonly packets?: number;
  readonly reason?: string;
}

/** Reads the trace from where it last stopped, so a world reused by many tests is parsed once. */
class TraceCursor {
  private offset = 0;
  constructor(private readonly sw: SmallWorld) {}

  /** Packet events written since the last call. */
  next(): Packet[] {
    this.sw.trace.flush();
    const text = this.sw.sink.text();
    const fresh = text.slice(this.offset);
    this.offset = text.length;
    const out: Packet[] = [];
    for (const line of fresh.split('\n')) {
      if (line.length === 0 || !line.includes('"proto"') || line.includes('"nat"')) continue;
      const e = JSON.parse(line) as Packet;
      if (e.ev === 'send' || e.ev === 'deliver' || e.ev === 'drop') out.push(e);
    }
    return out;
  }
}

const portOf = (endpoint: string): number => Number(endpoint.split(':')[1]);

const CLASSES = HOST_CLASSES;
const CLASS_NAMES = Object.keys(CLASSES) as HostClass[];

/** Host group names: letters only, so `<group>-0` stays a valid user name. */
const groupOf = (c: HostClass): string => c.replace(/[^a-z]/g, '');
const BLOCKED = new Set<HostClass>(['udp-blocked', 'tcp-80-443-only', 'nat+udp-blocked']);

/** BS-22 - BS-24: both public -> direct; UDP blocked on either side -> relayed over TCP; else relayed over UDP. */
function expectedPath(a: HostClass, b: HostClass): 'direct' | 'relayedUdp' | 'relayedTcp' {
  if (a === 'public' && b === 'public') return 'direct';
  if (BLOCKED.has(a) || BLOCKED.has(b)) return 'relayedTcp';
  return 'relayedUdp';
}

/** Logs every host in and waits until each knows every buddy's location (presence). */
function allOnline(sw: SmallWorld, hosts: readonly string[]): void {
  sw.advance(1_000);
  for (const h of hosts) sw.login(h);
  const ready = sw.until(() => hosts.every((h) => sw.state(h) === 'online' && hosts.every((o) => o === h || sw.node(h).contactOf(`${o}-0`) !== undefined)), 600_000);
  if (!ready) throw new Error(`not all online with contacts: ${hosts.map((h) => `${h}:${sw.state(h)}`).join(' ')}`);
}

interface PlacedCall {
  readonly caller: string;
  readonly callee: string;
  readonly packets: Packet[];
  readonly callerEnded: Record<string, unknown>;
  readonly calleeEnded: Record<string, unknown>;
  readonly relay: string | undefined;
  readonly placedAtMs: number;
}

/** Places a call of `durationMs` and runs until both sides have ended it; the packets of that stretch. */
function placeCall(sw: SmallWorld, cursor: TraceCursor, caller: string, callee: string, durationMs: number): PlacedCall {
  cursor.next();
  const placedAtMs = sw.nowMs;
  const ended = (h: string) => sw.nodeEvents(h, 'callEnded').filter((e) => e.tMs >= placedAtMs);
  const failed = () => sw.nodeEvents(caller, 'callFailed').filter((e) => e.tMs >= placedAtMs);
  sw.act(caller, { type: 'call', callee: `${callee}-0`, durationMs });
  sw.until(() => (ended(caller).length > 0 && ended(callee).length > 0) || failed().length > 0, durationMs + 60_000);
  // Let the last frames and the relay's leave settle, so the next call starts on a quiet wire.
  sw.advance(500);
  if (failed().length > 0) throw new Error(`call ${caller} -> ${callee} failed: ${JSON.stringify(failed()[0].detail)}`);
  const chosen = sw.nodeEvents(caller, 'callRelayChosen').filter((e) => e.tMs >= placedAtMs);
  return {
    caller,
    callee,
    packets: cursor.next(),
    callerEnded: ended(caller)[0].detail as Record<string, unknown>,
    calleeEnded: ended(callee)[0].detail as Record<string, unknown>,
    relay: chosen.length > 0 ? String(chosen[chosen.length - 1].detail?.relay) : undefined,
    placedAtMs,
  };
}

/** Network host ids of the bootstrap SNs (the only public nodes able to relay in these small worlds). */
function snHosts(sw: SmallWorld): Set<HostId> {
  return new Set(sw.world.bootstrapSupernodes.map((s) => s.runtime.host));
}

function ipText(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** The checks of BS-22 - BS-24 on one call's packets. */
function checkPath(sw: SmallWorld, call: PlacedCall, path: string, blocked: (h: string) => boolean): void {
  const a = sw.netHost(call.caller);
  const b = sw.netHost(call.callee);
  const parties = new Set([a, b]);
  expect(call.callerEnded).toMatchObject({ path, cause: 'hangUp' });
  expect(call.calleeEnded).toMatchObject({ path });
  const media = call.packets.filter((p) => p.msg === 'mediaFrame');
  const sent = media.filter((p) => p.ev === 'send' && parties.has(p.from));
  // Both directions carried voice (a 2 s call is ~100 frames each way).
  expect(sent.filter((p) => p.from === a).length).toBeGreaterThan(50);
  expect(sent.filter((p) => p.from === b).length).toBeGreaterThan(50);
  const invites = call.packets.filter((p) => p.msg === 'callInvite');
  const routedToCallee = sw.nodeEventLog.filter((e) => e.tMs >= call.placedAtMs && e.event === 'routeDelivered' && e.detail?.to === `${call.callee}-0` && e.detail?.payload === 'callInvite');
  if (path === 'direct') {
    // The invite on a TCP connection from caller to callee, never through an SN.
    expect(invites.filter((p) => p.ev === 'deliver').map((p) => `${p.proto} ${p.from}>${p.to}`)).toEqual([`tcp ${a}>${b}`]);
    expect(routedToCallee).toEqual([]);
    // Media: UDP straight between the two media ports, which are not the signalling ports (BS-28).
    for (const p of sent) {
      const peer = p.from === a ? b : a;
      const [self, other] = p.from === a ? [call.caller, call.callee] : [call.callee, call.caller];
      expect(`${p.proto} ${p.to}`).toBe(`udp ${peer}`);
      expect(portOf(p.src)).toBe(sw.node(self).mediaPort);
      expect(portOf(p.dst)).toBe(sw.node(other).mediaPort);
    }
    expect(call.relay).toBeUndefined();
    return;
  }
  // Relayed: signalling routed by the SNs (no invite on the wire under its own name), media through
  // a third node, a public SN, that is neither party.
  expect(invites).toEqual([]);
  expect(routedToCallee).toHaveLength(1);
  expect(snHosts(sw).has(sw.netHost(routedToCallee[0].host))).toBe(true);
  const relays = new Set(sent.map((p) => p.to));
  expect(relays.size).toBe(1);
  const relay = [...relays][0];
  expect(parties.has(relay)).toBe(false);
  expect(snHosts(sw).has(relay)).toBe(true);
  expect(call.relay?.split(':')[0]).toBe(ipText(sw.world.net.ipOf(relay)));
  // What the parties receive comes from the relay too.
  const received = media.filter((p) => p.ev === 'deliver' && parties.has(p.to));
  expect(received.length).toBeGreaterThan(100);
  expect(received.every((p) => p.from === relay)).toBe(true);
  for (const [host, name] of [[a, call.caller], [b, call.callee]] as const) {
    const protos = new Set(sent.filter((p) => p.from === host).map((p) => p.proto));
    if (blocked(name)) {
      // BS-24: the blocked party's media on TCP to the relay, and not one UDP datagram from it.
      expect([...protos]).toEqual(['tcp']);
      expect(call.packets.filter((p) => p.proto === 'udp' && p.from === host)).toEqual([]);
    } else {
      expect([...protos]).toEqual(['udp']);
    }
  }
}

describe('the call path table (BS-22 - BS-24): every ordered pair of host classes', () => {
  // Two hosts of each class, so a class can call itself: callers from the first set, callees from the second.
  const caller = (c: HostClass): string => `${groupOf(c)}a`;
  const callee = (c: HostClass): string => `${groupOf(c)}b`;
  const hosts = CLASS_NAMES.flatMap((c) => [caller(c), callee(c)].map((name) => ({ name, ...CLASSES[c] })));
  const sw = new SmallWorld({ seed: 21, superNodes: 4, hosts, buddiesPerHost: hosts.length - 1 });
  const cursor = new TraceCursor(sw);
  beforeAll(() => allOnline(sw, hosts.map((h) => h.name)));

  const pairs = CLASS_NAMES.flatMap((a) => CLASS_NAMES.map((b) => ({ a, b, path: expectedPath(a, b) })));
  const blocked = (h: string): boolean => CLASS_NAMES.some((c) => (caller(c) === h || callee(c) === h) && BLOCKED.has(c));

  it('detects every class as the table assumes', () => {
    const natClasses = Object.fromEntries(CLASS_NAMES.map((c) => [c, sw.node(caller(c)).natClass]));
    for (const c of CLASS_NAMES) expect(sw.node(callee(c)).natClass).toBe(natClasses[c]);
    expect(natClasses).toEqual({
      public: 'open',
      'full-cone': 'full-cone',
      'restricted-cone': 'restricted',
      'port-restricted-cone': 'port-restricted',
      symmetric: 'symmetric',
      'udp-blocked': 'udp-blocked',
      'tcp-80-443-only': 'udp-blocked',
      'nat+udp-blocked': 'udp-blocked',
    });
  });

  it.each(pairs)('$a calls $b: $path', ({ a, b, path }) => {
    const call = placeCall(sw, cursor, caller(a), callee(b), 2_000);
    checkPath(sw, call, path, blocked);
  });

  it('no UDP-blocked host tried one UDP datagram in all those calls, and no invariant broke', () => {
    sw.trace.flush();
    const udp = sw.sink.text().split('\n').filter((l) => l.includes('"proto":"udp"')).map((l) => JSON.parse(l) as Packet);
    for (const c of CLASS_NAMES.filter((x) => BLOCKED.has(x))) {
      for (const h of [caller(c), callee(c)]) {
        expect(sw.node(h).udpBlocked).toBe(true);
        // Only the login's first probe, which its firewall stops on the way out (tcp-only-firewall.test.ts).
        const id = sw.netHost(h);
        expect(udp.filter((p) => p.from === id).map((p) => `${p.ev} ${p.msg} ${p.reason ?? ''}`)).toEqual(['drop probe firewall']);
      }
    }
    sw.assertNoViolations();
  });
});

describe('hole punching (holePunching on): cone NATs punch through, a symmetric NAT still needs a relay', () => {
  const NATS = ['public', 'full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric'] as const satisfies readonly HostClass[];
  const caller = (c: HostClass): string => `${groupOf(c)}a`;
  const callee = (c: HostClass): string => `${groupOf(c)}b`;
  const hosts = NATS.flatMap((c) => [caller(c), callee(c)].map((name) => ({ name, ...CLASSES[c] })));
  const sw = new SmallWorld({ seed: 22, superNodes: 4, hosts, buddiesPerHost: hosts.length - 1, protocol: { holePunching: true } });
  const cursor = new TraceCursor(sw);
  beforeAll(() => allOnline(sw, hosts.map((h) => h.name)));

  const pairs = NATS.flatMap((a) => NATS.map((b) => ({ a, b })))
    .filter(({ a, b }) => a !== 'public' || b !== 'public')
    .map(({ a, b }) => ({ a, b, path: a === 'symmetric' || b === 'symmetric' ? 'relayedUdp' : 'holePunched' }));

  it.each(pairs)('$a calls $b: $path', ({ a, b, path }) => {
    const call = placeCall(sw, cursor, caller(a), callee(b), 2_000);
    const x = sw.netHost(call.caller);
    const y = sw.netHost(call.callee);
    expect(call.callerEnded).toMatchObject({ path, cause: 'hangUp' });
    expect(call.calleeEnded).toMatchObject({ path });
    const media = call.packets.filter((p) => p.msg === 'mediaFrame');
    const sent = media.filter((p) => p.ev === 'send' && (p.from === x || p.from === y));
    expect(sent.length).toBeGreaterThan(150);
    // No voice frame is ever stopped by a NAT's filter: media only flows through mappings the parties made.
    expect(media.filter((p) => p.ev === 'drop')).toEqual([]);
    const punched = (h: string) => sw.nodeEvents(h, 'holePunched').filter((e) => e.tMs >= call.placedAtMs);
    if (path === 'holePunched') {
      expect(punched(call.caller)).toHaveLength(1);
      expect(punched(call.callee)).toHaveLength(1);
      // Straight between the two parties, each from its own media port.
      for (const p of sent) expect(`${p.proto} ${p.to} ${portOf(p.src)}`).toBe(`udp ${p.from === x ? y : x} ${sw.node(p.from === x ? call.caller : call.callee).mediaPort}`);
      expect(call.relay).toBeUndefined();
    } else {
      expect(punched(call.caller)).toEqual([]);
      const relays = new Set(sent.map((p) => p.to));
      expect(relays.size).toBe(1);
      expect(snHosts(sw).has([...relays][0])).toBe(true);
    }
  });

  it('breaks no invariant', () => {
    sw.assertNoViolations();
  });
});

/** Wire bytes of mediaFrame packets `host` sent in [fromMs, toMs) (an aggregate counts its packets). */
function mediaBytesSent(packets: readonly Packet[], host: HostId, fromMs: number, toMs: number): number {
  let sum = 0;
  for (const p of packets) if (p.ev === 'send' && p.msg === 'mediaFrame' && p.from === host && p.t >= fromMs && p.t < toMs) sum += p.bytes * (p.packets ?? 1);
  return sum;
}

/** A world of two hosts of class `nat` that know each other, online. */
function pairWorld(nat: string, protocol: Record<string, unknown> = {}, seed = 25, superNodes = 4): { sw: SmallWorld; cursor: TraceCursor } {
  const sw = new SmallWorld({ seed, superNodes, hosts: [{ name: 'a', nat }, { name: 'b', nat }], buddiesPerHost: 1, protocol });
  const cursor = new TraceCursor(sw);
  allOnline(sw, ['a', 'b']);
  return { sw, cursor };
}

function answeredAt(sw: SmallWorld, host: string, sinceMs: number): number {
  const e = sw.nodeEvents(host, 'callAnswered').find((x) => x.tMs >= sinceMs);
  if (!e) throw new Error(`${host}: no call answered since ${sinceMs}`);
  return e.tMs;
}

describe.each([
  { label: 'direct', nat: 'none', mediaMode: 'packets' },
  { label: 'relayed', nat: 'port-restricted-cone', mediaMode: 'packets' },
  { label: 'relayed, flow mode,', nat: 'port-restricted-cone', mediaMode: 'flow' },
])('media on a $label call (BS-25 - BS-28)', ({ nat, mediaMode }) => {
  const { sw, cursor } = pairWorld(nat, { mediaMode });
  const voiceBytesPerSec = sw.params.voiceBitsPerSec / 8;
  const holdMs = sw.params.holdPacketIntervalMs;
  cursor.next();
  const placedAtMs = sw.nowMs;
  // 6 s of talk, 10 s on hold (the caller holds), 4 s of talk again; then the caller hangs up.
  sw.act('a', { type: 'call', callee: 'b-0', durationMs: 20_000 });
  sw.until(() => sw.node('a').call?.phase === 'active', 10_000);
  const talkAtMs = answeredAt(sw, 'a', placedAtMs);
  sw.runUntil(talkAtMs + 6_000);
  sw.act('a', { type: 'hold', held: true });
  const holdAtMs = sw.nowMs;
  sw.advance(10_000);
  sw.act('a', { type: 'hold', held: false });
  const resumeAtMs = sw.nowMs;
  sw.advance(6_000);
  const packets = cursor.next();
  const [a, b] = [sw.netHost('a'), sw.netHost('b')];

  it('sends voiceBitsPerSec per direction on the wire, headers included (BS-25, BS-26: no silence suppression)', () => {
    // A steady stretch: from 1 s after the answer to the hold (the callee starts a little later).
    for (const host of [a, b]) {
      const rate = mediaBytesSent(packets, host, talkAtMs + 1_000, holdAtMs) / ((holdAtMs - talkAtMs - 1_000) / 1_000);
      expect(rate).toBeGreaterThan(voiceBytesPerSec * 0.97);
      expect(rate).toBeLessThan(voiceBytesPerSec * 1.03);
    }
    // About 3 kB/s (BS-25).
    expect(voiceBytesPerSec).toBeGreaterThan(2_500);
    expect(voiceBytesPerSec).toBeLessThan(3_500);
  });

  it('on hold, each side sends one packet about every holdPacketIntervalMs (BS-27), and the call survives', () => {
    for (const host of [a, b]) {
      // Skip the first 200 ms: frames in flight, and the callee learns of the hold a trip later.
      const times = packets.filter((p) => p.ev === 'send' && p.msg === 'mediaFrame' && p.from === host && p.t >= holdAtMs + 200 && p.t < resumeAtMs - 1).map((p) => p.t);
      expect(times.length).toBeGreaterThanOrEqual(3);
      expect(times.length).toBeLessThanOrEqual(4);
      for (let i = 1; i < times.length; i++) expect(Math.abs(times[i] - times[i - 1] - holdMs), `${host}: ${holdAtMs} ${resumeAtMs} ${times}`).toBeLessThan(1);
    }
    expect(sw.nodeEvents('a', 'callEnded').map((e) => e.detail?.cause)).toEqual(['hangUp']);
    expect(sw.nodeEvents('b', 'callEnded').map((e) => e.detail?.cause)).toEqual(['hangUp']);
  });

  it('resumes the full rate after the hold', () => {
    for (const host of [a, b]) {
      const rate = mediaBytesSent(packets, host, resumeAtMs + 500, resumeAtMs + 3_500) / 3;
      expect(rate).toBeGreaterThan(voiceBytesPerSec * 0.97);
      expect(rate).toBeLessThan(voiceBytesPerSec * 1.03);
    }
  });

  it('uses a media port apart from the signalling port (BS-28)', () => {
    for (const h of ['a', 'b']) expect(sw.node(h).mediaPort).not.toBe(sw.node(h).port);
    const media = packets.filter((p) => p.msg === 'mediaFrame' && p.ev === 'send' && (p.from === a || p.from === b));
    expect(media.length).toBeGreaterThan(0);
    expect(media.every((p) => p.proto === 'udp' && portOf(p.src) === sw.node(p.from === a ? 'a' : 'b').mediaPort)).toBe(true);
    // Call signalling is TCP: on a direct call the invite goes to the callee's signalling port.
    const invites = packets.filter((p) => p.msg === 'callInvite' && p.ev === 'deliver');
    if (nat === 'none') expect(invites.map((p) => `${p.proto} ${portOf(p.dst)}`)).toEqual([`tcp ${sw.node('b').port}`]);
    else expect(packets.filter((p) => p.msg === 'routed' && p.from === a).every((p) => p.proto === 'tcp')).toBe(true);
    sw.assertNoViolations();
  });
});

describe('flow mode: the same bytes as packets mode', () => {
  // One 5 s call in each mode on worlds alike in everything else; media bytes sent by both parties.
  const bytesOf = (nat: string, mediaMode: string): number => {
    const { sw, cursor } = pairWorld(nat, { mediaMode });
    cursor.next();
    const since = sw.nowMs;
    sw.act('a', { type: 'call', callee: 'b-0', durationMs: 5_000 });
    sw.until(() => sw.nodeEvents('b', 'callEnded').some((e) => e.tMs >= since), 30_000);
    sw.advance(1_000);
    const packets = cursor.next();
    expect(sw.nodeEvents('a', 'callEnded').map((e) => e.detail?.cause)).toEqual(['hangUp']);
    sw.assertNoViolations();
    return mediaBytesSent(packets, sw.netHost('a'), 0, Infinity) + mediaBytesSent(packets, sw.netHost('b'), 0, Infinity);
  };

  it.each([{ nat: 'none' }, { nat: 'port-restricted-cone' }])('nat $nat', ({ nat }) => {
    const packets = bytesOf(nat, 'packets');
    const flow = bytesOf(nat, 'flow');
    // 5 s, two directions, ~3 kB/s: about 30 kB; flow rounds to whole flow intervals.
    expect(packets).toBeGreaterThan(25_000);
    expect(Math.abs(flow - packets) / packets).toBeLessThan(0.05);
  });
});

/** Which bootstrap SN has this endpoint ("1.0.0.4:33033"). */
function snIndexOf(sw: SmallWorld, endpoint: string): number {
  const i = sw.world.bootstrapSupernodes.findIndex((s) => `${ipText(s.endpoint.ip)}:${s.endpoint.port}` === endpoint);
  if (i < 0) throw new Error(`no bootstrap SN at ${endpoint}`);
  return i;
}

describe('the relay dies mid-call', () => {
  const run = (relayReselect: boolean) => {
    const { sw, cursor } = pairWorld('port-restricted-cone', { relayReselect });
    const since = sw.nowMs;
    sw.act('a', { type: 'call', callee: 'b-0', durationMs: 20_000 });
    sw.until(() => sw.node('a').call?.phase === 'active' && sw.node('b').call?.phase === 'active', 10_000);
    sw.advance(3_000);
    const first = sw.nodeEvents('a', 'callRelayChosen')[0].detail!.relay as string;
    const dead = snIndexOf(sw, first);
    cursor.next();
    sw.crashSuperNode(dead);
    const crashAtMs = sw.nowMs;
    sw.until(() => ['a', 'b'].every((h) => sw.nodeEvents(h, 'callEnded').some((e) => e.tMs >= since)), 60_000);
    sw.advance(1_000);
    return { sw, first, dead, crashAtMs, packets: cursor.next() };
  };

  it('relayReselect on: the caller picks another relay, tells the callee, and the call ends by hang-up', () => {
    const { sw, first, dead, crashAtMs, packets } = run(true);
    const chosen = (h: string) => sw.nodeEvents(h, 'callRelayChosen').map((e) => ({ relay: e.detail?.relay, reselections: e.detail?.reselections }));
    expect(chosen('a')).toHaveLength(2);
    expect(chosen('a')[1].reselections).toBe(1);
    expect(chosen('a')[1].relay).not.toBe(first);
    expect(chosen('b')).toEqual(chosen('a'));
    expect(sw.nodeEvents('a', 'callRelayFailed')).toHaveLength(1);
    for (const h of ['a', 'b']) expect(sw.nodeEvents(h, 'callEnded').map((e) => e.detail?.cause)).toEqual(['hangUp']);
    // Voice flows again, both ways, through the new relay (a live SN), not the dead one.
    const relay = sw.netHost(sw.world.bootstrapSupernodes[snIndexOf(sw, chosen('a')[1].relay as string)].name);
    const late = packets.filter((p) => p.msg === 'mediaFrame' && p.ev === 'deliver' && p.t > crashAtMs + sw.params.relayFailureTimeoutMs);
    expect(late.filter((p) => p.to === sw.netHost('a') && p.from === relay).length).toBeGreaterThan(100);
    expect(late.filter((p) => p.to === sw.netHost('b') && p.from === relay).length).toBeGreaterThan(100);
    expect(relay).not.toBe(sw.world.bootstrapSupernodes[dead].runtime.host);
    sw.assertNoViolations();
  });

  it('relayReselect on, two relays die in turn: the call moves twice (both parties allow the same reselections)', () => {
    // Five SNs: the parties' two and three relays.
    const { sw, cursor } = pairWorld('port-restricted-cone', { relayReselect: true }, 25, 5);
    sw.act('a', { type: 'call', callee: 'b-0', durationMs: 40_000 });
    sw.until(() => sw.node('a').call?.phase === 'active' && sw.node('b').call?.phase === 'active', 10_000);
    for (let crash = 0; crash < 2; crash++) {
      sw.advance(3_000);
      const relays = sw.nodeEvents('a', 'callRelayChosen');
      expect(relays).toHaveLength(crash + 1);
      sw.crashSuperNode(snIndexOf(sw, relays[crash].detail!.relay as string));
      sw.until(() => sw.nodeEvents('b', 'callRelayChosen').length === crash + 2, 30_000);
    }
    cursor.next();
    sw.until(() => sw.nodeEvents('b', 'callEnded').length > 0, 60_000);
    const chosen = (h: string) => sw.nodeEvents(h, 'callRelayChosen').map((e) => `${e.detail?.relay} ${e.detail?.reselections}`);
    expect(chosen('a').map((x) => x.split(' ')[1])).toEqual(['0', '1', '2']);
    expect(chosen('b')).toEqual(chosen('a'));
    for (const h of ['a', 'b']) expect(sw.nodeEvents(h, 'callEnded').map((e) => e.detail?.cause)).toEqual(['hangUp']);
    const late = cursor.next().filter((p) => p.msg === 'mediaFrame' && p.ev === 'deliver');
    expect(late.filter((p) => p.to === sw.netHost('a')).length).toBeGreaterThan(100);
    expect(late.filter((p) => p.to === sw.netHost('b')).length).toBeGreaterThan(100);
    sw.assertNoViolations();
  });

  it('relayReselect off: the call ends, cause relayFailed', () => {
    const { sw, crashAtMs } = run(false);
    const ended = sw.nodeEvents('a', 'callEnded');
    expect(ended.map((e) => e.detail?.cause)).toEqual(['relayFailed']);
    // Declared after relayFailureTimeoutMs of silence, not before, and well before the planned hang-up.
    expect(ended[0].tMs - crashAtMs).toBeGreaterThanOrEqual(sw.params.relayFailureTimeoutMs - 100);
    expect(ended[0].tMs - crashAtMs).toBeLessThan(sw.params.relayFailureTimeoutMs + 1_000);
    expect(sw.nodeEvents('a', 'callRelayChosen')).toHaveLength(1);
    expect(sw.nodeEvents('b', 'callEnded').map((e) => e.detail?.cause)).toEqual(['relayFailed']);
    sw.assertNoViolations();
  });
});

describe('a relay that dies at the very answer', () => {
  it('ends the call relayFailed on both sides even though a side received no voice at all', () => {
    const { sw } = pairWorld('port-restricted-cone', { relayReselect: false });
    sw.act('a', { type: 'call', callee: 'b-0', durationMs: 20_000 });
    sw.until(() => sw.node('a').call?.phase === 'active', 10_000);
    sw.crashSuperNode(snIndexOf(sw, sw.nodeEvents('a', 'callRelayChosen')[0].detail!.relay as string));
    sw.advance(20_000);
    const ended = ['a', 'b'].map((h) => sw.nodeEvents(h, 'callEnded').map((e) => e.detail));
    expect(ended.map((e) => e.map((d) => d?.cause))).toEqual([['relayFailed'], ['relayFailed']]);
    // The caller heard nothing before the crash: no delay to rate, reported as 0.
    expect(ended[0][0]).toMatchObject({ frames: 0, delayMs: 0, mos: 0 });
    sw.assertNoViolations();
  });
});

describe('relay capacity', () => {
  // Four NATed hosts on sn-0 (their host cache names only it), so both calls see the same two
  // candidates; sn-1 shares their region and sn-2 is far, so lowest-rtt puts sn-1 first for both.
  const run = (relayCapacity: number) => {
    const names = ['a', 'b', 'c', 'd'];
    const sw = new SmallWorld({
      seed: 26,
      regions: ['lab', 'far'],
      superNodes: 3,
      superNodeRegions: ['lab', 'lab', 'far'],
      hosts: names.map((name) => ({ name, nat: 'port-restricted-cone' })),
      buddiesPerHost: 3,
      protocol: { relayCapacity, relayPolicy: 'lowest-rtt' },
    });
    for (const h of names) sw.setHostCache(h, [sw.bootstrap[0]]);
    allOnline(sw, names);
    sw.act('a', { type: 'call', callee: 'b-0', durationMs: 10_000 });
    sw.advance(2_000);
    sw.act('c', { type: 'call', callee: 'd-0', durationMs: 10_000 });
    sw.advance(4_000);
    const relayOf = (h: string) => sw.nodeEvents(h, 'callRelayChosen').map((e) => e.detail?.relay);
    const both = [sw.node('a').call?.phase, sw.node('c').call?.phase];
    sw.advance(10_000);
    return { sw, relayOf, both };
  };

  it('relayCapacity 1: the second call is refused by the first call\'s relay and uses another', () => {
    const { sw, relayOf, both } = run(1);
    expect(both).toEqual(['active', 'active']);
    for (const h of ['a', 'b', 'c', 'd']) expect(relayOf(h)).toHaveLength(1);
    expect(relayOf('a')).toEqual(relayOf('b'));
    expect(relayOf('c')).toEqual(relayOf('d'));
    expect(relayOf('c')).not.toEqual(relayOf('a'));
    const refused = sw.nodeEventLog.filter((e) => e.event === 'relayRefused');
    expect(refused.map((e) => e.detail?.reason)).toEqual(['full']);
    for (const e of sw.nodeEventLog.filter((x) => x.event === 'relayJoined')) expect(e.detail?.calls).toBeLessThanOrEqual(1);
    for (const h of ['a', 'c']) expect(sw.nodeEvents(h, 'callEnded').map((e) => e.detail?.cause)).toEqual(['hangUp']);
    sw.assertNoViolations();
  });

  it('(control) with room for both, the two calls share that relay', () => {
    const { relayOf, both } = run(20);
    expect(both).toEqual(['active', 'active']);
    expect(relayOf('c')).toEqual(relayOf('a'));
  });
});
