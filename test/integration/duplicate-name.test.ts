// Names are unique (BS-8, invariant b) when one user logs in from a second machine: with the
// `replace` rule the newer login wins and the older machine goes offline within the
// notification delay; with `refuse` the newer login is refused while the older one lasts.
// (What happens when the LS cannot reach the older machine is in protocol-bugs.test.ts.)
import { describe, expect, it } from 'vitest';
import { SmallWorld } from '../../sim/testing/index.js';

function twoMachines(duplicateLogin: 'replace' | 'refuse') {
  const sw = new SmallWorld({
    seed: 8,
    regions: ['a', 'b'],
    rttMs: [
      [20, 80],
      [80, 20],
    ],
    superNodes: 2,
    superNodeRegions: ['a', 'b'],
    loginServerRegion: 'a',
    hosts: [
      { name: 'laptop', region: 'b' },
      { name: 'desktop', region: 'a' },
    ],
    protocol: { duplicateLogin },
  });
  sw.advance(1_000);
  return sw;
}

// The world's accounts are named after its hosts: the user is laptop-0, on both machines.
const user = { user: 'laptop-0', password: 'pw:laptop-0' };

describe('one user on two machines', () => {
  it('replace: the second login ends the first session, and one machine stays online', () => {
    const sw = twoMachines('replace');
    sw.login('laptop', user);
    sw.until(() => sw.state('laptop') === 'online', 60_000);
    sw.login('desktop', user);
    sw.advance(10 * 60_000);
    expect(sw.state('desktop')).toBe('online');
    expect(sw.state('laptop')).toBe('offline');
    expect(sw.nodeEvents('laptop', 'sessionEnded')).toHaveLength(1);
    expect(sw.world.loginServers[0].runtime.node!.sessionNames()).toEqual(['laptop-0']);
    sw.assertNoViolations();
  });

  it('refuse: the second login is refused while the first lasts', () => {
    const sw = twoMachines('refuse');
    sw.login('laptop', user);
    sw.until(() => sw.state('laptop') === 'online', 60_000);
    sw.login('desktop', user);
    sw.advance(10 * 60_000);
    expect(sw.state('laptop')).toBe('online');
    expect(sw.state('desktop')).toBe('offline');
    expect(sw.nodeEvents('desktop', 'loginFailed').map((e) => e.detail?.cause)).toEqual(['nameInUse']);
    sw.assertNoViolations();
  });
});
