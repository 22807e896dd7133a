/**
 * The super node's part of user search (BS-16 - BS-20): it keeps a share of the user index
 * (user-index.ts has the design), answers searches, and searches the overlay itself for a
 * UDP-blocked client (BS-19) and for routed signalling (`locate`). SuperNodeService owns one
 * and routes to it the inputs below; this file keeps that service's hooks to a few lines.
 *
 * Inputs (all while serving):
 *   indexAnnounce on a client link   hold the client's record (seen now, its address as this
 *                                    SN sees it with the port it names) and publish it to the
 *                                    searchReplicas SNs of highest weight this SN knows
 *                                    (`indexStore`, UDP)
 *   indexStore (UDP)                 hold the record (newest per name wins)
 *   searchRequest (UDP, or a client  answer at once: the record if held or cached, and (always)
 *     link without onBehalf)         the searchFanout SNs of highest weight for the name it knows
 *                                    (host cache and overlay neighbours; not itself, not the
 *                                    asker) - BS-17's "returns a few other nodes"
 *   searchRequest onBehalf on a      `locate`: a fresh local record, else a UserSearch over
 *     client link (BS-19)            UDP from the SNs of highest weight it knows; answer on
 *                                    the link when done (found or not, no nodes)
 *   searchReply (UDP)                to the UserSearch of its query id
 *   timer superNodeSearch            the earliest round deadline of its searches, or the next
 *                                    sweep of expired records (every searchCacheMs at most)
 *   stop                             hand held records over (user-index.ts), end searches
 *                                    (locate callers get undefined)
 * What it learns by searching it caches (searchCacheMs). Metrics: `searchMs` and
 * `searchMessages` for the overlay searches it runs (labels outcome found | notFound,
 * searcherClass superNode); traces searchStarted / searchRound / searchFinished as the host's.
 *
 * One timer for all searches: a Map by query id holds each search's deadline; the timer is
 * re-armed for the earliest (ties: the order the searches started, which the input order
 * fixes). Every round lasts searchRoundTimeoutMs from the input that started it, so deadlines
 * come in the order they are set: a queue of them in that order gives the earliest without a
 * look at every search (an SN runs a hundred or more at a time, for its clients).
 */

import type { ConnId, Ctx, Endpoint } from '../node.js';
import type { ProtocolParams } from '../params.js';
import { NAT_CLASS, codeName, type MessageOf } from '../wire/messages.js';
import type { HostCache } from './host-cache.js';
import { RecentIds, formatEndpoint, isUsableEndpoint, randomU32 } from './support.js';
import type { Transport } from './transport.js';
import { rankByWeight, UserIndex, type UserRecord } from './user-index.js';
import { formatTargets, freshMs, UserSearch, type SearchStep } from './user-search.js';

export interface SuperNodeSearchDeps {
  readonly params: ProtocolParams;
  readonly transport: Transport;
  readonly hostCache: HostCache;
  readonly self: Endpoint;
  /** The SN's up overlay neighbours: a fresh array, the caller's to keep. */
  overlayPeers(): Endpoint[];
  /** Whether `conn` is still the link of client `name` (a search may outlive it). */
  isClientLink(conn: ConnId, name: string): boolean;
  setTimer(ctx: Ctx, delayMs: number): void;
  cancelTimer(ctx: Ctx): void;
}

interface Running {
  readonly queryId: number;
  readonly name: string;
  readonly startedAtMs: number;
  readonly machine: UserSearch;
  /** `messages`: the requests the search sent (the host counts them for its own user's searches). */
  readonly done: (ctx: Ctx, record: UserRecord | undefined, messages: number) => void;
  /** Emit the searchMs / searchMessages samples (not for the node's own user: the host does). */
  readonly measured: boolean;
  /** The order searches started in (the Map's). */
  readonly seq: number;
  /** The deadline last queued for it (Infinity: none). */
  queuedMs: number;
}

/** An age in ms fits a u32 up to 49 days; the retention (72 h) is far below, so the cap never bites a live record. */
const AGE_MS_MAX = 0xffffffff;

/**
 * Ids of ended searches remembered, so that the replies still on their way to one (a search
 * ends at its first answer; the other SNs asked answer too) count as late, not unexpected.
 * An SN runs searches for all its clients: more than a host's handful end within a round.
 */
const RECENT_IDS_MAX = 1024;

