/**
 * Rows of the user-search items, BS-16 - BS-20, and BS-21's non-buddy call, from the search
 * runs (search-runs.ts): whom each search round asked and over what, as the nodes traced it.
 * Where the simulator has no user search, each row says so and why.
 */

import { SETUP_NAMES, type SetupName } from './lab.js';
import type { SearchObservation, SearchResult, SearchRound } from './search-runs.js';
import { median } from './stats.js';
import { row, verdictOf, type Row } from './types.js';

const PUBLISHED: Readonly<Record<string, string>> = {
  'BS-16': 'a user who logged in within the last 72 hours is found',
  'BS-17': 'public client: asks its SN, which returns a few other nodes; the client queries them over UDP in widening rounds',
  'BS-18': 'NATed client: searches through its SN plus a few nodes learned at login',
  'BS-19': 'UDP-blocked client: one TCP request to its SN, which searches for it',
  'BS-20a': 'a name the peers do not find: fall back to the LS',
  'BS-20b': 'search results are cached along the way: a repeated search costs less',
  'BS-21b': 'calling a non-buddy is a search, then the call',
};

const roundText = (r: SearchRound) => `r${r.round}: ${r.asked.map((a) => `${a.to}/${a.transport}`).join(' ')}${r.onBehalf ? ' (on behalf)' : ''}`;
const roundsText = (s: SearchObservation) => s.rounds.map(roundText).join('; ') || 'none';
const uniq = (xs: readonly string[]) => [...new Set(xs)];

