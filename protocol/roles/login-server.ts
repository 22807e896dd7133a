/**
 * The login server (LS): the only central server (BS-2, BS-8). TCP only, always (BS-8).
 *
 * What it models: user accounts with salted, hashed passwords (crypto/passwords.ts); password
 * checks with a per-name limit on failures; unique names; the user's public key signed into a
 * credential (crypto/credentials.ts) that SNs and peers verify; a service capacity, so login
 * storms queue and overflow.
 *
 * Inputs, by state of a connection:
 *   start                   listen on TCP `port` and on the fall-back ports 80 and 443 (ours: a
 *                           host behind a firewall that allows only 80/443 must reach the LS
 *                           too, BS-10); hash the accounts given at construction
 *   accepted                send `challenge{role: loginServer, nonce}` (a fresh 16-byte nonce)
 *   data authRequest        - nonce not the one issued on this connection, or already used:
 *                             `authRefused{badNonce}` (replay protection: a replayed request,
 *                             on this or another connection, creates no session)
 *                           - name over its failure limit: `authRefused{rateLimited}`
 *                           - queue full: `authBusy{retryAfterMs}` (the host backs off)
 *                           - else queued; served first come first served
 *   timer serve             the head request's service time is over: check the password, apply
 *                           the duplicate rule, answer `authAccepted{credential}` or
 *                           `authRefused{badCredentials | nameInUse}`
 *   closed                  see Sessions below; queued requests of a closed connection are
 *                           served and their answer dropped (the LS did the work; it cannot
 *                           know better)
 *   data sessionResume      see Sessions below (needs this connection's fresh nonce)
 *   data sessionKeepAlive   on a session link: renew the lease, `sessionKeepAliveAck`
 *   data accountQuery       on a session link (BS-20, a search the peers could not answer):
 *                           `accountReply{exists}` - whether the account exists; the LS knows
 *                           no locations. Elsewhere: counted as unexpected, no answer
 *   timer sessionSweep      drop lapsed sessions; accept the logins they held
 *   user register           adds an account (the runtime or a scenario calls it)
 *   anything else           counted (`trace unexpected`), state unchanged; bad bytes: `malformed`
 *
 * Sessions and unique names (ours; the studies say only that the LS keeps names unique, BS-2):
 * a host keeps the connection of its successful login open for the whole session (the
 * "session link") and closes it at logout. The session table lives in `disk.sessions` when a
 * disk is given, so it survives an LS restart (the LS's database); after a restart every
 * session has no link until its host re-validates. Each session has a lease: the host sends
 * `sessionKeepAlive` every `lsSessionKeepAliveMs` (acknowledged; it renews the lease), and a
 * session not heard from for `lsSessionLeaseMs` is over (`sessionLapsed`: noticed when its name
 * is next used, and by the `sessionSweep` timer, armed while a login is held; a crashed host's
 * record stays in the table until then - one entry per name at most). The host goes offline by itself when its lease runs out unconfirmed
 * (ordinary-host.ts), measured from the send of its last confirmed request, so a lapsed session
 * at the LS never has an online host.
 *   link closed        FIN (`closed`: logout, or the host's answer to sessionEnded) or RST
 *                      (`reset`: the process that held it is gone - the host restarted): the
 *                      session is over. TCP give-up (`timeout`): unknown - the host may have
 *                      crashed or be cut off; the session stays, linkless, until it lapses or
 *                      its host re-validates.
 *   sessionResume      a host whose link was lost re-validates (credential + signed nonce; one
 *                      signature check, not queued, no password). "Newest" is the latest login
 *                      the LS accepted - a credential's issue time; a re-validation is never a
 *                      login: it keeps the session it names or nothing. Same session (same key
 *                      and issue time) -> `sessionResumed`, this connection is the link (a
 *                      lingering older link is closed); that session is being replaced ->
 *                      `sessionEnded{replaced}`; another session holds the name -> `replace`:
 *                      `sessionEnded{replaced}`, `refuse`: `authRefused{nameInUse}`; no session
 *                      (the LS lost it, or it lapsed) -> it is re-created, `sessionResumed`.
 *   second login       of a name that has a session, by `duplicateLogin`:
 *     replace (default)  from the same machine (same public key: its previous process, e.g. a
 *                        restart) the old session ends at once (`sessionEnded` on its link,
 *                        closed). From another machine the newest login wins, but only once the
 *                        older machine is known to be
 *                        offline, so that exactly one machine is online: the LS sends
 *                        `sessionEnded{replaced}` on the old link and holds the new request
 *                        (answered later; the host retries on its own reply timeout) until the
 *                        old link closes or resets, the old host re-validates and is told, or
 *                        the old session lapses. A crashed host therefore locks its name for at
 *                        most the lease; a host cut off by a partition is offline by the time
 *                        the newer one is accepted.
 *     refuse             the new login gets `authRefused{nameInUse}` while the old session is
 *                        not over (linked, or within its lease): a crashed machine locks its
 *                        name until its link resets or closes, or for at most the lease.
 *
 * Capacity (ours, for login storms): one server, `lsLoginsPerSec` requests per second, each
 * taking 1000 / lsLoginsPerSec ms of service; at most `lsQueueMax` waiting. `authBusy` carries
 * the expected wait of a request arriving now (queue length x service time).
 *
 * Rate limit (ours): `lsFailureLimit` wrong passwords (or unknown names) for one name within
 * `lsFailureWindowMs` refuse further attempts for that name until the oldest failure leaves the
 * window; a success clears the name's failures. Checked on arrival, so refused attempts cost no
 * service time.
 *
 * What it abstracts: the password travels in the (obfuscated) auth request; the real client
 * protected it with the LS's public key. Password checks cost real PBKDF2 CPU
 * (`passwordWorkFactor` iterations) but no simulated time beyond the service time. Accounts
 * live in `disk.accounts` if a disk is given (kept across LS restarts), else in memory.
 */

