// The relay service (BS-23, BS-24) driven by hand: joins over UDP and TCP, media forwarded both
// ways with flow-mode `packets` kept, capacity and public-ness refusals, drops, the sweep, the
// end metrics. The relay's outputs are decoded with a second Transport, as a party would.
import { describe, expect, it } from 'vitest';
import type { ConnId, Ctx, Endpoint, Output } from '../../../protocol/node.js';
import type { ProtocolParams } from '../../../protocol/params.js';
import { RelayService, type RelayTimer, type RelayVia } from '../../../protocol/roles/relay.js';
import { sharedObfuscator, Transport } from '../../../protocol/roles/transport.js';
import { RELAY_REFUSAL, type Message, type MessageOf } from '../../../protocol/wire/messages.js';
import { ep, fmt, SeededRandom } from './harness.js';
import { testParams } from './world.js';

const RELAY = ep('5.0.0.1:40000');
/** Party 0 behind a NAT: the relay sees its NAT's mapping, not its own address. */
const CALLER_MAPPED = ep('7.0.0.1:61001');
const CALLEE_MAPPED = ep('8.0.0.1:62002');
const STRANGER = ep('9.0.0.9:5555');

const reader = new Transport(sharedObfuscator('real'));

class Rig {
  now = 0;
  readonly rng = new SeededRandom(3);
  publicNow = true;
  readonly timers: { name: RelayTimer; delayMs: number | null }[] = [];
  readonly relay: RelayService;
  readonly params: ProtocolParams;

  constructor(overrides: Partial<ProtocolParams> = {}) {
    this.params = testParams(overrides);
    this.relay = new RelayService({
      params: this.params,
      transport: new Transport(sharedObfuscator('real')),
      timers: {
        set: (_ctx, name, delayMs) => void this.timers.push({ name, delayMs }),
        cancel: (_ctx, name) => void this.timers.push({ name, delayMs: null }),
      },
      self: RELAY,
      isPublic: () => this.publicNow,
    });
  }

  /** Runs `f` with a fresh ctx at `now`; returns its outputs. */
  run(f: (ctx: Ctx) => void): Output[] {
    const ctx: Ctx = { now: this.now, rng: this.rng, out: [] };
    f(ctx);
    return ctx.out;
  }

  join(via: RelayVia, callId: number, party: number): Output[] {
    return this.run((ctx) => this.relay.onJoin(ctx, via, { type: 'relayJoin', callId, party }));
  }

  media(via: RelayVia, msg: MessageOf<'mediaFrame'>, packets?: number): Output[] {
    return this.run((ctx) => this.relay.onMedia(ctx, via, msg, packets));
  }
}

function udp(from: Endpoint): RelayVia {
  return { localPort: RELAY.port, from };
}

function frame(callId: number, seq: number, frames = 1): MessageOf<'mediaFrame'> {
  return { type: 'mediaFrame', callId, seq, sentAtMs: seq * 20, frames, hold: false, voice: Uint8Array.from({ length: 24 }, (_, i) => (i * 7 + seq) & 255) };
}

/** The messages the relay sent: where to, how, and with which packet count. */
function sent(outputs: Output[]): { to: string; msg: Message; packets: number | undefined; bytes: number }[] {
  const ctx: Ctx = { now: 0, rng: new SeededRandom(0), out: [] };
  const out: { to: string; msg: Message; packets: number | undefined; bytes: number }[] = [];
  for (const o of outputs) {
    if (o.kind === 'sendDatagram') {
      const msg = reader.readDatagram(ctx, o.bytes, RELAY)!;
      expect(o.fromPort).toBe(RELAY.port);
      out.push({ to: `udp ${fmt(o.to)}`, msg, packets: o.packets, bytes: o.bytes.length });
    } else if (o.kind === 'write') {
      out.push({ to: `tcp ${o.conn}`, msg: reader.readData(ctx, o.bytes, o.conn)!, packets: o.packets, bytes: o.bytes.length });
    }
  }
  expect(ctx.out).toEqual([]); // everything decoded
  return out;
}

