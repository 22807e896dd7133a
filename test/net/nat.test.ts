// NAT boxes: filtering and mapping behaviour over random traffic, lifetimes, hairpinning,
// NAT behind NAT, port allocation, and the classic traversal matrix.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NAT_BEHAVIOURS, NAT_PRESETS } from '../../sim/net/index.js';
import type { NatBehaviour, NatPreset, PortAllocation } from '../../sim/net/index.js';
import { LINK, REGIONS, setup } from './helpers.js';

const TIMEOUT_MS = 120_000;

interface BoxPlan {
  mapping: NatBehaviour;
  filtering: NatBehaviour;
  portAllocation: PortAllocation;
  hairpinning: boolean;
  hosts: number;
}

interface Action {
  atMs: number;
  sender: number;
  port: number;
  toNat: boolean;
  target: number;
  targetPort: number;
  pickMapped: boolean;
}

const boxPlan: fc.Arbitrary<BoxPlan> = fc.record({
  mapping: fc.constantFrom(...NAT_BEHAVIOURS),
  filtering: fc.constantFrom(...NAT_BEHAVIOURS),
  portAllocation: fc.constantFrom<PortAllocation>('preserving', 'sequential', 'random'),
  hairpinning: fc.boolean(),
  hosts: fc.integer({ min: 1, max: 3 }),
});

const action: fc.Arbitrary<Action> = fc.record({
  atMs: fc.integer({ min: 0, max: 60_000 }),
  sender: fc.nat(),
  port: fc.integer({ min: 0, max: 1 }),
  toNat: fc.boolean(),
  target: fc.nat(),
  targetPort: fc.nat(),
  pickMapped: fc.boolean(),
});