import type { KeyObject } from 'node:crypto';
import type { CloseReason, ConnId, Ctx, Input, ProtocolNode } from '../node.js';
import { createPublicKey } from 'node:crypto';
import { decodeCredential, encodeCredential, issueCredential, NAME_BYTES_MAX, verifyChallenge, verifyCredential } from '../crypto/credentials.js';
import { PUBLIC_KEY_BYTES, randomBytesFrom } from '../crypto/keys.js';
import { hashPassword, verifyPassword, type PasswordRecord } from '../crypto/passwords.js';
import type { ProtocolParams } from '../params.js';
import { AUTH_REFUSAL, ROLE, SESSION_END, type MessageOf } from '../wire/messages.js';
import type { Obfuscator } from '../wire/obfuscation.js';
import { equalBytes, unexpected } from './support.js';
import { Timers } from './timers.js';
import { sharedObfuscator, Transport } from './transport.js';

export const CHALLENGE_NONCE_BYTES = 16;

/** The LS's timers. */
export type LoginServerTimer =
  /** fires when: the request at the head of the queue has had its service time. */
  | 'serve'
  /** fires when: the older session a held login waits for may have lapsed (its last-heard time + lsSessionLeaseMs). */
  | 'sessionSweep';

const LOGIN_SERVER_TIMERS: readonly LoginServerTimer[] = ['serve', 'sessionSweep'];

/** What the runtime or a scenario asks the LS to do. */
export type LoginServerAction = { readonly type: 'register'; readonly name: string; readonly password: string };

export interface Account {
  readonly name: string;
  readonly password: string;
}

/** What the LS keeps across its own restarts. */
export interface LoginServerDisk {
  accounts?: Map<string, PasswordRecord>;
  /** The session table (see the header): kept across LS restarts. */
  sessions?: Map<string, SessionRecord>;
}

/** One name's session. */
export interface SessionRecord {
  /** The session link; undefined when lost (TCP gave up, or the LS restarted). */
  conn: ConnId | undefined;
  /** The login's credential: its issue time orders logins ("newest"), its key names the machine. */
  readonly issuedAtMs: number;
  readonly publicKey: Uint8Array;
  /** Last time the LS heard from the session's host (login, keep-alive, re-validation). */
  lastHeardMs: number;
  /** A newer login from another machine waits for this session to end. */
  ending: boolean;
}

