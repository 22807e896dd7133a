/**
 * One seeded session in one setup of the lab, as the study's experiments ran it: the caller
 * installs and logs in (fresh install: the bootstrap list only), stays online (keep-alives),
 * logs out and quits, starts again (populated host cache) and logs in, then calls the callee
 * (a buddy), puts the call on hold and takes it off hold, and hangs up. The callee logs in
 * first and stays. Everything measured comes from the run's trace and node events.
 *
 * Timeline (simulated): 5 s idle; callee and caller log in; 200 s online; logout, quit,
 * 60 s down; restart and log in; 5 s; call of 40 s: 10 s talking, 12 s on hold, the rest
 * talking; 2 s after the hang-up the world stops.
 */

import { SmallWorld } from '../../testing/small-world.js';
import type { LabSetup } from './lab.js';

export type TraceEvent = Record<string, any>;

/** One arrow of a ladder diagram: a packet sent (or dropped on its way) between two actors. */
export interface Arrow {
  readonly tMs: number;
  readonly from: string;
  readonly to: string;
  readonly msg: string;
  readonly proto: string;
  readonly port: number;
  readonly dropped: string;
}

export interface Ladder {
  readonly title: string;
  readonly startMs: number;
  readonly arrows: readonly Arrow[];
  /** Actors in drawing order. */
  readonly actors: readonly string[];
}

export interface LoginObservation {
  readonly ms: number;
  /** The round-1 ladder steps, in order, as `transport:port@entry`. */
  readonly steps: readonly { transport: string; port: number; entry: string; round: number; tMs: number }[];
  /** Port of the SN the host attached to, as the TCP connection reached it. */
  readonly snPort: number;
  readonly natClass: string;
  readonly udpBlocked: boolean;
  /** Destinations (actor names) of the host's NAT tests. */
  readonly natTestPeers: readonly string[];
  readonly hostCacheEntries: number;
}

export interface CallObservation {
  readonly ok: boolean;
  readonly failure: string;
  readonly setupMs: number;
  readonly path: string;
  readonly relay: string;
  /** The caller's call signalling: `direct` (TCP to the callee) or `via-sn` (routed through SNs). */
  readonly signalling: string;
  readonly signallingProtos: readonly string[];
  /** Media of each side: proto and the actor it is sent to. */
  readonly media: { readonly caller: { proto: string; to: string }; readonly callee: { proto: string; to: string } };
  /** UDP packets the two machines sent from the call's placement to its end. */
  readonly udpDuringCall: number;
  /** Wire bytes per second each way while talking (before the hold). */
  readonly talkBytesPerSec: { readonly caller: number; readonly callee: number };
  /** Largest gap between two voice frames of one side while talking. */
  readonly talkMaxGapMs: number;
  readonly frameMs: number;
  /** Intervals between the media packets of each side while on hold. */
  readonly holdIntervalsMs: readonly number[];
  /** Bytes per second, each way, from the call's placement, one entry per second. */
  readonly series: readonly { readonly tS: number; readonly caller: number; readonly callee: number }[];
  readonly holdFromS: number;
  readonly holdToS: number;
}

export interface SessionResult {
  readonly setup: string;
  readonly seed: number;
  readonly first: LoginObservation;
  readonly subsequent: LoginObservation;
  readonly keepAliveIntervalsMs: readonly number[];
  readonly keepAliveProto: string;
  readonly call: CallObservation;
  /** The callee's UDP port (source of its first probe) and the TCP port a direct call reached it on (0: no direct TCP). */
  readonly calleePorts: { readonly udp: number; readonly tcp: number };
  readonly ladders?: { readonly first: Ladder; readonly subsequent: Ladder; readonly call: Ladder };
}

export const ONLINE_STAY_MS = 200_000;
export const DOWN_MS = 60_000;
export const CALL_MS = 40_000;
export const TALK_BEFORE_HOLD_MS = 10_000;
export const HOLD_MS = 12_000;

