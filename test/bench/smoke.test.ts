// Every benchmark of `npm run bench`, compiled and run as `npm run bench:*` runs it but at a
// size a test affords: it must finish and print the figures its header names, with values a
// run of that size can give. The speed figures themselves are not asserted (tests are no place
// for timing); what is asserted is what holds at any speed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { compileTree } from '../compiled-tree.js';

const BENCHES = ['phold', 'net', 'churn', 'crypto', 'login-figures'] as const;
let dir: string;
let removeBuild: () => void;

beforeAll(() => {
  const build = compileTree('bench-build', BENCHES.map((b) => `bench/${b}.js`));
  dir = build.dir;
  removeBuild = build.remove;
});

afterAll(() => removeBuild?.());

/** Runs a compiled benchmark; its JSON output (one document, or one per line). */
async function bench(name: (typeof BENCHES)[number], ...args: string[]): Promise<Record<string, any>[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'bench', `${name}.js`), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const text = stdout.trim();
  return text.startsWith('{\n') ? [JSON.parse(text)] : text.split('\n').map((line) => JSON.parse(line));
}

describe.concurrent('benchmarks at a small size', () => {
  it('phold: the kernel and the reference loop each execute exactly TOTAL events, and the ratios are printed', async ({ expect }) => {
    const [kernel, reference, ratio] = await bench('phold', '200', '3', '30000');
    expect(kernel).toMatchObject({ N: 200, E: 3, events: 30_000 });
    expect(reference).toMatchObject({ impl: 'limit-typed', N: 200, E: 3, events: 30_000 });
    for (const line of [kernel, reference]) {
      expect(line.eventsPerSec).toBeGreaterThan(0);
      expect(line.bytesPerLP).toBeGreaterThan(0);
    }
    expect(ratio).toMatchObject({ bench: 'phold', N: 200, E: 3 });
    expect(ratio.eventsPerSecRatio).toBeCloseTo(kernel.eventsPerSec / reference.eventsPerSec, 2);
  });

  it('phold --repeat=3: three pairs, each kernel run in its own process, and the median of their ratios', async ({ expect }) => {
    const lines = await bench('phold', '200', '3', '30000', '--repeat=3');
    expect(lines).toHaveLength(7);
    const ratios = [0, 2, 4].map((i) => {
      expect(lines[i]).toMatchObject({ impl: 'kernel+alea', events: 30_000 });
      expect(lines[i + 1]).toMatchObject({ impl: 'limit-typed', events: 30_000 });
      return lines[i].eventsPerSec / lines[i + 1].eventsPerSec;
    });
    const summary = lines[6];
    expect(summary).toMatchObject({ bench: 'phold', N: 200, E: 3, of: 3 });
    summary.eventsPerSecRatios.forEach((r: number, i: number) => expect(r).toBeCloseTo(ratios[i], 2));
    expect(summary.eventsPerSecRatio).toBeCloseTo([...ratios].sort((a, b) => a - b)[1], 2);
  });

  it('net: traffic crosses the NATs, the loss model and the filters; rates and bytes per host are printed', async ({ expect }) => {
    const [r] = await bench('net', '--hosts=600', '--seconds=2');
    expect(r).toMatchObject({ bench: 'net', hosts: 600, natBoxes: 150, simSeconds: 2 });
    expect(r.delivered).toBeGreaterThan(r.datagrams / 2);
    expect(r.delivered).toBeLessThan(r.datagrams);
    // Pings to NATed contacts die at filters; 1% link loss; one public host in ten has a stateful firewall.
    for (const reason of ['nat-filter', 'loss', 'firewall']) expect(r.drops[reason]).toBeGreaterThan(0);
    expect(r.datagramsPerSec).toBeGreaterThan(0);
    expect(r.bytesPerHost).toBeGreaterThan(0);
    expect(r.natMappings).toBeGreaterThan(0);
    expect(r.referenceEventsPerSec).toBeGreaterThan(0);
  });

  it('churn: one line per crypto mode, and the mode changes the cost of a run, never what happens in it', async ({ expect }) => {
    const lines = await bench('churn', '--scale=0.01', '--duration=10min', '--modes=real,modelled,real-nomemo');
    expect(lines.map((l) => l.mode)).toEqual(['real', 'modelled', 'real-nomemo']);
    const [real, ...others] = lines;
    expect(real).toMatchObject({ bench: 'churn', hosts: 50, simulated: '10min' });
    expect(real.events).toBeGreaterThan(1000);
    expect(real.logins.ok).toBeGreaterThan(0);
    for (const other of others) {
      for (const key of ['events', 'logins', 'onlineMax', 'supernodesAtEnd', 'callsPlaced', 'mediaFramesSent']) expect(other[key], key).toEqual(real[key]);
    }
    for (const line of lines) {
      expect(line.setupS + line.eventLoopS).toBeLessThanOrEqual(line.wallS + 0.01);
      expect(line.peakRssMiB).toBeGreaterThan(0);
      expect(line.heapBytesPerHost).toBeGreaterThan(0);
      expect(line.referenceEventsPerSec).toBeGreaterThan(0);
    }
  });

  it('crypto: a rate for every path, real and modelled, each payload size', async ({ expect }) => {
    const [r] = await bench('crypto');
    const paths = ['real60B', 'real60BNoMemo', 'modelled60B', 'real200B', 'real200BNoMemo', 'modelled200B'];
    expect(Object.keys(r.framesPerSec).sort()).toEqual([...paths].sort());
    expect(Object.keys(r.wrapOnlyPerSec).sort()).toEqual(paths.filter((p) => !p.endsWith('NoMemo')).sort());
    for (const table of [r.framesPerSec, r.wrapOnlyPerSec]) for (const rate of Object.values(table)) expect(rate).toBeGreaterThan(0);
  });

  it('login figures: each Baset & Schulzrinne setup detected as itself, and NAT logins slower than public ones', async ({ expect }) => {
    const [r] = await bench('login-figures');
    const bySetup = Object.fromEntries((r.results as Record<string, any>[]).map((s) => [s.setup, s]));
    expect(Object.keys(bySetup)).toEqual(['public', 'port-restricted-nat', 'nat-udp-blocked']);
    expect(bySetup.public.natClassDetected).toEqual(['open']);
    expect(bySetup['port-restricted-nat'].natClassDetected).toEqual(['port-restricted']);
    expect(bySetup['nat-udp-blocked'].natClassDetected).toEqual(['udp-blocked']);
    for (const s of Object.values(bySetup) as Record<string, any>[]) expect(s.logins).toBe(30);
    expect(bySetup['port-restricted-nat'].loginTimeS.median).toBeGreaterThan(bySetup.public.loginTimeS.median);
    // No UDP: no NAT test and no UDP probes on the wire.
    expect(bySetup['nat-udp-blocked'].perLogin.byType.natProbe).toBeUndefined();
  });
});
