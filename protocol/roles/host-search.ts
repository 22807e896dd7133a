/**
 * A host's user searches (BS-17 - BS-20): who it asks depends on what it is. HostNode owns one
 * `HostSearches` and routes to it the inputs below; the host's hooks stay a few lines.
 *
 * Searcher classes and whom they ask (the index itself: user-index.ts; the rounds:
 * user-search.ts):
 *   public      (NAT class open) BS-17: its SN, over the TCP SN link (round 1); the SN answers
 *               from its store and cache and names the searchFanout SNs of highest weight it
 *               knows; later rounds ask those, and the better nodes their replies name, over
 *               UDP - searchFanout per round, up to searchRounds rounds in all. Its host cache
 *               is ranked with them (ours): an SN that died unnoticed (the host finds out after
 *               keepAliveMissLimit keep-alives) answers nothing, and the search must not end there.
 *   nat         (any other class that sends UDP) BS-18: round 1 asks its SN and the
 *               searchFanout - 1 entries of its host cache (learned at login) of highest weight,
 *               all over UDP (a NAT passes the replies of nodes it sent to); later rounds as
 *               above, from the replies and the rest of its host cache.
 *   udpBlocked  BS-19: one TCP `searchRequest{onBehalf}` to its SN, which searches the overlay
 *               over UDP for it (sn-search.ts) and answers when done; the host waits up to
 *               (searchRounds + 1) x searchRoundTimeoutMs. Its only way out is that SN: while
 *               the SN is dead and the host has not noticed, the search ends at the LS.
 *   superNode   a host serving as an SN searches with its own service (its clients, store and
 *               cache, then the overlay: SuperNodeService.locate).
 * Not found by peers: the LS is asked over the session link (`accountQuery`, BS-20), waiting
 * up to searchRoundTimeoutMs: the account exists -> `foundAtLoginServer` (no location), else
 * (or no session link, or no answer) `notFound`. Found -> `found` with the record: a fresh
 * one (seen within hostCacheRefreshIntervalMs + a round) at once, else the newest after one
 * more round (user-search.ts: a former SN's copy must not hide where the user is now).
 *
 * Several searches at once: a Map by query id (a fresh u32 from the node's Random). One timer,
 * `searchRound`, is re-armed for the earliest deadline of them all; when it fires every search
 * whose deadline has come moves on, in the order they started. A reply whose query id no
 * search holds is late if the id was used lately, else unexpected (counted).
 * Going offline (logout, the LS ending the session, a failed login) ends every search
 * `notFound` (`done` is still called, once).
 *
 * Metrics: `searchMs` (start to outcome) and `searchMessages` (requests, on the SN link, by UDP
 * and to the LS), labels outcome found | foundAtLoginServer | notFound and searcherClass
 * public | nat | udpBlocked | superNode. Traces: searchStarted, searchRound (targets and their
 * transport), searchFinished (outcome, cause, rounds, messages, ms, who answered, the record's
 * SN and address).
 */

import type { ConnId, Ctx, Endpoint } from '../node.js';
import type { ProtocolParams } from '../params.js';
import { NAT_CLASS, codeName, type Message, type MessageOf } from '../wire/messages.js';
import type { NatClass } from './nat-detection.js';
import type { SuperNodeService } from './super-node.js';
import { RecentIds, formatEndpoint, randomU32, sameEndpoint, unexpected } from './support.js';
import type { Transport } from './transport.js';
import { rankByWeight, type UserRecord } from './user-index.js';
import { formatTargets, freshMs, UserSearch, type SearchStep } from './user-search.js';

export type SearchOutcome = 'found' | 'foundAtLoginServer' | 'notFound';

export interface SearchResult {
  readonly outcome: SearchOutcome;
  /** The record, when `found`. */
  readonly record?: UserRecord;
}

export type SearcherClass = 'public' | 'nat' | 'udpBlocked' | 'superNode';

