/**
 * The vocabulary of the Baset & Schulzrinne report: one row per published item, as the
 * report's table, results.json and the CI test read it.
 *
 * Tolerance classes (how close "the same" has to be):
 *   exact        protocol behaviour: a port, a count, an order, who talks to whom over what.
 *                Anything but the published behaviour differs. CI fails on a differing row.
 *   timer-exact  a published timer, measured as the gap between the events it separates;
 *                equal up to the network's delay on the path (stated per row).
 *   range        a published figure or range that the measured distribution's median must
 *                fall in.
 *   shape        a published qualitative relation (much longer, about constant, ...).
 */

export type ToleranceClass = 'exact' | 'timer-exact' | 'range' | 'shape';

export type Verdict = 'pass' | 'differ' | 'not-measured';

export interface Row {
  /** The PROTOCOL.md id (BS-n), with a letter when one id gives several rows. */
  readonly id: string;
  /** What the study published, in words and numbers. */
  readonly published: string;
  /** What the simulator did, from this report's runs. */
  readonly measured: string;
  readonly toleranceClass: ToleranceClass;
  readonly verdict: Verdict;
  /** Why it differs or was not measured; how it was measured where that is not obvious. */
  readonly explanation: string;
}

export function row(r: Row): Row {
  return r;
}

/** `pass` when `ok`, else `differ`. */
export function verdictOf(ok: boolean): Verdict {
  return ok ? 'pass' : 'differ';
}

/**
 * The published figures, written here once (from docs/PROTOCOL.md and the 2004 report) and
 * never read from the simulator's parameters: a row compares what the simulator did with these.
 */
export const PUBLISHED = Object.freeze({
  bootstrapCount: 7,
  bootstrapPort: 33033,
  hostCacheMax: 200,
  probeTimeoutMs: 5_000,
  fallbackTcpPorts: Object.freeze([80, 443]),
  loginRoundDelayMs: 6_000,
  loginRounds: 5,
  keepAliveIntervalMs: 60_000,
  loginTimeRangeS: Object.freeze([3, 7] as const),
  voiceBytesPerSec: 3_000,
  holdPacketIntervalMs: 3_000,
});