export interface LoginServerOptions {
  readonly params: ProtocolParams;
  /** The LS's Ed25519 key: `privateKey` signs credentials; hosts are given its `publicKey`. */
  readonly privateKey: KeyObject;
  /** Accounts registered at `start` (hashed then; the cost is passwordWorkFactor PBKDF2 iterations each). */
  readonly accounts?: readonly Account[];
  /** TCP port; default `params.loginServerPort`. */
  readonly port?: number;
  readonly disk?: LoginServerDisk;
  /** Default: the process-wide obfuscator of `params.cryptoMode`. */
  readonly obfuscator?: Obfuscator;
}

interface Request {
  readonly conn: ConnId;
  readonly name: string;
  readonly password: string;
  readonly publicKey: Uint8Array;
  readonly arrivedAtMs: number;
}

interface Connection {
  /** The challenge nonce not yet used, or undefined once a request used it. */
  nonce: Uint8Array | undefined;
  /** Name whose session link this connection is, if any. */
  session: string | undefined;
}

export class LoginServerNode implements ProtocolNode<LoginServerAction> {
  private readonly params: ProtocolParams;
  private readonly transport: Transport;
  private readonly timers = new Timers<LoginServerTimer>();
  private readonly accounts: Map<string, PasswordRecord>;
  private readonly conns = new Map<ConnId, Connection>();
  private readonly sessions: Map<string, SessionRecord>;
  /** name -> the newer login (password checked) held until the name's session ends. */
  private readonly held = new Map<string, Request>();
  private lsPublicKeyObject: KeyObject | undefined;
  private readonly failures = new Map<string, number[]>();
  private readonly queue: Request[] = [];
  private queueHead = 0;
  private started = false;
  private sweepDueMs = Infinity;

  constructor(private readonly options: LoginServerOptions) {
    this.params = options.params;
    this.transport = new Transport(options.obfuscator ?? sharedObfuscator(options.params.cryptoMode));
    const disk = options.disk;
    this.accounts = disk?.accounts ?? new Map();
    this.sessions = disk?.sessions ?? new Map();
    if (disk) {
      disk.accounts = this.accounts;
      disk.sessions = this.sessions;
    }

  }

  get port(): number {
    return this.options.port ?? this.params.loginServerPort;
  }

  /** Names with a session now (for checks and tests). */
  sessionNames(): string[] {
    return [...this.sessions.keys()].sort();
  }

  /** Sessions whose link is up (the rest wait for their host to re-validate, or lapse). */
  get linkedSessions(): number {
    let n = 0;
    for (const r of this.sessions.values()) if (r.conn !== undefined) n++;
    return n;
  }

  /** Requests waiting or in service. */
  get queueLength(): number {
    return this.queue.length - this.queueHead;
  }

  hasAccount(name: string): boolean {
    return this.accounts.has(name);
  }

  handle(input: Input<LoginServerAction>, ctx: Ctx): void {
    if (input.kind !== 'start' && !this.started) throw new RangeError(`login server: input ${input.kind} before start`);
    switch (input.kind) {
      case 'start':
        return this.onStart(ctx);
      case 'accepted':
        return this.onAccepted(ctx, input.conn);
      case 'data':
        return this.onData(ctx, input.conn, input.bytes);
      case 'closed':
        return this.onClosed(ctx, input.conn, input.reason);
      case 'timer':
        return this.onTimer(ctx, input.name, input.tag);
      case 'user':
        return this.onAction(ctx, input.action);
      case 'datagram':
        // TCP only (BS-8): the LS listens on no UDP port, so this is a stray packet.
        return unexpected(ctx, 'datagram', 'loginServer');
      case 'connected':
      case 'connectFailed':
        throw new RangeError(`login server: ${input.kind} for connection ${input.conn}, but the LS opens no connections`);
    }
  }