export class SuperNodeSearch {
  readonly index: UserIndex;
  private readonly running = new Map<number, Running>();
  private started = 0;
  /**
   * Round deadlines in the order they were set, which is deadline order, with their searches,
   * from `dueHead` on. A pair whose search has since moved on or ended is stale, dropped when it
   * reaches the front.
   */
  private dueAt: number[] = [];
  private dueOf: Running[] = [];
  private dueHead = 0;
  private readonly recentIds = new RecentIds(RECENT_IDS_MAX);
  private nowMs = 0;
  private sweepDueMs = -Infinity;
  /** When the timer is armed to fire (Infinity: not armed), so an unchanged deadline is not re-armed. */
  private armedDueMs = Infinity;
  /** The last `known()` list and what it was made from (see there). */
  private knownMemo: { readonly peers: readonly Endpoint[]; readonly hostCache: readonly Endpoint[]; readonly list: readonly Endpoint[] } | undefined;

  constructor(private readonly d: SuperNodeSearchDeps) {
    this.index = new UserIndex(d.params.searchRetentionMs, d.params.searchCacheMs);
  }

  /** Searches under way. */
  get searching(): number {
    return this.running.size;
  }

  start(ctx: Ctx): void {
    this.nowMs = ctx.now;
    this.sweepDueMs = ctx.now + this.sweepPeriodMs();
    this.arm(ctx);
  }

  /** The held or cached record of `name` as of the last input this SN handled. */
  lookupLocal(name: string): UserRecord | undefined {
    return this.index.lookup(name, this.nowMs);
  }

  /**
   * Its own clients' records and its store and cache first: a fresh record there (an attached
   * client's always is) answers at once - `done` is called before this returns. Else a search
   * over the overlay (`done` when it ends), answered with the newer of what it found and an old
   * local record; undefined: neither.
   */
  locate(ctx: Ctx, name: string, done: Running['done'], measured = true, rounds = this.d.params.searchRounds): void {
    this.nowMs = ctx.now;
    const local = this.index.lookup(name, ctx.now);
    if (local && ctx.now - local.seenAtMs <= freshMs(this.d.params)) return done(ctx, local, 0);
    this.search(ctx, name, (c, found, messages) => done(c, found && (!local || found.seenAtMs >= local.seenAtMs) ? found : local, messages), measured, rounds);
  }

  // --- inputs -------------------------------------------------------------------------------

  onAnnounce(ctx: Ctx, name: string, remoteIp: number, msg: MessageOf<'indexAnnounce'>): void {
    this.nowMs = ctx.now;
    if (msg.port === 0) return this.invalid(ctx, 'indexAnnounce', name);
    const record: UserRecord = { name, superNode: this.d.self, address: { ip: remoteIp, port: msg.port }, natClass: codeName(NAT_CLASS, msg.natClass, 'unknown'), seenAtMs: ctx.now };
    this.index.hold(record, ctx.now);
    for (const home of this.homes(name)) this.sendStore(ctx, home, record);
  }

  onStore(ctx: Ctx, msg: MessageOf<'indexStore'>): void {
    this.nowMs = ctx.now;
    if (msg.name.length === 0 || !isUsableEndpoint(msg.superNode) || !isUsableEndpoint(msg.address)) return this.invalid(ctx, 'indexStore', msg.name);
    this.index.hold({ name: msg.name, superNode: msg.superNode, address: msg.address, natClass: codeName(NAT_CLASS, msg.natClass, 'unknown'), seenAtMs: ctx.now - msg.ageMs }, ctx.now);
  }

  /** A searchRequest by UDP (`via.from`) or on client link `via.conn` of client `via.client`. */
  onRequest(ctx: Ctx, msg: MessageOf<'searchRequest'>, via: { localPort: number; from: Endpoint } | { conn: ConnId; client: string }): void {
    this.nowMs = ctx.now;
    if (msg.name.length === 0) return this.invalid(ctx, 'searchRequest', '');
    if (msg.onBehalf && 'conn' in via) return this.searchOnBehalf(ctx, msg, via.conn, via.client);
    const record = this.index.lookup(msg.name, ctx.now);
    const exclude = 'from' in via ? [this.d.self, via.from] : [this.d.self];
    // Nodes even with a record: an old record sends the searcher one round further (user-search.ts).
    const nodes = rankByWeight(msg.name, this.known(), this.d.params.searchFanout, exclude);
    const reply = replyOf(msg.queryId, record, nodes, ctx.now);
    if ('conn' in via) this.d.transport.write(ctx, via.conn, reply);
    else this.d.transport.sendDatagram(ctx, via.localPort, via.from, reply);
  }

