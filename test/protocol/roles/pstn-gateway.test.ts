// The PSTN gateway alone, driven by hand: a fake SN and host speak the wire format, with
// credentials signed by the test LS key.
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCredential, issueCredential } from '../../../protocol/crypto/credentials.js';
import { deriveAgreementKeyPair, deriveSigningKeyPair, type KeyPair } from '../../../protocol/crypto/keys.js';
import { agreeMediaKey, decryptMedia, encryptMedia, MediaKey } from '../../../protocol/crypto/media.js';
import type { ConnId, Endpoint, Input, Output } from '../../../protocol/node.js';
import type { ProtocolParams } from '../../../protocol/params.js';
import { IP_UDP_HEADER_BYTES, PstnGatewayNode, type PstnGatewayAction } from '../../../protocol/roles/pstn-gateway.js';
import { decodeMessage, encodeMessage, isDecodeError } from '../../../protocol/wire/codec.js';
import { CALL_END, MESSAGES, ROLE, type Message, type MessageOf } from '../../../protocol/wire/messages.js';
import { Obfuscator, PAYLOAD_MEDIA } from '../../../protocol/wire/obfuscation.js';
import { anyMessageArbitrary } from '../wire/arbitraries.js';
import { isOverride, loadScenarioFile, parseSetOption } from '../../../sim/scenario/index.js';
import { TraceWriter } from '../../../sim/trace/index.js';
import { World } from '../../../sim/world/world.js';
import { ep, fmt, SeededRandom, Solo } from './harness.js';
import { LS_KEYS, testParams, Wire } from './world.js';

const wire = new Wire();
const obfuscator = new Obfuscator('real');
const GW_IP = ep('7.7.7.7:0').ip;
const PORT = 12340;
const SNS = [ep('1.0.0.1:33033'), ep('1.0.0.2:33033'), ep('1.0.0.3:33033')];
/** Where a NATed host's frames come from (its NAT's mapping), unlike the private endpoint it names. */
const HOST_MAPPED = ep('5.5.5.5:6000');
const HOST_PRIVATE = ep('10.0.0.2:5000');
const ALICE_ID = deriveSigningKeyPair(new SeededRandom(11));
const ANSWER_DELAY_MS = 4_000;
const churnFile = resolve(import.meta.dirname, '../../../scenarios/churn.yaml');

/** A frame of payload type media carrying `msg`, as a host's media port sends it. */
function mediaBytes(msg: MessageOf<'mediaFrame'>): Uint8Array {
  return obfuscator.wrap(1, PAYLOAD_MEDIA, encodeMessage(msg), 0, 0);
}

/** The message in any packet output (message or media frame). */
function readPacket(o: Output): Message {
  if (o.kind !== 'write' && o.kind !== 'sendDatagram') throw new Error(`not a packet: ${o.kind}`);
  const frame = obfuscator.unwrap(o.bytes, 0, 0);
  if (isDecodeError(frame)) throw new Error('bad frame');
  const msg = decodeMessage(frame.payload);
  if (isDecodeError(msg)) throw new Error('bad message');
  return msg;
}

function credentialOf(name: string, signer = LS_KEYS.privateKey): Uint8Array {
  return encodeCredential(issueCredential(signer, name, ALICE_ID.publicKey, 0, 24 * 3600_000));
}

/** The gateway on a Solo driver, with the timers it armed run by `advance`. */
class Rig {
  readonly solo: Solo<PstnGatewayAction>;
  private readonly armed = new Map<string, { tag: number; atMs: number }>();

  constructor(
    readonly node: PstnGatewayNode,
    readonly params: ProtocolParams,
  ) {
    this.solo = new Solo(node);
  }

  get now(): number {
    return this.solo.now;
  }

  feed(input: Input<PstnGatewayAction>): Output[] {
    const outs = this.solo.feed(input);
    for (const o of outs) {
      if (o.kind === 'setTimer') this.armed.set(o.name, { tag: o.tag, atMs: this.solo.now + o.delayMs });
      if (o.kind === 'cancelTimer' && this.armed.get(o.name)?.tag === o.tag) this.armed.delete(o.name);
    }
    return outs;
  }