  private onStart(ctx: Ctx): void {
    if (this.started) throw new RangeError('login server: started twice');
    this.started = true;
    for (const port of new Set([this.port, ...this.params.fallbackTcpPorts])) ctx.out.push({ kind: 'listenTcp', port });
    for (const a of this.options.accounts ?? []) if (!this.accounts.has(a.name)) this.register(ctx, a.name, a.password);
    // The links of a previous process died with it; the sessions wait for their hosts.
    for (const r of this.sessions.values()) r.conn = undefined;
  }

  private onAction(ctx: Ctx, action: LoginServerAction): void {
    if (action.type !== 'register') throw new RangeError(`login server: unknown action ${(action as { type: unknown }).type}`);
    if (this.accounts.has(action.name)) {
      ctx.out.push({ kind: 'trace', event: 'registerRefused', detail: { name: action.name, reason: 'nameTaken' } });
      return;
    }
    this.register(ctx, action.name, action.password);
  }

  /** Caller input: a bad name throws. */
  private register(ctx: Ctx, name: string, password: string): void {
    const bytes = new TextEncoder().encode(name);
    if (bytes.length === 0 || bytes.length > NAME_BYTES_MAX) throw new RangeError(`account name must be 1..${NAME_BYTES_MAX} UTF-8 bytes: ${JSON.stringify(name)}`);
    this.accounts.set(name, hashPassword(password, ctx.rng, this.params.passwordWorkFactor));
  }

  private onAccepted(ctx: Ctx, conn: ConnId): void {
    const nonce = randomBytesFrom(ctx.rng, CHALLENGE_NONCE_BYTES);
    this.conns.set(conn, { nonce, session: undefined });
    this.transport.write(ctx, conn, { type: 'challenge', role: ROLE.loginServer, nonce, full: false, superNodes: [] });
  }

  private onData(ctx: Ctx, conn: ConnId, bytes: Uint8Array): void {
    const c = this.conns.get(conn);
    if (!c) return unexpected(ctx, 'data', 'unknownConnection');
    const msg = this.transport.readData(ctx, bytes, conn);
    if (!msg) return;
    if (msg.type === 'sessionKeepAlive') return this.onSessionKeepAlive(ctx, conn, c);
    if (msg.type === 'sessionResume') return this.onSessionResume(ctx, conn, c, msg);
    if (msg.type === 'accountQuery') return this.onAccountQuery(ctx, conn, c, msg);
    if (msg.type !== 'authRequest') return unexpected(ctx, msg.type, 'loginServer');
    this.onAuthRequest(ctx, conn, c, msg);
  }

  private onAuthRequest(ctx: Ctx, conn: ConnId, c: Connection, msg: MessageOf<'authRequest'>): void {
    const fresh = c.nonce !== undefined && equalBytes(c.nonce, msg.nonce);
    c.nonce = undefined;
    if (!fresh) return this.refuse(ctx, conn, msg.name, 'badNonce');
    if (this.isRateLimited(ctx.now, msg.name)) return this.refuse(ctx, conn, msg.name, 'rateLimited');
    if (this.queueLength >= this.params.lsQueueMax) {
      const retryAfterMs = Math.min(0xffffffff, Math.ceil((this.queueLength + 1) * this.serviceMs()));
      this.transport.write(ctx, conn, { type: 'authBusy', retryAfterMs });
      ctx.out.push({ kind: 'trace', event: 'lsBusy', detail: { name: msg.name, queueLength: this.queueLength } });
      ctx.out.push({ kind: 'metric', name: 'lsAuth', value: 1, labels: { outcome: 'busy' } });
      return;
    }
    this.queue.push({ conn, name: msg.name, password: msg.password, publicKey: msg.publicKey, arrivedAtMs: ctx.now });
    if (!this.timers.isSet('serve')) this.timers.set(ctx, 'serve', this.serviceMs());
  }

  private serviceMs(): number {
    return 1000 / this.params.lsLoginsPerSec;
  }