export function searchRows(results: Readonly<Record<SetupName, readonly SearchResult[]>>): Row[] {
  const all = SETUP_NAMES.flatMap((n) => results[n]);
  const unavailable = all.find((r) => r.unavailable !== '')?.unavailable;
  if (unavailable !== undefined || all.length === 0) {
    return Object.entries(PUBLISHED).map(([id, published]) =>
      row({
        id,
        published,
        measured: '-',
        toleranceClass: id === 'BS-20b' ? 'shape' : 'exact',
        verdict: 'not-measured',
        explanation: `User search did not run: ${unavailable ?? 'no search runs'}.`,
      }),
    );
  }
  const of = (kind: SearchObservation['kind'], setups: readonly SetupName[]) => setups.flatMap((n) => results[n].map((r) => ({ r, s: r.searches.find((x) => x.kind === kind)! })));
  const rows: Row[] = [];

  const found = [...of('existing', SETUP_NAMES), ...of('repeated', SETUP_NAMES)];
  rows.push(
    row({
      id: 'BS-16',
      published: PUBLISHED['BS-16'],
      measured: `found in ${found.filter((x) => x.s.outcome === 'found').length}/${found.length} searches for the callee (outcomes: ${uniq(found.map((x) => x.s.outcome || 'none')).join(', ')}; median ${median(found.map((x) => x.s.ms)).toFixed(0)} ms)`,
      toleranceClass: 'exact',
      verdict: verdictOf(found.every((x) => x.s.outcome === 'found')),
      explanation: 'The callee logged in a few seconds before, at another SN than the caller\'s - well within 72 hours.',
    }),
  );

  const pub = of('existing', ['public']);
  const firstIsSn = pub.every(({ r, s }) => s.rounds[0]?.asked.length === 1 && s.rounds[0].asked[0].to === r.superNode && s.rounds[0].asked[0].transport === 'tcp');
  const laterUdp = pub.every(({ s }) => s.rounds.slice(1).every((x) => x.asked.every((a) => a.transport === 'udp' && a.to.startsWith('sn-'))));
  const widened = pub.filter(({ s }) => s.rounds.length > 1).length;
  rows.push(
    row({
      id: 'BS-17',
      published: PUBLISHED['BS-17'],
      measured: `${uniq(pub.map(({ s }) => roundsText(s))).join(' | ')}; caller's SN ${uniq(pub.map(({ r }) => r.superNode)).join('/')}; ${widened}/${pub.length} searches went past round 1`,
      toleranceClass: 'exact',
      verdict: verdictOf(firstIsSn && laterUdp && widened > 0),
      explanation: 'Round 1 must ask the caller\'s own SN (over its TCP link, the SN naming other nodes); every later round other SNs over UDP. The rounds are the searcher\'s searchRound events.',
    }),
  );

  const nat = of('existing', ['port-restricted-nat']);
  const natOk = nat.every(({ r, s }) => s.rounds[0]?.asked.some((a) => a.to === r.superNode) && s.rounds.every((x) => x.asked.every((a) => a.transport === 'udp')) && s.rounds[0].asked.every((a) => a.to === r.superNode || r.knownAtLogin.includes(a.to)));
  rows.push(
    row({
      id: 'BS-18',
      published: PUBLISHED['BS-18'],
      measured: `${uniq(nat.map(({ s }) => roundsText(s))).join(' | ')}; caller's SN ${uniq(nat.map(({ r }) => r.superNode)).join('/')}; known at login: ${uniq(nat.flatMap(({ r }) => r.knownAtLogin)).join(', ')}`,
      toleranceClass: 'exact',
      verdict: verdictOf(natOk),
      explanation: 'Round 1 must ask its SN and otherwise only nodes of its host cache at login; all over UDP (its NAT passes the replies of nodes it sent to).',
    }),
  );

  const blocked = of('existing', ['nat-udp-blocked', 'nat-tcp-80-443']);
  const blockedOk = blocked.every(({ r, s }) => s.rounds.length === 1 && s.rounds[0].asked.length === 1 && s.rounds[0].asked[0].to === r.superNode && s.rounds[0].asked[0].transport === 'tcp' && s.callerUdp === 0);
  rows.push(
    row({
      id: 'BS-19',
      published: PUBLISHED['BS-19'],
      measured: `${uniq(blocked.map(({ s }) => roundsText(s))).join(' | ')}; the SN then searched: ${uniq(blocked.map(({ s }) => s.snRounds.map(roundText).join('; ') || 'nothing (it knew)')).join(' | ')}; caller's UDP packets: ${blocked.reduce((a, { s }) => a + s.callerUdp, 0)}`,
      toleranceClass: 'exact',
      verdict: verdictOf(blockedOk),
      explanation: 'Both firewalled setups: the caller asks once, over TCP, its SN; the SN\'s own rounds are its searchRound events.',
    }),
  );

  const missing = of('non-existing', SETUP_NAMES);
  const lsAsked = (s: SearchObservation) => s.rounds.some((x) => x.asked.some((a) => a.to.startsWith('ls-')));
  rows.push(
    row({
      id: 'BS-20a',
      published: PUBLISHED['BS-20a'],
      measured: `a name nobody has: the LS asked in ${missing.filter((x) => lsAsked(x.s)).length}/${missing.length} searches, after ${uniq(missing.map((x) => String(x.s.rounds.length - 1))).join('/')} round(s) of peers; outcome ${uniq(missing.map((x) => `${x.s.outcome} (${x.s.cause})`)).join(', ')}`,
      toleranceClass: 'exact',
      verdict: verdictOf(missing.every((x) => x.s.done && lsAsked(x.s) && x.s.outcome === 'notFound')),
      explanation: '',
    }),
  );

  const cheaper = SETUP_NAMES.map((n) => {
    const first = median(results[n].map((r) => r.searches.find((s) => s.kind === 'existing')!.requests));
    const again = median(results[n].map((r) => r.searches.find((s) => s.kind === 'repeated')!.requests));
    return { n, first, again };
  });
  const allCheaper = cheaper.every((c) => c.again < c.first);
  rows.push(
    row({
      id: 'BS-20b',
      published: PUBLISHED['BS-20b'],
      measured: `searchRequest packets (anyone's), first → repeated search, medians: ${cheaper.map((c) => `${c.n} ${c.first} → ${c.again}`).join(', ')}`,
      toleranceClass: 'shape',
      verdict: verdictOf(allCheaper),
      explanation: allCheaper
        ? ''
        : `Cheaper the second time in: ${cheaper.filter((c) => c.again < c.first).map((c) => c.n).join(', ') || 'no setup'}. Answers are cached by the nodes a search passes through (an SN searching on a client\'s behalf keeps what it found for searchCacheMs); a searcher that asks the nodes itself has nobody on its path to cache, and it keeps no result of a user action itself, so its repeat costs as much.`,
    }),
  );

  const calls = SETUP_NAMES.flatMap((n) => results[n].map((r) => r.nonBuddyCall));
  rows.push(
    row({
      id: 'BS-21b',
      published: PUBLISHED['BS-21b'],
      measured: `${calls.filter((c) => c.ok && c.searchedFirst).length}/${calls.length} calls to a non-buddy searched, then were answered${calls.some((c) => !c.ok) ? `; failed: ${uniq(calls.filter((c) => !c.ok).map((c) => c.failure)).join(', ')}` : ''}`,
      toleranceClass: 'exact',
      verdict: verdictOf(calls.every((c) => c.ok && c.searchedFirst)),
      explanation: 'A searchFinished of the caller before its callAnswered.',
    }),
  );
  return rows;
}
