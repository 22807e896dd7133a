/**
 * User-search runs (BS-16 - BS-21): in each setup, the caller and the callee - not buddies, so
 * the caller has no presence record of the callee - log in; the caller searches for the callee
 * (existing), again (repeated), then for a name nobody has (non-existing). A second world has
 * the caller call the callee straight away, a non-buddy it never searched for (BS-21).
 *
 * A search is over when the node reports its `searchMs` metric (or after SEARCH_WAIT_MS). What
 * is read: whether the caller then knows where the callee is (`contactOf`), the packets the
 * caller sent meanwhile (to whom, over what), and whether anyone contacted the LS meanwhile.
 * The `search` user action is handed over as data: a host that does not know it yet throws,
 * and the run reports search as not implemented.
 */

import type { HostAction } from '../../../protocol/roles/ordinary-host.js';
import { SmallWorld } from '../../testing/small-world.js';
import type { LabSetup } from './lab.js';
import { Actors, arrowsOf, infraNames, ladder, type Arrow, type Ladder, type TraceEvent } from './session.js';

const SEARCH_WAIT_MS = 60_000;
/** Periodic traffic that goes on whatever the user does; not part of a search. */
const BACKGROUND = new Set(['keepAlive', 'keepAliveAck', 'sessionKeepAlive', 'sessionKeepAliveAck', 'tcp-ack', 'presence', 'presenceAck']);

export interface SearchObservation {
  readonly kind: 'existing' | 'repeated' | 'non-existing';
  readonly done: boolean;
  readonly ms: number;
  readonly found: boolean;
  /** The caller's packets during the search: `actor proto msg`. */
  readonly sent: readonly { readonly to: string; readonly proto: string; readonly msg: string }[];
  /** Anyone (but the LS itself) sent to the LS during the search (background traffic aside). */
  readonly lsContacted: boolean;
}

export interface SearchResult {
  readonly setup: string;
  readonly seed: number;
  /** Empty when searches ran; else why not. */
  readonly unavailable: string;
  readonly superNode: string;
  /** Nodes the caller knew at login: its host cache then. */
  readonly knownAtLogin: readonly string[];
  readonly searches: readonly SearchObservation[];
  /** The call to a non-buddy it never searched for. */
  readonly nonBuddyCall: { readonly ok: boolean; readonly searchedFirst: boolean; readonly failure: string };
  readonly ladder?: Ladder;
}

const searchAction = (name: string): HostAction => ({ type: 'search', name }) as unknown as HostAction;

export function runSearches(setup: LabSetup, seed: number, withLadder: boolean): SearchResult {
  const sw = new SmallWorld({ ...setup.base, seed, hosts: [setup.caller, setup.callee], buddiesPerHost: 0 });
  const actors = new Actors(sw, ['caller-0', 'callee-0', ...infraNames(sw)]);
  sw.advance(5_000);
  sw.login('callee');
  sw.login('caller');
  if (!sw.until(() => sw.state('caller') === 'online' && sw.state('callee') === 'online', 600_000)) throw new Error(`${setup.name} seed ${seed}: search world did not log in`);
  sw.advance(5_000);
  const callerId = sw.netHost('caller');
  const lsId = sw.netHost(sw.world.loginServers[0].name);
  const knownAtLogin = (sw.record('caller').disk.hostCache ?? []).map((e) => actors.of(undefined, `${(e.ip >>> 24) & 255}.${(e.ip >>> 16) & 255}.${(e.ip >>> 8) & 255}.${e.ip & 255}:${e.port}`));
  const snEvent = sw.nodeEvents('caller', 'loginSucceeded').pop();
  const superNode = actors.of(undefined, snEvent?.detail?.superNode);
  const callee = sw.hostName('callee');
  const searches: SearchObservation[] = [];
  let unavailable = '';
  let ladderArrows: Arrow[] = [];
  let ladderStart = 0;
  for (const [kind, name] of [['existing', callee], ['repeated', callee], ['non-existing', 'nobody-by-this-name']] as const) {
    const before = sw.world.metrics.values('searchMs').length;
    const startMs = sw.nowMs;
    try {
      sw.act('caller', searchAction(name));
    } catch (e) {
      unavailable = `the host does not know the search action (${e instanceof Error ? e.message : String(e)})`;
      break;
    }
    const done = sw.until(() => sw.world.metrics.values('searchMs').length > before, SEARCH_WAIT_MS);
    const endMs = sw.nowMs;
    sw.advance(1_000);
    const events = (sw.traceEvents() as TraceEvent[]).filter((e) => e.t >= startMs - 0.001 && e.t <= endMs + 0.001);
    const sends = events.filter((e) => (e.ev === 'send' || e.ev === 'drop') && !BACKGROUND.has(e.msg));
    const values = sw.world.metrics.values('searchMs');
    searches.push({
      kind,
      done,
      ms: done ? values[values.length - 1] : NaN,
      found: kind === 'non-existing' ? sw.node('caller').contactOf(name) !== undefined : sw.node('caller').contactOf(callee) !== undefined,
      sent: sends.filter((e) => e.from === callerId).map((e) => ({ to: actors.of(e.to, e.dst), proto: e.proto, msg: e.msg })),
      lsContacted: sends.some((e) => e.from !== lsId && actors.of(e.to, e.dst) === actors.of(lsId, '')),
    });
    if (kind === 'existing' && withLadder) {
      ladderArrows = arrowsOf(sw.traceEvents() as TraceEvent[], actors, startMs, endMs, new Set(['caller'])).filter((a) => !BACKGROUND.has(a.msg));
      ladderStart = startMs;
    }
  }
  if (searches.length > 0 && searches.every((s) => !s.done) && unavailable === '') unavailable = 'no search reported its searchMs metric within 60 s';

  // BS-21: a call to a non-buddy, in a world of its own so that nothing is known of the callee.
  const cw = new SmallWorld({ ...setup.base, seed, hosts: [setup.caller, setup.callee], buddiesPerHost: 0 });
  cw.advance(5_000);
  cw.login('callee');
  cw.login('caller');
  cw.until(() => cw.state('caller') === 'online' && cw.state('callee') === 'online', 600_000);
  cw.advance(5_000);
  const placed = cw.nowMs;
  const from = cw.nodeEventLog.length;
  cw.act('caller', { type: 'call', callee: cw.hostName('callee'), durationMs: 5_000 });
  cw.until(() => cw.nodeEventLog.slice(from).some((e) => e.host === 'caller-0' && (e.event === 'callAnswered' || e.event === 'callFailed')), 60_000);
  const log = cw.nodeEventLog.slice(from).filter((e) => e.host === 'caller-0');
  const answered = log.find((e) => e.event === 'callAnswered');
  const failed = log.find((e) => e.event === 'callFailed');
  const searchedFirst = cw.world.metrics.values('searchMs').length > 0 && cw.nowMs >= placed;
  return {
    setup: setup.name,
    seed,
    unavailable,
    superNode,
    knownAtLogin,
    searches,
    nonBuddyCall: { ok: answered !== undefined, searchedFirst, failure: failed ? String(failed.detail?.cause ?? '') : '' },
    ladder: withLadder && ladderArrows.length > 0 ? { ...ladder('search', ladderArrows, ['caller', superNode]), startMs: ladderStart } : undefined,
  };
}