describe('NAT boxes over random traffic', () => {
  it('let in only what the filtering admits, translate consistently with the mapping behaviour, and pass every reply', () => {
    fc.assert(
      fc.property(
        fc.array(boxPlan, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(action, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 1000 }),
        (boxes, publicCount, actions, seed) => {
          const { kernel, net, rec } = setup({ seed, config: { jitterMs: { kind: 'exponential', mean: 3 } } });
          const natOfHost: number[] = [];
          const publics: number[] = [];
          const natted: number[] = [];
          for (let i = 0; i < publicCount; i++) {
            const h = net.addHost({ region: REGIONS[i % 3], link: LINK }, rec);
            publics.push(h);
            natOfHost[h] = -1;
          }
          const natIds = boxes.map((b, i) => {
            const nat = net.addNat({ region: REGIONS[i % 3], ...b, mappingTimeoutMs: TIMEOUT_MS });
            for (let k = 0; k < b.hosts; k++) {
              const h = net.addHost({ region: REGIONS[i % 3], link: LINK, nat }, rec);
              natted.push(h);
              natOfHost[h] = nat;
            }
            return nat;
          });
          const all = [...publics, ...natted];
          for (const h of all) {
            net.listenUdp(h, 1000);
            net.listenUdp(h, 1001);
          }

          // What each host sent, from which port, to where, when.
          const sent: { host: number; port: number; dstIp: number; dstPort: number; t: number }[] = [];
          // What public hosts saw: which internal sender arrived as which external endpoint.
          const seen: { host: number; port: number; dstIp: number; dstPort: number; extIp: number; extPort: number }[] = [];
          let repliesSent = 0;

          const send = (host: number, port: number, dstIp: number, dstPort: number, isReply: boolean) => {
            sent.push({ host, port, dstIp, dstPort, t: kernel.now });
            net.sendUdp(host, port, dstIp, dstPort, Uint8Array.of(host, port - 1000, isReply ? 1 : 0), isReply ? 'reply' : 'probe');
          };
          const original = rec.onDatagram.bind(rec);
          rec.onDatagram = (host, localPort, fromIp, fromPort, bytes) => {
            original(host, localPort, fromIp, fromPort, bytes);
            const [sender, senderPortOffset, isReply] = bytes;
            const nat = natOfHost[host];
            if (nat >= 0) {
              const plan = boxes[nat];
              const admitted = sent.some(
                (s) =>
                  s.host === host &&
                  s.port === localPort &&
                  s.t <= kernel.now &&
                  (plan.filtering === 'endpoint-independent' ||
                    (s.dstIp === fromIp && (plan.filtering === 'address-dependent' || s.dstPort === fromPort))),
              );
              expect(admitted, `host ${host} behind a ${plan.filtering}-filtering NAT heard ${fromIp}:${fromPort}`).toBe(true);
            } else if (isReply === 0) {
              seen.push({ host: sender, port: 1000 + senderPortOffset, dstIp: net.ipOf(host), dstPort: localPort, extIp: fromIp, extPort: fromPort });
              repliesSent++;
              send(host, localPort, fromIp, fromPort, true);
            }
          };

          for (const a of actions) {
            kernel.at(
              a.atMs,
              () => {
                const host = all[a.sender % all.length];
                let dstIp: number;
                let dstPort: number;
                if (!a.toNat) {
                  dstIp = net.ipOf(publics[a.target % publics.length]);
                  dstPort = 1000 + (a.targetPort % 2);
                } else {
                  const nat = natIds[a.target % natIds.length];
                  const maps = net.mappings(nat);
                  dstIp = net.natIp(nat);
                  dstPort = a.pickMapped && maps.length > 0 ? maps[a.targetPort % maps.length].external.port : 1000 + (a.targetPort % 3);
                }
                send(host, 1000 + a.port, dstIp, dstPort, false);
              },
              null,
            );
          }
          kernel.runUntil(70_000);

          // Every reply from a public host found its way back through the sender's NAT.
          const repliesHeard = rec.of('datagram').filter((d) => d.bytes[2] === 1).length;
          expect(repliesHeard).toBe(repliesSent);

          // Mapping behaviour: two observations of one internal endpoint share an external
          // port exactly when the mapping behaviour keys them the same.
          for (const x of seen) {
            for (const y of seen) {
              const nat = natOfHost[x.host];
              if (nat < 0 || x.host !== y.host || x.port !== y.port) continue;
              const mapping = boxes[nat].mapping;
              const sameKey =
                mapping === 'endpoint-independent' ||
                (x.dstIp === y.dstIp && (mapping === 'address-dependent' || x.dstPort === y.dstPort));
              expect(x.extIp).toBe(net.natIp(nat));
              expect(x.extPort === y.extPort, `${mapping} mapping, ${JSON.stringify([x, y])}`).toBe(sameKey);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('NAT mapping lifetime', () => {
  it('drops inbound exactly when the last outbound packet through the mapping is older than the timeout', () => {
    const timeoutMs = 10_000;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 20 }),
        // 990 ms past the second, a probe can leave while the mapping lives and arrive after.
        fc.constantFrom(500, 990),
        (outSeconds, probeSeconds, offsetMs) => {
          const { kernel, net, rec } = setup({ trace: 'full' });
          const nat = net.addNat({ region: 'eu', preset: 'full-cone', mappingTimeoutMs: timeoutMs });
          const h = net.addHost({ region: 'eu', link: LINK, nat }, rec);
          const server = net.addHost({ region: 'eu', link: LINK }, rec);
          net.listenUdp(h, 4000);
          net.listenUdp(server, 3478);
          const outs = outSeconds.map((s) => s * 1000);
          for (const t of outs) kernel.at(t, () => net.sendUdp(h, 4000, net.ipOf(server), 3478, Uint8Array.of(0), 'out'), null);
          const firstOut = Math.min(...outs);
          // Probes go to the port the mapping got (full cone: anyone may use it).
          const probes = probeSeconds.map((s) => s * 1000 + offsetMs).filter((t) => t > firstOut);
          for (const t of probes) kernel.at(t, () => net.sendUdp(server, 3478, net.natIp(nat), 4000, Uint8Array.of(1), 'probe'), null);
          kernel.runUntilIdle();

          const pathMs = 2 * 5 + 10 + (29 * 8) / 10e3 + (29 * 8) / 50e3;
          for (const t of probes) {
            const arrival = t + pathMs;
            const alive = outs.some((o) => o <= arrival && arrival < o + timeoutMs);
            const heard = rec.of('datagram', h).some((d) => Math.abs(d.t - arrival) < 1e-6);
            expect(heard, `probe sent at ${t} ms, outbound at ${outs}`).toBe(alive);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('traces the mapping when made and when it expires, timeout after the last refresh', () => {
    const { kernel, net, rec, sink, trace } = setup({ trace: 'full' });
    const nat = net.addNat({ region: 'eu', preset: 'symmetric', mappingTimeoutMs: 30_000 });
    const h = net.addHost({ region: 'eu', link: LINK, nat }, rec);
    const server = net.addHost({ region: 'eu', link: LINK }, rec);
    net.sendUdp(h, 4000, net.ipOf(server), 3478, Uint8Array.of(0), 'out');
    kernel.at(20_000, () => net.sendUdp(h, 4000, net.ipOf(server), 3478, Uint8Array.of(0), 'out'), null);
    kernel.runUntil(49_999);
    expect(net.mappings(nat)).toHaveLength(1);
    kernel.runUntilIdle();
    expect(net.mappings(nat)).toHaveLength(0);
    trace.flush();
    const natEvents = sink.events().filter((e) => String(e.ev).startsWith('nat-'));
    expect(natEvents).toEqual([
      { t: 0, ev: 'nat-map', nat: 0, proto: 'udp', int: '10.0.0.2:4000', ext: '1.0.0.1:1024', rem: '1.0.0.2:3478' },
      { t: 50_000, ev: 'nat-expire', nat: 0, proto: 'udp', int: '10.0.0.2:4000', ext: '1.0.0.1:1024', rem: '1.0.0.2:3478' },
    ]);
  });
});

describe('hairpinning', () => {
  for (const hairpinning of [true, false]) {
    it(`${hairpinning ? 'turns back' : 'drops'} a packet to the box's own external address when hairpinning is ${hairpinning ? 'on' : 'off'}`, () => {
      const { kernel, net, rec } = setup();
      const nat = net.addNat({ region: 'eu', preset: 'full-cone', hairpinning });
      const a = net.addHost({ region: 'eu', link: LINK, nat }, rec);
      const b = net.addHost({ region: 'eu', link: LINK, nat }, rec);
      const server = net.addHost({ region: 'us', link: LINK }, rec);
      net.listenUdp(b, 6000);
      net.sendUdp(b, 6000, net.ipOf(server), 3478, Uint8Array.of(0), 'stun');
      net.sendUdp(a, 5000, net.ipOf(server), 3478, Uint8Array.of(0), 'stun');
      kernel.runUntil(1000);
      const external = (port: number) => net.mappings(nat).find((m) => m.internal.port === port)!.external;
      net.sendUdp(a, 5000, net.natIp(nat), external(6000).port, Uint8Array.of(1), 'hairpin');
      kernel.runUntil(2000);
      const heard = rec.of('datagram', b);
      if (hairpinning) {
        // REQ-9: the source is a's external mapping, not its private address.
        expect(heard).toHaveLength(1);
        expect(heard[0]).toMatchObject({ fromIp: net.natIp(nat), fromPort: external(5000).port });
        // No core delay: the packet never left the box's side.
        expect(heard[0].t - 1000).toBeLessThan(11);
      } else {
        expect(heard).toHaveLength(0);
        expect(net.drops()['nat-filter']).toBe(1);
      }
    });
  }
});

describe('NAT behind NAT', () => {
  it('translates twice going out, twice coming back, and filters at the outer box', () => {
    const { kernel, net, rec } = setup();
    const outer = net.addNat({ region: 'eu', preset: 'port-restricted-cone' });
    const inner = net.addNat({ region: 'eu', preset: 'symmetric', behind: outer });
    const h = net.addHost({ region: 'eu', link: LINK, nat: inner }, rec);
    const server = net.addHost({ region: 'us', link: LINK }, rec);
    const stranger = net.addHost({ region: 'us', link: LINK }, rec);
    net.listenUdp(h, 4000);
    net.listenUdp(server, 3478);
    net.sendUdp(h, 4000, net.ipOf(server), 3478, Uint8Array.of(0), 'stun');
    kernel.runUntil(1000);
    const [seen] = rec.of('datagram', server);
    expect(seen.fromIp).toBe(net.natIp(outer));
    const [innerMap] = net.mappings(inner);
    const [outerMap] = net.mappings(outer);
    expect(innerMap.internal).toEqual({ ip: net.ipOf(h), port: 4000 });
    expect(outerMap.internal).toEqual(innerMap.external);
    expect(outerMap.external).toEqual({ ip: seen.fromIp, port: seen.fromPort });

    net.sendUdp(server, 3478, seen.fromIp, seen.fromPort, Uint8Array.of(1), 'reply');
    net.sendUdp(stranger, 3478, seen.fromIp, seen.fromPort, Uint8Array.of(2), 'unsolicited');
    kernel.runUntil(2000);
    expect(rec.of('datagram', h).map((d) => [d.bytes[0], d.fromIp, d.fromPort])).toEqual([[1, net.ipOf(server), 3478]]);
    expect(net.drops()['nat-filter']).toBe(1);
  });
});

describe('mapping behaviour', () => {
  const portsSeen = (preset: NatPreset) => {
    const { kernel, net, rec } = setup();
    const nat = net.addNat({ region: 'eu', preset });
    const h = net.addHost({ region: 'eu', link: LINK, nat }, rec);
    const servers = [0, 1, 2].map(() => net.addHost({ region: 'us', link: LINK }, rec));
    for (const s of servers) {
      net.listenUdp(s, 3478);
      net.listenUdp(s, 3479);
      net.sendUdp(h, 4000, net.ipOf(s), 3478, Uint8Array.of(0), 'x');
      net.sendUdp(h, 4000, net.ipOf(s), 3479, Uint8Array.of(0), 'x');
    }
    kernel.runUntil(1000);
    return rec.of('datagram').map((d) => d.fromPort);
  };

  it('endpoint-independent: every destination sees the same external port', () => {
    expect(new Set(portsSeen('port-restricted-cone')).size).toBe(1);
  });

  it('address-and-port-dependent (symmetric): each destination sees its own', () => {
    expect(new Set(portsSeen('symmetric')).size).toBe(6);
  });
});

describe('port allocation', () => {
  const externalPorts = (portAllocation: PortAllocation, seed: number) => {
    const { kernel, net, rec } = setup({ seed });
    const nat = net.addNat({ region: 'eu', mapping: 'address-and-port-dependent', filtering: 'endpoint-independent', portAllocation });
    const h = net.addHost({ region: 'eu', link: LINK, nat }, rec);
    const server = net.addHost({ region: 'eu', link: LINK }, rec);
    for (let dst = 1; dst <= 5; dst++) net.sendUdp(h, 4000, net.ipOf(server), dst, Uint8Array.of(0), 'x');
    kernel.runUntil(1);
    return net.mappings(nat).sort((a, b) => a.remote.port - b.remote.port).map((m) => m.external.port);
  };

  it('preserving keeps the internal port while free, then takes the next free ones', () => {
    expect(externalPorts('preserving', 1)).toEqual([4000, 4001, 4002, 4003, 4004]);
  });

  it('sequential counts up from 1024', () => {
    expect(externalPorts('sequential', 1)).toEqual([1024, 1025, 1026, 1027, 1028]);
  });

  it('random draws distinct dynamic ports from the seed', () => {
    const a = externalPorts('random', 1);
    expect(new Set(a).size).toBe(5);
    expect(a.every((p) => p >= 1024 && p <= 65535)).toBe(true);
    expect(externalPorts('random', 1)).toEqual(a);
    expect(externalPorts('random', 2)).not.toEqual(a);
  });
});

describe('the traversal matrix', () => {
  // Each peer learns the other's external endpoint from a rendezvous server (as STUN would),
  // both send to it twice, and each answers what it hears to the source it saw. RFC 4787 /
  // RFC 5128 section 3: only a symmetric NAT facing a symmetric or port-restricted NAT fails.
  const fails = (a: NatPreset, b: NatPreset) =>
    (a === 'symmetric' && (b === 'symmetric' || b === 'port-restricted-cone')) ||
    (b === 'symmetric' && a === 'port-restricted-cone');

  for (const a of NAT_PRESETS) {
    for (const b of NAT_PRESETS) {
      it(`${a} with ${b}: ${fails(a, b) ? 'fails' : 'connects'}`, () => {
        const { kernel, net, rec } = setup({ config: { jitterMs: { kind: 'uniform', min: 0, max: 20 } } });
        const server = net.addHost({ region: 'us', link: LINK }, rec);
        const natA = net.addNat({ region: 'eu', preset: a });
        const natB = net.addNat({ region: 'asia', preset: b });
        const pa = net.addHost({ region: 'eu', link: LINK, nat: natA }, rec);
        const pb = net.addHost({ region: 'asia', link: LINK, nat: natB }, rec);
        const observed = new Map<number, { ip: number; port: number }>();
        const heardPeer = new Set<number>();
        rec.onDatagram = (host, localPort, fromIp, fromPort, bytes) => {
          if (host === server) observed.set(bytes[0], { ip: fromIp, port: fromPort });
          else if (bytes[1] === 1) {
            heardPeer.add(host);
            if (bytes[2] === 0) net.sendUdp(host, localPort, fromIp, fromPort, Uint8Array.of(host, 1, 1), 'answer');
          }
        };
        net.listenUdp(server, 3478);
        for (const h of [pa, pb]) {
          net.listenUdp(h, 5000);
          net.sendUdp(h, 5000, net.ipOf(server), 3478, Uint8Array.of(h, 0, 0), 'binding');
        }
        kernel.runUntil(1000);
        const punch = () => {
          net.sendUdp(pa, 5000, observed.get(pb)!.ip, observed.get(pb)!.port, Uint8Array.of(pa, 1, 0), 'punch');
          net.sendUdp(pb, 5000, observed.get(pa)!.ip, observed.get(pa)!.port, Uint8Array.of(pb, 1, 0), 'punch');
        };
        kernel.at(1000, punch, null);
        kernel.at(2000, punch, null);
        kernel.runUntil(5000);
        expect(heardPeer.has(pa) && heardPeer.has(pb)).toBe(!fails(a, b));
      });
    }
  }
});
