// BS-11 on the real network: each host's STUN-like test, run against the bootstrap SNs over
// sim/net's NAT boxes and firewalls, must report the class the world configured - the four
// NAT presets, a public host, and the two UDP-blocking firewalls. The expected class is
// sim/world's `expectedNatClass` (the truth table), written out here as well so that a change
// to either shows.
import { describe, expect, it } from 'vitest';
import { expectedNatClass } from '../../sim/world/world.js';
import { SmallWorld } from '../../sim/testing/index.js';

const CASES = [
  { name: 'public', nat: 'none', firewall: 'none', expected: 'open' },
  { name: 'fullcone', nat: 'full-cone', firewall: 'none', expected: 'full-cone' },
  { name: 'restricted', nat: 'restricted-cone', firewall: 'none', expected: 'restricted' },
  { name: 'portrestricted', nat: 'port-restricted-cone', firewall: 'none', expected: 'port-restricted' },
  { name: 'symmetric', nat: 'symmetric', firewall: 'none', expected: 'symmetric' },
  { name: 'udpblocked', nat: 'none', firewall: 'udp-blocked', expected: 'udp-blocked' },
  { name: 'natudpblocked', nat: 'port-restricted-cone', firewall: 'udp-blocked', expected: 'udp-blocked' },
  { name: 'tcponly', nat: 'none', firewall: 'tcp-80-443-only', expected: 'udp-blocked' },
  { name: 'nattcponly', nat: 'port-restricted-cone', firewall: 'tcp-80-443-only', expected: 'udp-blocked' },
] as const;

describe('NAT and firewall detection against the configured truth (BS-11)', () => {
  // Two regions so the "other node" and "second mapping" tests meet SNs at other addresses
  // and over a real core; every host logs in at once, as a crowd would.
  const sw = new SmallWorld({
    seed: 11,
    regions: ['eu', 'na'],
    superNodes: 3,
    hosts: CASES.map((c, i) => ({ name: c.name, nat: c.nat, firewall: c.firewall, region: i % 2 === 0 ? 'eu' : 'na' })),
  });
  sw.advance(1_000); // the bootstrap SNs open their overlay links
  for (const c of CASES) sw.login(c.name);
  const allOnline = sw.until(() => CASES.every((c) => sw.state(c.name) === 'online'), 120_000);

  it('logs every host in', () => {
    expect(CASES.filter((c) => sw.state(c.name) !== 'online').map((c) => `${c.name}: ${sw.state(c.name)}`)).toEqual([]);
    expect(allOnline).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.nat} behind firewall ${c.firewall} is detected as ${c.expected}`, () => {
      const h = sw.record(c.name);
      expect(expectedNatClass(h.nat, h.firewall)).toBe(c.expected);
      expect(sw.node(c.name).natClass).toBe(c.expected);
      // The class the host announced is the one in its trace, detected exactly once.
      expect(sw.nodeEvents(c.name, 'natClassified').map((e) => e.detail?.natClass)).toEqual([c.expected]);
    });
  }

  it('breaks no invariant on the way', () => {
    sw.advance(5 * 60_000);
    sw.assertNoViolations();
  });
});
