/**
 * `sim report baset`: runs the lab (lab.ts, measure.ts), turns the runs into rows (one module
 * per item group), and writes `report.md`, `results.json` and SVG figures into the output
 * directory (default reports/baset), each file atomically.
 *
 * Every number in the report comes from the runs made here; the published figures are the
 * constants of types.ts. Full: 30 seeded repetitions per setup (seeds base .. base + 29);
 * quick: 3, and a smaller host-cache run (still more SNs than the cap).
 */

import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cdfChart, ladderSvg, lineChart } from '../svg.js';
import { writeAtomic } from '../write.js';
import { callRows, callSetupTimes } from './calls.js';
import { loadLab, SETUP_NAMES, SETUP_TITLES, type LabSetup, type SetupName } from './lab.js';
import { loginRows, loginTimes } from './login-and-host-cache.js';
import { measure, type Measurements } from './measure.js';
import { natRows } from './nat-and-firewall.js';
import { searchRows } from './search.js';
import { CALL_MS, DOWN_MS, HOLD_MS, ONLINE_STAY_MS, TALK_BEFORE_HOLD_MS, type Ladder } from './session.js';
import { HOST_CACHE_RUN_MS } from './fallback.js';
import { round, sec } from './stats.js';
import { PUBLISHED, type Row } from './types.js';
import { projectPath } from '../../project.js';

export interface BasetReportOptions {
  readonly quick: boolean;
  readonly outDir: string;
  /** Where the setup files are (default: scenarios/baset of the package). */
  readonly scenarioDir?: string;
  readonly baseSeed?: number;
  readonly version: string;
  readonly onProgress?: (what: string) => void;
}

export interface BasetReport {
  readonly rows: readonly Row[];
  readonly files: readonly string[];
  readonly wallSeconds: number;
}

export const FULL_REPETITIONS = 30;
export const QUICK_REPETITIONS = 3;
/** Peers of the quick host-cache run: enough SNs to exceed the cap of 200 with the bootstrap SNs. */
const QUICK_PEERS = 220;

export function defaultScenarioDir(): string {
  const dir = projectPath(import.meta.url, 'scenarios', 'baset');
  if (!existsSync(dir)) throw new Error(`no scenarios/baset in the project (${dir})`);
  return dir;
}

export function runBasetReport(o: BasetReportOptions): BasetReport {
  const started = performance.now(); // wall-clock ok: the report's header says how long it took
  const scenarioDir = o.scenarioDir ?? defaultScenarioDir();
  const lab = loadLab(scenarioDir);
  const repetitions = o.quick ? QUICK_REPETITIONS : FULL_REPETITIONS;
  const baseSeed = o.baseSeed ?? 1;
  const peers = o.quick ? Math.min(QUICK_PEERS, lab.public.peers.count) : lab.public.peers.count;
  const m = measure(lab, { repetitions, baseSeed, peers, onProgress: o.onProgress });
  const rows = [...loginRows(m), ...natRows(m), ...searchRows(m.searches), ...callRows(m)].sort((a, b) => idOrder(a.id) - idOrder(b.id));
  o.onProgress?.('writing');

  const files: string[] = [];
  const put = (name: string, content: string) => {
    writeAtomic(join(o.outDir, name), content);
    files.push(name);
  };
  const figures = drawFigures(m);
  for (const [name, svg] of Object.entries(figures)) put(`figures/${name}`, svg);
  const wallSeconds = (performance.now() - started) / 1000; // wall-clock ok
  const meta = {
    profile: lab.public.profile,
    cryptoMode: lab.public.cryptoMode,
    quick: o.quick,
    repetitions,
    baseSeed,
    seeds: m.seeds,
    version: o.version,
    scenarios: SETUP_NAMES.map((n) => relative(join(scenarioDir, '..', '..'), lab[n].file)),
    hostCachePeers: peers,
    lab: labWords(lab.public),
    bootstrapSns: lab.public.base.superNodes ?? 0,
  };
  put('results.json', JSON.stringify({ ...meta, rows, raw: rawNumbers(m) }, null, 2) + '\n');
  put('report.md', markdown(m, rows, meta, Object.keys(figures), wallSeconds));
  return { rows, files, wallSeconds };
}