/** What the host lends its searches: a view of its login state and its links. */
export interface HostSearchDeps {
  readonly params: ProtocolParams;
  readonly transport: Transport;
  online(): boolean;
  natClass(): NatClass;
  udpBlocked(): boolean;
  /** The SN link once attached: the SN's HC entry and the connection. */
  superNodeLink(): { readonly entry: Endpoint; readonly conn: ConnId } | undefined;
  /** The LS session link, if up. */
  loginServerLink(): ConnId | undefined;
  hostCacheEntries(): readonly Endpoint[];
  service(): SuperNodeService | undefined;
  /** Sends from the host's own UDP port (the host remembers whom it sent to). */
  sendUdp(ctx: Ctx, to: Endpoint, msg: Message): void;
  setTimer(ctx: Ctx, delayMs: number): void;
  cancelTimer(ctx: Ctx): void;
}

type Phase = 'peers' | 'onBehalf' | 'superNode' | 'loginServer';

interface Pending {
  readonly queryId: number;
  readonly name: string;
  readonly searcherClass: SearcherClass;
  readonly startedAtMs: number;
  readonly done: (ctx: Ctx, result: SearchResult) => void;
  phase: Phase;
  machine: UserSearch | undefined;
  /** The SN asked on behalf (udpBlocked). */
  superNode: Endpoint | undefined;
  deadlineMs: number;
  /** Messages sent besides the host's own machine's (on behalf, its SN service's search, LS). */
  extraMessages: number;
}

const RECENT_IDS_MAX = 64;

export class HostSearches {
  private readonly pending = new Map<number, Pending>();
  private readonly recentIds = new RecentIds(RECENT_IDS_MAX);
  /** When the timer is armed to fire (Infinity: not armed), so an unchanged deadline is not re-armed. */
  private armedDueMs = Infinity;

  constructor(private readonly d: HostSearchDeps) {}

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Starts a search; `done` is called exactly once - possibly before this returns (offline, or a
   * serving host whose own index has a fresh record).
   */
  start(ctx: Ctx, name: string, done: (ctx: Ctx, result: SearchResult) => void): void {
    const cls = this.searcherClass();
    if (!this.d.online()) {
      ctx.out.push({ kind: 'trace', event: 'searchFinished', detail: { queryId: 0, name, outcome: 'notFound', cause: 'notOnline', searcherClass: cls, ms: 0, messages: 0, rounds: 0, from: '' } });
      return done(ctx, { outcome: 'notFound' });
    }
    let queryId = randomU32(ctx.rng);
    while (this.pending.has(queryId) || this.recentIds.has(queryId)) queryId = (queryId + 1) >>> 0;
    const s: Pending = { queryId, name, searcherClass: cls, startedAtMs: ctx.now, done, phase: 'peers', machine: undefined, superNode: undefined, deadlineMs: Infinity, extraMessages: 0 };
    this.pending.set(queryId, s);
    ctx.out.push({ kind: 'trace', event: 'searchStarted', detail: { queryId, name, searcherClass: cls } });
    switch (cls) {
      case 'superNode':
        return this.startAsSuperNode(ctx, s);
      case 'udpBlocked':
        return this.startOnBehalf(ctx, s);
      default:
        return this.startPeers(ctx, s, cls);
    }
  }

  /** A searchReply by UDP or on the SN link; false if no search of this host holds its query id. */
  onReply(ctx: Ctx, from: Endpoint | 'superNodeLink', msg: MessageOf<'searchReply'>): boolean {
    const s = this.pending.get(msg.queryId);
    if (!s) return false;
    const link = this.d.superNodeLink();
    if (s.phase === 'onBehalf') {
      if (from !== 'superNodeLink' || !link || !s.superNode || !sameEndpoint(link.entry, s.superNode)) return false;
      if (msg.found) this.finish(ctx, s, 'found', 'record', recordOf(s.name, msg, ctx.now), link.entry);
      else this.askLoginServer(ctx, s);
      this.arm(ctx);
      return true;
    }
    if (s.phase !== 'peers' || !s.machine) return false;
    const sender = from === 'superNodeLink' ? link?.entry : from;
    if (!sender) return false;
    const steps = s.machine.onReply(ctx.now, sender, msg);
    if (!steps) return false;
    this.apply(ctx, s, steps);
    this.arm(ctx);
    return true;
  }

  /** The LS's accountReply on the session link; false if no search waits for it. */
  onAccountReply(ctx: Ctx, msg: MessageOf<'accountReply'>): boolean {
    const s = this.pending.get(msg.queryId);
    if (!s || s.phase !== 'loginServer') return false;
    this.finish(ctx, s, msg.exists ? 'foundAtLoginServer' : 'notFound', msg.exists ? 'accountExists' : 'noAccount');
    this.arm(ctx);
    return true;
  }

