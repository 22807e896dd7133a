// Peer bytes never throw (STYLE.md 5): random bytes to every role, on every transport it
// listens on, are counted as malformed and leave its state unchanged; any well-formed message
// of the table, wherever it arrives, never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnId, Ctx, Input, Output, ProtocolNode } from '../../../protocol/node.js';
import { LoginServerNode } from '../../../protocol/roles/login-server.js';
import { HostNode } from '../../../protocol/roles/ordinary-host.js';
import { isDecodeError, decodeMessage } from '../../../protocol/wire/codec.js';
import { MESSAGES, type Message } from '../../../protocol/wire/messages.js';
import { Obfuscator } from '../../../protocol/wire/obfuscation.js';
import { anyMessageArbitrary } from '../wire/arbitraries.js';
import { ep, SeededRandom } from './harness.js';
import { Wire, World } from './world.js';

const wire = new Wire();
const obfuscator = new Obfuscator('real');

/** True if `bytes` would decode to a message (then it is not garbage). */
function decodes(bytes: Uint8Array): boolean {
  const frame = obfuscator.unwrap(bytes, 0, 0);
  return !isDecodeError(frame) && frame.payloadType === 0x02 && !isDecodeError(decodeMessage(frame.payload));
}

/** Random bytes, and frames with a valid header whose payload is random (exercises the codec). */
const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.tuple(fc.nat({ max: 0xffff }), fc.uint8Array({ maxLength: 120 })).map(([id, payload]) => Uint8Array.from([id >> 8, id & 255, 0x02, ...payload])),
  fc.tuple(fc.constantFrom(...Object.values(MESSAGES).map((m) => m.id)), fc.uint8Array({ maxLength: 60 })).map(([type, rest]) => obfuscator.wrap(1, 0x02, Uint8Array.from([type, ...rest]), 0, 0)),
);

interface Target {
  readonly name: string;
  readonly node: ProtocolNode<any>;
  /** An observable summary of the node's state. */
  readonly snapshot: () => unknown;
  /** Where bytes can arrive: datagrams on its ports and data on its open connections (the LS is TCP only). */
  readonly inputs: ((bytes: Uint8Array) => Input)[];
}

function feed(node: ProtocolNode<any>, input: Input): Output[] {
  const ctx: Ctx = { now: 1_000_000, rng: new SeededRandom(9), out: [] };
  node.handle(input, ctx);
  return ctx.out;
}

function hostSnapshot(h: HostNode) {
  return {
    state: h.state,
    hc: h.hostCacheEntries(),
    nat: h.natClass,
    udpBlocked: h.udpBlocked,
    sn: h.currentSuperNode,
    serving: h.isSuperNode,
    clients: h.superNode?.clientNames(),
    links: h.superNode?.overlayPeers(),
  };
}

function connOf(w: World, node: string, msgType: string): ConnId {
  const r = w.net.of(node, 'write').find((x) => x.output.kind === 'write' && x.output.msgType === msgType);
  if (!r || r.output.kind !== 'write') throw new Error(`${node} wrote no ${msgType}`);
  return r.output.conn;
}

