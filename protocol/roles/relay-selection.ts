/**
 * Relay selection, the caller's side (BS-23, BS-24): which public node forwards the media of a
 * call that needs a relay. PROTOCOL.md names this the research question; the policy is a
 * parameter (`relayPolicy`) so runs can compare relay load, path RTT stretch and set-up time.
 *
 * A pure step machine (like nat-detection.ts): no I/O, no clock. The host sends the probes it is
 * told to, arms its wait timer, and feeds back replies and the timeout.
 *
 * Inputs, in order:
 *   `start(nowMs)`      once. Returns either one decision (`chosen` / `none`) or `probe` steps
 *                       followed by one `wait`.
 *   `onReply(...)`      for every relayProbeReply while waiting. Returns the decision once every
 *                       probed candidate answered, else undefined (also for a reply that is not
 *                       ours: unknown or repeated nonce, wrong source, after the decision).
 *   `onTimeout()`       when the wait ends first. Returns the decision.
 *
 * Policies:
 *   random-public   no probes: every candidate, in a uniformly random order. The 2004 client's
 *                   behaviour is unknown; this is the baseline that costs no set-up time.
 *   lowest-rtt      probe `probeCount` candidates at once, wait up to `probeTimeoutMs` (or until
 *                   all answered), order the answered ones by measured RTT (reply time - send
 *                   time), lowest first. Load is ignored on purpose: a full relay at the top is
 *                   refused at join and the caller falls back to the next - the cost this policy
 *                   pays, which a run can measure against least-loaded.
 *   least-loaded    the same probes; order by calls/capacity (a capacity of 0, a node that does
 *                   not relay, counts as infinitely loaded), then by RTT.
 *
 * What "lowest RTT" can and cannot know: the caller measures only its own round trip to each
 * candidate (caller -> relay -> caller), and only once, at set-up. The media path is caller ->
 * relay -> callee; the relay -> callee leg is never measured, so a relay next to the caller but
 * far from the callee can win. The callee cannot probe without an extra signalling round trip,
 * which the 2004 set-up did not show. The RTT includes the candidate's own queueing at that
 * moment and nothing of later congestion. Runs report the path RTT stretch to show the gap.
 *
 * Design choices (ours):
 *   - Which candidates are probed: a uniformly random sample of `probeCount` (all if fewer).
 *     Taking the first entries would send every caller with a similar host cache to the same
 *     few relays.
 *   - Only candidates that answered appear in a probing policy's order: one that stayed silent
 *     for `probeTimeoutMs` is likely gone, and an unprobed one is unknown. No answer: `none`.
 *   - Ties (equal RTT, equal load) are broken by the random probe order, never by the order of
 *     the host cache or of a Map (STYLE.md 6).
 *   - A reply counts only from the endpoint its nonce was sent to; a repeated reply counts once
 *     (the first RTT).
 *   - Duplicate candidates are taken once (the caller's list is not a peer's input).
 */

import type { Endpoint, Random } from '../node.js';
import type { RelayPolicy } from '../params.js';
import { endpointKey, randomInt, sameEndpoint } from './support.js';

/** What the host does next. */
export type RelaySelectionStep =
  /** Send a relayProbe with `nonce` to `to` (UDP, or over TCP when the caller's UDP is blocked). */
  | { readonly kind: 'probe'; readonly to: Endpoint; readonly nonce: number }
  /** Arm the selection's timer for `ms`; on firing call `onTimeout()`. */
  | { readonly kind: 'wait'; readonly ms: number }
  | RelayDecision;

export type RelayDecision =
  /**
   * Relays to try, best first: join the first; if it refuses or does not answer, the next.
   * `probes` probes were sent; `rttMs` is the measured RTT of the first (probing policies only).
   */
  | { readonly kind: 'chosen'; readonly order: readonly Endpoint[]; readonly probes: number; readonly rttMs?: number }
  /** No candidate, or none answered its probe. */
  | { readonly kind: 'none'; readonly probes: number };

export interface RelaySelectionOptions {
  readonly policy: RelayPolicy;
  /** Public SNs from the caller's host cache; the caller's own SN and the callee's already left out. */
  readonly candidates: readonly Endpoint[];
  /** How many candidates a probing policy probes (`relayCandidates`). */
  readonly probeCount: number;
  /** How long a probing policy waits for replies (`relayProbeTimeoutMs`). */
  readonly probeTimeoutMs: number;
  /** A fresh nonce per probe. */
  readonly nextNonce: () => number;
  /** The caller's randomness (ctx.rng): sample and tie order. */
  readonly random: Random;
}