  private onTimer(ctx: Ctx, name: string, tag: number): void {
    if (!LOGIN_SERVER_TIMERS.includes(name as LoginServerTimer)) throw new RangeError(`login server: unknown timer ${name}`);
    if (!this.timers.take(name as LoginServerTimer, tag)) return;
    switch (name as LoginServerTimer) {
      case 'serve':
        return this.onServe(ctx);
      case 'sessionSweep':
        return this.onSessionSweep(ctx);
    }
  }

  private onServe(ctx: Ctx): void {
    const req = this.queue[this.queueHead++];
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    if (this.queueLength > 0) this.timers.set(ctx, 'serve', this.serviceMs());
    if (req) this.serve(ctx, req);
  }

  private serve(ctx: Ctx, req: Request): void {
    const waitMs = ctx.now - req.arrivedAtMs;
    const c = this.conns.get(req.conn);
    const outcome = this.verdict(ctx, req, c);
    ctx.out.push({ kind: 'metric', name: 'lsQueueWaitMs', value: waitMs, labels: { outcome } });
  }

  /** Checks and answers one request; returns the outcome label. */
  private verdict(ctx: Ctx, req: Request, c: Connection | undefined): string {
    if (!c) return 'connectionGone';
    const record = this.accounts.get(req.name);
    const passwordOk = record !== undefined && req.publicKey.length === PUBLIC_KEY_BYTES && verifyPassword(record, req.password);
    if (!passwordOk) {
      this.noteFailure(ctx.now, req.name);
      this.refuse(ctx, req.conn, req.name, 'badCredentials');
      return 'badCredentials';
    }
    this.failures.delete(req.name);
    const previous = this.liveSession(ctx, req.name);
    if (previous && previous.conn !== req.conn) {
      if (this.params.duplicateLogin === 'refuse') {
        this.refuse(ctx, req.conn, req.name, 'nameInUse');
        return 'nameInUse';
      } else if (equalBytes(previous.publicKey, req.publicKey)) {
        // The same machine again (a restart, a re-login): its previous process's session ends now.
        this.endLinkedSession(ctx, req.name, previous);
      } else {
        this.holdLogin(ctx, req, previous);
        return 'held';
      }
    }
    this.accept(ctx, req, c);
    return 'ok';
  }

  private accept(ctx: Ctx, req: Request, c: Connection): void {
    const credential = issueCredential(this.options.privateKey, req.name, req.publicKey, Math.floor(ctx.now), this.params.credentialLifetimeMs);
    this.transport.write(ctx, req.conn, { type: 'authAccepted', credential: encodeCredential(credential) });
    c.session = req.name;
    this.sessions.set(req.name, { conn: req.conn, issuedAtMs: credential.issuedAtMs, publicKey: Uint8Array.from(req.publicKey), lastHeardMs: ctx.now, ending: false });
    ctx.out.push({ kind: 'trace', event: 'authAccepted', detail: { name: req.name } });
    ctx.out.push({ kind: 'metric', name: 'lsAuth', value: 1, labels: { outcome: 'ok' } });
  }

  /** The name's session, unless it lapsed (then it is dropped here). */
  private liveSession(ctx: Ctx, name: string): SessionRecord | undefined {
    const r = this.sessions.get(name);
    if (r && ctx.now - r.lastHeardMs >= this.params.lsSessionLeaseMs) {
      this.dropSession(ctx, name, r, 'sessionLapsed');
      return undefined;
    }
    return r;
  }

  /** replace, another machine: tell the older one, hold the newer until the older is known offline. */
  private holdLogin(ctx: Ctx, req: Request, previous: SessionRecord): void {
    this.held.set(req.name, req);
    if (!previous.ending && previous.conn !== undefined) this.transport.write(ctx, previous.conn, { type: 'sessionEnded', reason: SESSION_END.replaced });
    previous.ending = true;
    ctx.out.push({ kind: 'trace', event: 'loginHeld', detail: { name: req.name, linked: previous.conn !== undefined } });
    this.armSweep(ctx);
  }