/** The lab's network in words, from the setup file as loaded. */
function labWords(setup: LabSetup): string {
  const regions = setup.base.regions ?? [];
  const rtt = setup.base.rttMs ?? [];
  const home = regions.indexOf(String(setup.caller.region));
  const net = setup.base.network as { jitter?: unknown; bandwidthClasses?: Record<string, unknown> } | undefined;
  const link = net?.bandwidthClasses?.[String(setup.caller.link)];
  const rtts = regions.map((r, i) => `${r} ${rtt[home]?.[i]} ms`).join(', ');
  return `core RTT from ${regions[home]}: ${rtts}; LS in ${setup.base.loginServerRegion}, bootstrap SNs in ${(setup.base.superNodeRegions ?? regions).join(', ')}; the machines' link ${setup.caller.link} ${JSON.stringify(link ?? '')}; jitter ${JSON.stringify(net?.jitter ?? 'none')}`;
}

function idOrder(id: string): number {
  const n = Number(/BS-(\d+)/.exec(id)?.[1] ?? 99);
  return n * 100 + (id.includes('/') ? 50 : id.charCodeAt(id.length - 1) >= 97 ? id.charCodeAt(id.length - 1) - 96 : 0);
}

function rawNumbers(m: Measurements) {
  const bySetup = <T>(f: (n: SetupName) => T) => Object.fromEntries(SETUP_NAMES.map((n) => [n, f(n)]));
  return {
    loginMs: bySetup((n) => ({ freshInstall: m.sessions[n].map((s) => round(s.first.ms)), populatedCache: m.sessions[n].map((s) => round(s.subsequent.ms)) })),
    callSetupMs: bySetup((n) => m.sessions[n].map((s) => round(s.call.setupMs))),
    callPath: bySetup((n) => m.sessions[n].map((s) => s.call.path)),
    talkBytesPerSec: bySetup((n) => m.sessions[n].map((s) => ({ caller: round(s.call.talkBytesPerSec.caller, 1), callee: round(s.call.talkBytesPerSec.callee, 1) }))),
    holdIntervalsMs: bySetup((n) => m.sessions[n].map((s) => s.call.holdIntervalsMs.map((x) => round(x)))),
    keepAliveIntervalsMs: bySetup((n) => m.sessions[n].map((s) => s.keepAliveIntervalsMs.map((x) => round(x)))),
    sessions: bySetup((n) =>
      m.sessions[n].map((s) => {
        const { ladders: _ladders, call, ...rest } = s;
        const { series: _series, ...callRest } = call;
        return { ...rest, call: callRest };
      }),
    ),
    fallback: m.fallback,
    hostCache: m.hostCache,
    ports: m.ports,
    searches: m.searches,
    ladders: bySetup((n) => m.sessions[n][0]?.ladders),
    mediaSeries: bySetup((n) => m.sessions[n][0]?.call.series),
  };
}

function drawLadder(l: Ladder, title: string): string {
  return ladderSvg(
    title,
    l.actors,
    l.arrows.map((a) => ({ tMs: a.tMs, from: a.from, to: a.to, label: `${a.msg} ${a.proto}:${a.port}`, dropped: a.dropped })),
    l.startMs,
  );
}

