// Peer bytes never throw (STYLE.md 5), through the real network: random bytes sent by a
// stranger over UDP and TCP to every port of every role - the LS (TCP 33033, 80, 443; it has
// no UDP port), a bootstrap SN (UDP 33033 and 33034, TCP 33033, 80, 443) and an online
// ordinary host (its UDP and TCP port) - are each counted once as `malformed` by the node that
// receives them (unless they happen to decode, which the test checks with the codec itself),
// never raise, and leave every node working: the online host stays online and a host that
// logs in afterwards, through the same SN and LS, gets in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, isDecodeError } from '../../protocol/wire/codec.js';
import { MESSAGES } from '../../protocol/wire/messages.js';
import { Obfuscator, PAYLOAD_MESSAGE } from '../../protocol/wire/obfuscation.js';
import { SmallWorld } from '../../sim/testing/index.js';

const obfuscator = new Obfuscator('real');

/** True if `bytes` would decode to a message: then it is a message, not garbage. */
function decodes(bytes: Uint8Array): boolean {
  const frame = obfuscator.unwrap(bytes, 0, 0);
  return !isDecodeError(frame) && frame.payloadType === PAYLOAD_MESSAGE && !isDecodeError(decodeMessage(frame.payload));
}

/** Pure noise; a valid frame header over noise; a valid frame of a real message type over noise. */
const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.nat({ max: 0xffff }), fc.uint8Array({ maxLength: 120 })).map(([id, payload]) => Uint8Array.from([id >> 8, id & 255, PAYLOAD_MESSAGE, ...payload])),
  fc
    .tuple(fc.constantFrom(...Object.values(MESSAGES).map((m) => m.id)), fc.uint8Array({ maxLength: 60 }))
    .map(([type, rest]) => obfuscator.wrap(7, PAYLOAD_MESSAGE, Uint8Array.from([type, ...rest]), 0, 0)),
);

interface Port {
  readonly role: 'ls' | 'sn' | 'host';
  readonly node: string;
  readonly proto: 'udp' | 'tcp';
  readonly port: number;
  /** Whether a node listens there (the LS has no UDP port: the network drops the datagram). */
  readonly listening: boolean;
}

function fuzzWorld() {
  const sw = new SmallWorld({ seed: 5, superNodes: 2, hosts: [{ name: 'target' }, { name: 'later' }] });
  sw.advance(1_000);
  sw.login('target');
  sw.until(() => sw.state('target') === 'online', 60_000);
  const stranger = sw.addStranger();
  /** Sends `bytes` once: a datagram, or a connection that writes them when open and closes. */
  const send = (to: Port, bytes: Uint8Array): void => {
    const at = { ip: ipOf(to.node), port: to.port };
    if (to.proto === 'udp') return stranger.sendUdp(at, bytes);
    stranger.connect(at, { onConnected: (conn) => (stranger.write(conn, bytes), stranger.close(conn)) });
  };
  const p = sw.params;
  const snPort = p.bootstrapPort;
  const hostPort = sw.node('target').port;
  const ports: Port[] = [
    ...[p.loginServerPort, ...p.fallbackTcpPorts].map((port) => ({ role: 'ls' as const, node: 'ls-0', proto: 'tcp' as const, port, listening: true })),
    { role: 'ls', node: 'ls-0', proto: 'udp', port: p.loginServerPort, listening: false },
    { role: 'sn', node: 'sn-0', proto: 'udp', port: snPort, listening: true },
    { role: 'sn', node: 'sn-0', proto: 'udp', port: snPort + p.snAlternatePortOffset, listening: true },
    ...[snPort, ...p.fallbackTcpPorts].map((port) => ({ role: 'sn' as const, node: 'sn-0', proto: 'tcp' as const, port, listening: true })),
    { role: 'host', node: 'target', proto: 'udp', port: hostPort, listening: true },
    { role: 'host', node: 'target', proto: 'tcp', port: hostPort, listening: true },
  ];
  const ipOf = (node: string) => (node === 'ls-0' ? sw.loginServer.ip : node === 'sn-0' ? sw.bootstrap[0].ip : sw.world.net.ipOf(sw.netHost(node)));
  return { sw, send, ports };
}

describe('random bytes to every role over the real network', () => {
  it('are counted as malformed, never throw, and every node works afterwards', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), garbage), { minLength: 1, maxLength: 12 }), (cases) => {
        const { sw, send, ports } = fuzzWorld();
        for (const [pick, bytes] of cases) {
          const target = ports[pick % ports.length];
          const before = sw.nodeEvents(target.node, 'malformed').length;
          send(target, bytes);
          sw.advance(1_000);
          const counted = sw.nodeEvents(target.node, 'malformed').length - before;
          const expected = !target.listening || decodes(bytes) ? counted : 1;
          expect(counted, `${target.role} ${target.proto}/${target.port}: ${bytes.length} bytes`).toBe(expected);
        }
        // Still working: the fuzzed host stays online; a new host logs in through the fuzzed SN and LS.
        sw.advance(3 * sw.params.keepAliveIntervalMs);
        expect(sw.state('target')).toBe('online');
        sw.setHostCache('later', [sw.bootstrap[0]]);
        sw.login('later');
        expect(sw.until(() => sw.state('later') === 'online', 60_000)).toBe(true);
        expect(sw.node('later').currentSuperNode).toEqual(sw.bootstrap[0]);
        sw.assertNoViolations();
      }),
      { numRuns: 25 },
    );
  });

  it('is not vacuous: pure noise to each listening port is counted there', () => {
    const { sw, send, ports } = fuzzWorld();
    const noise = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 255);
    expect(decodes(noise)).toBe(false);
    for (const target of ports.filter((t) => t.listening)) {
      const before = sw.nodeEvents(target.node, 'malformed').length;
      send(target, noise);
      sw.advance(1_000);
      expect(sw.nodeEvents(target.node, 'malformed').length - before, `${target.role} ${target.proto}/${target.port}`).toBe(1);
    }
  });
});
