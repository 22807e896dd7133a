// UDP delivery, its timing from the model's terms, drop reasons, and byte counting.
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../sim/net/index.js';
import { LINK, bytesOf, setup } from './helpers.js';

describe('UDP', () => {
  it('delivers after uplink serialization + access delays + half the region RTT + downlink serialization', () => {
    const { kernel, net, rec } = setup();
    const a = net.addHost({ region: 'eu', link: LINK }, rec);
    const b = net.addHost({ region: 'asia', link: { ...LINK, accessDelayMs: 12 } }, rec);
    net.listenUdp(b, 7000);
    kernel.runUntil(1000);
    net.sendUdp(a, 5000, net.ipOf(b), 7000, bytesOf(472), 'probe');
    kernel.runUntilIdle();
    const wireBits = (472 + 28) * 8;
    const expectedMs = 1000 + (wireBits / 10e6) * 1000 + 5 + 250 / 2 + 12 + (wireBits / 50e6) * 1000;
    const [got] = rec.of('datagram', b);
    expect(got.t).toBeCloseTo(expectedMs, 9);
    expect(got).toMatchObject({ localPort: 7000, fromIp: net.ipOf(a), fromPort: 5000 });
    expect(got.bytes.length).toBe(472);
  });

  it('counts 28 header bytes per datagram, per host and per message type', () => {
    const { kernel, net, rec } = setup();
    const a = net.addHost({ region: 'eu', link: LINK }, rec);
    const b = net.addHost({ region: 'eu', link: LINK }, rec);
    net.listenUdp(b, 7000);
    net.sendUdp(a, 5000, net.ipOf(b), 7000, bytesOf(100), 'probe');
    net.sendUdp(a, 5000, net.ipOf(b), 7000, bytesOf(0), 'keepalive');
    net.sendUdp(a, 5000, net.ipOf(b), 7001, bytesOf(10), 'probe');
    kernel.runUntilIdle();
    expect(net.hostCounters(a)).toEqual({ sentBytes: 128 + 28 + 38, sentPackets: 3, receivedBytes: 0, receivedPackets: 0 });
    // The datagram to a closed port reached b: received, not delivered.
    expect(net.hostCounters(b)).toEqual({ sentBytes: 0, sentPackets: 0, receivedBytes: 128 + 28 + 38, receivedPackets: 3 });
    expect(net.msgTypeCounters()).toEqual([
      { msgType: 'probe', sentBytes: 166, sentPackets: 2, deliveredBytes: 128, deliveredPackets: 1, droppedPackets: 1 },
      { msgType: 'keepalive', sentBytes: 28, sentPackets: 1, deliveredBytes: 28, deliveredPackets: 1, droppedPackets: 0 },
    ]);
    expect(net.drops()['no-listener']).toBe(1);
  });

  it('drops to an unrouteable address, to a crashed host, and delivers again after restart', () => {
    const { kernel, net, rec } = setup();
    const a = net.addHost({ region: 'eu', link: LINK }, rec);
    const b = net.addHost({ region: 'us', link: LINK }, rec);
    net.listenUdp(b, 7000);
    net.sendUdp(a, 5000, parseIp('9.9.9.9'), 7000, bytesOf(1), 'x');
    net.sendUdp(a, 5000, net.ipOf(b), 7000, bytesOf(1), 'x');
    net.crash(b);
    kernel.runUntilIdle();
    expect(net.drops()['no-route']).toBe(1);
    expect(net.drops()['dead-host']).toBe(1);
    expect(rec.of('datagram')).toEqual([]);
    net.restart(b);
    net.sendUdp(a, 5000, net.ipOf(b), 7000, bytesOf(1), 'x');
    kernel.runUntilIdle();
    // The crash closed b's socket; it has to listen again.
    expect(net.drops()['no-listener']).toBe(1);
    net.listenUdp(b, 7000);
    net.sendUdp(a, 5000, net.ipOf(b), 7000, bytesOf(1), 'x');
    kernel.runUntilIdle();
    expect(rec.of('datagram', b)).toHaveLength(1);
  });

  it('never calls a handler from inside a call', () => {
    const { net, rec } = setup();
    const a = net.addHost({ region: 'eu', link: LINK }, rec);
    net.listenUdp(a, 5000);
    net.sendUdp(a, 5000, net.ipOf(a), 5000, bytesOf(1), 'self');
    expect(rec.heard).toEqual([]);
  });

  it('throws on caller misuse: unknown host, bad port, sending from a crashed host', () => {
    const { net, rec } = setup();
    const a = net.addHost({ region: 'eu', link: LINK }, rec);
    expect(() => net.sendUdp(7, 1, 1, 1, bytesOf(1), 'x')).toThrow(RangeError);
    expect(() => net.sendUdp(a, 0, 1, 1, bytesOf(1), 'x')).toThrow(RangeError);
    expect(() => net.sendUdp(a, 1, 1, 65536, bytesOf(1), 'x')).toThrow(RangeError);
    expect(() => net.addHost({ region: 'mars', link: LINK })).toThrow(/unknown region/);
    net.crash(a);
    expect(() => net.sendUdp(a, 1, 1, 1, bytesOf(1), 'x')).toThrow(/down/);
  });
});
