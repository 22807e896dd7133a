// The host cache: at most 200 entries (BS-5), ordered, persisted, bootstrap on a fresh install (BS-7).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../protocol/node.js';
import { SKYPE_2004 } from '../../../protocol/params.js';
import { HostCache, type HostCacheDisk } from '../../../protocol/roles/host-cache.js';
import { ep } from './harness.js';
import { bootstrapList } from './world.js';

const sn = (i: number): Endpoint => ({ ip: 0x05000000 + i, port: 1000 + (i % 50) });

describe('host cache', () => {
  it('a fresh install starts from the bootstrap list: 7 SNs on port 33033 (BS-7)', () => {
    expect(SKYPE_2004.bootstrapSuperNodeCount).toBe(7);
    expect(SKYPE_2004.bootstrapPort).toBe(33033);
    const disk: HostCacheDisk = {};
    const hc = new HostCache(SKYPE_2004.hostCacheMax, disk, bootstrapList(7));
    expect(hc.entries()).toEqual(bootstrapList(7));
    expect(disk.hostCache).toEqual(bootstrapList(7));
  });

  it('takes no endpoint a peer could only have made up: address 0.0.0.0 or port 0', () => {
    const hc = new HostCache(SKYPE_2004.hostCacheMax, {}, bootstrapList(2));
    hc.refresh([ep('0.0.0.0:33033'), ep('5.0.0.1:0'), sn(1)]);
    expect(hc.entries()).toEqual([sn(1), ...bootstrapList(2)]);
  });

  it('holds at most 200 entries (BS-5), the freshest first', () => {
    expect(SKYPE_2004.hostCacheMax).toBe(200);
    const hc = new HostCache(SKYPE_2004.hostCacheMax, {}, bootstrapList(7));
    const list = Array.from({ length: 300 }, (_, i) => sn(i));
    hc.refresh(list);
    expect(hc.size).toBe(200);
    expect(hc.entries()).toEqual(list.slice(0, 200));
    hc.refresh([sn(500), sn(3)]);
    expect(hc.entries().slice(0, 3)).toEqual([sn(500), sn(3), sn(0)]);
    expect(hc.size).toBe(200);
    expect(hc.has(sn(199))).toBe(false);
  });

  it('property: never over the cap, no duplicates, every refresh list leads the order', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat({ max: 400 }).map(sn), { maxLength: 60 }), { maxLength: 20 }), fc.integer({ min: 1, max: 50 }), (lists, max) => {
        const hc = new HostCache(max, {}, []);
        for (const list of lists) {
          hc.refresh(list);
          const keys = hc.entries().map((e) => `${e.ip}:${e.port}`);
          expect(keys.length).toBeLessThanOrEqual(max);
          expect(new Set(keys).size).toBe(keys.length);
          const expectedHead = [...new Set(list.map((e) => `${e.ip}:${e.port}`))].slice(0, max);
          expect(keys.slice(0, expectedHead.length)).toEqual(expectedHead);
        }
      }),
    );
  });

  it('confirm moves to the front, markFailed to the back', () => {
    const hc = new HostCache(200, {}, [sn(1), sn(2), sn(3), sn(4)]);
    hc.confirm(sn(3));
    expect(hc.entries()).toEqual([sn(3), sn(1), sn(2), sn(4)]);
    hc.markFailed(sn(1));
    expect(hc.entries()).toEqual([sn(3), sn(2), sn(4), sn(1)]);
    hc.markFailed(sn(99));
    expect(hc.size).toBe(4);
  });

  it('persists across restarts through the disk object', () => {
    const disk: HostCacheDisk = {};
    const first = new HostCache(200, disk, bootstrapList(7));
    first.refresh([sn(1), sn(2)]);
    first.markFailed(bootstrapList(7)[0]);
    const second = new HostCache(200, disk, bootstrapList(7));
    expect(second.entries()).toEqual(first.entries());
    expect(second.entries()[0]).toEqual(sn(1));
  });

  it('never stores the host itself while it serves as an SN', () => {
    const self = ep('1.0.0.3:33033');
    const hc = new HostCache(200, {}, bootstrapList(5));
    hc.setSelf(self);
    expect(hc.has(self)).toBe(false);
    hc.refresh([self, sn(1)]);
    expect(hc.entries()[0]).toEqual(sn(1));
    expect(hc.loginCandidates(200)).not.toContainEqual(self);
  });

  it('a login round takes the first loginEntriesPerRound entries, then the bootstrap SNs not among them (BS-6)', () => {
    const boot = bootstrapList(3);
    const hc = new HostCache(200, {}, boot);
    hc.refresh([sn(1), sn(2), sn(3), boot[1]]);
    expect(hc.loginCandidates(2)).toEqual([sn(1), sn(2), boot[0], boot[1], boot[2]]);
    expect(hc.loginCandidates(200)).toEqual([sn(1), sn(2), sn(3), boot[1], boot[0], boot[2]]);
  });
});
