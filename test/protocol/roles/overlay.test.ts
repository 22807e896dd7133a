// The SN overlay: links counted honestly (a link that never came up never "goes down"), and a
// peer that refused a join or could not be reached is retried after a doubling delay, not at
// every overlay period.
import { describe, expect, it } from 'vitest';
import { ip, type Record } from './harness.js';
import { bootstrapList, testParams, World } from './world.js';

const MIN = 60_000;

function detail(r: Record): Readonly<{ [k: string]: string | number | boolean }> {
  return r.output.kind === 'trace' ? (r.output.detail ?? {}) : {};
}

/** sn1 takes one overlay link and opens none; sn2 and sn3 both want one to it. */
function fullPeerWorld(): World {
  const w = new World({ superNodes: 0, bootstrap: bootstrapList(3) });
  w.addHost('sn1', '1.0.0.1', { bootstrapSuperNode: true, port: 33033, params: testParams({ overlayDegree: 0, overlayLinksMax: 1 }) });
  w.addHost('sn2', '1.0.0.2', { bootstrapSuperNode: true, port: 33033 });
  w.addHost('sn3', '1.0.0.3', { bootstrapSuperNode: true, port: 33033 });
  return w;
}

function joinsTo(w: World, from: string, toIp: string): number {
  // One overlayJoin per connection; count the connects to the peer that were answered by a join.
  return w.net.traces(from, 'overlayJoinFailed').filter((r) => String(detail(r).peer).startsWith(toIp + ':')).length;
}

describe('overlay links', () => {
  it('a join refused as full is not a link going down, and the full peer is retried after a doubling delay', () => {
    const w = fullPeerWorld();
    w.net.runUntil(60 * MIN);
    const all = ['sn1', 'sn2', 'sn3'];
    const down = all.flatMap((n) => w.net.traces(n, 'overlayLinkDown'));
    const up = all.flatMap((n) => w.net.traces(n, 'overlayLinkUp'));
    // Nothing crashed: no link that was up went down.
    expect(down).toEqual([]);
    expect(up.length).toBeGreaterThan(0);
    // One of sn2 / sn3 got sn1's only slot; the other was refused: at 0, then 1, 2, 4, 8, 16, 32 min later.
    const refused = ['sn2', 'sn3'].find((n) => joinsTo(w, n, '1.0.0.1') > 0)!;
    const failures = w.net.traces(refused, 'overlayJoinFailed').filter((r) => String(detail(r).peer).startsWith('1.0.0.1:'));
    expect(failures.every((r) => detail(r).cause === 'full')).toBe(true);
    expect(failures.length).toBeLessThanOrEqual(7);
    expect(failures.map((r) => detail(r).retryInMs)).toEqual([1, 2, 4, 8, 16, 32, 60].slice(0, failures.length).map((m) => m * MIN));
    // sn2 and sn3 still link to each other.
    expect(w.host('sn2').superNode!.overlayPeers().map((e) => e.ip)).toContain(ip('1.0.0.3'));
  });

  it('an unreachable SN in the host cache is tried again only after the doubling delay', () => {
    // sn3 is in everyone's bootstrap list but never runs.
    const w = new World({ superNodes: 0, bootstrap: bootstrapList(3) });
    w.addHost('sn1', '1.0.0.1', { bootstrapSuperNode: true, port: 33033 });
    w.addHost('sn2', '1.0.0.2', { bootstrapSuperNode: true, port: 33033 });
    w.net.runUntil(60 * MIN);
    const tries = w.net.of('sn1', 'connect').filter((r) => r.output.kind === 'connect' && r.output.to.ip === ip('1.0.0.3'));
    expect(tries.length).toBeGreaterThan(1);
    expect(tries.length).toBeLessThanOrEqual(7);
    expect(w.net.traces('sn1', 'overlayJoinFailed').every((r) => detail(r).cause === 'unreachable')).toBe(true);
    expect(w.net.traces('sn1', 'overlayLinkDown')).toEqual([]);
  });

  it('a link that was up and whose peer crashed goes down once', () => {
    const w = new World({ superNodes: 2 });
    w.net.runUntil(2 * MIN);
    expect(w.host('sn1').superNode!.overlayLinkCount).toBeGreaterThan(0);
    w.net.crash('sn2');
    w.net.runUntil(60 * MIN);
    const down = w.net.traces('sn1', 'overlayLinkDown');
    // sn1 had two links with sn2 (one it opened, one sn2 opened): each goes down once.
    expect(down.length).toBe(w.net.traces('sn1', 'overlayLinkUp').length);
    expect(down.length).toBeLessThanOrEqual(2);
  });
});
