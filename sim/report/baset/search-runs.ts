/**
 * User-search runs (BS-16 - BS-21): in each setup, the caller and the callee - not buddies, so
 * the caller has no presence record of the callee - log in; the caller searches for the callee
 * (existing), again (repeated), then for a name nobody has (non-existing). A second world has
 * the caller call the callee straight away, a non-buddy it never searched for (BS-21).
 *
 * The callee's host cache starts at the fourth bootstrap SN, so it attaches to another SN than
 * the caller (which takes the first): the searched user is elsewhere in the overlay, as in the
 * study. Were both on one SN, the caller's SN would know the callee as its own client and every
 * search would end in its first round, showing none of the rounds BS-17 describes.
 *
 * What is read: the caller's searchStarted / searchRound / searchFinished node events (whom
 * each round asked and over what; the outcome), those of its SN when it searches on the
 * caller's behalf, and the searchRequest packets anyone sent during the search (its cost).
 */

import { SmallWorld } from '../../testing/small-world.js';
import type { LabSetup } from './lab.js';
import { Actors, arrowsOf, infraNames, ipString, ladder, type Arrow, type Ladder, type TraceEvent } from './session.js';

const SEARCH_WAIT_MS = 60_000;
/** Periodic traffic that goes on whatever the user does; not part of a search. */
const BACKGROUND = new Set(['keepAlive', 'keepAliveAck', 'sessionKeepAlive', 'sessionKeepAliveAck', 'tcp-ack', 'presence', 'presenceAck']);
/** Index of the bootstrap SN the callee's host cache starts with. */
const CALLEE_FIRST_SN = 3;

export interface SearchRound {
  readonly round: number;
  /** Actor and transport of each node asked (`ls-0` for the LS). */
  readonly asked: readonly { readonly to: string; readonly transport: string }[];
  readonly onBehalf: boolean;
}

export interface SearchObservation {
  readonly kind: 'existing' | 'repeated' | 'non-existing';
  readonly done: boolean;
  readonly outcome: string;
  readonly cause: string;
  readonly ms: number;
  readonly rounds: readonly SearchRound[];
  /** Rounds the caller's SN ran on its behalf. */
  readonly snRounds: readonly SearchRound[];
  /** searchRequest packets anyone sent during the search. */
  readonly requests: number;
  /** UDP packets the caller sent during the search (background aside). */
  readonly callerUdp: number;
}

export interface SearchResult {
  readonly setup: string;
  readonly seed: number;
  /** Empty when searches ran; else why not. */
  readonly unavailable: string;
  readonly superNode: string;
  readonly calleeSuperNode: string;
  /** Nodes the caller knew at login: its host cache then. */
  readonly knownAtLogin: readonly string[];
  readonly searches: readonly SearchObservation[];
  /** The call to a non-buddy it never searched for. */
  readonly nonBuddyCall: { readonly ok: boolean; readonly searchedFirst: boolean; readonly failure: string };
  readonly ladder?: Ladder;
}

function startWorld(setup: LabSetup, seed: number): SmallWorld {
  const sw = new SmallWorld({ ...setup.base, seed, hosts: [setup.caller, setup.callee], buddiesPerHost: 0 });
  const b = sw.bootstrap;
  sw.setHostCache('callee', [...b.slice(CALLEE_FIRST_SN), ...b.slice(0, CALLEE_FIRST_SN)]);
  sw.advance(5_000);
  sw.login('callee');
  sw.login('caller');
  if (!sw.until(() => sw.state('caller') === 'online' && sw.state('callee') === 'online', 600_000)) throw new Error(`${setup.name} seed ${seed}: search world did not log in`);
  sw.advance(5_000);
  return sw;
}

function roundsOf(events: readonly { event: string; detail: any }[], actors: Actors, lsName: string): SearchRound[] {
  return events
    .filter((e) => e.event === 'searchRound')
    .map((e) => ({
      round: Number(e.detail.round),
      onBehalf: e.detail.onBehalf === true,
      asked: String(e.detail.asked)
        .split(' ')
        .filter((x) => x !== '')
        .map((x) => {
          const [where, transport] = x.split('/');
          return { to: where === 'loginServer' ? lsName : actors.of(undefined, where), transport };
        }),
    }));
}

