// The LS's session table driven by hand: keep-alives, re-validation after a lost link, a newer
// login from another machine held until the older is known offline, sessions kept across an LS
// restart (login-server.ts header, "Sessions and unique names").
import { describe, expect, it } from 'vitest';
import { signChallenge } from '../../../protocol/crypto/credentials.js';
import { deriveSigningKeyPair, type KeyPair } from '../../../protocol/crypto/keys.js';
import type { ConnId, Output } from '../../../protocol/node.js';
import type { ProtocolParams } from '../../../protocol/params.js';
import { LoginServerNode, type LoginServerDisk } from '../../../protocol/roles/login-server.js';
import { AUTH_REFUSAL, SESSION_END, type Message } from '../../../protocol/wire/messages.js';
import { SeededRandom, Solo } from './harness.js';
import { LS_KEYS, testParams, Wire } from './world.js';

const wire = new Wire();
const LAPTOP = deriveSigningKeyPair(new SeededRandom(5));
const DESKTOP = deriveSigningKeyPair(new SeededRandom(6));

function messages(outs: Output[]): { conn: ConnId; msg: Message }[] {
  return outs.flatMap((o) => (o.kind === 'write' ? [{ conn: o.conn, msg: wire.read(o) }] : []));
}

function setup(overrides: Partial<ProtocolParams> = {}, disk: LoginServerDisk = {}) {
  const params = testParams({ lsLoginsPerSec: 1000, ...overrides });
  const make = () => new LoginServerNode({ params, privateKey: LS_KEYS.privateKey, accounts: [{ name: 'alice', password: 'secret' }], disk });
  let node = make();
  let ls = new Solo(node);
  ls.feed({ kind: 'start' });
  let nextConn = -1;
  const connect = () => {
    const conn = nextConn--;
    const challenge = wire.read(ls.feed({ kind: 'accepted', conn, localPort: 33033, remote: { ip: 1, port: 2 } })[0]);
    if (challenge.type !== 'challenge') throw new Error('no challenge');
    return { conn, nonce: challenge.nonce };
  };
  /** A full login from `key`'s machine; returns its connection and what the LS wrote when serving it. */
  const login = (key: KeyPair) => {
    const c = connect();
    ls.feed({ kind: 'data', conn: c.conn, bytes: wire.bytes({ type: 'authRequest', name: 'alice', password: 'secret', nonce: c.nonce, publicKey: key.publicKey }) });
    const timer = [...ls.log].reverse().find((l) => l.output.kind === 'setTimer' && l.output.name === 'serve')!;
    if (timer.output.kind !== 'setTimer') throw new Error();
    ls.now = Math.max(ls.now, timer.at + timer.output.delayMs);
    const written = messages(ls.feed({ kind: 'timer', name: 'serve', tag: timer.output.tag }));
    const accepted = written.find((w) => w.conn === c.conn && w.msg.type === 'authAccepted');
    const credential = accepted && accepted.msg.type === 'authAccepted' ? accepted.msg.credential : undefined;
    return { conn: c.conn, written, credential };
  };
  const resume = (key: KeyPair, credential: Uint8Array) => {
    const c = connect();
    const signature = signChallenge(key.privateKey, c.nonce);
    return { conn: c.conn, written: messages(ls.feed({ kind: 'data', conn: c.conn, bytes: wire.bytes({ type: 'sessionResume', name: 'alice', credential, signature }) })) };
  };
  const restart = () => {
    node = make();
    ls = new Solo(node);
    ls.now = 60_000;
    ls.feed({ kind: 'start' });
  };
  return { get node() { return node; }, get ls() { return ls; }, params, connect, login, resume, restart };
}

