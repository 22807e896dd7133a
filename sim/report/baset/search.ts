/**
 * Rows of the user-search items, BS-16 - BS-20. User search is not in the simulator yet
 * (protocol/roles has no search service and there is no `search` user action),
 * so each row says so; the session's call is to a buddy, whose whereabouts presence gave.
 */

import { row, type Row } from './types.js';

const ITEMS: readonly (readonly [string, string])[] = [
  ['BS-16', 'a user who logged in within the last 72 hours is found'],
  ['BS-17', 'public client: its SN returns a few nodes; the client queries them over UDP in widening rounds'],
  ['BS-18', 'NATed client: its SN plus a few nodes learned at login'],
  ['BS-19', 'UDP-blocked client: one TCP request to its SN, which searches for it'],
  ['BS-20', 'a name the peers do not find: fall back to the LS; results cached along the way'],
];

export function searchRows(): Row[] {
  return ITEMS.map(([id, published]) =>
    row({
      id,
      published,
      measured: '-',
      toleranceClass: 'exact',
      verdict: 'not-measured',
      explanation: 'User search is not implemented in the simulator yet (no search service in protocol/roles, no search user action), so there is nothing to run; the row appears once it is.',
    }),
  );
}