  /** Was `queryId` used lately (a reply to it is late, not unexpected)? */
  wasRecent(queryId: number): boolean {
    return this.recentIds.has(queryId);
  }

  /** The `searchRound` timer fired: every search whose deadline has come moves on. */
  onTimer(ctx: Ctx): void {
    this.armedDueMs = Infinity;
    for (const s of [...this.pending.values()]) {
      if (s.deadlineMs > ctx.now || !this.pending.has(s.queryId)) continue;
      switch (s.phase) {
        case 'peers':
          this.apply(ctx, s, s.machine!.onTimeout(ctx.now));
          break;
        case 'onBehalf':
          this.askLoginServer(ctx, s);
          break;
        case 'loginServer':
          this.finish(ctx, s, 'notFound', 'loginServerSilent');
          break;
        case 'superNode':
          break;
      }
    }
    this.arm(ctx);
  }

  /** The host goes offline: every search ends notFound. */
  abortAll(ctx: Ctx): void {
    const all = [...this.pending.values()];
    for (const s of all) this.finish(ctx, s, 'notFound', 'offline');
    this.d.cancelTimer(ctx);
    this.armedDueMs = Infinity;
  }

  // --- how each class starts ----------------------------------------------------------------

  private startPeers(ctx: Ctx, s: Pending, cls: 'public' | 'nat'): void {
    const p = this.d.params;
    const link = this.d.superNodeLink();
    const hc = this.d.hostCacheEntries();
    const first =
      cls === 'public'
        ? link
          ? [{ to: link.entry, via: 'superNodeLink' as const }]
          : []
        : [...(link ? [{ to: link.entry, via: 'udp' as const }] : []), ...rankByWeight(s.name, hc, p.searchFanout - (link ? 1 : 0), link ? [link.entry] : []).map((to) => ({ to, via: 'udp' as const }))];
    s.machine = new UserSearch({
      name: s.name,
      queryId: s.queryId,
      first,
      // Later rounds rank what replies named together with the host cache, so a search still
      // gets out when the SN is dead and the host does not know it yet (keep-alives take minutes).
      known: hc,
      fanout: p.searchFanout,
      rounds: p.searchRounds,
      roundTimeoutMs: p.searchRoundTimeoutMs,
      retentionMs: p.searchRetentionMs,
      freshMs: freshMs(p),
    });
    this.apply(ctx, s, s.machine.start(ctx.now));
    this.arm(ctx);
  }

  private startOnBehalf(ctx: Ctx, s: Pending): void {
    const link = this.d.superNodeLink();
    if (!link) return this.askLoginServer(ctx, s);
    s.phase = 'onBehalf';
    s.superNode = link.entry;
    s.extraMessages++;
    s.deadlineMs = ctx.now + (this.d.params.searchRounds + 1) * this.d.params.searchRoundTimeoutMs;
    this.d.transport.write(ctx, link.conn, { type: 'searchRequest', queryId: s.queryId, name: s.name, onBehalf: true });
    ctx.out.push({ kind: 'trace', event: 'searchRound', detail: { queryId: s.queryId, round: 1, asked: `${formatEndpoint(link.entry)}/tcp`, onBehalf: true } });
    this.arm(ctx);
  }

  private startAsSuperNode(ctx: Ctx, s: Pending): void {
    s.phase = 'superNode';
    this.d.service()!.search.locate(
      ctx,
      s.name,
      (c, record, messages) => {
        if (this.pending.get(s.queryId) !== s) return;
        s.extraMessages += messages;
        if (record) this.finish(c, s, 'found', 'record', record);
        else this.askLoginServer(c, s);
        this.arm(c);
      },
      false,
    );
  }

  // --- steps, the LS, the end -----------------------------------------------------------------