function traces(outputs: Output[], event: string): Record<string, unknown>[] {
  return outputs.flatMap((o) => (o.kind === 'trace' && o.event === event ? [{ ...o.detail }] : []));
}

function metrics(outputs: Output[], name: string): number[] {
  return outputs.flatMap((o) => (o.kind === 'metric' && o.name === name ? [o.value] : []));
}

describe('relay service: joins', () => {
  it('answers a probe the way it came with its calls and capacity', () => {
    const r = new Rig({ relayCapacity: 7 });
    r.join(udp(CALLER_MAPPED), 1, 0);
    const viaUdp = sent(r.run((ctx) => r.relay.onProbe(ctx, udp(STRANGER), { type: 'relayProbe', nonce: 42 })));
    expect(viaUdp).toEqual([{ to: `udp ${fmt(STRANGER)}`, msg: { type: 'relayProbeReply', nonce: 42, calls: 1, capacity: 7 }, packets: undefined, bytes: expect.any(Number) }]);
    const viaTcp = sent(r.run((ctx) => r.relay.onProbe(ctx, { conn: -5 }, { type: 'relayProbe', nonce: 43 })));
    expect(viaTcp.map((s) => [s.to, s.msg])).toEqual([['tcp -5', { type: 'relayProbeReply', nonce: 43, calls: 1, capacity: 7 }]]);
    r.publicNow = false;
    expect(sent(r.run((ctx) => r.relay.onProbe(ctx, udp(STRANGER), { type: 'relayProbe', nonce: 44 })))[0].msg).toMatchObject({ capacity: 0 });
  });

  it('registers each leg at the address it joined from and answers relayJoined there', () => {
    const r = new Rig();
    const out = r.join(udp(CALLER_MAPPED), 9, 0);
    expect(sent(out).map((s) => [s.to, s.msg])).toEqual([[`udp ${fmt(CALLER_MAPPED)}`, { type: 'relayJoined', callId: 9 }]]);
    expect(traces(out, 'relayJoined')).toMatchObject([{ callId: 9, party: 0, transport: 'udp', source: fmt(CALLER_MAPPED) }]);
    expect(metrics(out, 'relayLoad')).toEqual([1]);
    r.join({ conn: -3 }, 9, 1);
    expect(r.relay.calls).toBe(1);
    expect(r.relay.legsOf(9).map((l) => [l.party, l.via])).toEqual([
      [0, udp(CALLER_MAPPED)],
      [1, { conn: -3 }],
    ]);
    expect(r.relay.owns(-3)).toBe(true);
    expect(r.relay.owns(-4)).toBe(false);
  });

  it('refuses a new call beyond relayCapacity, but still takes legs and keep-alives of calls it has', () => {
    const r = new Rig({ relayCapacity: 2 });
    r.join(udp(CALLER_MAPPED), 1, 0);
    r.join(udp(ep('7.0.0.2:1')), 2, 0);
    const out = r.join(udp(ep('7.0.0.3:1')), 3, 0);
    expect(sent(out).map((s) => s.msg)).toEqual([{ type: 'relayRefused', callId: 3, reason: RELAY_REFUSAL.full }]);
    expect(traces(out, 'relayRefused')).toMatchObject([{ callId: 3, reason: 'full' }]);
    expect(metrics(out, 'relayLoad')).toEqual([2]);
    expect(r.relay.calls).toBe(2);
    expect(r.relay.legsOf(3)).toEqual([]);
    expect(sent(r.join(udp(CALLEE_MAPPED), 1, 1)).map((s) => s.msg.type)).toEqual(['relayJoined']);
    expect(sent(r.join(udp(CALLER_MAPPED), 1, 0)).map((s) => s.msg.type)).toEqual(['relayJoined']);
  });

  it('refuses joins while the node is not public, and after it stopped', () => {
    const r = new Rig();
    r.publicNow = false;
    expect(sent(r.join(udp(CALLER_MAPPED), 1, 0)).map((s) => s.msg)).toEqual([{ type: 'relayRefused', callId: 1, reason: RELAY_REFUSAL.notPublic }]);
    expect(r.relay.calls).toBe(0);
    r.publicNow = true;
    r.run((ctx) => r.relay.stop(ctx));
    expect(sent(r.join(udp(CALLER_MAPPED), 1, 0)).map((s) => s.msg)).toEqual([{ type: 'relayRefused', callId: 1, reason: RELAY_REFUSAL.notServing }]);
    expect(r.run((ctx) => r.relay.onProbe(ctx, udp(STRANGER), { type: 'relayProbe', nonce: 1 }))).toEqual([]);
  });

  it('a repeated join refreshes the leg; one from a new address (NAT rebinding) moves it', () => {
    const r = new Rig();
    r.join(udp(CALLER_MAPPED), 1, 0);
    r.now = 4000;
    const again = r.join(udp(CALLER_MAPPED), 1, 0);
    expect(traces(again, 'relayJoined')).toEqual([]);
    expect(metrics(again, 'relayLoad')).toEqual([]);
    expect(r.relay.legsOf(1)[0].lastHeardMs).toBe(4000);
    const rebound = ep('7.0.0.1:61999');
    const moved = r.join(udp(rebound), 1, 0);
    expect(traces(moved, 'relayLegMoved')).toMatchObject([{ from: fmt(CALLER_MAPPED), to: fmt(rebound) }]);
    expect(r.relay.legsOf(1)[0].via).toEqual(udp(rebound));
  });

  it('a party byte other than 0 or 1 is dropped, never thrown on', () => {
    const r = new Rig();
    const out = r.join(udp(STRANGER), 1, 7);
    expect(sent(out)).toEqual([]);
    expect(traces(out, 'relayDropped')).toMatchObject([{ reason: 'badParty' }]);
    expect(r.relay.calls).toBe(0);
  });
});