/** A small world with every role in a steady state: LS, SNs with clients and links, an online host, an offline host. */
function targets(): Target[] {
  const w = new World({ superNodes: 2 });
  w.addHost('online', '2.0.0.1');
  w.addHost('offline', '2.0.0.2');
  w.net.runUntil(1000);
  w.login('online', 'alice');
  w.net.runUntil(20_000);
  const online = w.host('online');
  const offline = w.host('offline');
  const sn1 = w.host('sn1');
  if (online.state !== 'online') throw new Error('setup: not online');
  const from = ep('3.3.3.3:4000');
  const dgram = (port: number) => (bytes: Uint8Array): Input => ({ kind: 'datagram', localPort: port, from, bytes });
  const data = (conn: ConnId) => (bytes: Uint8Array): Input => ({ kind: 'data', conn, bytes });
  const sessionLink = connOf(w, 'ls', 'authAccepted');
  const onlineSnLink = connOf(w, 'online', 'attach');
  const clientConn = connOf(w, 'sn1', 'attachAccepted');
  const overlayConn = connOf(w, 'sn1', 'overlayJoin');
  const ls = w.ls;
  return [
    { name: 'login server', node: ls, snapshot: () => ({ sessions: ls.sessionNames(), queue: ls.queueLength }), inputs: [data(sessionLink)] },
    { name: 'online host', node: online, snapshot: () => hostSnapshot(online), inputs: [dgram(online.port), data(onlineSnLink)] },
    { name: 'offline host', node: offline, snapshot: () => hostSnapshot(offline), inputs: [dgram(offline.port)] },
    { name: 'super node', node: sn1, snapshot: () => hostSnapshot(sn1), inputs: [dgram(33033), dgram(33034), data(clientConn), data(overlayConn)] },
  ];
}

describe('robustness: peer bytes never throw', () => {
  for (const t of targets()) {
    it(`${t.name}: random bytes are counted as malformed, state unchanged`, () => {
      fc.assert(
        fc.property(garbage, fc.nat({ max: t.inputs.length - 1 }), (bytes, which) => {
          fc.pre(!decodes(bytes));
          const before = JSON.stringify(t.snapshot());
          const outs = feed(t.node, t.inputs[which](bytes));
          expect(outs).toEqual([expect.objectContaining({ kind: 'trace', event: 'malformed' })]);
          expect(JSON.stringify(t.snapshot())).toBe(before);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('any well-formed message, to any role, on any of its transports, never throws', () => {
    // A fresh world per run would be slow: one world, many messages; state may legitimately change.
    const all = targets();
    fc.assert(
      fc.property(anyMessageArbitrary(MESSAGES), fc.nat({ max: 100 }), fc.nat({ max: 100 }), (msg, which, input) => {
        const t = all[which % all.length];
        const bytes = wire.bytes(msg as unknown as Message);
        const outs = feed(t.node, t.inputs[input % t.inputs.length](bytes));
        // Our own encoding is never malformed to us. A `routed` message's payload is a message of
        // its own, here arbitrary bytes: that inner message may be malformed (transport 'routed').
        expect(outs.filter((o) => o.kind === 'trace' && o.event === 'malformed' && o.detail?.transport !== 'routed')).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('an input with no entry in the login table is counted as unexpected, state unchanged', () => {
    const w = new World({ superNodes: 1 });
    const h = w.addHost('h', '2.0.0.1');
    const before = JSON.stringify(hostSnapshot(h));
    const outs = feed(h, { kind: 'datagram', localPort: h.port, from: ep('1.0.0.1:33033'), bytes: wire.bytes({ type: 'probeReply', nonce: 1, hostCache: [], full: false }) });
    expect(outs).toEqual([{ kind: 'trace', event: 'unexpected', detail: { input: 'probeReply', state: 'offline' } }]);
    expect(feed(h, { kind: 'user', action: { type: 'logout' } })).toEqual([{ kind: 'trace', event: 'unexpected', detail: { input: 'logout', state: 'offline' } }]);
    expect(JSON.stringify(hostSnapshot(h))).toBe(before);
  });

  it('caller misuse throws: inputs before start, an unknown timer', () => {
    const w = new World({ superNodes: 1 });
    const h = w.addHost('h', '2.0.0.1', { start: false });
    expect(() => feed(h, { kind: 'user', action: { type: 'login', name: 'a', password: 'b' } })).toThrow(/before start/);
    feed(h, { kind: 'start' });
    expect(() => feed(h, { kind: 'timer', name: 'noSuchTimer', tag: 1 })).toThrow(/unknown timer/);
    expect(() => feed(new LoginServerNode({ params: w.params, privateKey: {} as never }), { kind: 'data', conn: 1, bytes: new Uint8Array() })).toThrow(/before start/);
  });
});
