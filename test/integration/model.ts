// The model-based test's world, commands and driver, shared by model.test.ts (random sequences
// from fast-check) and the bug reproductions (fixed sequences).
//
// The model is much simpler than the system (STYLE.md 12): which hosts are up, which users want
// to be online, which bootstrap SNs are down, whether the regions are cut. The system is a
// SmallWorld whose invariant checkers run after every kernel event; a command that leaves a
// violation behind fails the run with the command log, printed like log lines:
//   login(pub-a) · crashSN(sn-0) · advance(30000)
import fc from 'fast-check';
import { formatViolations, livenessBoundMs, livenessViolations, snLossDetectionMs } from '../../sim/checkers/index.js';
import { SmallWorld, type SmallWorldOptions } from '../../sim/testing/index.js';

/** Two regions: the LS and two bootstrap SNs in `a`, one SN in `b`; hosts of every class in both. */
export const HOSTS = [
  { name: 'pub-a', region: 'a' },
  { name: 'pub-b', region: 'b' },
  { name: 'cone-b', region: 'b', nat: 'full-cone' },
  { name: 'prc-a', region: 'a', nat: 'port-restricted-cone' },
  { name: 'sym-b', region: 'b', nat: 'symmetric' },
  { name: 'walled-a', region: 'a', nat: 'port-restricted-cone', firewall: 'tcp-80-443-only' as const },
] as const;

export type HostName = (typeof HOSTS)[number]['name'];
export const HOST_NAMES: readonly HostName[] = HOSTS.map((h) => h.name);
export const SUPER_NODES = 3;

export function modelWorld(seed: number, extra: Partial<SmallWorldOptions> = {}): SmallWorld {
  return new SmallWorld({
    seed,
    regions: ['a', 'b'],
    rttMs: [
      [20, 80],
      [80, 20],
    ],
    superNodes: SUPER_NODES,
    superNodeRegions: ['a', 'b', 'a'],
    loginServerRegion: 'a',
    hosts: HOSTS,
    // Short uptime threshold so that the public hosts are promoted within a sequence; a short
    // restart hold so that a restarted SN serves again within one.
    protocol: { snUptimeThreshold: '3min', snRestartDelay: '4min', cryptoMode: 'modelled' },
    trace: false,
    ...extra,
  });
}

export interface Model {
  readonly up: Set<HostName>;
  readonly wants: Set<HostName>;
  readonly snDown: Set<number>;
  cut: boolean;
}

export interface Real {
  readonly sw: SmallWorld;
  readonly log: string[];
}

export function initialModel(): Model {
  return { up: new Set(), wants: new Set(), snDown: new Set(), cut: false };
}

/** Fails the run if the checkers saw anything, with the command log. */
function checked(r: Real, line: string, act: () => void): void {
  r.log.push(line);
  act();
  if (r.sw.violations.length > 0) {
    throw new Error(`invariant violated after: ${r.log.join(' · ')}\n${formatViolations(r.sw.violations)}`);
  }
}

type Cmd = fc.Command<Model, Real>;

class Login implements Cmd {
  constructor(readonly host: HostName) {}
  check(m: Readonly<Model>): boolean {
    return !(m.up.has(this.host) && m.wants.has(this.host));
  }
  run(m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.login(this.host));
    m.up.add(this.host);
    m.wants.add(this.host);
  }
  toString(): string {
    return `login(${this.host})`;
  }
}

class Logout implements Cmd {
  constructor(readonly host: HostName) {}
  check(m: Readonly<Model>): boolean {
    return m.up.has(this.host) && m.wants.has(this.host);
  }
  run(m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.logout(this.host));
    m.wants.delete(this.host);
  }
  toString(): string {
    return `logout(${this.host})`;
  }
}

class CrashHost implements Cmd {
  constructor(readonly host: HostName) {}
  check(m: Readonly<Model>): boolean {
    return m.up.has(this.host);
  }
  run(m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.crashHost(this.host));
    m.up.delete(this.host);
  }
  toString(): string {
    return `crashHost(${this.host})`;
  }
}

/** The application comes back and its user logs in again. */
class RestartHost implements Cmd {
  constructor(readonly host: HostName) {}
  check(m: Readonly<Model>): boolean {
    return !m.up.has(this.host) && m.wants.has(this.host);
  }
  run(m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.restartHost(this.host));
    m.up.add(this.host);
  }
  toString(): string {
    return `restartHost(${this.host})`;
  }
}

/** Bootstrap SN `i` crashes (its clients notice by keep-alive). */
class CrashSN implements Cmd {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>): boolean {
    return !m.snDown.has(this.i);
  }
  run(m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.crashSuperNode(this.i));
    m.snDown.add(this.i);
  }
  toString(): string {
    return `crashSN(sn-${this.i})`;
  }
}

class RestartSN implements Cmd {
  constructor(readonly i: number) {}
  check(m: Readonly<Model>): boolean {
    return m.snDown.has(this.i);
  }
  run(m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.restartSuperNode(this.i));
    m.snDown.delete(this.i);
  }
  toString(): string {
    return `restartSN(sn-${this.i})`;
  }
}

/** A promoted ordinary host crashes while serving (picked among those serving then, if any). */
class CrashServingHost implements Cmd {
  constructor(readonly pick: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const serving = r.sw.serving().filter((n) => !n.startsWith('sn-'));
    const victim = serving[this.pick % Math.max(1, serving.length)];
    checked(r, `crashSN(${victim ?? 'none serving'})`, () => {
      if (victim) r.sw.crashHost(victim);
    });
    if (victim) m.up.delete(victim.replace(/-0$/, '') as HostName);
  }
  toString(): string {
    return `crashSN(promoted #${this.pick})`;
  }
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.advance(this.ms));
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

