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
 *   closed                  a connection with a session ends that session; queued requests of a
 *                           closed connection are served and their answer dropped (the LS did
 *                           the work; it cannot know better)
 *   user register           adds an account (the runtime or a scenario calls it)
 *   anything else           counted (`trace unexpected`), state unchanged; bad bytes: `malformed`
 *
 * Sessions and unique names: a host keeps the connection of its successful login open for the
 * whole session (the "session link", idle, no keep-alives) and closes it at logout; a crashed
 * host's link ends when the runtime reports it closed. A second login of a name that has a
 * session follows `duplicateLogin`:
 *   replace (default)  the new login wins: the LS sends `sessionEnded{replaced}` on the old
 *                      link and closes it; the old host goes offline (no name is ever locked
 *                      by a crashed host).
 *   refuse             the new login gets `authRefused{nameInUse}` while the old link is open.
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
import type { ConnId, Ctx, Input, ProtocolNode } from '../node.js';
import { encodeCredential, issueCredential, NAME_BYTES_MAX } from '../crypto/credentials.js';
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
  'serve';

const LOGIN_SERVER_TIMERS: readonly LoginServerTimer[] = ['serve'];

/** What the runtime or a scenario asks the LS to do. */
export type LoginServerAction = { readonly type: 'register'; readonly name: string; readonly password: string };

export interface Account {
  readonly name: string;
  readonly password: string;
}

/** What the LS keeps across its own restarts. */
export interface LoginServerDisk {
  accounts?: Map<string, PasswordRecord>;
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
  private readonly sessions = new Map<string, ConnId>();
  private readonly failures = new Map<string, number[]>();
  private readonly queue: Request[] = [];
  private queueHead = 0;
  private started = false;

  constructor(private readonly options: LoginServerOptions) {
    this.params = options.params;
    this.transport = new Transport(options.obfuscator ?? sharedObfuscator(options.params.cryptoMode));
    const disk = options.disk;
    this.accounts = disk?.accounts ?? new Map();
    if (disk) disk.accounts = this.accounts;
  }

  get port(): number {
    return this.options.port ?? this.params.loginServerPort;
  }

  /** Names with a session now (for checks and tests). */
  sessionNames(): string[] {
    return [...this.sessions.keys()].sort();
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
        return this.onClosed(ctx, input.conn);
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
    this.transport.write(ctx, conn, { type: 'challenge', role: ROLE.loginServer, nonce });
  }

  private onData(ctx: Ctx, conn: ConnId, bytes: Uint8Array): void {
    const c = this.conns.get(conn);
    if (!c) return unexpected(ctx, 'data', 'unknownConnection');
    const msg = this.transport.readData(ctx, bytes, conn);
    if (!msg) return;
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
    // One dispatch point; 'serve' is the only timer.
    this.onServe(ctx);
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
    const previous = this.sessions.get(req.name);
    if (previous !== undefined && previous !== req.conn) {
      if (this.params.duplicateLogin === 'refuse') {
        this.refuse(ctx, req.conn, req.name, 'nameInUse');
        return 'nameInUse';
      }
      this.endSession(ctx, previous, req.name);
    }
    const credential = issueCredential(this.options.privateKey, req.name, req.publicKey, Math.floor(ctx.now), this.params.credentialLifetimeMs);
    this.transport.write(ctx, req.conn, { type: 'authAccepted', credential: encodeCredential(credential) });
    c.session = req.name;
    this.sessions.set(req.name, req.conn);
    ctx.out.push({ kind: 'trace', event: 'authAccepted', detail: { name: req.name } });
    ctx.out.push({ kind: 'metric', name: 'lsAuth', value: 1, labels: { outcome: 'ok' } });
    return 'ok';
  }

  /** Ends the session on `conn` because `name` logged in again (duplicateLogin = replace). */
  private endSession(ctx: Ctx, conn: ConnId, name: string): void {
    this.transport.write(ctx, conn, { type: 'sessionEnded', reason: SESSION_END.replaced });
    ctx.out.push({ kind: 'close', conn });
    this.conns.delete(conn);
    this.sessions.delete(name);
    ctx.out.push({ kind: 'trace', event: 'sessionReplaced', detail: { name } });
  }

  private refuse(ctx: Ctx, conn: ConnId, name: string, reason: keyof typeof AUTH_REFUSAL): void {
    this.transport.write(ctx, conn, { type: 'authRefused', reason: AUTH_REFUSAL[reason] });
    ctx.out.push({ kind: 'trace', event: reason === 'badNonce' ? 'replayRejected' : 'authRefused', detail: { name, reason } });
    ctx.out.push({ kind: 'metric', name: 'lsAuth', value: 1, labels: { outcome: reason } });
  }

  private onClosed(ctx: Ctx, conn: ConnId): void {
    const c = this.conns.get(conn);
    if (!c) return unexpected(ctx, 'closed', 'unknownConnection');
    this.conns.delete(conn);
    if (c.session !== undefined && this.sessions.get(c.session) === conn) {
      this.sessions.delete(c.session);
      ctx.out.push({ kind: 'trace', event: 'sessionClosed', detail: { name: c.session } });
    }
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
