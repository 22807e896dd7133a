/**
 * Rows of the user-search items, BS-16 - BS-20, and BS-21's non-buddy call, from the search
 * runs (search-runs.ts). While the simulator has no user search, each row says so and why.
 */

import type { SetupName } from './lab.js';
import type { SearchObservation, SearchResult } from './search-runs.js';
import { median } from './stats.js';
import { row, verdictOf, type Row } from './types.js';

const PUBLISHED: readonly (readonly [string, string])[] = [
  ['BS-16', 'a user who logged in within the last 72 hours is found'],
  ['BS-17', 'public client: asks its SN, which returns a few other nodes; the client queries them over UDP in widening rounds'],
  ['BS-18', 'NATed client: searches through its SN plus a few nodes learned at login'],
  ['BS-19', 'UDP-blocked client: one TCP request to its SN, which searches for it'],
  ['BS-20a', 'a name the peers do not find: fall back to the LS'],
  ['BS-20b', 'search results are cached along the way: a repeated search costs less'],
  ['BS-21b', 'calling a non-buddy is a search, then the call'],
];

const payload = (s: SearchObservation) => s.sent.filter((x) => !x.msg.startsWith('tcp-'));
const where = (s: SearchObservation) => [...new Set(payload(s).map((x) => `${x.to} ${x.proto} ${x.msg}`))].join(', ') || 'nothing';

export function searchRows(results: Readonly<Record<SetupName, readonly SearchResult[]>>): Row[] {
  const all = Object.values(results).flat();
  const unavailable = all.find((r) => r.unavailable !== '')?.unavailable;
  if (unavailable !== undefined || all.length === 0) {
    const call = all[0]?.nonBuddyCall;
    return PUBLISHED.map(([id, published]) =>
      row({
        id,
        published,
        measured: id === 'BS-21b' && call ? `a call to a non-buddy never searched for: ${call.ok ? 'answered' : `failed (${call.failure})`}` : '-',
        toleranceClass: id === 'BS-20b' ? 'shape' : 'exact',
        verdict: 'not-measured',
        explanation: `User search is not in the simulator yet: ${unavailable ?? 'no search runs'}. The row is measured once a host takes the \`search\` action and reports searchMs.`,
      }),
    );
  }
  const of = (kind: SearchObservation['kind'], setups: readonly SetupName[]) => setups.flatMap((n) => results[n].map((r) => ({ r, s: r.searches.find((x) => x.kind === kind)! })));
  const everySetup: SetupName[] = ['public', 'port-restricted-nat', 'nat-udp-blocked', 'nat-tcp-80-443'];
  const rows: Row[] = [];

  const existing = of('existing', everySetup);
  rows.push(
    row({
      id: 'BS-16',
      published: PUBLISHED[0][1],
      measured: `found in ${existing.filter((x) => x.s.done && x.s.found).length}/${existing.length} searches (median ${median(existing.map((x) => x.s.ms)).toFixed(0)} ms)`,
      toleranceClass: 'exact',
      verdict: verdictOf(existing.every((x) => x.s.done && x.s.found)),
      explanation: 'Found: after the search the caller knows where the callee is (its contact record). The callee logged in minutes before, well within 72 hours.',
    }),
  );

  const pub = of('existing', ['public']);
  const pubOk = pub.every(({ r, s }) => payload(s)[0]?.to === r.superNode && payload(s).some((x) => x.to !== r.superNode && x.proto === 'udp'));
  rows.push(
    row({
      id: 'BS-17',
      published: PUBLISHED[1][1],
      measured: `caller sent: ${[...new Set(pub.map(({ s }) => where(s)))].join(' | ')}`,
      toleranceClass: 'exact',
      verdict: verdictOf(pubOk),
      explanation: 'Expected: the first search packet to its own SN, then UDP to other nodes.',
    }),
  );

  const nat = of('existing', ['port-restricted-nat']);
  const natOk = nat.every(({ r, s }) => payload(s).some((x) => x.to === r.superNode) && payload(s).every((x) => x.to === r.superNode || r.knownAtLogin.includes(x.to)));
  rows.push(
    row({
      id: 'BS-18',
      published: PUBLISHED[2][1],
      measured: `caller sent: ${[...new Set(nat.map(({ s }) => where(s)))].join(' | ')}; known at login: ${[...new Set(nat.flatMap(({ r }) => r.knownAtLogin))].join(', ')}`,
      toleranceClass: 'exact',
      verdict: verdictOf(natOk),
      explanation: 'Expected: its SN, and otherwise only nodes in its host cache at login.',
    }),
  );

  const blocked = of('existing', ['nat-udp-blocked', 'nat-tcp-80-443']);
  const blockedOk = blocked.every(({ r, s }) => payload(s).length === 1 && payload(s)[0].to === r.superNode && payload(s)[0].proto === 'tcp' && s.sent.every((x) => x.proto === 'tcp'));
  rows.push(
    row({
      id: 'BS-19',
      published: PUBLISHED[3][1],
      measured: `caller sent: ${[...new Set(blocked.map(({ s }) => where(s)))].join(' | ')}`,
      toleranceClass: 'exact',
      verdict: verdictOf(blockedOk),
      explanation: 'Both firewalled setups. Expected: exactly one message, over TCP, to its SN; no UDP.',
    }),
  );

  const missing = of('non-existing', everySetup);
  rows.push(
    row({
      id: 'BS-20a',
      published: PUBLISHED[4][1],
      measured: `non-existing name: the LS contacted in ${missing.filter((x) => x.s.lsContacted).length}/${missing.length} searches; reported not found in ${missing.filter((x) => x.s.done && !x.s.found).length}/${missing.length}`,
      toleranceClass: 'exact',
      verdict: verdictOf(missing.every((x) => x.s.done && !x.s.found && x.s.lsContacted)),
      explanation: 'LS contacted: any packet to the LS during the search, but session keep-alives.',
    }),
  );

  const first = of('existing', everySetup);
  const again = of('repeated', everySetup);
  const cost = (xs: typeof first) => median(xs.map((x) => payload(x.s).length));
  rows.push(
    row({
      id: 'BS-20b',
      published: PUBLISHED[5][1],
      measured: `caller's packets per search, median: first ${cost(first)}, repeated ${cost(again)}; time ${median(first.map((x) => x.s.ms)).toFixed(0)} ms then ${median(again.map((x) => x.s.ms)).toFixed(0)} ms`,
      toleranceClass: 'shape',
      verdict: verdictOf(cost(again) < cost(first) || median(again.map((x) => x.s.ms)) < median(first.map((x) => x.s.ms))),
      explanation: 'Less: fewer packets or less time for the same name the second time.',
    }),
  );

  const calls = everySetup.flatMap((n) => results[n].map((r) => r.nonBuddyCall));
  rows.push(
    row({
      id: 'BS-21b',
      published: PUBLISHED[6][1],
      measured: `${calls.filter((c) => c.ok && c.searchedFirst).length}/${calls.length} calls to a non-buddy searched, then were answered${calls.some((c) => !c.ok) ? `; failed: ${[...new Set(calls.filter((c) => !c.ok).map((c) => c.failure))].join(', ')}` : ''}`,
      toleranceClass: 'exact',
      verdict: verdictOf(calls.every((c) => c.ok && c.searchedFirst)),
      explanation: '',
    }),
  );
  return rows;
}