function drawFigures(m: Measurements): Record<string, string> {
  const out: Record<string, string> = {};
  out['login-time-cdf.svg'] = cdfChart(
    SETUP_NAMES.map((n) => ({ label: SETUP_TITLES[n], values: m.sessions[n].map((s) => s.subsequent.ms / 1000) })),
    { title: 'Login time by setup (populated host cache)', xLabel: 'login time (s, log scale)', logX: true, band: { from: PUBLISHED.loginTimeRangeS[0], to: PUBLISHED.loginTimeRangeS[1], label: 'published 3-7 s' } },
  );
  out['call-setup-cdf.svg'] = cdfChart(
    SETUP_NAMES.map((n) => ({ label: SETUP_TITLES[n], values: m.sessions[n].filter((s) => s.call.ok).map((s) => s.call.setupMs) })),
    { title: 'Call set-up time by setup (caller: placed to answered)', xLabel: 'set-up time (ms, log scale)', logX: true },
  );
  const first = m.sessions['port-restricted-nat'][0] ?? m.sessions.public[0];
  if (first) {
    const series = SETUP_NAMES.flatMap((n) => {
      const s = m.sessions[n][0];
      return s ? [{ label: `${SETUP_TITLES[n]} (${s.call.path})`, points: s.call.series.map((p) => [p.tS + 0.5, p.caller / 1000] as const) }] : [];
    });
    out['media-rate-hold.svg'] = lineChart(series, {
      title: 'Voice rate over a call with hold (first seed, caller\'s side)',
      xLabel: 'time since the call was placed (s)',
      yLabel: 'kB/s sent (wire bytes)',
      shade: { from: first.call.holdFromS, to: first.call.holdToS, label: 'on hold' },
    });
  }
  for (const n of SETUP_NAMES) {
    const l = m.sessions[n][0]?.ladders;
    if (!l) continue;
    out[`ladder-login-first-${n}.svg`] = drawLadder(l.first, `Login, fresh install - ${SETUP_TITLES[n]}`);
    out[`ladder-login-subsequent-${n}.svg`] = drawLadder(l.subsequent, `Login, populated host cache - ${SETUP_TITLES[n]}`);
    out[`ladder-call-${n}.svg`] = drawLadder(l.call, `Call set-up - ${SETUP_TITLES[n]}`);
    const search = m.searches[n][0]?.ladder;
    if (search) out[`ladder-search-${n}.svg`] = drawLadder(search, `User search (existing user) - ${SETUP_TITLES[n]}`);
  }
  out['ladder-fallback-fresh.svg'] = drawLadder(m.fallback.fresh.ladder, 'Login fall-back, fresh install, every SN unreachable (rounds 1-2 of 5)');
  out['ladder-fallback-populated.svg'] = drawLadder(m.fallback.populated.ladder, 'Login fall-back, HC entries then bootstrap SNs, all unreachable (rounds 1-2 of 5)');
  return out;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function markdown(m: Measurements, rows: readonly Row[], meta: Record<string, unknown> & { lab: string; bootstrapSns: number; cryptoMode: string; repetitions: number; seeds: readonly number[]; quick: boolean; profile: string; version: string; hostCachePeers: number }, figures: readonly string[], wallSeconds: number): string {
  const L: string[] = [];
  const count = (v: string) => rows.filter((r) => r.verdict === v).length;
  const exactDiffer = rows.filter((r) => r.toleranceClass === 'exact' && r.verdict === 'differ');
  L.push('# Baset & Schulzrinne (2004) measurements, reproduced');
  L.push('');
  L.push(`Generated by \`sim report baset${meta.quick ? ' --quick' : ''}\` (supernode-sim ${meta.version}). Do not edit: run the command again.`);
  L.push('');
  L.push(`- Profile \`${meta.profile}\`, crypto mode \`${meta.cryptoMode}\` (AES on every frame), parameters as published - none tuned for this report.`);
  L.push(`- ${meta.repetitions} seeded repetitions per setup, seeds ${meta.seeds[0]}-${meta.seeds[meta.seeds.length - 1]} (seed = base + repetition); fall-back and host-cache runs: seed ${meta.seeds[0]}.${meta.quick ? ' **Quick run**: distributions from 3 repetitions only.' : ''}`);
  L.push(`- Wall time of this report: ${wallSeconds.toFixed(1)} s (the full report runs 30 repetitions; \`--quick\` 3).`);
  L.push(`- Scenarios: ${(meta.scenarios as string[]).map((s) => `\`${s}\``).join(', ')}.`);
  L.push(`- Rows: ${count('pass')} pass, ${count('differ')} differ, ${count('not-measured')} not measured; exact-class rows differing: ${exactDiffer.length === 0 ? 'none' : exactDiffer.map((r) => r.id).join(', ')}.`);
  L.push('');
  L.push('Tolerance classes: **exact** - protocol behaviour (ports, counts, order, who talks to whom over what), anything else differs; **timer-exact** - a published timer, as the gap between the events it separates (±0.01 ms); **range** - the median must fall in the published range; **shape** - a published qualitative relation.');
  L.push('');
  L.push('## Published items');
  L.push('');
  L.push('| id | published | simulator | class | verdict | explanation |');
  L.push('|---|---|---|---|---|---|');
  for (const r of rows) L.push(`| ${r.id} | ${cell(r.published)} | ${cell(r.measured)} | ${r.toleranceClass} | ${r.verdict === 'pass' ? 'pass' : `**${r.verdict}**`} | ${cell(r.explanation)} |`);
  L.push('');
  L.push('## Login time by setup (BS-13)');
  L.push('');
  const t = loginTimes(m);
  L.push('Published: about 3-7 s on a public IP or behind a NAT; much longer behind a NAT and a UDP-blocking firewall.');
  L.push('');
  L.push('| setup | populated cache: median (p10-p90) s | fresh install: median s | ratio to the published 3-7 s (median / 5 s) | ratio to public |');
  L.push('|---|---|---|---|---|');
  for (const n of SETUP_NAMES) {
    L.push(`| ${SETUP_TITLES[n]} | ${sec(t[n].median)} (${sec(t[n].p10)}-${sec(t[n].p90)}) | ${sec(t[n].first.median)} | ${(t[n].median / 5000).toFixed(2)} | ${(t[n].median / t.public.median).toFixed(1)} |`);
  }
  L.push('');
  L.push('The published range\'s midpoint (5 s) is the reference of the ratio. Login time is from the user\'s login to `online` (presence acknowledged): the BS-9 ladder, the LS, the attach, the NAT test (BS-11) and presence.');
  L.push('');
  L.push('![Login time CDF](figures/login-time-cdf.svg)');
  L.push('');
  L.push('## Call set-up time by setup');
  L.push('');
  const c = callSetupTimes(m);
  L.push('No published figure; shown for the shape (a relay costs a selection and two joins).');
  L.push('');
  L.push('| setup | path | median (p10-p90) ms |');
  L.push('|---|---|---|');
  for (const n of SETUP_NAMES) L.push(`| ${SETUP_TITLES[n]} | ${c[n].path} | ${c[n].median.toFixed(0)} (${c[n].p10.toFixed(0)}-${c[n].p90.toFixed(0)}) |`);
  L.push('');
  L.push('![Call set-up time CDF](figures/call-setup-cdf.svg)');
  L.push('');
  L.push('## Voice rate with hold (BS-25 - BS-27)');
  L.push('');
  L.push('![Voice rate over a call with hold](figures/media-rate-hold.svg)');
  L.push('');
  L.push('## Ladder diagrams');
  L.push('');
  L.push('Drawn from the first repetition\'s trace (packets sent or dropped; TCP\'s bare acknowledgements left out; of the voice frames only the first on each hop). Times are seconds from the first arrow. A red dashed arrow ending in × is a packet dropped on its way (reason given).');
  L.push('');
  for (const n of SETUP_NAMES) {
    L.push(`### ${SETUP_TITLES[n]}`);
    L.push('');
    for (const kind of ['login-first', 'login-subsequent', 'search', 'call']) {
      const f = `ladder-${kind}-${n}.svg`;
      if (figures.includes(f)) L.push(`- [${kind.replace('-', ', ')}](figures/${f})`);
    }
    L.push('');
  }
  L.push('### Fall-back sequence (BS-6, BS-7, BS-9)');
  L.push('');
  L.push('- [fresh install](figures/ladder-fallback-fresh.svg)');
  L.push('- [populated host cache](figures/ladder-fallback-populated.svg)');
  L.push('');
  L.push('## The lab and the runs');
  L.push('');
  L.push(`The lab of the setup files (${meta.lab}): the two measured machines on a campus network, the Internet beyond, the ${meta.bootstrapSns} bootstrap SNs and the LS there; no loss.`);
  L.push(`Each repetition of a setup is one session: the callee logs in; the caller installs and logs in (fresh install), stays ${ONLINE_STAY_MS / 1000} s online, logs out and quits; ${DOWN_MS / 1000} s later it starts again and logs in (populated cache; the LS is visited again since a credential is not kept across starts); it then calls the callee (a buddy) for ${CALL_MS / 1000} s, on hold from ${TALK_BEFORE_HOLD_MS / 1000} s to ${(TALK_BEFORE_HOLD_MS + HOLD_MS) / 1000} s after the answer.`);
  L.push(`The fall-back runs make every SN unreachable (machine up, nothing listening). The host-cache run adds ${meta.hostCachePeers} public peers that become SNs after the profile's 1 h uptime threshold; it runs ${HOST_CACHE_RUN_MS / 3_600_000} simulated hours. The port run lets a stranger (no protocol node) open TCP connections to a public client and to an SN. The search runs (one per setup and seed) have caller and callee log in at different SNs, not buddies; the caller searches for the callee, again, and for a name nobody has; a second world has the caller call the callee, a non-buddy, at once.`);
  L.push('');
  L.push('The sessions\' lab has the 7 bootstrap SNs only (no peers): a populated host cache there holds those 7, so its login differs from a fresh install\'s only by what the first login taught (the SN that answered first). A host cache full of other SNs matters when the bootstrap SNs are far or loaded, which this lab does not model.');
  L.push('');
  L.push('Abstractions that matter for reading the numbers: TCP is modelled per message (handshake RTTs, SYN retries), not per segment; the callee answers at once; there is no talk-spurt model (so BS-26 is about the sender, not speech).');
  L.push('');
  return L.join('\n');
}
