/**
 * Rows of the NAT and firewall items: BS-10 (login through a firewall: over TCP, on 80 / 443
 * when that is all it lets out), BS-11 (the NAT and firewall type found without a STUN
 * server), and the login transports of each setup (the BS-9 ladder as each setup walks it).
 */

import { SETUP_NAMES, type SetupName } from './lab.js';
import type { Measurements } from './measure.js';
import type { SessionResult } from './session.js';
import { PUBLISHED, row, verdictOf, type Row } from './types.js';

/** What the published behaviour predicts for each setup's login with a populated cache. */
const EXPECTED: Readonly<Record<SetupName, { readonly natClass: string; readonly ladder: string; readonly keepAlive: string }>> = {
  public: { natClass: 'open', ladder: `udp:${PUBLISHED.bootstrapPort} tcp:${PUBLISHED.bootstrapPort}`, keepAlive: 'udp' },
  'port-restricted-nat': { natClass: 'port-restricted', ladder: `udp:${PUBLISHED.bootstrapPort} tcp:${PUBLISHED.bootstrapPort}`, keepAlive: 'udp' },
  'nat-udp-blocked': { natClass: 'udp-blocked', ladder: `udp:${PUBLISHED.bootstrapPort} tcp:${PUBLISHED.bootstrapPort}`, keepAlive: 'tcp' },
  'nat-tcp-80-443': { natClass: 'udp-blocked', ladder: `udp:${PUBLISHED.bootstrapPort} tcp:${PUBLISHED.bootstrapPort} tcp:${PUBLISHED.fallbackTcpPorts[0]}`, keepAlive: 'tcp' },
};

const ladderOf = (s: SessionResult) => s.subsequent.steps.map((x) => `${x.transport}:${x.port}`).join(' ');

export function natRows(m: Measurements): Row[] {
  const rows: Row[] = [];
  const blocked = m.sessions['nat-tcp-80-443'];
  const udpBlocked = m.sessions['nat-udp-blocked'];
  const on80 = blocked.every((s) => PUBLISHED.fallbackTcpPorts.includes(s.first.snPort) && PUBLISHED.fallbackTcpPorts.includes(s.subsequent.snPort) && s.subsequent.udpBlocked);
  const tcpOnly = [...blocked, ...udpBlocked].every((s) => s.keepAliveProto === 'tcp' && s.subsequent.natTestPeers.length === 0);
  rows.push(
    row({
      id: 'BS-10',
      published: 'behind a firewall that blocks UDP the client logs in over TCP; if only TCP 80/443 go out, over TCP 80 or 443',
      measured: `UDP-blocked: SN reached on TCP ${[...new Set(udpBlocked.map((s) => s.subsequent.snPort))].join('/')}, keep-alives over ${[...new Set(udpBlocked.map((s) => s.keepAliveProto))].join('/')}; 80/443-only: SN reached on TCP ${[...new Set(blocked.map((s) => s.subsequent.snPort))].join('/')}, keep-alives over ${[...new Set(blocked.map((s) => s.keepAliveProto))].join('/')}; no NAT-test UDP in either`,
      toleranceClass: 'exact',
      verdict: verdictOf(on80 && tcpOnly && udpBlocked.every((s) => s.subsequent.udpBlocked)),
      explanation: 'Every session of the two firewalled setups; the port is that of the TCP connection to the SN the host attached to.',
    }),
  );

  const classes = SETUP_NAMES.map((n) => `${n}: ${[...new Set(m.sessions[n].flatMap((s) => [s.first.natClass, s.subsequent.natClass]))].join('/')}`);
  const classOk = SETUP_NAMES.every((n) => m.sessions[n].every((s) => s.first.natClass === EXPECTED[n].natClass && s.subsequent.natClass === EXPECTED[n].natClass));
  const peers = [...new Set(SETUP_NAMES.flatMap((n) => m.sessions[n].flatMap((s) => [...s.first.natTestPeers, ...s.subsequent.natTestPeers])))].sort();
  const peersOk = peers.every((p) => p.startsWith('sn-'));
  rows.push(
    row({
      id: 'BS-11',
      published: 'the client finds its NAT and firewall type with a STUN-like exchange against other nodes, with no STUN server',
      measured: `found ${classes.join('; ')}; NAT tests sent to ${peers.join(', ') || 'nobody'}`,
      toleranceClass: 'exact',
      verdict: verdictOf(classOk && peersOk),
      explanation: 'Expected classes: public → open, port-restricted NAT → port-restricted, both firewalls → udp-blocked. Every NAT-test destination must be an SN of the overlay (here the bootstrap SNs), not a dedicated server.',
    }),
  );

  const ladders = SETUP_NAMES.map((n) => ({ n, got: [...new Set(m.sessions[n].map(ladderOf))], want: EXPECTED[n].ladder }));
  rows.push(
    row({
      id: 'BS-9/10',
      published: 'login transports per setup, from the BS-9 ladder and BS-10: public and NAT - UDP probe answered, TCP to the SN\'s port; UDP blocked - probe unanswered, TCP to the SN\'s port; TCP 80/443 only - probe unanswered, the SN\'s port fails, TCP 80',
      measured: ladders.map((l) => `${l.n}: ${l.got.join(' | ')}`).join('; '),
      toleranceClass: 'exact',
      verdict: verdictOf(ladders.every((l) => l.got.length === 1 && l.got[0] === l.want)),
      explanation: 'The loginStep events of the login with a populated cache, every session.',
    }),
  );
  return rows;
}