interface Probe {
  readonly to: Endpoint;
  readonly nonce: number;
  /** Position in the random probe order: the last tie-breaker. */
  readonly rank: number;
  rttMs: number | undefined;
  calls: number;
  capacity: number;
}

type Phase = 'idle' | 'waiting' | 'done';

export class RelaySelection {
  private phase: Phase = 'idle';
  private readonly probes: Probe[] = [];
  private sentAtMs = 0;
  private answered = 0;

  constructor(private readonly o: RelaySelectionOptions) {
    if (!Number.isInteger(o.probeCount) || o.probeCount < 1) throw new RangeError(`relay selection: probeCount must be a positive integer, got ${o.probeCount}`);
    if (!(o.probeTimeoutMs >= 0)) throw new RangeError(`relay selection: probeTimeoutMs must be >= 0, got ${o.probeTimeoutMs}`);
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  start(nowMs: number): RelaySelectionStep[] {
    if (this.phase !== 'idle') throw new RangeError('relay selection: started twice');
    const shuffled = shuffle(distinct(this.o.candidates), this.o.random);
    if (shuffled.length === 0) return [this.finish({ kind: 'none', probes: 0 })];
    if (this.o.policy === 'random-public') return [this.finish({ kind: 'chosen', order: shuffled, probes: 0 })];
    this.phase = 'waiting';
    this.sentAtMs = nowMs;
    const steps: RelaySelectionStep[] = [];
    for (const to of shuffled.slice(0, this.o.probeCount)) {
      const probe: Probe = { to, nonce: this.o.nextNonce() >>> 0, rank: this.probes.length, rttMs: undefined, calls: 0, capacity: 0 };
      this.probes.push(probe);
      steps.push({ kind: 'probe', to, nonce: probe.nonce });
    }
    steps.push({ kind: 'wait', ms: this.o.probeTimeoutMs });
    return steps;
  }

  /** A relayProbeReply from `from` at `nowMs`. The decision once all probed candidates answered; else undefined. */
  onReply(nonce: number, from: Endpoint, calls: number, capacity: number, nowMs: number): RelayDecision | undefined {
    if (this.phase !== 'waiting') return undefined;
    const probe = this.probes.find((p) => p.nonce === nonce >>> 0 && sameEndpoint(p.to, from));
    if (!probe || probe.rttMs !== undefined) return undefined;
    probe.rttMs = Math.max(0, nowMs - this.sentAtMs);
    probe.calls = calls;
    probe.capacity = capacity;
    this.answered++;
    return this.answered === this.probes.length ? this.decide() : undefined;
  }

  /** The wait ended: decide with the replies so far. */
  onTimeout(): RelayDecision {
    if (this.phase !== 'waiting') throw new RangeError(`relay selection: timeout while ${this.phase}`);
    return this.decide();
  }

  private decide(): RelayDecision {
    const answered = this.probes.filter((p) => p.rttMs !== undefined);
    if (answered.length === 0) return this.finish({ kind: 'none', probes: this.probes.length });
    answered.sort(this.o.policy === 'least-loaded' ? byLoadThenRtt : byRtt);
    return this.finish({ kind: 'chosen', order: answered.map((p) => p.to), probes: this.probes.length, rttMs: answered[0].rttMs });
  }

  private finish(d: RelayDecision): RelayDecision {
    this.phase = 'done';
    return d;
  }
}

function byRtt(a: Probe, b: Probe): number {
  return compare(a.rttMs!, b.rttMs!) || a.rank - b.rank;
}

function byLoadThenRtt(a: Probe, b: Probe): number {
  return compare(loadRatio(a), loadRatio(b)) || byRtt(a, b);
}

/** calls / capacity; a node that reports no capacity does not relay: infinitely loaded. */
function loadRatio(p: Probe): number {
  return p.capacity > 0 ? p.calls / p.capacity : Infinity;
}

/** -1, 0, 1 without subtraction (Infinity - Infinity is NaN). */
function compare(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function distinct(list: readonly Endpoint[]): Endpoint[] {
  const seen = new Set<number>();
  const out: Endpoint[] = [];
  for (const e of list) {
    const k = endpointKey(e);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out;
}

/** Fisher-Yates with `random`: every order equally likely. */
function shuffle<T>(list: T[], random: Random): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const t = list[i];
    list[i] = list[j];
    list[j] = t;
  }
  return list;
}
