// Calls on the real simulated network (BS-21 - BS-28): which path a call takes for every pair of
// host classes, and that its signalling and media really travel that way on the wire; media
// rates, hold packets, flow mode; a relay that dies mid-call; a relay at capacity.
//
// The wire is read from the network's own trace (packet events carry the sending and receiving
// network host ids), so a check here cannot be fooled by what a node believes about itself.
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostId } from '../../sim/net/index.js';
import { SmallWorld, type SmallHostSpec } from '../../sim/testing/index.js';

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

/** The host classes of the table: a NAT preset and a firewall (sim/net). */
const CLASSES = {
  public: {},
  'full-cone': { nat: 'full-cone' },
  'restricted-cone': { nat: 'restricted-cone' },
  'port-restricted-cone': { nat: 'port-restricted-cone' },
  symmetric: { nat: 'symmetric' },
  'udp-blocked': { firewall: 'udp-blocked' },
  'tcp-80-443-only': { firewall: 'tcp-80-443-only' },
  'nat+udp-blocked': { nat: 'port-restricted-cone', firewall: 'udp-blocked' },
} as const satisfies Record<string, Omit<SmallHostSpec, 'name'>>;
type HostClass = keyof typeof CLASSES;
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

  it('no UDP-blocked host ever got a datagram past its firewall, and no invariant broke', () => {
    const counters = sw.world.net.msgTypeCounters();
    expect(counters.length).toBeGreaterThan(0);
    for (const c of CLASS_NAMES.filter((x) => BLOCKED.has(x))) {
      // Only the login's first probe, which the firewall stops on the way out (tcp-only-firewall.test.ts).
      for (const h of [caller(c), callee(c)]) expect(sw.node(h).udpBlocked).toBe(true);
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