export function ipString(ip: number): string {
  return `${(ip >>> 24) & 255}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Names of the world's machines by network id and by public IP, for trace events. */
export class Actors {
  readonly byId = new Map<number, string>();
  readonly byIp = new Map<string, string>();
  constructor(sw: SmallWorld, names: readonly string[]) {
    for (const n of names) {
      const id = sw.netHost(n);
      const short = n === 'caller-0' || n === 'callee-0' ? n.slice(0, -2) : n;
      this.byId.set(id, short);
      this.byIp.set(ipString(sw.world.net.ipOf(id)), short);
    }
  }
  of(id: unknown, endpoint: unknown): string {
    const byId = typeof id === 'number' ? this.byId.get(id) : undefined;
    if (byId) return byId;
    const ip = String(endpoint ?? '').split(':')[0];
    return this.byIp.get(ip) ?? `?${ip}`;
  }
}

export function infraNames(sw: SmallWorld): string[] {
  return [...sw.world.loginServers.map((l) => l.name), ...sw.world.bootstrapSupernodes.map((s) => s.name)];
}

function portOf(endpoint: unknown): number {
  return Number(String(endpoint ?? '').split(':')[1] ?? NaN);
}

export function arrowsOf(events: readonly TraceEvent[], actors: Actors, fromMs: number, toMs: number, involve: ReadonlySet<string>): Arrow[] {
  const out: Arrow[] = [];
  for (const e of events) {
    if (e.t < fromMs - 0.001 || e.t > toMs + 0.001) continue;
    if (e.ev !== 'send' && e.ev !== 'drop') continue;
    if (e.msg === 'tcp-ack') continue;
    // Voice frames: the first of each hop shows the path; the rest would bury the signalling.
    if (e.msg === 'mediaFrame' && out.some((a) => a.msg === 'mediaFrame' && a.from === actors.of(e.from, e.src) && a.to === actors.of(e.to, e.dst))) continue;
    const from = actors.of(e.from, e.src);
    const to = actors.of(e.ev === 'drop' && e.to === -1 ? undefined : e.to, e.dst);
    if (!involve.has(from) && !involve.has(to)) continue;
    // A drop after a send is the same packet: mark the send instead of drawing it twice.
    if (e.ev === 'drop') {
      const sent = [...out].reverse().find((a) => a.from === from && a.msg === e.msg && a.dropped === '' && a.to === to);
      if (sent && e.to !== -1) {
        out[out.lastIndexOf(sent)] = { ...sent, dropped: e.reason };
        continue;
      }
    }
    out.push({ tMs: e.t, from, to, msg: e.msg, proto: e.proto, port: portOf(e.dst), dropped: e.ev === 'drop' ? e.reason : '' });
  }
  return out;
}

export function ladder(title: string, arrows: Arrow[], first: readonly string[]): Ladder {
  const seen = new Set<string>(first);
  for (const a of arrows) {
    seen.add(a.from);
    seen.add(a.to);
  }
  const rest = [...seen].filter((x) => !first.includes(x)).sort();
  return { title, startMs: arrows[0]?.tMs ?? 0, arrows, actors: [...first, ...rest] };
}

/** The relay of a call, named as such in its ladder. */
function asRelay(arrows: Arrow[], relay: string): Arrow[] {
  if (relay === '') return arrows;
  const name = (a: string) => (a === relay ? `${relay} (relay)` : a);
  return arrows.map((a) => ({ ...a, from: name(a.from), to: name(a.to) }));
}

function nodeEvents(events: readonly TraceEvent[], hostId: number, name: string, fromMs = -Infinity): TraceEvent[] {
  return events.filter((e) => e.ev === 'node' && e.host === hostId && e.event === name && e.t >= fromMs - 0.001);
}

function observeLogin(sw: SmallWorld, events: readonly TraceEvent[], actors: Actors, host: string, startMs: number, endMs: number): LoginObservation {
  const id = sw.netHost(host);
  const inWindow = (e: TraceEvent) => e.t >= startMs - 0.001 && e.t <= endMs + 0.001;
  const ok = nodeEvents(events, id, 'loginSucceeded', startMs).find(inWindow);
  if (!ok) throw new Error(`${host}: no loginSucceeded between ${startMs} and ${endMs}`);
  const steps = nodeEvents(events, id, 'loginStep', startMs)
    .filter(inWindow)
    .map((e) => ({ transport: e.detail.transport, port: e.detail.port, entry: e.detail.entry, round: e.detail.round, tMs: e.t }));
  const connects = events.filter((e) => e.ev === 'tcp-connect' && e.host === id && inWindow(e));
  const snEntry = String(ok.detail.superNode);
  const snIp = snEntry.split(':')[0];
  const snConnect = connects.filter((c) => String(c.remote).split(':')[0] === snIp).pop();
  const nat = nodeEvents(events, id, 'natClassified', startMs).find(inWindow);
  const natTestPeers = [...new Set(events.filter((e) => inWindow(e) && (e.ev === 'send' || e.ev === 'drop') && e.from === id && e.msg === 'natProbe').map((e) => actors.of(e.to, e.dst)))];
  return {
    ms: Number(ok.detail.ms),
    steps,
    snPort: snConnect ? portOf(snConnect.remote) : NaN,
    natClass: String(nat?.detail.natClass ?? sw.node(host).natClass),
    udpBlocked: nodeEvents(events, id, 'udpBlocked', startMs).some(inWindow),
    natTestPeers,
    hostCacheEntries: sw.record(host).disk.hostCache?.length ?? 0,
  };
}

export function runSession(setup: LabSetup, seed: number, withLadders: boolean): SessionResult {
  const sw = new SmallWorld({ ...setup.base, seed, hosts: [setup.caller, setup.callee] });
  const actors = new Actors(sw, ['caller-0', 'callee-0', ...infraNames(sw)]);
  const caller = 'caller';
  const online = (h: string) => () => sw.state(h) === 'online';
  sw.advance(5_000);
  sw.login('callee');
  if (!sw.until(online('callee'), 600_000)) throw new Error(`${setup.name} seed ${seed}: the callee did not log in`);
  const firstStart = sw.nowMs;
  sw.login(caller);
  if (!sw.until(online(caller), 600_000)) throw new Error(`${setup.name} seed ${seed}: the caller's first login did not complete`);
  const firstEnd = sw.nowMs;
  sw.advance(ONLINE_STAY_MS);
  const stayEnd = sw.nowMs;
  sw.logout(caller);
  sw.advance(2_000);
  sw.crashHost(caller);
  sw.advance(DOWN_MS);
  const secondStart = sw.nowMs;
  sw.restartHost(caller);
  if (!sw.until(online(caller), 600_000)) throw new Error(`${setup.name} seed ${seed}: the caller's second login did not complete`);
  const secondEnd = sw.nowMs;
  sw.advance(5_000);

  const callerId = sw.netHost(caller);
  const calleeId = sw.netHost('callee');
  const placedMs = sw.nowMs;
  sw.act(caller, { type: 'call', callee: sw.hostName('callee'), durationMs: CALL_MS });
  // The node-event log, not the trace: reading the trace at every step would be quadratic.
  const log = sw.nodeEventLog;
  const callerName = sw.hostName(caller);
  const from = log.length;
  const callerSaid = (...names: string[]) => () => log.slice(from).some((e) => e.host === callerName && names.includes(e.event));
  sw.until(callerSaid('callAnswered', 'callFailed'), 60_000);
  const answeredLog = log.slice(from).find((e) => e.host === callerName && e.event === 'callAnswered');
  let holdFromMs = NaN;
  let holdToMs = NaN;
  if (answeredLog) {
    sw.advance(TALK_BEFORE_HOLD_MS);
    holdFromMs = sw.nowMs;
    sw.act(caller, { type: 'hold', held: true });
    sw.advance(HOLD_MS);
    holdToMs = sw.nowMs;
    sw.act(caller, { type: 'hold', held: false });
    sw.until(callerSaid('callEnded', 'callFailed'), CALL_MS + 10_000);
  }
  sw.advance(2_000);
  const endMs = sw.nowMs;
  const events = sw.traceEvents() as TraceEvent[];
  const answered = events.find((e) => e.ev === 'node' && e.host === callerId && e.t >= placedMs - 0.001 && e.event === 'callAnswered');
  const answeredMs = answered?.t ?? endMs;

  const first = observeLogin(sw, events, actors, caller, firstStart, firstEnd);
  const subsequent = observeLogin(sw, events, actors, caller, secondStart, secondEnd);
  const keepAlives = events.filter((e) => (e.ev === 'send' || e.ev === 'drop') && e.from === callerId && e.msg === 'keepAlive' && e.t > firstEnd && e.t < stayEnd);
  const keepAliveIntervalsMs = keepAlives.slice(1).map((e, i) => e.t - keepAlives[i].t);

  const call = observeCall(events, actors, callerId, calleeId, placedMs, answeredMs, holdFromMs, holdToMs, endMs, answered, setup.voiceFrameMs);
  const calleeProbe = events.find((e) => (e.ev === 'send' || e.ev === 'drop') && e.from === calleeId && e.msg === 'probe');
  const directSyn = events.find((e) => e.ev === 'send' && e.from === callerId && e.to === calleeId && e.msg === 'tcp-syn' && e.t >= placedMs - 0.001);
  const result: SessionResult = {
    calleePorts: { udp: calleeProbe ? portOf(calleeProbe.src) : NaN, tcp: directSyn ? portOf(directSyn.dst) : 0 },
    setup: setup.name,
    seed,
    first,
    subsequent,
    keepAliveIntervalsMs,
    keepAliveProto: keepAlives[0]?.proto ?? '',
    call,
  };
  if (!withLadders) return result;
  const me = new Set(['caller']);
  return {
    ...result,
    ladders: {
      first: ladder('login, fresh install', arrowsOf(events, actors, firstStart, firstEnd, me), ['caller']),
      subsequent: ladder('login, populated host cache', arrowsOf(events, actors, secondStart, secondEnd, me), ['caller']),
      call: ladder('call set-up', asRelay(arrowsOf(events, actors, placedMs, answeredMs + 100, new Set(['caller', 'callee'])), call.relay), ['caller', 'callee']),
    },
  };
}

