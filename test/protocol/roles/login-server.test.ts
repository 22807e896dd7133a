// The login server alone, driven by hand: a fake client speaks the wire format.
import { describe, expect, it } from 'vitest';
import { deriveSigningKeyPair } from '../../../protocol/crypto/keys.js';
import { verifyCredential } from '../../../protocol/crypto/credentials.js';
import type { ConnId, Output } from '../../../protocol/node.js';
import type { ProtocolParams } from '../../../protocol/params.js';
import { LoginServerNode } from '../../../protocol/roles/login-server.js';
import { AUTH_REFUSAL, SESSION_END, type Message } from '../../../protocol/wire/messages.js';
import { SeededRandom, Solo } from './harness.js';
import { LS_KEYS, testParams, Wire } from './world.js';

const wire = new Wire();
const USER_KEY = deriveSigningKeyPair(new SeededRandom(5)).publicKey;

class Client {
  constructor(
    readonly ls: Solo,
    readonly conn: ConnId,
    readonly nonce: Uint8Array,
  ) {}
  /** Sends an auth request with this connection's nonce (or another); returns the LS's outputs. */
  auth(name: string, password: string, nonce = this.nonce): Output[] {
    return this.ls.feed({ kind: 'data', conn: this.conn, bytes: wire.bytes({ type: 'authRequest', name, password, nonce, publicKey: USER_KEY }) });
  }
}

function setup(overrides: Partial<ProtocolParams> = {}) {
  const params = testParams({ lsLoginsPerSec: 1000, ...overrides });
  const node = new LoginServerNode({ params, privateKey: LS_KEYS.privateKey, accounts: [{ name: 'alice', password: 'secret' }, { name: 'bob', password: 'hunter2' }] });
  const ls = new Solo(node);
  // TCP only (BS-8): its port, and 80 / 443 for hosts behind firewalls (BS-10).
  expect(ls.feed({ kind: 'start' })).toEqual([33033, 80, 443].map((port) => ({ kind: 'listenTcp', port })));
  let nextConn = -1;
  const connect = (): Client => {
    const conn = nextConn--;
    const outs = ls.feed({ kind: 'accepted', conn, localPort: 33033, remote: { ip: 1, port: 2 } });
    const challenge = wire.read(outs[0]);
    if (challenge.type !== 'challenge') throw new Error('no challenge');
    return new Client(ls, conn, challenge.nonce);
  };
  /** Runs the service timer(s) due now or earlier; returns the messages written, by connection. */
  const serveAll = (): { conn: ConnId; msg: Message }[] => {
    const written: { conn: ConnId; msg: Message }[] = [];
    for (;;) {
      const timer = [...ls.log].reverse().find((l) => l.output.kind === 'setTimer' || l.output.kind === 'cancelTimer');
      if (!timer || timer.output.kind !== 'setTimer') break;
      const { name, tag, delayMs } = timer.output;
      ls.now = timer.at + delayMs;
      for (const o of ls.feed({ kind: 'timer', name, tag })) if (o.kind === 'write') written.push({ conn: o.conn, msg: wire.read(o) });
      if (!ls.log.some((l) => l.at === ls.now && l.output.kind === 'setTimer' && l.output.tag !== tag)) break;
    }
    return written;
  };
  return { node, ls, connect, serveAll, params };
}

function messages(outs: Output[]): Message[] {
  return outs.filter((o) => o.kind === 'write').map((o) => wire.read(o));
}