  /** A searchReply by UDP; false if no search of this SN asked for it. */
  onReply(ctx: Ctx, from: Endpoint, msg: MessageOf<'searchReply'>): boolean {
    this.nowMs = ctx.now;
    const r = this.running.get(msg.queryId);
    if (!r) return false;
    const steps = r.machine.onReply(ctx.now, from, msg);
    if (!steps) return false;
    this.apply(ctx, r, steps);
    this.queue(r);
    this.arm(ctx);
    return true;
  }

  /** Was `queryId` one of this SN's searches lately (a reply to it is late, not unexpected)? */
  wasRecent(queryId: number): boolean {
    return this.recentIds.has(queryId);
  }

  onTimer(ctx: Ctx): void {
    this.nowMs = ctx.now;
    this.armedDueMs = Infinity;
    // The searches due, in the order they started (as a walk over the Map would take them).
    const due: Running[] = [];
    while (this.firstDueMs() <= ctx.now) due.push(this.dueOf[this.dueHead++]);
    due.sort((a, b) => a.seq - b.seq);
    for (const r of due) {
      if (r.machine.deadlineMs > ctx.now) continue;
      this.apply(ctx, r, r.machine.onTimeout(ctx.now));
      this.queue(r);
    }
    if (ctx.now >= this.sweepDueMs) {
      this.index.expire(ctx.now);
      this.sweepDueMs = ctx.now + this.sweepPeriodMs();
    }
    this.arm(ctx);
  }

  /** Graceful stop: every held record to its next homes besides this SN; searches end unanswered. */
  stop(ctx: Ctx): void {
    this.nowMs = ctx.now;
    const records = this.index.heldRecords(ctx.now);
    for (const r of records) for (const home of this.homes(r.name)) this.sendStore(ctx, home, r);
    if (records.length > 0) ctx.out.push({ kind: 'trace', event: 'indexHandedOver', detail: { records: records.length } });
    const running = [...this.running.values()];
    this.running.clear();
    this.dueAt = [];
    this.dueOf = [];
    this.dueHead = 0;
    this.d.cancelTimer(ctx);
    this.armedDueMs = Infinity;
    for (const r of running) this.finish(ctx, r, { kind: 'done', outcome: 'notFound', cause: 'roundsOver' }, 'stopped');
  }

  // --- searching ----------------------------------------------------------------------------

  private searchOnBehalf(ctx: Ctx, msg: MessageOf<'searchRequest'>, conn: ConnId, client: string): void {
    this.locate(ctx, msg.name, (c, record) => {
      if (!this.d.isClientLink(conn, client)) return;
      this.d.transport.write(c, conn, replyOf(msg.queryId, record, [], c.now));
    });
  }

  private search(ctx: Ctx, name: string, done: Running['done'], measured: boolean, rounds: number): void {
    const p = this.d.params;
    let queryId = randomU32(ctx.rng);
    while (this.running.has(queryId) || this.recentIds.has(queryId)) queryId = (queryId + 1) >>> 0;
    const known = this.known();
    const machine = new UserSearch({
      name,
      queryId,
      first: rankByWeight(name, known, p.searchFanout, [this.d.self]).map((to) => ({ to, via: 'udp' as const })),
      known,
      self: this.d.self,
      fanout: p.searchFanout,
      rounds,
      roundTimeoutMs: p.searchRoundTimeoutMs,
      retentionMs: p.searchRetentionMs,
      freshMs: freshMs(p),
    });
    const r: Running = { queryId, name, startedAtMs: ctx.now, machine, done, measured, seq: this.started++, queuedMs: Infinity };
    this.running.set(queryId, r);
    ctx.out.push({ kind: 'trace', event: 'searchStarted', detail: { queryId, name, searcherClass: 'superNode' } });
    this.apply(ctx, r, machine.start(ctx.now));
    this.queue(r);
    this.arm(ctx);
  }

  private apply(ctx: Ctx, r: Running, steps: readonly SearchStep[]): void {
    for (const s of steps) {
      switch (s.kind) {
        case 'send':
          this.d.transport.sendDatagram(ctx, this.d.self.port, s.to, s.msg);
          break;
        case 'round':
          ctx.out.push({ kind: 'trace', event: 'searchRound', detail: { queryId: r.queryId, round: s.round, asked: formatTargets(s.asked) } });
          break;
        case 'done':
          this.running.delete(r.queryId);
          this.finish(ctx, r, s, s.cause);
          break;
      }
    }
  }