  private apply(ctx: Ctx, s: Pending, steps: readonly SearchStep[]): void {
    const link = this.d.superNodeLink();
    for (const step of steps) {
      switch (step.kind) {
        case 'send':
          if (step.via === 'superNodeLink') {
            if (link && sameEndpoint(link.entry, step.to)) this.d.transport.write(ctx, link.conn, step.msg);
          } else {
            this.d.sendUdp(ctx, step.to, step.msg);
          }
          break;
        case 'round':
          ctx.out.push({ kind: 'trace', event: 'searchRound', detail: { queryId: s.queryId, round: step.round, asked: formatTargets(step.asked) } });
          break;
        case 'done':
          s.deadlineMs = Infinity;
          if (step.outcome === 'found') this.finish(ctx, s, 'found', step.cause, step.record, step.from);
          else this.askLoginServer(ctx, s);
          break;
      }
    }
    if (s.machine && s.phase === 'peers') s.deadlineMs = s.machine.deadlineMs;
  }

  /** BS-20: the peers did not find the name; the LS tells whether the account exists. */
  private askLoginServer(ctx: Ctx, s: Pending): void {
    const conn = this.d.loginServerLink();
    if (conn === undefined) return this.finish(ctx, s, 'notFound', 'noLoginServerLink');
    s.phase = 'loginServer';
    s.extraMessages++;
    s.deadlineMs = ctx.now + this.d.params.searchRoundTimeoutMs;
    this.d.transport.write(ctx, conn, { type: 'accountQuery', queryId: s.queryId, name: s.name });
    ctx.out.push({ kind: 'trace', event: 'searchRound', detail: { queryId: s.queryId, round: (s.machine?.roundsRun ?? (s.superNode ? 1 : 0)) + 1, asked: 'loginServer/tcp' } });
  }

  private finish(ctx: Ctx, s: Pending, outcome: SearchOutcome, cause: string, record?: UserRecord, from?: Endpoint): void {
    if (this.pending.get(s.queryId) !== s) return;
    this.pending.delete(s.queryId);
    this.recentIds.add(s.queryId);
    const messages = (s.machine?.messagesSent ?? 0) + s.extraMessages;
    const ms = ctx.now - s.startedAtMs;
    const labels = { outcome, searcherClass: s.searcherClass };
    ctx.out.push({ kind: 'metric', name: 'searchMs', value: ms, labels });
    ctx.out.push({ kind: 'metric', name: 'searchMessages', value: messages, labels });
    ctx.out.push({
      kind: 'trace',
      event: 'searchFinished',
      detail: {
        queryId: s.queryId,
        name: s.name,
        outcome,
        cause,
        searcherClass: s.searcherClass,
        ms,
        messages,
        rounds: s.machine?.roundsRun ?? 0,
        from: from ? formatEndpoint(from) : '',
        superNode: record ? formatEndpoint(record.superNode) : '',
        address: record ? formatEndpoint(record.address) : '',
      },
    });
    s.done(ctx, record ? { outcome, record } : { outcome });
  }

  /** Re-arms the one timer for the earliest deadline of the searches under way. */
  private arm(ctx: Ctx): void {
    let due = Infinity;
    for (const s of this.pending.values()) due = Math.min(due, s.deadlineMs);
    if (due === this.armedDueMs) return;
    this.armedDueMs = due;
    if (due === Infinity) this.d.cancelTimer(ctx);
    else this.d.setTimer(ctx, Math.max(0, due - ctx.now));
  }

  private searcherClass(): SearcherClass {
    if (this.d.service()) return 'superNode';
    if (this.d.udpBlocked() || this.d.natClass() === 'udp-blocked') return 'udpBlocked';
    return this.d.natClass() === 'open' ? 'public' : 'nat';
  }
}

function recordOf(name: string, msg: MessageOf<'searchReply'>, nowMs: number): UserRecord {
  return { name, superNode: msg.superNode, address: msg.address, natClass: codeName(NAT_CLASS, msg.natClass, 'unknown'), seenAtMs: nowMs - msg.ageMs };
}

/** Who may have used a query id lately: the host's searches, its SN service's. */
export interface RecentQueries {
  wasRecent(queryId: number): boolean;
}

/**
 * Counts a searchReply or accountReply no search waits for: late if one of `searches` used its
 * id lately, else unexpected.
 */
export function strayReply(ctx: Ctx, msg: MessageOf<'searchReply'> | MessageOf<'accountReply'>, state: string, ...searches: readonly (RecentQueries | undefined)[]): void {
  if (searches.some((s) => s?.wasRecent(msg.queryId))) ctx.out.push({ kind: 'trace', event: 'late', detail: { input: msg.type } });
  else unexpected(ctx, msg.type, state);
}