  /** Ends a session whose host is this machine's earlier process: sessionEnded on its link, closed. */
  private endLinkedSession(ctx: Ctx, name: string, r: SessionRecord): void {
    if (r.conn !== undefined) {
      this.transport.write(ctx, r.conn, { type: 'sessionEnded', reason: SESSION_END.replaced });
      ctx.out.push({ kind: 'close', conn: r.conn });
      this.conns.delete(r.conn);
    }
    this.sessions.delete(name);
    ctx.out.push({ kind: 'trace', event: 'sessionReplaced', detail: { name } });
  }

  /** The session is over (closed, reset, lapsed): forget it, accept the login it held, if any. */
  private dropSession(ctx: Ctx, name: string, r: SessionRecord, event: string): void {
    if (this.sessions.get(name) !== r) return;
    this.sessions.delete(name);
    if (r.conn !== undefined) {
      const c = this.conns.get(r.conn);
      if (c) c.session = undefined;
      if (event === 'sessionLapsed') {
        ctx.out.push({ kind: 'close', conn: r.conn });
        this.conns.delete(r.conn);
      }
    }
    ctx.out.push({ kind: 'trace', event, detail: { name } });
    const req = this.held.get(name);
    if (!req) return;
    this.held.delete(name);
    const c = this.conns.get(req.conn);
    if (!c) return;
    this.accept(ctx, req, c);
    ctx.out.push({ kind: 'metric', name: 'lsHeldMs', value: ctx.now - req.arrivedAtMs, labels: {} });
  }

  private onSessionKeepAlive(ctx: Ctx, conn: ConnId, c: Connection): void {
    const r = c.session !== undefined ? this.sessions.get(c.session) : undefined;
    if (!r || r.conn !== conn) return unexpected(ctx, 'sessionKeepAlive', 'noSession');
    if (r.ending) return;
    r.lastHeardMs = ctx.now;
    this.transport.write(ctx, conn, { type: 'sessionKeepAliveAck' });
  }

  /** BS-20: a search the peers could not answer. Only on a session link: the LS answers its users, not strangers probing names. */
  private onAccountQuery(ctx: Ctx, conn: ConnId, c: Connection, msg: MessageOf<'accountQuery'>): void {
    const r = c.session !== undefined ? this.sessions.get(c.session) : undefined;
    if (!r || r.conn !== conn) return unexpected(ctx, 'accountQuery', 'noSession');
    const exists = this.accounts.has(msg.name);
    this.transport.write(ctx, conn, { type: 'accountReply', queryId: msg.queryId, exists });
    ctx.out.push({ kind: 'trace', event: 'accountQueried', detail: { name: msg.name, exists } });
  }

  private onSessionResume(ctx: Ctx, conn: ConnId, c: Connection, msg: MessageOf<'sessionResume'>): void {
    const nonce = c.nonce;
    c.nonce = undefined;
    const decoded = decodeCredential(msg.credential);
    // Checked as of its issue time: a re-validation proves a login, whatever the credential's age.
    const check = 'error' in decoded ? undefined : verifyCredential(decoded, (this.lsPublicKeyObject ??= createPublicKey(this.options.privateKey)), msg.name, decoded.issuedAtMs);
    if (!nonce || !check?.ok || !verifyChallenge(check.credential.publicKey, nonce, msg.signature)) {
      return this.refuse(ctx, conn, msg.name, nonce ? 'badCredentials' : 'badNonce');
    }
    const cred = check.credential;
    const r = this.liveSession(ctx, msg.name);
    const same = r !== undefined && r.issuedAtMs === cred.issuedAtMs && equalBytes(r.publicKey, cred.publicKey);
    if (!r) {
      this.sessions.set(msg.name, { conn, issuedAtMs: cred.issuedAtMs, publicKey: Uint8Array.from(cred.publicKey), lastHeardMs: ctx.now, ending: false });
    } else if (same && !r.ending) {
      if (r.conn !== undefined && r.conn !== conn && this.conns.has(r.conn)) {
        ctx.out.push({ kind: 'close', conn: r.conn });
        this.conns.delete(r.conn);
      }
      r.conn = conn;
      r.lastHeardMs = ctx.now;
    } else if (same) {
      // Being replaced: tell it here; its close of this link confirms it is offline.
      r.conn = conn;
      c.session = msg.name;
      this.transport.write(ctx, conn, { type: 'sessionEnded', reason: SESSION_END.replaced });
      ctx.out.push({ kind: 'trace', event: 'resumeEnded', detail: { name: msg.name } });
      return;
    } else {
      // Another (later) login holds the name: the re-validating machine is the older one.
      if (this.params.duplicateLogin === 'refuse') return this.refuse(ctx, conn, msg.name, 'nameInUse');
      this.transport.write(ctx, conn, { type: 'sessionEnded', reason: SESSION_END.replaced });
      ctx.out.push({ kind: 'trace', event: 'resumeEnded', detail: { name: msg.name } });
      return;
    }
    c.session = msg.name;
    this.transport.write(ctx, conn, { type: 'sessionResumed' });
    ctx.out.push({ kind: 'trace', event: 'sessionResumed', detail: { name: msg.name } });
    ctx.out.push({ kind: 'metric', name: 'lsAuth', value: 1, labels: { outcome: 'resumed' } });
  }

