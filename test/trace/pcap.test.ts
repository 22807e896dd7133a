// trace.pcapng read back by tshark: one packet per trace packet event, on the interface of its
// event (0 send, 1 deliver, 2 drop), with the trace's addresses, ports and lengths, nothing
// malformed; byte-identical for one seed; with the trace off, every packet still.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunDirectory } from '../../sim/output/run-directory.js';
import { runScenario } from '../../sim/run/run.js';
import { isOverride, loadScenarioFile, parseSetOption, type Scenario } from '../../sim/scenario/index.js';

const TSHARK = '/usr/bin/tshark';
const churnFile = resolve(import.meta.dirname, '../../scenarios/churn.yaml');
const dir = mkdtempSync(join(tmpdir(), 'pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(trace: 'full' | 'off' | 'sample'): Scenario {
  const sets = ['hosts[0].count=25', 'hosts[1].count=25', 'hosts[2].count=25', 'hosts[3].count=25', 'duration=10min', `output.trace=${trace}`, 'output.pcap=true'];
  if (trace === 'sample') sets.push('output.traceSampleOneInN=4');
  const overrides = sets.map(parseSetOption).map((o) => {
    if (!isOverride(o)) throw new Error(JSON.stringify(o));
    return o;
  });
  const loaded = loadScenarioFile(churnFile, overrides);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.scenario;
}

async function runTo(name: string, trace: 'full' | 'off' | 'sample'): Promise<string> {
  const out = RunDirectory.open(join(dir, name));
  await runScenario(scenario(trace), { run: 0, out, version: 'test' });
  return out.commit();
}

function tshark(...args: string[]): string {
  return execFileSync(TSHARK, args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
}

interface PacketEv {
  ev: string;
  proto: string;
  src: string;
  dst: string;
  bytes: number;
}

function tracePackets(runPath: string): PacketEv[] {
  return readFileSync(join(runPath, 'trace.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as PacketEv)
    .filter((e) => e.ev === 'send' || e.ev === 'deliver' || e.ev === 'drop');
}

const IFACE: Record<string, string> = { send: '0', deliver: '1', drop: '2' };

describe('trace.pcapng', () => {
  let full = '';

  beforeAll(async () => {
    try {
      execFileSync(TSHARK, ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error(`tshark not found at ${TSHARK}: install it (apt-get install tshark) - the pcap test needs it and does not skip`);
    }
    full = await runTo('full', 'full');
  });

  it('holds every packet event of a full trace, one by one, on its event interface', () => {
    const file = join(full, 'trace.pcapng');
    const rows = tshark('-r', file, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'tcp.dstport', '-e', 'frame.len')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split('\t'));
    const events = tracePackets(full);
    expect(events.length).toBeGreaterThan(1000);
    const count = (pred: (x: string) => boolean, xs: string[]) => xs.filter(pred).length;
    expect(count((i) => i === '0', rows.map((r) => r[0]))).toBe(events.filter((e) => e.ev === 'send').length);
    expect(count((i) => i === '1', rows.map((r) => r[0]))).toBe(events.filter((e) => e.ev === 'deliver').length);
    expect(rows.length).toBe(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const [srcIp] = e.src.split(':');
      const [dstIp, dstPort] = e.dst.split(':');
      const expected = [IFACE[e.ev], srcIp, dstIp, e.proto === 'udp' ? dstPort : '', e.proto === 'tcp' ? dstPort : '', String(e.bytes)];
      if (rows[i].join('\t') !== expected.join('\t')) expect({ i, row: rows[i], event: e }).toEqual({ i, row: expected, event: e });
    }
    // Both protocols, and NATed packets: some delivered sources differ from every sender's own address.
    expect(events.some((e) => e.proto === 'udp') && events.some((e) => e.proto === 'tcp')).toBe(true);
    const senders = new Set(events.filter((e) => e.ev === 'send').map((e) => e.src.split(':')[0]));
    expect(events.some((e) => e.ev === 'deliver' && !senders.has(e.src.split(':')[0]))).toBe(true);
  });

  it('has no malformed packets, and TCP flags follow the message type', () => {
    const file = join(full, 'trace.pcapng');
    expect(tshark('-r', file, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number')).toBe('');
    expect(tshark('-r', file, '-Y', '_ws.expert.severity >= error', '-T', 'fields', '-e', 'frame.number')).toBe('');
    // IPv4 header checksums verified.
    const checked = tshark('-o', 'ip.check_checksum:TRUE', '-r', file, '-T', 'fields', '-e', 'ip.checksum.status').split('\n').filter(Boolean);
    expect(checked.length).toBeGreaterThan(0);
    expect(new Set(checked)).toEqual(new Set(['1'])); // 0 bad, 1 good, 2 unverified
    const syns = tshark('-r', file, '-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0', '-T', 'fields', '-e', 'frame.comment').split('\n').filter(Boolean);
    expect(syns.length).toBeGreaterThan(0);
    expect(new Set(syns.map((c) => c.split(';')[0]))).toEqual(new Set(['tcp-syn']));
  });

  it('is byte-identical for the same seed, and with the trace off holds every packet', async () => {
    const again = await runTo('again', 'full');
    const a = readFileSync(join(full, 'trace.pcapng'));
    expect(readFileSync(join(again, 'trace.pcapng')).equals(a)).toBe(true);
    const off = await runTo('off', 'off');
    expect(readFileSync(join(off, 'trace.pcapng')).equals(a)).toBe(true);
  });

  it('with a sampled trace holds exactly the sampled packets', async () => {
    const sampled = await runTo('sampled', 'sample');
    const rows = tshark('-r', join(sampled, 'trace.pcapng'), '-T', 'fields', '-e', 'frame.len').split('\n').filter(Boolean);
    const events = tracePackets(sampled);
    expect(events.length).toBeGreaterThan(0);
    expect(rows).toEqual(events.map((e) => String(e.bytes)));
  });
});
