// BS-10 on the real network: behind a firewall that blocks UDP and lets TCP out only to ports
// 80 and 443, a host logs in over TCP 80/443 (to its SN and to the LS), and after its first
// probe times out it sends no UDP at all - no more probes, no NAT tests, keep-alives over TCP -
// also when it loses its SN and logs in again.
import { describe, expect, it } from 'vitest';
import { tcpConnectTimeoutMs } from '../../sim/checkers/index.js';
import { SmallWorld } from '../../sim/testing/index.js';

describe.each([
  { label: 'public address', nat: 'none' },
  { label: 'behind a port-restricted NAT', nat: 'port-restricted-cone' },
])('a host behind tcp-80-443-only ($label)', ({ nat }) => {
  const sw = new SmallWorld({ seed: 10, superNodes: 3, hosts: [{ name: 'walled', nat, firewall: 'tcp-80-443-only' }] });
  sw.advance(1_000);
  const loginAtMs = sw.nowMs;
  sw.login('walled');
  const online = sw.until(() => sw.state('walled') === 'online', 300_000);
  const onlineAtMs = sw.nowMs;
  // Ten keep-alive periods online, then its SN dies and it must log in again elsewhere.
  sw.advance(10 * sw.params.keepAliveIntervalMs);
  const snName = sw.world.bootstrapSupernodes.find((s) => s.endpoint.ip === sw.node('walled').currentSuperNode?.ip)!.name;
  sw.crashSuperNode(Number(snName.replace('sn-', '')));
  const crashAtMs = sw.nowMs;
  const relogged = sw.until(() => sw.state('walled') === 'online' && sw.node('walled').currentSuperNode?.ip !== sw.world.bootstrapSupernodes[Number(snName.replace('sn-', ''))].endpoint.ip, 600_000);
  sw.advance(5 * sw.params.keepAliveIntervalMs);

  const host = sw.netHost('walled');
  const trace = sw.traceEvents();
  const fromHost = trace.filter((e) => (e.ev === 'send' || e.ev === 'drop') && e.from === host);

  it('logs in, and again after losing its SN', () => {
    expect(online).toBe(true);
    expect(relogged).toBe(true);
    expect(sw.node('walled').natClass).toBe('udp-blocked');
    expect(sw.node('walled').udpBlocked).toBe(true);
  });

  it('reaches its SN and the LS over TCP 80 or 443 only', () => {
    const connects = trace.filter((e) => e.ev === 'tcp-connect' && e.host === host).map((e) => Number(String(e.remote).split(':')[1]));
    expect(connects.length).toBeGreaterThanOrEqual(3); // SN, LS, the second SN
    expect(connects.filter((port) => port !== 80 && port !== 443)).toEqual([]);
    const ls = sw.loginServer;
    const lsConnects = trace.filter((e) => e.ev === 'tcp-connect' && e.host === host && String(e.remote).startsWith(`${ipText(ls.ip)}:`));
    expect(lsConnects.length).toBeGreaterThanOrEqual(1);
  });

  it('sends no UDP after its first probe timed out', () => {
    const udp = fromHost.filter((e) => e.proto === 'udp');
    // The first probe, dropped by its own firewall on the way out, and nothing else.
    expect(udp.map((e) => `${e.ev} ${e.msg} ${e.reason ?? ''}`)).toEqual(['drop probe firewall']);
    const probeTimeoutAtMs = loginAtMs + sw.params.probeTimeoutMs;
    expect(udp.every((e) => (e.t as number) <= probeTimeoutAtMs)).toBe(true);
    // The network's own counters agree: the host's UDP never got past its firewall.
    const keepAlives = fromHost.filter((e) => e.msg === 'keepAlive');
    expect(keepAlives.length).toBeGreaterThanOrEqual(10);
    expect(keepAlives.every((e) => e.proto === 'tcp')).toBe(true);
  });

  it('detects no NAT class by UDP and announces udp-blocked', () => {
    expect(fromHost.filter((e) => e.msg === 'natProbe')).toEqual([]);
    expect(sw.nodeEvents('walled', 'natClassified').map((e) => e.detail?.natClass)).toEqual(['udp-blocked', 'udp-blocked']);
    expect(sw.nodeEvents('walled', 'udpBlocked')).toHaveLength(1);
  });

  it('takes one probe timeout plus one SYN timeout per connect the firewall swallowed, and little else', () => {
    // Each connect to a port other than 80 / 443 (the SN's own, the LS's own) is swallowed by
    // the firewall and fails after sim/net's SYN timeout (21 s); the rest is round trips.
    const blocked = trace.filter((e) => e.ev === 'tcp-timeout' && e.host === host && (e.t as number) <= onlineAtMs);
    expect(blocked.length).toBeGreaterThanOrEqual(1); // the SN's own port, at least
    expect(blocked.every((e) => ![80, 443].includes(Number(String(e.remote).split(':')[1])))).toBe(true);
    const waitedMs = sw.params.probeTimeoutMs + blocked.length * tcpConnectTimeoutMs(sw.tcp);
    expect(onlineAtMs - loginAtMs).toBeGreaterThan(waitedMs);
    expect(onlineAtMs - loginAtMs).toBeLessThan(waitedMs + 2_000);
    expect(crashAtMs).toBeGreaterThan(onlineAtMs);
  });

  it('breaks no invariant', () => {
    sw.assertNoViolations();
  });
});

function ipText(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}