  /** Fires every timer due up to `timeMs`, in time order; returns the outputs. */
  advanceTo(timeMs: number): Output[] {
    const outs: Output[] = [];
    for (;;) {
      let next: [string, { tag: number; atMs: number }] | undefined;
      for (const e of this.armed) if (e[1].atMs <= timeMs && (!next || e[1].atMs < next[1].atMs)) next = e;
      if (!next) break;
      this.armed.delete(next[0]);
      this.solo.now = next[1].atMs;
      outs.push(...this.feed({ kind: 'timer', name: next[0], tag: next[1].tag }));
    }
    this.solo.now = timeMs;
    return outs;
  }

  isArmed(name: string): boolean {
    return this.armed.has(name);
  }

  /** Outputs of the whole run so far. */
  get log(): { at: number; output: Output }[] {
    return this.solo.log;
  }
}

function setup(overrides: Partial<ProtocolParams> = {}, superNodes: Endpoint[] = SNS): Rig {
  const params = testParams(overrides);
  const node = new PstnGatewayNode({ params, localIp: GW_IP, lsPublicKey: LS_KEYS.publicKey, superNodes, answerDelayMs: ANSWER_DELAY_MS });
  const rig = new Rig(node, params);
  expect(rig.feed({ kind: 'start' })).toEqual([
    { kind: 'listenTcp', port: PORT },
    { kind: 'listenUdp', port: PORT },
  ]);
  return rig;
}

let nextAccepted = -1;

/** An SN (or host) connects; the gateway challenges. */
function accept(rig: Rig): ConnId {
  const conn = nextAccepted--;
  const outs = rig.feed({ kind: 'accepted', conn, localPort: PORT, remote: ep('1.0.0.1:40000') });
  expect(outs).toHaveLength(1);
  const challenge = readPacket(outs[0]);
  expect(challenge).toMatchObject({ type: 'challenge', role: ROLE.pstnGateway });
  if (challenge.type === 'challenge') expect(challenge.nonce).toHaveLength(16);
  return conn;
}

function written(outs: Output[], conn?: ConnId): Message[] {
  return outs.filter((o) => o.kind === 'write' && (conn === undefined || o.conn === conn)).map(readPacket);
}

function traces(outs: Output[], event: string): Output[] {
  return outs.filter((o) => o.kind === 'trace' && o.event === event);
}

function metrics(outs: Output[], name: string): { value: number; labels?: Readonly<Record<string, string>> }[] {
  return outs.flatMap((o) => (o.kind === 'metric' && o.name === name ? [{ value: o.value, labels: o.labels }] : []));
}

interface OutCall {
  readonly conn: ConnId;
  readonly callId: number;
  readonly hostKey: KeyPair;
  readonly mediaKey: MediaKey;
  readonly answer: MessageOf<'pstnAnswer'>;
}

/** SkypeOut up to the answer: an SN forwards alice's dial; the phone answers answerDelayMs later. */
function dialAndAnswer(rig: Rig, callId = 77): OutCall {
  const conn = accept(rig);
  const hostKey = deriveAgreementKeyPair(new SeededRandom(callId));
  const dial = { type: 'pstnDial', callId, caller: 'alice', number: '+12125550100', credential: credentialOf('alice'), keyShare: hostKey.publicKey, media: HOST_PRIVATE } as const;
  const t0 = rig.now;
  const outs = rig.feed({ kind: 'data', conn, bytes: wire.bytes(dial) });
  expect(traces(outs, 'pstnDialed')).toHaveLength(1);
  expect(written(outs)).toEqual([]);
  expect(rig.node.activeCalls).toBe(1);
  // Nothing before the phone answers.
  expect(written(rig.advanceTo(t0 + ANSWER_DELAY_MS - 1))).toEqual([]);
  const answered = rig.advanceTo(t0 + ANSWER_DELAY_MS);
  const [answer] = written(answered, conn);
  if (answer?.type !== 'pstnAnswer') throw new Error(`no answer: ${JSON.stringify(answer)}`);
  // SkypeOut set-up time is the host's measurement, not the gateway's.
  expect(metrics(answered, 'pstnSetupMs')).toEqual([]);
  const key = agreeMediaKey(hostKey, answer.keyShare);
  if (isDecodeError(key)) throw new Error('bad key share');
  return { conn, callId, hostKey, mediaKey: new MediaKey(key, 'real'), answer };
}

