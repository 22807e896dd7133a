/**
 * Which TCP ports answer (BS-3): a stranger - a host that runs no protocol node - opens TCP
 * connections, from the campus, to an online public client that is not an SN (the callee of the
 * public setup) and to a bootstrap SN, on each one's own port and on 80 and 443. A port
 * answers when the connection opens (something listens); refused or silent, it does not.
 * Also whether the client's UDP and TCP ports are one number (its disk's port, and the source
 * of its UDP probe in the trace).
 */

import { SmallWorld } from '../../testing/small-world.js';
import type { LabSetup } from './lab.js';
import type { TraceEvent } from './session.js';

export interface PortProbe {
  readonly target: 'client' | 'sn';
  readonly port: number;
  /** `own` for the target's own port. */
  readonly which: string;
  readonly open: boolean;
}

export interface PortsResult {
  readonly probes: readonly PortProbe[];
  readonly clientPort: number;
  readonly clientUdpSourcePort: number;
}

export function runPorts(setup: LabSetup, seed: number): PortsResult {
  const sw = new SmallWorld({ ...setup.base, seed, hosts: [setup.caller, setup.callee] });
  sw.advance(5_000);
  sw.login('callee');
  if (!sw.until(() => sw.state('callee') === 'online', 600_000)) throw new Error(`ports: the callee did not log in (seed ${seed})`);
  sw.advance(5_000);
  const stranger = sw.addStranger(setup.callee.region);
  const client = sw.record('callee');
  const clientIp = sw.world.net.ipOf(client.netHost);
  const sn = sw.bootstrap[0];
  const targets = [
    { target: 'client' as const, ip: clientIp, own: client.disk.port! },
    { target: 'sn' as const, ip: sn.ip, own: sn.port },
  ];
  const asked: { probe: Omit<PortProbe, 'open'>; conn: number }[] = [];
  for (const t of targets) {
    for (const [which, port] of [['own', t.own], ['80', 80], ['443', 443]] as const) {
      asked.push({ probe: { target: t.target, port, which }, conn: stranger.connect({ ip: t.ip, port }) });
    }
  }
  // Long enough for a SYN to a silent port to give up too.
  sw.advance(60_000);
  const probe = (e: TraceEvent) => (e.ev === 'send' || e.ev === 'drop') && e.from === client.netHost && e.msg === 'probe';
  const firstProbe = (sw.traceEvents() as TraceEvent[]).find(probe);
  return {
    probes: asked.map((a) => ({ ...a.probe, open: stranger.heard.some((h) => h.kind === 'connected' && h.conn === a.conn) })),
    clientPort: client.disk.port!,
    clientUdpSourcePort: firstProbe ? Number(String(firstProbe.src).split(':')[1]) : NaN,
  };
}
