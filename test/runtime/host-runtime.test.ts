// HostRuntime and aggregates: `packets` on sendDatagram and write reaches the network, and a
// delivered aggregate becomes a datagram input with `packets`; plain datagrams stay as they were.
// Connection ids: the node's own on its connects, the runtime's negative ones on accepts.
import { describe, expect, it } from 'vitest';
import type { Ctx, Input, ProtocolNode } from '../../protocol/node.js';
import { Kernel, RngStreams } from '../../sim/kernel/index.js';
import { MetricsRecorder } from '../../sim/metrics/recorder.js';
import { Network } from '../../sim/net/index.js';
import type { LossSpec } from '../../sim/net/index.js';
import { HostRuntime } from '../../sim/runtime/host-runtime.js';
import { TraceWriter } from '../../sim/trace/index.js';

const LINK = { uplinkBitsPerSec: 10e6, downlinkBitsPerSec: 50e6, accessDelayMs: 5 };
const PORT = 5000;

/** What the test tells a node to do. */
type Action =
  | { readonly kind: 'send'; readonly toIp: number; readonly bytes: number; readonly packets?: number }
  | { readonly kind: 'connect'; readonly toIp: number; readonly conn?: number }
  | { readonly kind: 'write'; readonly bytes: number; readonly packets?: number; readonly conn?: number };

/** Listens on PORT (UDP and TCP), does what it is told, and keeps every input. */
class EchoNode implements ProtocolNode<Action> {
  readonly inputs: Input<Action>[] = [];

  handle(input: Input<Action>, ctx: Ctx): void {
    this.inputs.push(input);
    if (input.kind === 'start') {
      ctx.out.push({ kind: 'listenUdp', port: PORT }, { kind: 'listenTcp', port: PORT });
      return;
    }
    if (input.kind !== 'user') return;
    const a = input.action;
    if (a.kind === 'send') {
      ctx.out.push({ kind: 'sendDatagram', fromPort: PORT, to: { ip: a.toIp, port: PORT }, bytes: new Uint8Array(a.bytes), msgType: 'voice', ...(a.packets === undefined ? {} : { packets: a.packets }) });
    } else if (a.kind === 'connect') {
      ctx.out.push({ kind: 'connect', conn: a.conn ?? 1, to: { ip: a.toIp, port: PORT } });
    } else {
      ctx.out.push({ kind: 'write', conn: a.conn ?? 1, bytes: new Uint8Array(a.bytes), msgType: 'voice', ...(a.packets === undefined ? {} : { packets: a.packets }) });
    }
  }
}

function pair(loss?: LossSpec) {
  const kernel = new Kernel();
  const rngs = new RngStreams(7);
  const net = new Network(kernel, rngs, { regions: ['eu'], rttMs: [[20]] });
  const sinks = { trace: TraceWriter.off(), metrics: new MetricsRecorder() };
  const a = net.addHost({ region: 'eu', link: { ...LINK, loss } });
  const b = net.addHost({ region: 'eu', link: LINK });
  const ra = new HostRuntime<Action, EchoNode>(kernel, net, a, () => new EchoNode(), rngs.stream('host/a'), sinks);
  const rb = new HostRuntime<Action, EchoNode>(kernel, net, b, () => new EchoNode(), rngs.stream('host/b'), sinks);
  ra.start();
  rb.start();
  return { kernel, net, a, b, ra, rb };
}

const datagramsOf = (node: EchoNode) => node.inputs.filter((i): i is Extract<Input<Action>, { kind: 'datagram' }> => i.kind === 'datagram');

describe('HostRuntime with aggregates', () => {
  it('passes packets of a sendDatagram to the network and delivers the aggregate with packets', () => {
    const { kernel, net, a, b, ra, rb } = pair();
    ra.act({ kind: 'send', toIp: net.ipOf(b), bytes: 160, packets: 50 });
    kernel.runUntil(1000);
    expect(net.hostCounters(a)).toMatchObject({ sentPackets: 50, sentBytes: 50 * 188 });
    const got = datagramsOf(rb.node!);
    expect(got).toHaveLength(1);
    expect(got[0].packets).toBe(50);
    expect(got[0].bytes.length).toBe(160);
  });

  it('gives plain datagrams, and aggregates of 1, no packets field', () => {
    const { kernel, net, b, ra, rb } = pair();
    ra.act({ kind: 'send', toIp: net.ipOf(b), bytes: 10 });
    ra.act({ kind: 'send', toIp: net.ipOf(b), bytes: 10, packets: 1 });
    kernel.runUntil(1000);
    const got = datagramsOf(rb.node!);
    expect(got).toHaveLength(2);
    for (const d of got) expect(Object.keys(d)).toEqual(['kind', 'localPort', 'from', 'bytes']);
  });

  it('delivers the survivors of a lossy aggregate', () => {
    const { kernel, net, b, ra, rb } = pair({ kind: 'bernoulli', lossRatio: 0.3 });
    for (let i = 0; i < 20; i++) ra.act({ kind: 'send', toIp: net.ipOf(b), bytes: 160, packets: 50 });
    kernel.runUntil(1000);
    const got = datagramsOf(rb.node!);
    const survivors = got.reduce((sum, d) => sum + (d.packets ?? 1), 0);
    expect(survivors).toBe(net.msgTypeCounters().find((c) => c.msgType === 'voice')!.deliveredPackets);
    expect(survivors).toBeLessThan(1000);
    expect(got.some((d) => d.packets !== undefined && d.packets < 50)).toBe(true);
  });

  it('passes packets of a write to the network: N messages counted, one data input', () => {
    const { kernel, net, b, ra, rb } = pair();
    ra.act({ kind: 'connect', toIp: net.ipOf(b) });
    kernel.runUntil(1000);
    ra.act({ kind: 'write', bytes: 160, packets: 50 });
    kernel.runUntil(2000);
    expect(net.msgTypeCounters().find((c) => c.msgType === 'voice')).toMatchObject({ sentPackets: 50, sentBytes: 50 * 200, deliveredPackets: 50 });
    expect(rb.node!.inputs.filter((i) => i.kind === 'data')).toHaveLength(1);
  });
});

describe('HostRuntime connections', () => {
  const connIds = (node: EchoNode, kind: Input<Action>['kind']) => node.inputs.filter((i) => i.kind === kind).map((i) => (i as { conn: number }).conn);

  it("names each connection by the node's id on its side and by a negative id on the accepting side, in every input", () => {
    const { kernel, net, b, ra, rb } = pair();
    ra.act({ kind: 'connect', toIp: net.ipOf(b), conn: 3 });
    ra.act({ kind: 'connect', toIp: net.ipOf(b), conn: 5 });
    kernel.runUntil(1000);
    expect(connIds(ra.node!, 'connected')).toEqual([3, 5]);
    expect(connIds(rb.node!, 'accepted')).toEqual([-1, -2]);
    ra.act({ kind: 'write', bytes: 10, conn: 5 });
    ra.act({ kind: 'write', bytes: 10, conn: 3 });
    kernel.runUntil(2000);
    expect(connIds(rb.node!, 'data')).toEqual([-2, -1]);
  });

  it('refuses a connect whose id is not a positive 32-bit integer', () => {
    for (const conn of [0, -1, 1.5, 2 ** 31]) {
      const { net, b, ra } = pair();
      expect(() => ra.act({ kind: 'connect', toIp: net.ipOf(b), conn })).toThrow(/not a positive 32-bit integer/);
    }
  });
});