/** The host sends frame `seq` of the call from `from`. */
function hostFrame(rig: Rig, call: { callId: number; mediaKey: MediaKey }, seq: number, from = HOST_MAPPED): Output[] {
  const voice = encryptMedia(call.mediaKey, 0, seq, new Uint8Array(7));
  const bytes = mediaBytes({ type: 'mediaFrame', callId: call.callId, seq, sentAtMs: rig.now, frames: 1, hold: false, voice });
  return rig.feed({ kind: 'datagram', localPort: PORT, from, bytes });
}

/** Runs `seconds` of a call with the host sending a frame every voiceFrameMs; returns the gateway's datagrams. */
function talk(rig: Rig, call: OutCall, ms: number): { at: number; output: Extract<Output, { kind: 'sendDatagram' }> }[] {
  const from = rig.now;
  const first = rig.log.length;
  for (let t = from, seq = 1; t < from + ms; t += rig.params.voiceFrameMs, seq++) {
    rig.advanceTo(t);
    hostFrame(rig, call, seq);
  }
  rig.advanceTo(from + ms);
  return rig.log.slice(first).flatMap((l) => (l.output.kind === 'sendDatagram' ? [{ at: l.at, output: l.output }] : []));
}

describe('PSTN gateway, SkypeOut', () => {
  it('challenges every accepted connection as a pstnGateway, and answers a dial after answerDelayMs with its key share and UDP endpoint', () => {
    const rig = setup();
    const call = dialAndAnswer(rig);
    expect(call.answer).toMatchObject({ type: 'pstnAnswer', callId: 77, media: { ip: GW_IP, port: PORT } });
    expect(call.answer.keyShare).toHaveLength(32);
    expect(rig.node.callList()).toEqual([{ callId: 77, direction: 'out', state: 'talking' }]);
  });

  it('latches media to the source of the first frame and sends one frame every voiceFrameMs at voiceBitsPerSec, decryptable with the agreed key', () => {
    const rig = setup();
    const call = dialAndAnswer(rig);
    // No frame goes out before the host's first frame says where it is.
    expect(rig.advanceTo(rig.now + 500).filter((o) => o.kind === 'sendDatagram')).toEqual([]);
    const latched = hostFrame(rig, call, 0);
    expect(traces(latched, 'pstnMediaLatched')).toMatchObject([{ detail: { callId: 77, source: fmt(HOST_MAPPED) } }]);
    const sent = talk(rig, call, 10_000);
    // Every frame to the NAT mapping, not to the private endpoint the dial named.
    expect(new Set(sent.map((s) => fmt(s.output.to)))).toEqual(new Set([fmt(HOST_MAPPED)]));
    expect(sent.every((s) => s.output.fromPort === PORT && s.output.msgType === 'mediaFrame' && s.output.packets === undefined)).toBe(true);
    // One every voiceFrameMs.
    const gaps = new Set(sent.slice(1).map((s, i) => s.at - sent[i].at));
    expect(gaps).toEqual(new Set([rig.params.voiceFrameMs]));
    expect(sent.length).toBeGreaterThanOrEqual(10_000 / rig.params.voiceFrameMs - 1);
    // Wire rate with IP/UDP headers: voiceBitsPerSec within 2%.
    const spanMs = sent[sent.length - 1].at - sent[0].at + rig.params.voiceFrameMs;
    const bitsPerSec = (sent.reduce((n, s) => n + s.output.bytes.length + IP_UDP_HEADER_BYTES, 0) * 8 * 1000) / spanMs;
    expect(Math.abs(bitsPerSec - rig.params.voiceBitsPerSec) / rig.params.voiceBitsPerSec).toBeLessThan(0.02);
    // Media frames in media-type obfuscation frames; voice decrypts under the agreed key (direction 1: callee -> caller).
    const frame = obfuscator.unwrap(sent[3].output.bytes, 0, 0);
    if (isDecodeError(frame)) throw new Error('bad frame');
    expect(frame.payloadType).toBe(PAYLOAD_MEDIA);
    const msg = readPacket(sent[3].output);
    if (msg.type !== 'mediaFrame') throw new Error(msg.type);
    expect(msg).toMatchObject({ callId: 77, seq: 3, frames: 1, hold: false });
    expect([...decryptMedia(call.mediaKey, 1, msg.seq, msg.voice)].every((b) => b === 0)).toBe(true);
    expect([...decryptMedia(call.mediaKey, 0, msg.seq, msg.voice)].every((b) => b === 0)).toBe(false);
  });

  it('flow mode: one aggregate every flowIntervalMs standing for the frames of the interval, at the same wire rate', () => {
    const rig = setup({ mediaMode: 'flow', flowIntervalMs: 1_000 });
    const call = dialAndAnswer(rig);
    hostFrame(rig, call, 0);
    const sent = talk(rig, call, 10_000);
    const steady = sent.slice(1);
    expect(new Set(steady.map((s) => s.output.packets))).toEqual(new Set([1_000 / rig.params.voiceFrameMs]));
    expect(new Set(steady.slice(1).map((s, i) => s.at - steady[i].at))).toEqual(new Set([1_000]));
    for (const s of sent) {
      const msg = readPacket(s.output);
      if (msg.type !== 'mediaFrame') throw new Error(msg.type);
      expect(msg.frames).toBe(s.output.packets ?? 1);
    }
    const frames = sent.reduce((n, s) => n + (s.output.packets ?? 1), 0);
    const bits = sent.reduce((n, s) => n + (s.output.bytes.length + IP_UDP_HEADER_BYTES) * (s.output.packets ?? 1), 0) * 8;
    const bitsPerSec = (bits * 1000) / (frames * rig.params.voiceFrameMs);
    expect(Math.abs(bitsPerSec - rig.params.voiceBitsPerSec) / rig.params.voiceBitsPerSec).toBeLessThan(0.02);
    // The frames sent match the elapsed time: one per voiceFrameMs since the latch.
    expect(Math.abs(frames - 10_000 / rig.params.voiceFrameMs)).toBeLessThanOrEqual(1_000 / rig.params.voiceFrameMs + 1);
  });

  it('a frame from another source after the latch is not counted as media', () => {
    const rig = setup();
    const call = dialAndAnswer(rig);
    hostFrame(rig, call, 0);
    const outs = hostFrame(rig, call, 1, ep('6.6.6.6:1'));
    expect(traces(outs, 'unexpected')).toMatchObject([{ detail: { input: 'mediaFrame', state: 'otherSource' } }]);
  });

  it('refuses a dial whose credential is not the caller’s or not signed by the LS: pstnHangUp{hangUp}, counted, no call', () => {
    const rig = setup();
    const other = deriveSigningKeyPair(new SeededRandom(99));
    const hostKey = deriveAgreementKeyPair(new SeededRandom(3));
    const conn = accept(rig);
    const cases = [credentialOf('mallory'), credentialOf('alice', other.privateKey), Uint8Array.of(1, 2, 3)];
    cases.forEach((credential, i) => {
      const outs = rig.feed({ kind: 'data', conn, bytes: wire.bytes({ type: 'pstnDial', callId: 10 + i, caller: 'alice', number: '+1', credential, keyShare: hostKey.publicKey, media: HOST_PRIVATE }) });
      expect(written(outs, conn)).toEqual([{ type: 'pstnHangUp', callId: 10 + i, reason: CALL_END.hangUp }]);
      expect(traces(outs, 'pstnRefused')).toHaveLength(1);
      expect(metrics(outs, 'pstnCallMs')).toEqual([{ value: 0, labels: { direction: 'out', outcome: 'refused' } }]);
    });
    // A bad key share is refused too.
    const outs = rig.feed({ kind: 'data', conn, bytes: wire.bytes({ type: 'pstnDial', callId: 20, caller: 'alice', number: '+1', credential: credentialOf('alice'), keyShare: new Uint8Array(5), media: HOST_PRIVATE }) });
    expect(traces(outs, 'pstnRefused')).toMatchObject([{ detail: { reason: 'badKeyShare' } }]);
    expect(rig.node.activeCalls).toBe(0);
    expect(rig.isArmed('ring')).toBe(false);
  });

  it('ends on the SN’s pstnHangUp, on the SN link closing, and after 10 s without media', () => {
    const rig = setup();
    // Hang-up: talk time measured from the answer.
    const a = dialAndAnswer(rig, 1);
    hostFrame(rig, a, 0);
    talk(rig, a, 3_000);
    let outs = rig.feed({ kind: 'data', conn: a.conn, bytes: wire.bytes({ type: 'pstnHangUp', callId: 1, reason: CALL_END.hangUp }) });
    expect(traces(outs, 'pstnEnded')).toMatchObject([{ detail: { callId: 1, cause: 'hangUp' } }]);
    expect(metrics(outs, 'pstnCallMs')).toEqual([{ value: 3_000, labels: { direction: 'out', outcome: 'ok' } }]);
    expect(rig.node.activeCalls).toBe(0);
    // The link closing: peerLost.
    const b = dialAndAnswer(rig, 2);
    outs = rig.feed({ kind: 'closed', conn: b.conn, reason: 'reset' });
    expect(traces(outs, 'pstnEnded')).toMatchObject([{ detail: { callId: 2, cause: 'peerLost' } }]);
    // No media at all: the gateway hangs up with peerLost after 10 s.
    const c = dialAndAnswer(rig, 3);
    const answeredAt = rig.now;
    outs = rig.advanceTo(answeredAt + 10_000);
    expect(written(outs, c.conn)).toEqual([{ type: 'pstnHangUp', callId: 3, reason: CALL_END.peerLost }]);
    expect(traces(outs, 'pstnEnded')).toMatchObject([{ detail: { callId: 3, cause: 'peerLost' } }]);
    expect(rig.node.activeCalls).toBe(0);
    expect(rig.isArmed('media')).toBe(false);
  });

  it('a caller who hangs up while the phone rings: the call fails, no answer is sent', () => {
    const rig = setup();
    const conn = accept(rig);
    const hostKey = deriveAgreementKeyPair(new SeededRandom(3));
    rig.feed({ kind: 'data', conn, bytes: wire.bytes({ type: 'pstnDial', callId: 5, caller: 'alice', number: '+1', credential: credentialOf('alice'), keyShare: hostKey.publicKey, media: HOST_PRIVATE }) });
    rig.advanceTo(1_000);
    const outs = rig.feed({ kind: 'data', conn, bytes: wire.bytes({ type: 'pstnHangUp', callId: 5, reason: CALL_END.hangUp }) });
    expect(traces(outs, 'pstnFailed')).toMatchObject([{ detail: { cause: 'cancelled' } }]);
    expect(metrics(outs, 'pstnCallMs')).toEqual([{ value: 1_000, labels: { direction: 'out', outcome: 'failed' } }]);
    expect(written(rig.advanceTo(10_000))).toEqual([]);
  });

  it('a UDP-blocked host sends its media on a TCP connection: the gateway latches it and writes its frames there', () => {
    const rig = setup();
    const call = dialAndAnswer(rig);
    const media = accept(rig);
    const voice = encryptMedia(call.mediaKey, 0, 0, new Uint8Array(7));
    const outs = rig.feed({ kind: 'data', conn: media, bytes: mediaBytes({ type: 'mediaFrame', callId: call.callId, seq: 0, sentAtMs: rig.now, frames: 1, hold: false, voice }) });
    expect(traces(outs, 'pstnMediaLatched')).toMatchObject([{ detail: { source: `conn ${media}` } }]);
    const start = rig.now;
    const ticks = rig.advanceTo(start + 1_000);
    const frames = ticks.filter((o) => o.kind === 'write' && o.conn === media && o.msgType === 'mediaFrame');
    expect(frames.length).toBeGreaterThanOrEqual(1_000 / rig.params.voiceFrameMs - 1);
    expect(ticks.some((o) => o.kind === 'sendDatagram')).toBe(false);
    // The media connection closing ends the call.
    const closed = rig.feed({ kind: 'closed', conn: media, reason: 'reset' });
    expect(traces(closed, 'pstnEnded')).toMatchObject([{ detail: { cause: 'peerLost' } }]);
  });
});

