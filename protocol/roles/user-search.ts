/**
 * One search for a user's index record over the overlay (BS-17 - BS-19): a pure step machine,
 * used by a host (ordinary-host.ts via host-search.ts) and by an SN searching for a UDP-blocked
 * client or for routed signalling (sn-search.ts). Where records live: user-index.ts.
 *
 * Rounds (Kademlia-like, over the rendezvous order of user-index.ts): round 1 asks the
 * `first` targets the searcher chose (who, by searcher, is host-search.ts's business: its SN
 * over the SN link for a public host, its SN and host-cache entries over UDP for a NATed one,
 * the SNs of highest weight it knows for an SN). Every reply that has no record names the SNs
 * of highest weight for the name its sender knows; they join the candidates. Each later round
 * asks the `fanout` candidates of highest weight not asked yet, over UDP. A round ends when
 * every request of it was answered or `roundTimeoutMs` passed; after `rounds` rounds, or with
 * no candidate left, the search ends `notFound` (the searcher then asks the LS, BS-20).
 * A reply with a fresh record (seen within `freshMs`: its user is online, or was minutes ago)
 * ends it `found`; replies still under way are then late. A record older than that (its user
 * went offline, or moved to another SN since this holder heard of it - a former SN keeps its
 * copy) does not end the search by itself: the search runs one more round (the holders of
 * highest weight, which every new SN of the user publishes to) and then ends `found` with the
 * newest record it saw, sooner if a fresh one comes or nothing is left to ask.
 *
 * Inputs: `start(nowMs)` once; `onReply(nowMs, from, msg)` for a searchReply of this query
 * (undefined: not from a node asked in this search - late or not ours, the caller counts it);
 * `onTimeout(nowMs)` when the caller's timer reaches `deadlineMs`. Each returns the steps to
 * take in order: `send` (the caller sends the request the given way), `round` (a trace), and
 * at most one `done`, the last step the machine ever returns.
 *
 * Design choices (ours): a reply's nodes are taken from anyone asked (a node that names itself
 * or one asked already changes nothing); a record older than the retention counts as no
 * record. The search keeps no node it was not told about or given: it does not wander.
 */

import type { Endpoint } from '../node.js';
import { NAT_CLASS, codeName, type MessageOf } from '../wire/messages.js';
import { rankByWeight, type UserRecord } from './user-index.js';
import { endpointKey, formatEndpoint, isUsableEndpoint } from './support.js';

/** How a request travels: UDP, or the host's TCP link to its own SN. */
export type SearchVia = 'udp' | 'superNodeLink';

export interface SearchTarget {
  readonly to: Endpoint;
  readonly via: SearchVia;
}

export type SearchStep =
  | { readonly kind: 'send'; readonly to: Endpoint; readonly via: SearchVia; readonly msg: MessageOf<'searchRequest'> }
  | { readonly kind: 'round'; readonly round: number; readonly asked: readonly SearchTarget[] }
  | { readonly kind: 'done'; readonly outcome: 'found' | 'notFound'; readonly record?: UserRecord; readonly from?: Endpoint; readonly cause: SearchEnd };

/** Why a search ended: a fresh record, the newest of older records after one more round, or nothing found. */
export type SearchEnd = 'record' | 'newest' | 'roundsOver' | 'noCandidates';

export interface UserSearchOptions {
  readonly name: string;
  readonly queryId: number;
  /** Round 1 (the searcher's choice, see the header). */
  readonly first: readonly SearchTarget[];
  /** Further candidates the searcher knows (e.g. its host cache), asked by weight in later rounds; not changed after. */
  readonly known?: readonly Endpoint[];
  /** Never asked (the searcher itself, when it is an SN). */
  readonly self?: Endpoint;
  readonly fanout: number;
  readonly rounds: number;
  readonly roundTimeoutMs: number;
  readonly retentionMs: number;
  /** A record seen within this long ends the search at once (see the header); default: any record does. */
  readonly freshMs?: number;
}

export class UserSearch {
  private round = 0;
  private sent = 0;
  private finished = false;
  private deadline = Infinity;
  // Arrays, not sets: a search asks a handful of nodes (rounds x fanout at most), and an SN runs
  // hundreds of thousands of searches in a large run, most of them one round long.
  /** Endpoint keys asked, in every round. */
  private readonly asked: number[] = [];
  /** Endpoint keys asked in the current round that have not answered. */
  private readonly pending: number[] = [];
  /** By endpoint key; made when a reply or `known` first adds one (never in a search's last round). */
  private candidates: Map<number, Endpoint> | undefined;
  /** `known` joins the candidates when a later round first needs them (a one-round search never does). */
  private knownAdded = false;
  /** The newest older record so far, who sent it, and the round after which it is taken. */
  private best: { record: UserRecord; from: Endpoint; untilRound: number } | undefined;

  constructor(private readonly o: UserSearchOptions) {}

  /** Requests sent so far. */
  get messagesSent(): number {
    return this.sent;
  }

  get roundsRun(): number {
    return this.round;
  }

  get done(): boolean {
    return this.finished;
  }

