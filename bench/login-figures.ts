/**
 * Login figures for the issue note: the login time distribution over 30 seeded logins in each
 * of Baset & Schulzrinne's three setups (BS-13: public IP; behind a port-restricted NAT;
 * behind a NAT and a firewall that blocks UDP), each with a populated host cache, and the
 * messages and bytes one login puts on the wire, by message type. Prints one JSON document.
 *
 * Not a timed test: simulated times only, deterministic from the seeds. Run with
 * `npm run build && node dist/bench/login-figures.js`.
 *
 * The world (one per login, seed 1..30): three regions with the RTTs of scenarios/churn.yaml,
 * 2 ms mean exponential jitter, no loss; the LS in eu; the 7 bootstrap SNs (BS-7) spread over
 * the regions; the measured host on a DSL link (256 kbit/s up, 1 Mbit/s down, 15 ms access
 * delay) in region na, eu or asia by seed. "Populated host cache": the host ran before - it
 * logged in once (filling its cache from the SNs' replies), logged out and quit; the measured
 * login is that of the restarted application (cache on disk, no credential in memory, so the
 * LS is visited). Crypto: real AES on every frame (cryptoMode real).
 *
 * Login time: the host's `loginTimeMs` metric, from the user's login to `online` (presence
 * acknowledged) - it includes the BS-9 ladder, the LS, the attach and the NAT test (BS-11).
 * Per-login traffic: every packet sent by or to the measured host between its login and
 * `online`, as sim/net traces it (wire bytes, headers included; TCP handshake segments under
 * tcp-syn / tcp-syn-ack / tcp-ack; data acknowledgements are counted by sim/net but not
 * traced, so not here), averaged over the 30 logins; plus the SN-to-SN `natForward` of the
 * "other node" NAT test, which the login causes though it never touches the host.
 */

import { SmallWorld } from '../sim/testing/index.js';

interface Setup {
  readonly name: string;
  readonly bs: string;
  readonly nat: string;
  readonly firewall: 'none' | 'udp-blocked' | 'tcp-80-443-only';
}

const SETUPS: readonly Setup[] = [
  { name: 'public', bs: 'public IP address', nat: 'none', firewall: 'none' },
  { name: 'port-restricted-nat', bs: 'behind a port-restricted NAT', nat: 'port-restricted-cone', firewall: 'none' },
  { name: 'nat-udp-blocked', bs: 'behind a port-restricted NAT and a UDP-blocking firewall', nat: 'port-restricted-cone', firewall: 'udp-blocked' },
];

const LOGINS = 30;
const REGIONS = ['na', 'eu', 'asia'];

interface Login {
  readonly seed: number;
  readonly region: string;
  readonly loginMs: number;
  readonly hostCacheEntries: number;
  readonly natClass: string;
  readonly packets: Map<string, { count: number; bytes: number }>;
}