  private finish(ctx: Ctx, r: Running, s: Extract<SearchStep, { kind: 'done' }>, cause: string): void {
    this.recentIds.add(r.queryId);
    if (s.record) this.index.cache(s.record, ctx.now);
    const labels = { outcome: s.outcome, searcherClass: 'superNode' };
    if (r.measured) {
      ctx.out.push({ kind: 'metric', name: 'searchMs', value: ctx.now - r.startedAtMs, labels });
      ctx.out.push({ kind: 'metric', name: 'searchMessages', value: r.machine.messagesSent, labels });
    }
    ctx.out.push({
      kind: 'trace',
      event: 'searchFinished',
      detail: { queryId: r.queryId, name: r.name, outcome: s.outcome, cause, searcherClass: 'superNode', ms: ctx.now - r.startedAtMs, messages: r.machine.messagesSent, rounds: r.machine.roundsRun, from: s.from ? formatEndpoint(s.from) : '' },
    });
    r.done(ctx, s.record, r.machine.messagesSent);
  }

  /** Queues the deadline of `r`'s round if it is new (a round started). */
  private queue(r: Running): void {
    const due = r.machine.deadlineMs;
    if (due === r.queuedMs) return;
    r.queuedMs = due;
    if (due === Infinity) return;
    this.dueAt.push(due);
    this.dueOf.push(r);
  }

  /** The earliest deadline of a running search (Infinity: none), stale pairs dropped from the front. */
  private firstDueMs(): number {
    const at = this.dueAt;
    let head = this.dueHead;
    for (; head < at.length; head++) {
      const r = this.dueOf[head];
      if (r.machine.deadlineMs === at[head] && this.running.get(r.queryId) === r) break;
    }
    if (head > 1024 && 2 * head > at.length) {
      at.splice(0, head);
      this.dueOf.splice(0, head);
      head = 0;
    }
    this.dueHead = head;
    return head < at.length ? at[head] : Infinity;
  }

  /** Re-arms the one timer for the earliest deadline (round or sweep). */
  private arm(ctx: Ctx): void {
    const due = Math.min(this.sweepDueMs, this.firstDueMs());
    if (due === this.armedDueMs) return;
    this.armedDueMs = due;
    this.d.setTimer(ctx, Math.max(0, due - ctx.now));
  }

  private sweepPeriodMs(): number {
    return Math.max(1, Math.min(this.d.params.searchCacheMs || Infinity, this.d.params.hostCacheRefreshIntervalMs));
  }

  // --- the index ----------------------------------------------------------------------------

  /**
   * The SNs this SN knows: its overlay neighbours and its host cache. Every search request it
   * serves ranks this list, and it changes far less often than requests come: it is kept with
   * the neighbours (by identity, in link order) and the host-cache array (replaced on every
   * change, host-cache.ts) it was made from, and made again only when one of them differs.
   */
  private known(): readonly Endpoint[] {
    const peers = this.d.overlayPeers();
    const hostCache = this.d.hostCache.entries();
    const memo = this.knownMemo;
    if (memo !== undefined && memo.hostCache === hostCache && sameItems(memo.peers, peers)) return memo.list;
    const list = peers.concat(hostCache);
    this.knownMemo = { peers, hostCache, list };
    return list;
  }

  /** The name's home SNs in this SN's view, besides itself. */
  private homes(name: string): Endpoint[] {
    return rankByWeight(name, this.known(), this.d.params.searchReplicas, [this.d.self]);
  }

  private sendStore(ctx: Ctx, to: Endpoint, r: UserRecord): void {
    const ageMs = Math.min(AGE_MS_MAX, Math.max(0, Math.round(ctx.now - r.seenAtMs)));
    this.d.transport.sendDatagram(ctx, this.d.self.port, to, { type: 'indexStore', name: r.name, superNode: r.superNode, address: r.address, natClass: NAT_CLASS[r.natClass], ageMs });
  }

  private invalid(ctx: Ctx, msgType: string, name: string): void {
    ctx.out.push({ kind: 'trace', event: 'searchInvalid', detail: { msgType, name } });
  }
}

const NO_ENDPOINT: Endpoint = { ip: 0, port: 0 };

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function replyOf(queryId: number, record: UserRecord | undefined, nodes: Endpoint[], nowMs: number): MessageOf<'searchReply'> {
  if (!record) return { type: 'searchReply', queryId, found: false, superNode: NO_ENDPOINT, address: NO_ENDPOINT, natClass: NAT_CLASS.unknown, ageMs: 0, nodes };
  const ageMs = Math.min(AGE_MS_MAX, Math.max(0, Math.round(nowMs - record.seenAtMs)));
  return { type: 'searchReply', queryId, found: true, superNode: record.superNode, address: record.address, natClass: NAT_CLASS[record.natClass], ageMs, nodes };
}