describe('login server sessions', () => {
  it('a keep-alive on the session link is acknowledged', () => {
    const w = setup();
    const first = w.login(LAPTOP);
    const outs = w.ls.feed({ kind: 'data', conn: first.conn, bytes: wire.bytes({ type: 'sessionKeepAlive' }) });
    expect(messages(outs)).toEqual([{ conn: first.conn, msg: { type: 'sessionKeepAliveAck' } }]);
  });

  it('re-validation after a lost link: the same session resumes on the new connection', () => {
    const w = setup();
    const first = w.login(LAPTOP);
    w.ls.feed({ kind: 'closed', conn: first.conn, reason: 'timeout' });
    expect(w.node.sessionNames()).toEqual(['alice']);
    expect(w.node.linkedSessions).toBe(0);
    const r = w.resume(LAPTOP, first.credential!);
    expect(r.written).toEqual([{ conn: r.conn, msg: { type: 'sessionResumed' } }]);
    expect(w.node.linkedSessions).toBe(1);
  });

  it('a re-validation signed by another key is refused', () => {
    const w = setup();
    const first = w.login(LAPTOP);
    const r = w.resume(DESKTOP, first.credential!);
    expect(r.written).toEqual([{ conn: r.conn, msg: { type: 'authRefused', reason: AUTH_REFUSAL.badCredentials } }]);
  });

  it('replace, another machine: the newer login is held until the older closes its link after sessionEnded', () => {
    const w = setup();
    const laptop = w.login(LAPTOP);
    const desktop = w.login(DESKTOP);
    expect(desktop.written).toEqual([{ conn: laptop.conn, msg: { type: 'sessionEnded', reason: SESSION_END.replaced } }]);
    const outs = w.ls.feed({ kind: 'closed', conn: laptop.conn, reason: 'closed' });
    expect(messages(outs)).toEqual([{ conn: desktop.conn, msg: expect.objectContaining({ type: 'authAccepted' }) }]);
    expect(w.node.sessionNames()).toEqual(['alice']);
  });

  it('replace, the older link lost: the older machine is told when it re-validates, then the newer is accepted', () => {
    const w = setup();
    const laptop = w.login(LAPTOP);
    const desktop = w.login(DESKTOP);
    w.ls.feed({ kind: 'closed', conn: laptop.conn, reason: 'timeout' });
    const r = w.resume(LAPTOP, laptop.credential!);
    expect(r.written).toEqual([{ conn: r.conn, msg: { type: 'sessionEnded', reason: SESSION_END.replaced } }]);
    const outs = w.ls.feed({ kind: 'closed', conn: r.conn, reason: 'closed' });
    expect(messages(outs)).toEqual([{ conn: desktop.conn, msg: expect.objectContaining({ type: 'authAccepted' }) }]);
    // The laptop trying again finds a later login holding the name: told, the name stays.
    const again = w.resume(LAPTOP, laptop.credential!);
    expect(again.written).toEqual([{ conn: again.conn, msg: { type: 'sessionEnded', reason: SESSION_END.replaced } }]);
  });

  it('replace, the older machine silent: the newer is accepted when the older session lapses', () => {
    const w = setup();
    const laptop = w.login(LAPTOP);
    const desktop = w.login(DESKTOP);
    w.ls.feed({ kind: 'closed', conn: laptop.conn, reason: 'timeout' });
    const sweep = [...w.ls.log].reverse().find((l) => l.output.kind === 'setTimer' && l.output.name === 'sessionSweep')!;
    if (sweep.output.kind !== 'setTimer') throw new Error();
    expect(sweep.at + sweep.output.delayMs).toBe(w.params.lsSessionLeaseMs + 1);
    w.ls.now = sweep.at + sweep.output.delayMs;
    const outs = w.ls.feed({ kind: 'timer', name: 'sessionSweep', tag: sweep.output.tag });
    expect(messages(outs)).toEqual([{ conn: desktop.conn, msg: expect.objectContaining({ type: 'authAccepted' }) }]);
    expect(outs.some((o) => o.kind === 'trace' && o.event === 'sessionLapsed')).toBe(true);
  });

  it('the session table survives an LS restart; the host re-validates', () => {
    const w = setup();
    const laptop = w.login(LAPTOP);
    w.restart();
    expect(w.node.sessionNames()).toEqual(['alice']);
    expect(w.node.linkedSessions).toBe(0);
    const r = w.resume(LAPTOP, laptop.credential!);
    expect(r.written).toEqual([{ conn: r.conn, msg: { type: 'sessionResumed' } }]);
  });

  it('refuse: another machine is refused while the session is within its lease, even with no link', () => {
    const w = setup({ duplicateLogin: 'refuse' });
    const laptop = w.login(LAPTOP);
    w.ls.feed({ kind: 'closed', conn: laptop.conn, reason: 'timeout' });
    const desktop = w.login(DESKTOP);
    expect(desktop.written).toEqual([{ conn: desktop.conn, msg: { type: 'authRefused', reason: AUTH_REFUSAL.nameInUse } }]);
  });
});