describe('PSTN gateway, SkypeIn', () => {
  /** Drives the action to the pstnIncoming on the SN that takes it; returns that connection and message. */
  function incoming(rig: Rig, durationMs: number) {
    let outs = rig.feed({ kind: 'user', action: { type: 'incoming', callee: 'bob', number: '+442071234567', durationMs } });
    const connects = () => outs.filter((o): o is Extract<Output, { kind: 'connect' }> => o.kind === 'connect');
    // The first SN refuses the connection, the second turns out not to be an SN: the third takes it.
    const [first] = connects();
    expect(fmt(first.to)).toBe(fmt(SNS[0]));
    outs = rig.feed({ kind: 'connectFailed', conn: first.conn, reason: 'refused' });
    const [second] = connects();
    expect(fmt(second.to)).toBe(fmt(SNS[1]));
    rig.feed({ kind: 'connected', conn: second.conn });
    outs = rig.feed({ kind: 'data', conn: second.conn, bytes: wire.bytes({ type: 'challenge', role: ROLE.host, nonce: new Uint8Array(16), full: false, superNodes: [] }) });
    expect(outs).toContainEqual({ kind: 'close', conn: second.conn });
    const [third] = connects();
    expect(fmt(third.to)).toBe(fmt(SNS[2]));
    rig.feed({ kind: 'connected', conn: third.conn });
    outs = rig.feed({ kind: 'data', conn: third.conn, bytes: wire.bytes({ type: 'challenge', role: ROLE.superNode, nonce: new Uint8Array(16), full: false, superNodes: [] }) });
    const [msg] = written(outs, third.conn);
    if (msg?.type !== 'pstnIncoming') throw new Error(`no pstnIncoming: ${JSON.stringify(msg)}`);
    return { conn: third.conn, msg };
  }

  it('hands the call to the first SN that answers as an SN, and hangs up durationMs after the callee answered', () => {
    const rig = setup();
    const { conn, msg } = incoming(rig, 60_000);
    expect(msg).toMatchObject({ callee: 'bob', number: '+442071234567', media: { ip: GW_IP, port: PORT } });
    expect(msg.keyShare).toHaveLength(32);
    // The callee answers through the SN 2 s after the action.
    rig.advanceTo(2_000);
    const bobKey = deriveAgreementKeyPair(new SeededRandom(8));
    let outs = rig.feed({ kind: 'data', conn, bytes: wire.bytes({ type: 'pstnAnswer', callId: msg.callId, keyShare: bobKey.publicKey, media: HOST_PRIVATE }) });
    expect(metrics(outs, 'pstnSetupMs')).toEqual([{ value: 2_000, labels: { direction: 'in' } }]);
    expect(traces(outs, 'pstnAnswered')).toHaveLength(1);
    const key = agreeMediaKey(bobKey, msg.keyShare);
    if (isDecodeError(key)) throw new Error('bad key share');
    const call = { callId: msg.callId, mediaKey: new MediaKey(key, 'real') };
    // The callee's media: the gateway answers where it comes from, direction 0 (the gateway called).
    const sentBefore = rig.log.length;
    for (let t = 2_000, seq = 0; t < 62_000 - 20; t += 20, seq++) {
      rig.advanceTo(t);
      hostFrame(rig, call, seq);
    }
    const frames = rig.log.slice(sentBefore).filter((l) => l.output.kind === 'sendDatagram');
    expect(frames.length).toBeGreaterThan(2_900);
    const m = readPacket(frames[10].output);
    if (m.type !== 'mediaFrame') throw new Error(m.type);
    expect([...decryptMedia(call.mediaKey, 0, m.seq, m.voice)].every((b) => b === 0)).toBe(true);
    expect(rig.node.activeCalls).toBe(1);
    // durationMs after the answer: pstnHangUp{hangUp}, the connection closed.
    outs = rig.advanceTo(62_000);
    expect(written(outs, conn)).toEqual([{ type: 'pstnHangUp', callId: msg.callId, reason: CALL_END.hangUp }]);
    expect(outs).toContainEqual({ kind: 'close', conn });
    expect(metrics(outs, 'pstnCallMs')).toEqual([{ value: 60_000, labels: { direction: 'in', outcome: 'ok' } }]);
    expect(rig.node.activeCalls).toBe(0);
  });

  it('no answer within 30 s: the call fails, cause timeout', () => {
    const rig = setup();
    const { conn, msg } = incoming(rig, 60_000);
    const outs = rig.advanceTo(30_000);
    expect(written(outs, conn)).toEqual([{ type: 'pstnHangUp', callId: msg.callId, reason: CALL_END.hangUp }]);
    expect(traces(outs, 'pstnFailed')).toMatchObject([{ detail: { cause: 'timeout' } }]);
    expect(metrics(outs, 'pstnCallMs')).toEqual([{ value: 30_000, labels: { direction: 'in', outcome: 'failed' } }]);
    expect(rig.node.activeCalls).toBe(0);
  });

  it('the callee hangs up first, or declines; no SN reachable: the call fails', () => {
    const rig = setup();
    const a = incoming(rig, 60_000);
    let outs = rig.feed({ kind: 'data', conn: a.conn, bytes: wire.bytes({ type: 'pstnHangUp', callId: a.msg.callId, reason: CALL_END.hangUp }) });
    expect(traces(outs, 'pstnFailed')).toMatchObject([{ detail: { cause: 'declined' } }]);
    expect(outs).toContainEqual({ kind: 'close', conn: a.conn });

    const lonely = setup({}, [SNS[0]]);
    outs = lonely.feed({ kind: 'user', action: { type: 'incoming', callee: 'bob', number: '+1', durationMs: 1 } });
    const connect = outs.find((o) => o.kind === 'connect');
    if (connect?.kind !== 'connect') throw new Error('no connect');
    outs = lonely.feed({ kind: 'connectFailed', conn: connect.conn, reason: 'timeout' });
    expect(traces(outs, 'pstnFailed')).toMatchObject([{ detail: { cause: 'unreachable' } }]);
    expect(lonely.node.activeCalls).toBe(0);
    expect(lonely.isArmed('noAnswer')).toBe(false);
  });
});