class Partition implements Cmd {
  check(m: Readonly<Model>): boolean {
    return !m.cut;
  }
  run(m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.partition(['a'], ['b']));
    m.cut = true;
  }
  toString(): string {
    return 'partition(a,b)';
  }
}

class Heal implements Cmd {
  check(m: Readonly<Model>): boolean {
    return m.cut;
  }
  run(m: Model, r: Real): void {
    checked(r, this.toString(), () => r.sw.heal());
    m.cut = false;
  }
  toString(): string {
    return 'heal()';
  }
}

const host = fc.constantFrom(...HOST_NAMES);
const sn = fc.integer({ min: 0, max: SUPER_NODES - 1 });

export const COMMANDS: fc.Arbitrary<Cmd>[] = [
  host.map((h) => new Login(h)),
  host.map((h) => new Login(h)),
  host.map((h) => new Logout(h)),
  host.map((h) => new CrashHost(h)),
  host.map((h) => new RestartHost(h)),
  sn.map((i) => new CrashSN(i)),
  sn.map((i) => new RestartSN(i)),
  fc.nat({ max: 3 }).map((i) => new CrashServingHost(i)),
  fc.constantFrom(1_000, 5_000, 30_000, 60_000, 120_000, 300_000).map((ms) => new Advance(ms)),
  fc.constantFrom(30_000, 120_000, 300_000).map((ms) => new Advance(ms)),
  fc.constant(new Partition()),
  fc.constant(new Heal()),
];

/**
 * The start of every run: every user logs in, and a minute passes (most are online by then).
 */
export function begin(r: Real, m: Model): void {
  r.sw.advance(1_000);
  for (const h of HOST_NAMES) {
    r.sw.login(h);
    m.up.add(h);
    m.wants.add(h);
  }
  checked(r, 'login(everyone) · advance(60000)', () => r.sw.advance(60_000));
}

/**
 * The end of every run: faults stop and the partition heals. Users who want to be online log
 * in again whenever their login has failed (BS-9's failure is final for the protocol; a person
 * clicks again). First the restart hold passes, so every SN that will serve again does; from
 * then on, within `livenessBoundMs`, every host that is up, wants to be online and knows a
 * reachable serving SN must be online (the safety checkers run at every event meanwhile, so a
 * host left "online" on a dead SN past the detection window is caught too).
 * Returns how many hosts are online at the end (each was owed liveness or got there anyway).
 */
export function settle(r: Real, m: Model): number {
  const sw = r.sw;
  checked(r, 'heal()', () => sw.heal());
  m.cut = false;
  const wants = (n: string): boolean => m.wants.has(n.replace(/-0$/, '') as HostName);
  const relogin = (): void => {
    for (const h of HOST_NAMES) if (m.up.has(h) && m.wants.has(h) && sw.state(h) === 'offline') checked(r, `login(${h})`, () => sw.login(h));
  };
  /** Runs event by event to `endMs`, logging users back in; stops early once `done()`. */
  const runUntil = (endMs: number, done: () => boolean): void => {
    for (;;) {
      relogin();
      if (done() || sw.world.kernel.nextTime() > endMs) break;
      sw.step();
    }
    if (sw.nowMs < endMs && !done()) sw.runUntil(endMs);
  };
  checked(r, `advance(${sw.params.snRestartDelayMs})`, () => runUntil(sw.nowMs + sw.params.snRestartDelayMs, () => false));
  const startMs = sw.nowMs;
  // Candidates a round can try: the bootstrap list and every host that could ever serve.
  const boundMs = livenessBoundMs(sw.params, sw.tcp, SUPER_NODES + HOST_NAMES.length);
  // At least the SN-loss detection window runs, so a host still "online" on a dead SN is seen.
  const detectedMs = startMs + snLossDetectionMs(sw.params);
  const live = (): boolean => sw.nowMs >= detectedMs && livenessViolations(sw.view(), wants).length === 0;
  checked(r, `await liveness (bound ${boundMs} ms)`, () => runUntil(startMs + boundMs, live));
  const late = livenessViolations(sw.view(), wants);
  if (late.length > 0) throw new Error(`liveness violated ${Math.round(sw.nowMs - startMs)} ms after healing: ${r.log.join(' · ')}\n${formatViolations(late)}`);
  return HOST_NAMES.filter((h) => sw.state(h) === 'online').length;
}

/** Runs a fixed sequence (for reproductions): commands, then `settle`. */
export function replay(seed: number, cmds: Iterable<Cmd>): Real {
  const r: Real = { sw: modelWorld(seed), log: [] };
  const m = initialModel();
  begin(r, m);
  for (const c of cmds) if (c.check(m)) c.run(m, r);
  settle(r, m);
  return r;
}

export const cmd = {
  login: (h: HostName) => new Login(h),
  logout: (h: HostName) => new Logout(h),
  crashHost: (h: HostName) => new CrashHost(h),
  restartHost: (h: HostName) => new RestartHost(h),
  crashSN: (i: number) => new CrashSN(i),
  restartSN: (i: number) => new RestartSN(i),
  crashServingHost: (pick: number) => new CrashServingHost(pick),
  advance: (ms: number) => new Advance(ms),
  partition: () => new Partition(),
  heal: () => new Heal(),
};