describe('relay service: media', () => {
  it('forwards both ways between UDP legs, unchanged, to the NAT mappings the parties joined from', () => {
    const r = new Rig();
    r.join(udp(CALLER_MAPPED), 5, 0);
    r.join(udp(CALLEE_MAPPED), 5, 1);
    const there = sent(r.media(udp(CALLER_MAPPED), frame(5, 1)));
    expect(there).toEqual([{ to: `udp ${fmt(CALLEE_MAPPED)}`, msg: frame(5, 1), packets: undefined, bytes: expect.any(Number) }]);
    const back = sent(r.media(udp(CALLEE_MAPPED), frame(5, 2)));
    expect(back.map((s) => [s.to, s.msg])).toEqual([[`udp ${fmt(CALLER_MAPPED)}`, frame(5, 2)]]);
  });

  it('keeps the packet count of a flow-mode aggregate, over UDP and over TCP', () => {
    const r = new Rig();
    r.join(udp(CALLER_MAPPED), 5, 0);
    r.join({ conn: -8 }, 5, 1);
    const toTcp = sent(r.media(udp(CALLER_MAPPED), frame(5, 1, 25), 23));
    expect(toTcp.map((s) => [s.to, s.msg, s.packets])).toEqual([['tcp -8', frame(5, 1, 25), 23]]);
    const toUdp = sent(r.media({ conn: -8 }, frame(5, 2, 25), 25));
    expect(toUdp.map((s) => [s.to, s.msg, s.packets])).toEqual([[`udp ${fmt(CALLER_MAPPED)}`, frame(5, 2, 25), 25]]);
  });

  it('forwards between two TCP legs (both parties UDP-blocked, BS-24)', () => {
    const r = new Rig();
    r.join({ conn: -1 }, 5, 0);
    r.join({ conn: -2 }, 5, 1);
    expect(sent(r.media({ conn: -1 }, frame(5, 1))).map((s) => [s.to, s.msg])).toEqual([['tcp -2', frame(5, 1)]]);
    expect(sent(r.media({ conn: -2 }, frame(5, 2))).map((s) => [s.to, s.msg])).toEqual([['tcp -1', frame(5, 2)]]);
  });

  it('drops, counted, media of an unknown call, from a source that is no leg, and before the other leg joined', () => {
    const r = new Rig();
    const unknownCall = r.media(udp(CALLER_MAPPED), frame(77, 1));
    r.join(udp(CALLER_MAPPED), 5, 0);
    const early = r.media(udp(CALLER_MAPPED), frame(5, 1), 3);
    r.join(udp(CALLEE_MAPPED), 5, 1);
    const stranger = r.media(udp(STRANGER), frame(5, 2));
    // The right address over the wrong transport is no leg either.
    const wrongConn = r.media({ conn: -9 }, frame(5, 3));
    for (const out of [unknownCall, early, stranger, wrongConn]) expect(sent(out)).toEqual([]);
    expect(traces(unknownCall, 'relayDropped')).toMatchObject([{ callId: 77, reason: 'unknownCall' }]);
    expect(traces(early, 'relayDropped')).toMatchObject([{ callId: 5, reason: 'noPeerLeg', packets: 3 }]);
    expect(traces(stranger, 'relayDropped')).toMatchObject([{ callId: 5, reason: 'unknownSource', source: fmt(STRANGER) }]);
    expect(traces(wrongConn, 'relayDropped')).toMatchObject([{ reason: 'unknownSource', transport: 'tcp' }]);
    expect(r.relay.dropped).toBe(6);
  });
});

