// Host firewalls: stateful UDP, UDP blocked, outbound TCP only to 80/443, no inbound connects.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIREWALL_KINDS } from '../../sim/net/index.js';
import type { FirewallKind } from '../../sim/net/index.js';
import { LINK, setup } from './helpers.js';

const UDP_TIMEOUT_MS = 20_000;

describe('firewalls over random UDP traffic', () => {
  it('a host hears a datagram only if its firewall lets UDP in from that endpoint', () => {
    const event = fc.record({
      atMs: fc.integer({ min: 0, max: 60_000 }),
      outbound: fc.boolean(),
      guarded: fc.nat(),
      outsider: fc.nat(),
      port: fc.integer({ min: 1000, max: 1001 }),
    });
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FIREWALL_KINDS), { minLength: 1, maxLength: 4 }), fc.array(event, { maxLength: 60 }), (kinds, events) => {
        const { kernel, net, rec } = setup({ config: { firewallUdpTimeoutMs: UDP_TIMEOUT_MS } });
        const guarded = kinds.map((firewall) => net.addHost({ region: 'eu', link: LINK, firewall }, rec));
        const outsiders = [0, 1].map(() => net.addHost({ region: 'us', link: LINK }, rec));
        for (const h of [...guarded, ...outsiders]) {
          net.listenUdp(h, 1000);
          net.listenUdp(h, 1001);
        }
        const out: { host: number; ip: number; port: number; t: number }[] = [];
        for (const e of events) {
          kernel.at(
            e.atMs,
            () => {
              const g = guarded[e.guarded % guarded.length];
              const o = outsiders[e.outsider % outsiders.length];
              if (e.outbound) {
                out.push({ host: g, ip: net.ipOf(o), port: e.port, t: kernel.now });
                net.sendUdp(g, 1000, net.ipOf(o), e.port, Uint8Array.of(0), 'out');
              } else {
                net.sendUdp(o, e.port, net.ipOf(g), 1000, Uint8Array.of(1), 'in');
              }
            },
            null,
          );
        }
        kernel.runUntilIdle();
        for (const d of rec.heard) {
          if (d.kind !== 'datagram' || !guarded.includes(d.host)) continue;
          const kind: FirewallKind = kinds[guarded.indexOf(d.host)];
          const solicited = out.some((o) => o.host === d.host && o.ip === d.fromIp && o.port === d.fromPort && o.t <= d.t && d.t < o.t + UDP_TIMEOUT_MS);
          expect(kind === 'none' || (kind === 'stateful' && solicited), `${kind} host ${d.host} heard ${d.fromIp}:${d.fromPort}`).toBe(true);
        }
        // A host that may send UDP got every outbound datagram to its outsider.
        const heardOut = rec.heard.filter((d) => d.kind === 'datagram' && outsiders.includes(d.host)).length;
        const mayOut = out.filter((o) => ['none', 'stateful'].includes(kinds[guarded.indexOf(o.host)])).length;
        expect(heardOut).toBe(mayOut);
      }),
      { numRuns: 150 },
    );
  });
});

describe('firewall kinds and TCP', () => {
  const scenario = (firewall: FirewallKind) => {
    const s = setup();
    const h = s.net.addHost({ region: 'eu', link: LINK, firewall }, s.rec);
    const server = s.net.addHost({ region: 'eu', link: LINK }, s.rec);
    for (const port of [80, 443, 33033]) s.net.listenTcp(server, port);
    s.net.listenTcp(h, 33033);
    return { ...s, h, server };
  };

  it('tcp-80-443-only connects to 80 and 443 and times out on any other port; udp is gone both ways', () => {
    const { kernel, net, rec, h, server } = scenario('tcp-80-443-only');
    const c80 = net.connectTcp(h, net.ipOf(server), 80);
    const c443 = net.connectTcp(h, net.ipOf(server), 443);
    const cOther = net.connectTcp(h, net.ipOf(server), 33033);
    net.listenUdp(h, 1000);
    net.listenUdp(server, 1000);
    net.sendUdp(h, 1000, net.ipOf(server), 1000, Uint8Array.of(0), 'x');
    net.sendUdp(server, 1000, net.ipOf(h), 1000, Uint8Array.of(0), 'x');
    kernel.runUntilIdle();
    expect(rec.of('connected', h).map((c) => c.conn).sort()).toEqual([c80, c443].sort());
    expect(rec.of('connectFailed', h)).toEqual([{ t: 21_000, host: h, kind: 'connectFailed', conn: cOther, reason: 'timeout' }]);
    expect(rec.of('datagram')).toEqual([]);
    expect(net.drops().firewall).toBe(2 + 3);
  });

  for (const firewall of ['stateful', 'udp-blocked', 'tcp-80-443-only'] as const) {
    it(`${firewall} lets no connection in (the SYN is dropped: timeout), and carries replies on its own`, () => {
      const { kernel, net, rec, h, server } = scenario(firewall);
      const inbound = net.connectTcp(server, net.ipOf(h), 33033);
      const outbound = net.connectTcp(h, net.ipOf(server), 443);
      rec.onConnected = (host, conn) => net.write(conn, Uint8Array.of(7), 'hello');
      rec.onAccepted = (host, conn) => net.write(conn, Uint8Array.of(8), 'welcome');
      kernel.runUntilIdle();
      expect(rec.of('connectFailed', server)).toEqual([{ t: 21_000, host: server, kind: 'connectFailed', conn: inbound, reason: 'timeout' }]);
      expect(rec.of('data', h).map((d) => [d.conn, d.bytes[0]])).toEqual([[outbound, 8]]);
    });
  }

  it('udp-blocked sends and hears no UDP but connects anywhere', () => {
    const { kernel, net, rec, h, server } = scenario('udp-blocked');
    net.listenUdp(h, 1000);
    net.listenUdp(server, 1000);
    net.sendUdp(h, 1000, net.ipOf(server), 1000, Uint8Array.of(0), 'x');
    net.sendUdp(server, 1000, net.ipOf(h), 1000, Uint8Array.of(0), 'x');
    net.connectTcp(h, net.ipOf(server), 33033);
    kernel.runUntilIdle();
    expect(rec.of('datagram')).toEqual([]);
    expect(rec.of('connected', h)).toHaveLength(1);
  });

  it('none lets connections in', () => {
    const { kernel, net, rec, h, server } = scenario('none');
    net.connectTcp(server, net.ipOf(h), 33033);
    kernel.runUntilIdle();
    expect(rec.of('accepted', h)).toHaveLength(1);
  });
});