describe('login server', () => {
  it('right password: a credential signed by the LS for that name and key', () => {
    const { node, connect, serveAll, ls } = setup();
    const c = connect();
    expect(c.auth('alice', 'secret')).toEqual([expect.objectContaining({ kind: 'setTimer', name: 'serve', delayMs: 1 })]);
    const [answer] = serveAll();
    expect(answer.conn).toBe(c.conn);
    if (answer.msg.type !== 'authAccepted') throw new Error(`got ${answer.msg.type}`);
    const check = verifyCredential(answer.msg.credential, LS_KEYS.publicKey, 'alice', ls.now);
    expect(check.ok).toBe(true);
    if (check.ok) expect([...check.credential.publicKey]).toEqual([...USER_KEY]);
    expect(verifyCredential(answer.msg.credential, LS_KEYS.publicKey, 'bob', ls.now).ok).toBe(false);
    expect(node.sessionNames()).toEqual(['alice']);
  });

  it('wrong password or unknown name: refused, never a session', () => {
    const { node, connect, serveAll } = setup();
    for (const [name, pw] of [['alice', 'Secret'], ['alice', ''], ['mallory', 'secret']]) {
      connect().auth(name, pw);
      const [answer] = serveAll();
      expect(answer.msg).toEqual({ type: 'authRefused', reason: AUTH_REFUSAL.badCredentials });
    }
    expect(node.sessionNames()).toEqual([]);
  });

  it('repeated failures rate-limit the name, even with the right password, until the window passes', () => {
    const { node, connect, serveAll, ls, params } = setup({ lsFailureLimit: 3, lsFailureWindowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      connect().auth('alice', 'guess');
      expect(serveAll()[0].msg).toMatchObject({ type: 'authRefused', reason: AUTH_REFUSAL.badCredentials });
    }
    const firstFailureMs = 1;
    const c = connect();
    expect(messages(c.auth('alice', 'secret'))).toEqual([{ type: 'authRefused', reason: AUTH_REFUSAL.rateLimited }]);
    // Another name is not affected.
    connect().auth('bob', 'hunter2');
    expect(serveAll()[0].msg.type).toBe('authAccepted');
    // After the first failure left the window, the right password works again.
    ls.now = firstFailureMs + params.lsFailureWindowMs;
    connect().auth('alice', 'secret');
    expect(serveAll()[0].msg.type).toBe('authAccepted');
    expect(node.sessionNames()).toEqual(['alice', 'bob']);
  });

  it('duplicate login, rule replace: the second login ends the first session', () => {
    const { node, connect, serveAll } = setup({ duplicateLogin: 'replace' });
    const first = connect();
    first.auth('alice', 'secret');
    serveAll();
    const second = connect();
    second.auth('alice', 'secret');
    const written = serveAll();
    expect(written).toEqual([
      { conn: first.conn, msg: { type: 'sessionEnded', reason: SESSION_END.replaced } },
      { conn: second.conn, msg: expect.objectContaining({ type: 'authAccepted' }) },
    ]);
    expect(node.sessionNames()).toEqual(['alice']);
    // The old link closing later does not end the new session.
    first.ls.feed({ kind: 'closed', conn: first.conn, reason: 'closed' });
    expect(node.sessionNames()).toEqual(['alice']);
    second.ls.feed({ kind: 'closed', conn: second.conn, reason: 'closed' });
    expect(node.sessionNames()).toEqual([]);
  });

  it('duplicate login, rule refuse: refused while the first session link is open, accepted after it closed', () => {
    const { node, connect, serveAll, ls } = setup({ duplicateLogin: 'refuse' });
    const first = connect();
    first.auth('alice', 'secret');
    serveAll();
    connect().auth('alice', 'secret');
    expect(serveAll()).toEqual([{ conn: expect.any(Number), msg: { type: 'authRefused', reason: AUTH_REFUSAL.nameInUse } }]);
    ls.feed({ kind: 'closed', conn: first.conn, reason: 'reset' });
    connect().auth('alice', 'secret');
    expect(serveAll()[0].msg.type).toBe('authAccepted');
    expect(node.sessionNames()).toEqual(['alice']);
  });

  it('a replayed auth request creates no session: on another connection, or again on the same one', () => {
    const { node, connect, serveAll, ls } = setup();
    const c = connect();
    const replayBytes = wire.bytes({ type: 'authRequest', name: 'alice', password: 'secret', nonce: c.nonce, publicKey: USER_KEY });
    ls.feed({ kind: 'data', conn: c.conn, bytes: replayBytes });
    expect(serveAll()[0].msg.type).toBe('authAccepted');
    ls.feed({ kind: 'closed', conn: c.conn, reason: 'closed' });
    expect(node.sessionNames()).toEqual([]);
    // The attacker replays the captured bytes on a fresh connection (a new nonce was issued).
    const d = connect();
    const outs = ls.feed({ kind: 'data', conn: d.conn, bytes: replayBytes });
    expect(messages(outs)).toEqual([{ type: 'authRefused', reason: AUTH_REFUSAL.badNonce }]);
    expect(outs.some((o) => o.kind === 'trace' && o.event === 'replayRejected')).toBe(true);
    expect(outs.some((o) => o.kind === 'setTimer')).toBe(false);
    // And on the same connection twice: the nonce is single-use.
    const e = connect();
    e.auth('alice', 'secret');
    expect(messages(e.auth('alice', 'secret'))).toEqual([{ type: 'authRefused', reason: AUTH_REFUSAL.badNonce }]);
    serveAll();
    expect(node.sessionNames()).toEqual(['alice']);
  });

  it('capacity: requests are served one per service time; beyond the queue, authBusy with the expected wait', () => {
    const { connect, ls, node } = setup({ lsLoginsPerSec: 10, lsQueueMax: 3 });
    const clients = ['alice', 'bob', 'alice', 'bob', 'alice'].map(() => connect());
    const busy: Message[] = [];
    clients.forEach((c, i) => busy.push(...messages(c.auth(i % 2 ? 'bob' : 'alice', i % 2 ? 'hunter2' : 'secret'))));
    expect(busy).toEqual([
      { type: 'authBusy', retryAfterMs: 400 },
      { type: 'authBusy', retryAfterMs: 400 },
    ]);
    expect(node.queueLength).toBe(3);
    // Served at 100, 200, 300 ms: one per 1000 / lsLoginsPerSec.
    const servedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      const timer = [...ls.log].reverse().find((l) => l.output.kind === 'setTimer')!;
      if (timer.output.kind !== 'setTimer') throw new Error();
      ls.now = timer.at + timer.output.delayMs;
      const outs = ls.feed({ kind: 'timer', name: timer.output.name, tag: timer.output.tag });
      if (messages(outs).some((m) => m.type === 'authAccepted' || m.type === 'sessionEnded')) servedAt.push(ls.now);
    }
    expect(servedAt).toEqual([100, 200, 300]);
    expect(node.queueLength).toBe(0);
    const waits = ls.log.flatMap((l) => (l.output.kind === 'metric' && l.output.name === 'lsQueueWaitMs' ? [l.output.value] : []));
    expect(waits).toEqual([100, 200, 300]);
  });

  it('is TCP only: a datagram is counted as unexpected and changes nothing', () => {
    const { ls, node } = setup();
    const outs = ls.feed({ kind: 'datagram', localPort: 33033, from: { ip: 1, port: 1 }, bytes: wire.bytes({ type: 'probe', nonce: 1 }) });
    expect(outs).toEqual([{ kind: 'trace', event: 'unexpected', detail: { input: 'datagram', state: 'loginServer' } }]);
    expect(node.sessionNames()).toEqual([]);
  });

  it('registers accounts by user action; a taken name is refused and counted', () => {
    const { ls, connect, serveAll, node } = setup();
    ls.feed({ kind: 'user', action: { type: 'register', name: 'carol', password: 'pw' } });
    expect(node.hasAccount('carol')).toBe(true);
    const outs = ls.feed({ kind: 'user', action: { type: 'register', name: 'carol', password: 'other' } });
    expect(outs).toMatchObject([{ kind: 'trace', event: 'registerRefused' }]);
    connect().auth('carol', 'pw');
    expect(serveAll()[0].msg.type).toBe('authAccepted');
  });
});