export function runSearches(setup: LabSetup, seed: number, withLadder: boolean): SearchResult {
  const sw = startWorld(setup, seed);
  const actors = new Actors(sw, ['caller-0', 'callee-0', ...infraNames(sw)]);
  const lsName = sw.world.loginServers[0].name;
  const callerId = sw.netHost('caller');
  const knownAtLogin = (sw.record('caller').disk.hostCache ?? []).map((e) => actors.of(undefined, `${ipString(e.ip)}:${e.port}`));
  const superNode = actors.of(undefined, sw.nodeEvents('caller', 'loginSucceeded').pop()?.detail?.superNode);
  const calleeSuperNode = actors.of(undefined, sw.nodeEvents('callee', 'loginSucceeded').pop()?.detail?.superNode);
  const callee = sw.hostName('callee');
  const searches: SearchObservation[] = [];
  let unavailable = '';
  let ladderArrows: Arrow[] = [];
  let ladderStart = 0;
  for (const [kind, name] of [['existing', callee], ['repeated', callee], ['non-existing', 'nobody-by-this-name']] as const) {
    const from = sw.nodeEventLog.length;
    const startMs = sw.nowMs;
    try {
      sw.act('caller', { type: 'search', name });
    } catch (e) {
      unavailable = `the host does not take the search action (${e instanceof Error ? e.message : String(e)})`;
      break;
    }
    const finished = () => sw.nodeEventLog.slice(from).find((e) => e.host === 'caller-0' && e.event === 'searchFinished');
    const done = sw.until(() => finished() !== undefined, SEARCH_WAIT_MS);
    const endMs = sw.nowMs;
    sw.advance(1_000);
    const log = sw.nodeEventLog.slice(from);
    const fin = finished();
    const events = (sw.traceEvents() as TraceEvent[]).filter((e) => e.t >= startMs - 0.001 && e.t <= endMs + 0.001);
    searches.push({
      kind,
      done,
      outcome: String(fin?.detail?.outcome ?? ''),
      cause: String(fin?.detail?.cause ?? ''),
      ms: Number(fin?.detail?.ms ?? NaN),
      rounds: roundsOf(log.filter((e) => e.host === 'caller-0'), actors, lsName),
      snRounds: roundsOf(log.filter((e) => e.host === superNode && e.tMs <= endMs), actors, lsName),
      requests: events.filter((e) => e.ev === 'send' && e.msg === 'searchRequest').length,
      callerUdp: events.filter((e) => (e.ev === 'send' || e.ev === 'drop') && e.from === callerId && e.proto === 'udp' && !BACKGROUND.has(e.msg)).length,
    });
    if (kind === 'existing' && withLadder) {
      ladderArrows = arrowsOf(sw.traceEvents() as TraceEvent[], actors, startMs, endMs, new Set(['caller', superNode])).filter((a) => !BACKGROUND.has(a.msg));
      ladderStart = startMs;
    }
  }
  if (unavailable === '' && searches.every((s) => !s.done)) unavailable = `no search finished within ${SEARCH_WAIT_MS / 1000} s`;

  // BS-21: a call to a non-buddy, in a world of its own so that nothing is known of the callee.
  const cw = startWorld(setup, seed);
  const from = cw.nodeEventLog.length;
  cw.act('caller', { type: 'call', callee: cw.hostName('callee'), durationMs: 5_000 });
  cw.until(() => cw.nodeEventLog.slice(from).some((e) => e.host === 'caller-0' && (e.event === 'callAnswered' || e.event === 'callFailed')), 60_000);
  const log = cw.nodeEventLog.slice(from).filter((e) => e.host === 'caller-0');
  const answered = log.findIndex((e) => e.event === 'callAnswered');
  const searched = log.findIndex((e) => e.event === 'searchFinished');
  const failed = log.find((e) => e.event === 'callFailed');
  return {
    setup: setup.name,
    seed,
    unavailable,
    superNode,
    calleeSuperNode,
    knownAtLogin,
    searches,
    nonBuddyCall: { ok: answered >= 0, searchedFirst: searched >= 0 && (answered < 0 || searched < answered), failure: failed ? String(failed.detail?.cause ?? '') : '' },
    ladder: withLadder && ladderArrows.length > 0 ? { ...ladder('search', ladderArrows, ['caller', superNode]), startMs: ladderStart } : undefined,
  };
}