function oneLogin(setup: Setup, seed: number): Login {
  const region = REGIONS[seed % REGIONS.length];
  const sw = new SmallWorld({
    seed,
    regions: REGIONS,
    rttMs: [
      [40, 110, 190],
      [110, 30, 260],
      [190, 260, 60],
    ],
    network: { jitter: { kind: 'exponential', mean: '2ms' } },
    superNodes: 7,
    loginServerRegion: 'eu',
    hosts: [{ name: 'user', nat: setup.nat, firewall: setup.firewall, region, link: 'dsl', machine: 'medium' }],
    protocol: { passwordWorkFactor: 1000 },
    check: false,
  });
  // The earlier session that filled the cache: log in, stay a while, log out, quit.
  sw.advance(5_000);
  sw.login('user');
  if (!sw.until(() => sw.state('user') === 'online', 600_000)) throw new Error(`${setup.name} seed ${seed}: first login did not complete`);
  sw.advance(120_000);
  sw.logout('user');
  sw.advance(2_000);
  sw.crashHost('user');
  sw.advance(60_000);
  // The measured login.
  const before = sw.world.metrics.values('loginTimeMs', { outcome: 'ok' }).length;
  const startMs = sw.nowMs;
  const hostCacheEntries = sw.record('user').disk.hostCache?.length ?? 0;
  sw.restartHost('user');
  if (!sw.until(() => sw.state('user') === 'online', 600_000)) throw new Error(`${setup.name} seed ${seed}: login did not complete`);
  const endMs = sw.nowMs;
  const times = sw.world.metrics.values('loginTimeMs', { outcome: 'ok' });
  if (times.length !== before + 1) throw new Error(`${setup.name} seed ${seed}: expected one more loginTimeMs sample`);
  const host = sw.netHost('user');
  const packets = new Map<string, { count: number; bytes: number }>();
  // Trace times are rounded to the microsecond: compare with that much slack.
  const fromMs = startMs - 0.001;
  const toMs = endMs + 0.001;
  for (const e of sw.traceEvents()) {
    if (e.ev !== 'send' || (e.t as number) < fromMs || (e.t as number) > toMs) continue;
    if (e.from !== host && e.to !== host && e.msg !== 'natForward') continue;
    const key = e.msg as string;
    const p = packets.get(key) ?? { count: 0, bytes: 0 };
    p.count++;
    p.bytes += e.bytes as number;
    packets.set(key, p);
  }
  return { seed, region, loginMs: times[times.length - 1], hostCacheEntries, natClass: sw.node('user').natClass, packets };
}

function quantile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

function summarise(setup: Setup, logins: readonly Login[]) {
  const ms = logins.map((l) => l.loginMs).sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  const perType: Record<string, { messages: number; bytes: number }> = {};
  let messages = 0;
  let bytes = 0;
  const types = [...new Set(logins.flatMap((l) => [...l.packets.keys()]))].sort();
  for (const t of types) {
    const c = logins.reduce((s, l) => s + (l.packets.get(t)?.count ?? 0), 0) / logins.length;
    const b = logins.reduce((s, l) => s + (l.packets.get(t)?.bytes ?? 0), 0) / logins.length;
    perType[t] = { messages: round(c, 2), bytes: round(b, 1) };
    messages += c;
    bytes += b;
  }
  return {
    setup: setup.name,
    bs13: setup.bs,
    nat: setup.nat,
    firewall: setup.firewall,
    logins: logins.length,
    natClassDetected: [...new Set(logins.map((l) => l.natClass))],
    hostCacheEntries: { min: Math.min(...logins.map((l) => l.hostCacheEntries)), max: Math.max(...logins.map((l) => l.hostCacheEntries)) },
    loginTimeS: {
      min: round(ms[0] / 1000, 3),
      p10: round(quantile(ms, 0.1) / 1000, 3),
      median: round(quantile(ms, 0.5) / 1000, 3),
      mean: round(mean / 1000, 3),
      p90: round(quantile(ms, 0.9) / 1000, 3),
      max: round(ms[ms.length - 1] / 1000, 3),
    },
    loginTimeSByRegion: Object.fromEntries(REGIONS.map((r) => [r, round(logins.filter((l) => l.region === r).reduce((s, l) => s + l.loginMs, 0) / logins.filter((l) => l.region === r).length / 1000, 3)])),
    samplesS: logins.map((l) => round(l.loginMs / 1000, 3)),
    perLogin: { messages: round(messages, 2), bytes: round(bytes, 1), byType: perType },
  };
}

const results = SETUPS.map((setup) => {
  const logins: Login[] = [];
  for (let seed = 1; seed <= LOGINS; seed++) logins.push(oneLogin(setup, seed));
  return summarise(setup, logins);
});

process.stdout.write(
  JSON.stringify(
    {
      what: 'login time and traffic per login, 30 seeded logins per BS-13 setup, populated host cache',
      cryptoMode: 'real',
      profile: 'skype-2004',
      results,
    },
    null,
    2,
  ) + '\n',
);