describe('PSTN gateway, robustness', () => {
  /** A gateway with one call of each kind under way and a pending connection; the inputs garbage can reach. */
  function busyGateway() {
    const rig = setup();
    const out = dialAndAnswer(rig, 1);
    hostFrame(rig, out, 0);
    const pending = accept(rig);
    rig.feed({ kind: 'user', action: { type: 'incoming', callee: 'bob', number: '+1', durationMs: 60_000 } });
    const connect = rig.log.map((l) => l.output).find((o) => o.kind === 'connect');
    if (connect?.kind !== 'connect') throw new Error('no connect');
    rig.feed({ kind: 'connected', conn: connect.conn });
    rig.feed({ kind: 'data', conn: connect.conn, bytes: wire.bytes({ type: 'challenge', role: ROLE.superNode, nonce: new Uint8Array(16), full: false, superNodes: [] }) });
    const inputs = [
      (bytes: Uint8Array): Input<PstnGatewayAction> => ({ kind: 'datagram', localPort: PORT, from: HOST_MAPPED, bytes }),
      (bytes: Uint8Array): Input<PstnGatewayAction> => ({ kind: 'datagram', localPort: PORT, from: ep('8.8.8.8:1'), bytes }),
      (bytes: Uint8Array): Input<PstnGatewayAction> => ({ kind: 'data', conn: out.conn, bytes }),
      (bytes: Uint8Array): Input<PstnGatewayAction> => ({ kind: 'data', conn: pending, bytes }),
      (bytes: Uint8Array): Input<PstnGatewayAction> => ({ kind: 'data', conn: connect.conn, bytes }),
    ];
    return { rig, inputs };
  }

  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.tuple(fc.nat({ max: 0xffff }), fc.constantFrom(0x02, 0x03), fc.uint8Array({ maxLength: 120 })).map(([id, type, payload]) => Uint8Array.from([id >> 8, id & 255, type, ...payload])),
    fc.tuple(fc.constantFrom(...Object.values(MESSAGES).map((m) => m.id)), fc.uint8Array({ maxLength: 60 })).map(([type, rest]) => obfuscator.wrap(1, 0x02, Uint8Array.from([type, ...rest]), 0, 0)),
  );

  it('garbage bytes on any input never throw and leave the calls as they were', () => {
    const { rig, inputs } = busyGateway();
    const before = rig.node.callList();
    fc.assert(
      fc.property(garbage, fc.nat({ max: inputs.length - 1 }), (bytes, which) => {
        const outs = rig.feed(inputs[which](bytes));
        expect(outs.every((o) => o.kind === 'trace')).toBe(true);
        expect(rig.node.callList()).toEqual(before);
      }),
      { seed: 20261125, numRuns: 500 },
    );
  });

  it('any well-formed message, in either frame type, on any input never throws', () => {
    const { rig, inputs } = busyGateway();
    fc.assert(
      fc.property(anyMessageArbitrary(MESSAGES), fc.nat({ max: inputs.length - 1 }), fc.constantFrom(0x02, 0x03), (msg, which, type) => {
        const bytes = obfuscator.wrap(2, type, encodeMessage(msg as Message), 0, 0);
        expect(() => rig.feed(inputs[which](bytes))).not.toThrow();
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });
});

describe('PSTN gateways in the simulated world', () => {
  const events: { host: number; event: string; detail: unknown }[] = [];
  function world(count: number): World {
    const sets = ['hosts[0].count=3', 'hosts[1].count=0', 'hosts[2].count=0', 'hosts[3].count=0', 'output.trace=off', 'protocol.passwordWorkFactor=1', `roles.pstnGateways.count=${count}`];
    const overrides = sets.map(parseSetOption).map((o) => {
      if (!isOverride(o)) throw new Error(JSON.stringify(o));
      return o;
    });
    const loaded = loadScenarioFile(churnFile, overrides);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    return new World(loaded.scenario, { run: 0, trace: TraceWriter.off(), onNodeEvent: (host, event, detail) => events.push({ host, event, detail }) });
  }

  it('builds the gateways like the LS, after the hosts; SkypeIn through world.pstnIncoming and SkypeOut from a host both complete', () => {
    const without = world(0);
    const w = world(2);
    // Adding gateways moves no host.
    expect(w.hosts.map((h) => w.net.ipOf(h.netHost))).toEqual(without.hosts.map((h) => without.net.ipOf(h.netHost)));
    without.pstnIncoming(0, '+1', 1_000); // no gateway: ignored
    const regions = w.scenario.roles.pstnGateways.regions;
    expect(w.pstnGateways.map((g) => [g.name, g.region, g.endpoint.port])).toEqual([
      ['pstn-0', regions[0], 12340],
      ['pstn-1', regions[1 % regions.length], 12340],
    ]);
    expect(w.nameOf(w.pstnGateways[1].runtime.host)).toBe('pstn-1');
    w.startInfrastructure();
    w.join(0);
    w.kernel.runUntil(60_000);
    events.length = 0;
    const gw = w.pstnGateways[0].runtime.host;
    // The call's steps at the gateway (where the media latch falls among them depends on timing).
    const gatewayEvents = () =>
      events.filter((e) => e.host === gw && e.event.startsWith('pstn') && e.event !== 'pstnMediaLatched').map((e) => `${e.event} ${(e.detail as { direction: string }).direction}`);
    w.pstnIncoming(0, '+442071234567', 5_000);
    w.kernel.runUntil(90_000);
    expect(gatewayEvents()).toEqual(['pstnDialed in', 'pstnAnswered in', 'pstnEnded in']);
    events.length = 0;
    w.hosts[0].runtime.act({ type: 'pstnCall', number: '+12125550100', durationMs: 5_000 });
    w.kernel.runUntil(120_000);
    expect(gatewayEvents()).toEqual(['pstnDialed out', 'pstnAnswered out', 'pstnEnded out']);
    expect(w.pstnGateways[0].runtime.node?.activeCalls).toBe(0);
    expect(events.some((e) => e.host === w.pstnGateways[1].runtime.host)).toBe(false);
  });
});