  /** Drops lapsed sessions (accepting the logins they held) and re-arms. */
  private onSessionSweep(ctx: Ctx): void {
    for (const [name, r] of [...this.sessions]) if (ctx.now - r.lastHeardMs >= this.params.lsSessionLeaseMs) this.dropSession(ctx, name, r, 'sessionLapsed');
    this.sweepDueMs = Infinity;
    this.armSweep(ctx);
  }

  private setSweep(ctx: Ctx, delayMs: number): void {
    this.sweepDueMs = ctx.now + delayMs;
    this.timers.set(ctx, 'sessionSweep', delayMs);
  }

  /** Brings the sweep forward to the moment the first session a held login waits for can lapse. */
  private armSweep(ctx: Ctx): void {
    let atMs = Infinity;
    for (const name of this.held.keys()) {
      const r = this.sessions.get(name);
      if (r) atMs = Math.min(atMs, r.lastHeardMs + this.params.lsSessionLeaseMs);
    }
    if (atMs === Infinity) return;
    if (atMs < this.sweepDueMs) this.setSweep(ctx, Math.max(0, atMs - ctx.now));
  }

  private refuse(ctx: Ctx, conn: ConnId, name: string, reason: keyof typeof AUTH_REFUSAL): void {
    this.transport.write(ctx, conn, { type: 'authRefused', reason: AUTH_REFUSAL[reason] });
    ctx.out.push({ kind: 'trace', event: reason === 'badNonce' ? 'replayRejected' : 'authRefused', detail: { name, reason } });
    ctx.out.push({ kind: 'metric', name: 'lsAuth', value: 1, labels: { outcome: reason } });
  }

  private onClosed(ctx: Ctx, conn: ConnId, reason: CloseReason): void {
    const c = this.conns.get(conn);
    if (!c) return unexpected(ctx, 'closed', 'unknownConnection');
    this.conns.delete(conn);
    const r = c.session !== undefined ? this.sessions.get(c.session) : undefined;
    if (c.session === undefined || !r || r.conn !== conn) return;
    if (reason === 'timeout') {
      // The host may be crashed or cut off: the session waits, linkless, for it or its lapse.
      r.conn = undefined;
      ctx.out.push({ kind: 'trace', event: 'sessionLinkLost', detail: { name: c.session } });
      return;
    }
    this.dropSession(ctx, c.session, r, 'sessionClosed');
  }

  private isRateLimited(nowMs: number, name: string): boolean {
    const list = this.recentFailures(nowMs, name);
    return list.length >= this.params.lsFailureLimit;
  }

  private noteFailure(nowMs: number, name: string): void {
    const list = this.recentFailures(nowMs, name);
    list.push(nowMs);
    this.failures.set(name, list);
  }

  private recentFailures(nowMs: number, name: string): number[] {
    const list = (this.failures.get(name) ?? []).filter((t) => nowMs - t < this.params.lsFailureWindowMs);
    if (list.length === 0) this.failures.delete(name);
    else this.failures.set(name, list);
    return list;
  }
}