function observeCall(
  events: readonly TraceEvent[],
  actors: Actors,
  callerId: number,
  calleeId: number,
  placedMs: number,
  answeredMs: number,
  holdFromMs: number,
  holdToMs: number,
  endMs: number,
  answered: TraceEvent | undefined,
  frameMs: number,
): CallObservation {
  const during = events.filter((e) => e.t >= placedMs - 0.001 && e.t <= endMs + 0.001);
  const failed = during.find((e) => e.ev === 'node' && e.host === callerId && e.event === 'callFailed');
  const relayEv = during.find((e) => e.ev === 'node' && e.host === callerId && e.event === 'callRelayChosen');
  const sends = during.filter((e) => e.ev === 'send' && (e.from === callerId || e.from === calleeId));
  const setupSends = sends.filter((e) => e.from === callerId && e.t <= answeredMs + 0.001);
  const invite = setupSends.find((e) => e.msg === 'callInvite');
  const signalling = invite ? (invite.to === calleeId ? 'direct' : `to ${actors.of(invite.to, invite.dst)}`) : setupSends.some((e) => e.msg === 'routed') ? 'via-sn' : 'none';
  const signallingProtos = [...new Set(setupSends.filter((e) => e.msg === 'callInvite' || e.msg === 'routed').map((e) => e.proto as string))].sort();
  const media = sends.filter((e) => e.msg === 'mediaFrame');
  const side = (id: number) => {
    const m = media.find((e) => e.from === id);
    return { proto: m?.proto ?? '', to: m ? actors.of(m.to, m.dst) : '' };
  };
  const bytes = (e: TraceEvent) => e.bytes * (e.packets ?? 1);
  const talkFrom = answeredMs + 1_000;
  const talkTo = Number.isNaN(holdFromMs) ? answeredMs : holdFromMs;
  const rate = (id: number) => {
    const inTalk = media.filter((e) => e.from === id && e.t >= talkFrom && e.t < talkTo);
    return inTalk.reduce((s, e) => s + bytes(e), 0) / Math.max(1e-9, (talkTo - talkFrom) / 1000);
  };
  let talkMaxGapMs = 0;
  for (const id of [callerId, calleeId]) {
    const ts = media.filter((e) => e.from === id && e.t >= talkFrom && e.t < talkTo).map((e) => e.t);
    for (let i = 1; i < ts.length; i++) talkMaxGapMs = Math.max(talkMaxGapMs, ts[i] - ts[i - 1]);
  }
  const holdIntervalsMs: number[] = [];
  for (const id of [callerId, calleeId]) {
    // From a frame into the hold, so the last talking frame before it does not count.
    const ts = media.filter((e) => e.from === id && e.t >= holdFromMs + 100 && e.t < holdToMs - 100).map((e) => e.t);
    for (let i = 1; i < ts.length; i++) holdIntervalsMs.push(ts[i] - ts[i - 1]);
  }
  const seconds = Math.ceil((endMs - placedMs) / 1000);
  const series = Array.from({ length: seconds }, (_, i) => ({ tS: i, caller: 0, callee: 0 }));
  for (const e of media) {
    const i = Math.floor((e.t - placedMs) / 1000);
    if (i < 0 || i >= seconds) continue;
    if (e.from === callerId) series[i].caller += bytes(e);
    else series[i].callee += bytes(e);
  }
  return {
    ok: answered !== undefined,
    failure: failed ? String(failed.detail.cause) : '',
    setupMs: answered ? Number(answered.detail.setupMs) : NaN,
    path: answered ? String(answered.detail.path) : '',
    relay: relayEv ? actors.of(undefined, relayEv.detail.relay) : '',
    signalling,
    signallingProtos,
    media: { caller: side(callerId), callee: side(calleeId) },
    udpDuringCall: sends.filter((e) => e.proto === 'udp').length + during.filter((e) => e.ev === 'drop' && e.proto === 'udp' && (e.from === callerId || e.from === calleeId)).length,
    talkBytesPerSec: { caller: rate(callerId), callee: rate(calleeId) },
    talkMaxGapMs,
    frameMs,
    holdIntervalsMs,
    series,
    holdFromS: (holdFromMs - placedMs) / 1000,
    holdToS: (holdToMs - placedMs) / 1000,
  };
}