  /** When the current round times out (Infinity when none runs). */
  get deadlineMs(): number {
    return this.deadline;
  }

  start(nowMs: number): SearchStep[] {
    if (this.round !== 0) throw new RangeError('user search: started twice');
    const first = this.o.first.filter((t, i, all) => isUsableEndpoint(t.to) && !this.isSelf(t.to) && all.findIndex((u) => endpointKey(u.to) === endpointKey(t.to)) === i);
    if (first.length === 0) return this.nextRound(nowMs);
    return this.ask(nowMs, first);
  }

  onReply(nowMs: number, from: Endpoint, msg: MessageOf<'searchReply'>): SearchStep[] | undefined {
    const key = endpointKey(from);
    if (this.finished || msg.queryId !== this.o.queryId || !this.asked.includes(key)) return undefined;
    const at = this.pending.indexOf(key);
    if (at >= 0) this.pending.splice(at, 1);
    // Candidates serve later rounds only: in the last round (every presence search's only one) none is kept.
    if (this.round < this.o.rounds) for (const e of msg.nodes) this.addCandidate(e);
    if (msg.found && isUsableEndpoint(msg.superNode) && msg.ageMs <= this.o.retentionMs) {
      const record: UserRecord = {
        name: this.o.name,
        superNode: msg.superNode,
        address: msg.address,
        natClass: codeName(NAT_CLASS, msg.natClass, 'unknown'),
        seenAtMs: nowMs - msg.ageMs,
      };
      if (msg.ageMs <= (this.o.freshMs ?? Infinity)) return [this.finish('found', 'record', record, from)];
      if (!this.best || record.seenAtMs > this.best.record.seenAtMs) this.best = { record, from, untilRound: this.best?.untilRound ?? this.round + 1 };
    }
    if (this.pending.length > 0) return [];
    return this.nextRound(nowMs);
  }

  onTimeout(nowMs: number): SearchStep[] {
    if (this.finished || nowMs < this.deadline) return [];
    return this.nextRound(nowMs);
  }

  private nextRound(nowMs: number): SearchStep[] {
    const best = this.best;
    if (best && this.round >= best.untilRound) return [this.finish('found', 'newest', best.record, best.from)];
    if (this.round >= this.o.rounds) return [best ? this.finish('found', 'newest', best.record, best.from) : this.finish('notFound', 'roundsOver')];
    if (!this.knownAdded) {
      this.knownAdded = true;
      for (const e of this.o.known ?? []) this.addCandidate(e);
    }
    const unasked = this.candidates ? [...this.candidates.values()].filter((e) => !this.asked.includes(endpointKey(e))) : [];
    const next = rankByWeight(this.o.name, unasked, this.o.fanout).map((to): SearchTarget => ({ to, via: 'udp' }));
    if (next.length === 0) return [best ? this.finish('found', 'newest', best.record, best.from) : this.finish('notFound', 'noCandidates')];
    return this.ask(nowMs, next);
  }

  private ask(nowMs: number, targets: readonly SearchTarget[]): SearchStep[] {
    this.round++;
    this.pending.length = 0;
    this.deadline = nowMs + this.o.roundTimeoutMs;
    const steps: SearchStep[] = [{ kind: 'round', round: this.round, asked: targets }];
    for (const t of targets) {
      const key = endpointKey(t.to);
      this.asked.push(key);
      this.pending.push(key);
      this.sent++;
      steps.push({ kind: 'send', to: t.to, via: t.via, msg: { type: 'searchRequest', queryId: this.o.queryId, name: this.o.name, onBehalf: false } });
    }
    return steps;
  }

  private finish(outcome: 'found' | 'notFound', cause: SearchEnd, record?: UserRecord, from?: Endpoint): SearchStep {
    this.finished = true;
    this.deadline = Infinity;
    this.pending.length = 0;
    return record ? { kind: 'done', outcome, record, from, cause } : { kind: 'done', outcome, cause };
  }

  private addCandidate(e: Endpoint): void {
    if (!isUsableEndpoint(e) || this.isSelf(e)) return;
    const key = endpointKey(e);
    const candidates = (this.candidates ??= new Map());
    if (!candidates.has(key)) candidates.set(key, e);
  }

  private isSelf(e: Endpoint): boolean {
    return this.o.self !== undefined && endpointKey(this.o.self) === endpointKey(e);
  }
}

/**
 * How old a record may be and still end a search at once: an online user re-announces every
 * hostCacheRefreshIntervalMs, and its SN re-publishes then; a round's wait of slack.
 */
export function freshMs(p: { readonly hostCacheRefreshIntervalMs: number; readonly searchRoundTimeoutMs: number }): number {
  return p.hostCacheRefreshIntervalMs + p.searchRoundTimeoutMs;
}

/** `a.b.c.d:port, ...` of a round's targets, for the searchRound trace. */
export function formatTargets(targets: readonly SearchTarget[]): string {
  return targets.map((t) => `${formatEndpoint(t.to)}/${t.via === 'udp' ? 'udp' : 'tcp'}`).join(' ');
}