describe('relay service: the end of a call', () => {
  it('a leave from a leg ends the call with its bytes (frames x size, both directions) and duration', () => {
    const r = new Rig();
    r.now = 1000;
    r.join(udp(CALLER_MAPPED), 5, 0);
    r.join({ conn: -4 }, 5, 1);
    r.now = 2000;
    let bytes = 0;
    for (const s of sent(r.media(udp(CALLER_MAPPED), frame(5, 1, 10), 10))) bytes += s.bytes * 10;
    for (const s of sent(r.media({ conn: -4 }, frame(5, 2)))) bytes += s.bytes;
    expect(bytes).toBeGreaterThan(11 * 24);
    // A stranger may not end it.
    expect(traces(r.run((ctx) => r.relay.onLeave(ctx, udp(STRANGER), { type: 'relayLeave', callId: 5 })), 'relayDropped')).toHaveLength(1);
    expect(r.relay.calls).toBe(1);
    r.now = 61_000;
    const out = r.run((ctx) => r.relay.onLeave(ctx, { conn: -4 }, { type: 'relayLeave', callId: 5 }));
    expect(metrics(out, 'relayCallBytes')).toEqual([bytes]);
    expect(metrics(out, 'relayCallMs')).toEqual([60_000]);
    expect(traces(out, 'relayEnded')).toMatchObject([{ callId: 5, end: 'leave', legs: 'udp/tcp', bytes }]);
    expect(r.relay.calls).toBe(0);
    // The other party's leave comes second: nothing left, nothing said.
    expect(r.run((ctx) => r.relay.onLeave(ctx, udp(CALLER_MAPPED), { type: 'relayLeave', callId: 5 }))).toEqual([]);
  });

  it('a closed TCP leg is detached; the call ends when no leg is left', () => {
    const r = new Rig();
    r.join({ conn: -1 }, 5, 0);
    r.join({ conn: -2 }, 5, 1);
    const first = r.run((ctx) => r.relay.onConnClosed(ctx, -1));
    expect(traces(first, 'relayLegClosed')).toMatchObject([{ callId: 5, party: 0 }]);
    expect(r.relay.legsOf(5).map((l) => l.party)).toEqual([1]);
    expect(traces(r.media({ conn: -2 }, frame(5, 1)), 'relayDropped')).toMatchObject([{ reason: 'noPeerLeg' }]);
    // The party reconnects and joins again: media flows again.
    r.join({ conn: -7 }, 5, 0);
    expect(sent(r.media({ conn: -2 }, frame(5, 2))).map((s) => s.to)).toEqual(['tcp -7']);
    r.run((ctx) => r.relay.onConnClosed(ctx, -7));
    const last = r.run((ctx) => r.relay.onConnClosed(ctx, -2));
    expect(traces(last, 'relayEnded')).toMatchObject([{ end: 'closed', legs: 'none/none' }]);
    expect(r.relay.calls).toBe(0);
  });

  it('the sweep drops a call silent in both directions for 2 x relayFailureTimeoutMs, and only that', () => {
    const r = new Rig({ relayFailureTimeoutMs: 5000 });
    r.join(udp(CALLER_MAPPED), 1, 0);
    r.join(udp(CALLEE_MAPPED), 1, 1);
    r.join(udp(ep('7.0.0.2:1')), 2, 0);
    expect(r.timers).toEqual([{ name: 'relaySweep', delayMs: 5000 }]);
    // Call 2 keeps talking (one direction is enough to be alive); call 1 goes silent.
    for (const t of [4000, 8000]) {
      r.now = t;
      r.media(udp(ep('7.0.0.2:1')), frame(2, t));
    }
    r.now = 5000;
    expect(traces(r.run((ctx) => r.relay.onTimer(ctx, 'relaySweep')), 'relayEnded')).toEqual([]);
    r.now = 10_000;
    const out = r.run((ctx) => r.relay.onTimer(ctx, 'relaySweep'));
    expect(traces(out, 'relayEnded')).toMatchObject([{ callId: 1, end: 'sweep' }]);
    expect(r.relay.calls).toBe(1);
    r.now = 20_000;
    r.run((ctx) => r.relay.onTimer(ctx, 'relaySweep'));
    expect(r.relay.calls).toBe(0);
    // With no call left the sweep is not re-armed: three firings, three arms, none after.
    expect(r.timers.filter((t) => t.delayMs !== null)).toHaveLength(3);
    r.join(udp(CALLER_MAPPED), 3, 0);
    expect(r.timers.filter((t) => t.delayMs !== null)).toHaveLength(4);
  });

  it('stop ends every call (metrics, trace), sends nothing, cancels the sweep, and forgets', () => {
    const r = new Rig();
    r.join(udp(CALLER_MAPPED), 1, 0);
    r.join({ conn: -2 }, 2, 1);
    const out = r.run((ctx) => r.relay.stop(ctx));
    expect(sent(out)).toEqual([]);
    expect(traces(out, 'relayEnded').map((d) => d.end)).toEqual(['stopped', 'stopped']);
    expect(metrics(out, 'relayCallBytes')).toEqual([0, 0]);
    expect(r.timers[r.timers.length - 1]).toEqual({ name: 'relaySweep', delayMs: null });
    expect(r.relay.calls).toBe(0);
    expect(r.relay.owns(-2)).toBe(false);
    expect(traces(r.media({ conn: -2 }, frame(2, 1)), 'relayDropped')).toMatchObject([{ reason: 'notServing' }]);
  });
});

describe('relay service: media of one conn id versus another', () => {
  it('identifies TCP legs by connection, not by a remote address', () => {
    const r = new Rig();
    const a: ConnId = -11;
    const b: ConnId = -12;
    r.join({ conn: a }, 1, 0);
    r.join({ conn: b }, 1, 1);
    expect(sent(r.media({ conn: a }, frame(1, 1))).map((s) => s.to)).toEqual([`tcp ${b}`]);
  });
});
