/**
 * The network model under load: datagrams per second of wall time, and memory per host.
 *
 * The world: H hosts (default 100,000) in 5 regions; half public (one in ten behind a stateful
 * firewall), half behind home NAT boxes of two hosts each, the four classic types in turn.
 * Access links are a mix of DSL, cable and campus profiles with 1% Bernoulli or bursty
 * Gilbert-Elliott loss; jitter is exponential with a 2 ms mean.
 *
 * The traffic: every host listens on UDP 33033 and knows 8 contacts (pseudo-random hosts, a
 * hash of its id and the contact's number, so the harness reads no table), by the endpoint a
 * rendezvous host saw them at (NATed hosts first send one datagram out, so they
 * have a mapping to be seen at). Then for S simulated seconds (default 20) each host pings a
 * random contact once a second on average (a generator event every millisecond sends that
 * millisecond's pings), and every ping that arrives is answered with a pong to the source it
 * came from. Pings to a NATed contact die at its NAT unless its filter admits them; pongs
 * come back through the pinger's NAT. So most datagrams cross a NAT, the latency model and
 * the loss model, and some die at each of them.
 *
 * Memory is process heap plus array buffers, after a forced GC, minus the same taken before
 * the network was built (the harness's own tables are made before), divided by H: once after
 * building and warming up, once after the run (with the mappings, filter permissions and
 * in-flight datagrams of steady traffic).
 *
 * referenceEventsPerSec is the reference PHOLD loop's speed just before the run (bench/machine.ts):
 * this machine's speed at the time, to read the figures against.
 *
 * Usage: node dist/bench/net.js [--hosts=100000] [--seconds=20] [--seed=1] [--trace=off|sampled|full]
 *   [--trace-file=PATH]
 * Prints one JSON line. The trace is formatted and discarded, unless --trace-file names a file to
 * write it to (to check that a change to the model leaves a seed's run byte for byte the same). Wall time comes from process.hrtime (bench code, not simulation code);
 * datagramsPerCpuSec divides by the process's CPU time instead, which a busy machine disturbs less.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Kernel, RngStreams } from '../sim/kernel/index.js';
import { NAT_PRESETS, Network } from '../sim/net/index.js';
import type { LinkSpec, NetHostHandler } from '../sim/net/index.js';
import { FileSink, TraceWriter } from '../sim/trace/index.js';
import type { TraceLevel, TraceSink } from '../sim/trace/index.js';
import { referenceEventsPerSec } from './machine.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const options = new Map(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const [key, value] = a.slice(2).split('=');
      return [key, value ?? 'true'] as const;
    }),
);
const hostCount = Number(options.get('hosts') ?? 100_000);
const simSeconds = Number(options.get('seconds') ?? 20);
const seed = Number(options.get('seed') ?? 1);
const traceLevel = (options.get('trace') ?? 'off') as TraceLevel;
const traceFile = options.get('trace-file');

const PORT = 33033;
const CONTACTS = 8;
const PINGS_PER_HOST_PER_SEC = 1;
const REGIONS = ['na', 'eu', 'asia', 'sa', 'oc'];
const RTT_MS = [
  [30, 90, 180, 120, 160],
  [90, 25, 220, 190, 280],
  [180, 220, 40, 300, 130],
  [120, 190, 300, 35, 250],
  [160, 280, 130, 250, 30],
];
const LINKS: LinkSpec[] = [
  { uplinkBitsPerSec: 1e6, downlinkBitsPerSec: 8e6, accessDelayMs: 12, queueLimitBytes: 64_000, loss: { kind: 'bernoulli', lossRatio: 0.01 } },
  {
    uplinkBitsPerSec: 2e6,
    downlinkBitsPerSec: 20e6,
    accessDelayMs: 8,
    queueLimitBytes: 128_000,
    loss: { kind: 'gilbert-elliott', pGoodToBad: 0.005, pBadToGood: 0.3, lossRatioGood: 0.002, lossRatioBad: 0.4 },
  },
  { uplinkBitsPerSec: 100e6, downlinkBitsPerSec: 100e6, accessDelayMs: 1 },
];

const PING = new Uint8Array(100);
const PONG = new Uint8Array(100).fill(1);

const rngs = new RngStreams(seed);
const traffic = rngs.stream('bench/traffic');

const reference = referenceEventsPerSec();

// Harness tables, made before the baseline so that they are not counted as the model's.
const natOf = new Int32Array(hostCount).fill(-1);
const reachIp = new Uint32Array(hostCount);
const reachPort = new Uint16Array(hostCount);
let sent = 0;
let delivered = 0;

gc();
const baseline = memory();

const kernel = new Kernel();
const traceSink: TraceSink = traceFile === undefined ? { write() {}, close() {} } : new FileSink(traceFile);
const trace =
  traceLevel === 'off'
    ? TraceWriter.off()
    : new TraceWriter(traceSink, { level: traceLevel, sampleSalt: rngs.stream('trace/sample').int(2 ** 32 - 1) });
const net = new Network(kernel, rngs, { regions: REGIONS, rttMs: RTT_MS, jitterMs: { kind: 'exponential', mean: 2 } }, trace);

const handler: NetHostHandler = {
  onDatagram(host, localPort, fromIp, fromPort, bytes) {
    delivered++;
    if (bytes.length === 4) {
      const h = new DataView(bytes.buffer).getUint32(0);
      reachIp[h] = fromIp;
      reachPort[h] = fromPort;
      return;
    }
    if (bytes[0] !== 0) return;
    sent++;
    net.sendUdp(host, localPort, fromIp, fromPort, PONG, 'pong');
  },
  onConnected() {},
  onConnectFailed() {},
  onAccepted() {},
  onData() {},
  onClosed() {},
};

net.setDefaultHandler(handler);

// Host ids are 0 .. hostCount-1 in the order added: public ones first, then two per NAT box.
const publicCount = Math.floor(hostCount / 2);
let natCount = 0;
for (let h = 0; h < publicCount; h++) {
  net.addHost({ region: REGIONS[h % REGIONS.length], link: LINKS[h % LINKS.length], firewall: h % 10 === 9 ? 'stateful' : 'none' });
}
for (let h = publicCount; h < hostCount; natCount++) {
  const region = REGIONS[natCount % REGIONS.length];
  const nat = net.addNat({ region, preset: NAT_PRESETS[natCount % NAT_PRESETS.length] });
  for (let k = 0; k < 2 && h < hostCount; k++, h++) {
    net.addHost({ region, link: LINKS[h % LINKS.length], nat });
    natOf[h] = nat;
  }
}
for (let h = 0; h < hostCount; h++) net.listenUdp(h, PORT);

// Warm-up: each NATed host sends its id once to a public rendezvous host, so that its NAT has
// a mapping; the source the rendezvous sees is where others will reach it (or fail to).
for (let h = 0; h < hostCount; h++) {
  reachIp[h] = natOf[h] < 0 ? net.ipOf(h) : net.natIp(natOf[h]);
  reachPort[h] = PORT;
}
for (let h = publicCount; h < hostCount; h++) {
  const binding = new Uint8Array(4);
  new DataView(binding.buffer).setUint32(0, h);
  net.sendUdp(h, PORT, net.ipOf(traffic.int(publicCount)), PORT, binding, 'binding');
}
kernel.runUntil(1000);
const contactSalt = traffic.int(2 ** 32 - 1);

gc();
const built = memory();

// Traffic: a generator event each millisecond sends that millisecond's pings.
const pingsPerTick = (hostCount * PINGS_PER_HOST_PER_SEC) / 1000;
let owed = 0;
const tick = (): void => {
  owed += pingsPerTick;
  for (; owed >= 1; owed--) {
    const from = traffic.int(hostCount);
    const to = mix32((from * CONTACTS + traffic.int(CONTACTS)) ^ contactSalt) % hostCount;
    sent++;
    net.sendUdp(from, PORT, reachIp[to], reachPort[to], PING, 'ping');
  }
  if (kernel.now < endMs) kernel.after(1, tick, null);
};
const startMs = kernel.now;
const endMs = startMs + simSeconds * 1000;
const eventsBefore = kernel.executed;
const deliveredBefore = delivered;
kernel.at(startMs, tick, null);
const wallStart = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
kernel.runUntil(endMs + 2000);
const wallS = Number(process.hrtime.bigint() - wallStart) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpuS = (cpu.user + cpu.system) / 1e6;

trace.close();
gc();
const after = memory();
const state = net.stateSize();
const drops = net.drops();

console.log(
  JSON.stringify({
    bench: 'net',
    hosts: hostCount,
    natBoxes: natCount,
    trace: traceLevel,
    simSeconds,
    datagrams: sent,
    delivered: delivered - deliveredBefore,
    drops,
    events: kernel.executed - eventsBefore,
    wallS: +wallS.toFixed(3),
    cpuS: +cpuS.toFixed(3),
    datagramsPerSec: Math.round(sent / wallS),
    datagramsPerCpuSec: Math.round(sent / cpuS),
    bytesPerHost: Math.round((built - baseline) / hostCount),
    bytesPerHostAfterRun: Math.round((after - baseline) / hostCount),
    natMappings: state.natMappings,
    referenceEventsPerSec: reference,
    node: process.version,
  }),
);

function mix32(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}
