/**
 * Micro-benchmark of the per-packet crypto path: obfuscated frames per second for a ~60-byte
 * payload (a probe or keep-alive) and a ~200-byte one (a host-cache reply, a chat line), with
 * real AES and modelled, plus the codec and the rarer operations (credential signing and
 * verifying, media frames) for scale. Prints one JSON line; rates are per second of one core.
 *
 * A "frame" in framesPerSec is wrap + unwrap (what a sender and a receiver each pay once);
 * wrapOnlyPerSec is the sender's half alone, without the memo. Not part of the tests; run with
 * `npm run build && node dist/bench/crypto.js`. The machine's other load moves the figures by
 * tens of percent: compare runs made side by side.
 */

import { performance } from 'node:perf_hooks';
import { decodeMessage, encodeMessage } from '../protocol/wire/codec.js';
import type { Message } from '../protocol/wire/messages.js';
import { Obfuscator, PAYLOAD_MESSAGE } from '../protocol/wire/obfuscation.js';
import { deriveSigningKeyPair } from '../protocol/crypto/keys.js';
import { encodeCredential, issueCredential, verifyCredential } from '../protocol/crypto/credentials.js';
import { MediaKey, decryptMedia, encryptMedia } from '../protocol/crypto/media.js';
import type { Random } from '../protocol/node.js';

/**
 * Operations per second of `op`: the best of `rounds` timed rounds of about `roundMs` each,
 * after a warm-up. Best-of rather than mean, because on a shared machine other load only ever
 * slows a round down.
 */
function rate(op: (i: number) => unknown, roundMs = 120, rounds = 5): number {
  for (let i = 0; i < 5000; i++) keep(op(i)); // warm up the JIT
  let best = 0;
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    let done = 0;
    let batch = 500;
    const start = performance.now();
    let elapsedMs = 0;
    while (elapsedMs < roundMs) {
      for (let i = 0; i < batch; i++) keep(op(n++));
      done += batch;
      elapsedMs = performance.now() - start;
      batch = Math.min(batch * 2, 50_000);
    }
    best = Math.max(best, (done / elapsedMs) * 1000);
  }
  return Math.round(best);
}

// Every result is folded into a sink the program prints, so the JIT cannot drop the work.
let sink = 0;
function keep(result: unknown): void {
  if (result instanceof Uint8Array) sink = (sink + result.length + result[0]) | 0;
  else if (typeof result === 'object' && result !== null) sink = (sink + Object.keys(result).length) | 0;
  else sink = (sink + 1) | 0;
}

function seeded(seed: number): Random {
  let s = seed >>> 0;
  return {
    next() {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/**
 * wrap then unwrap of each frame. With the memo (the default), the unwrap finds the keystream
 * its wrap computed - the best case, as when a run shares one Obfuscator and the frame is
 * recent; with memoSlots 0 both ends run AES, as two separate processes would.
 */
function frameRate(mode: 'real' | 'modelled', payloadBytes: number, memoSlots?: number): number {
  const obf = new Obfuscator(mode, memoSlots === undefined ? {} : { memoSlots });
  const payload = new Uint8Array(payloadBytes).map((_, i) => i);
  return rate((i) => {
    const frame = obf.wrap(i & 0xffff, PAYLOAD_MESSAGE, payload, 0x0a000001, 0xc0a80001 + (i & 0xff));
    return obf.unwrap(frame, 0x0a000001, 0xc0a80001 + (i & 0xff));
  });
}

function wrapOnlyRate(mode: 'real' | 'modelled', payloadBytes: number): number {
  const obf = new Obfuscator(mode, { memoSlots: 0 });
  const payload = new Uint8Array(payloadBytes);
  return rate((i) => obf.wrap(i & 0xffff, PAYLOAD_MESSAGE, payload, 0x0a000001, 0xc0a80001));
}

const hostCache = Array.from({ length: 30 }, (_, i) => ({ ip: 0x50000000 + i, port: 33033 }));
const probeReply: Message = { type: 'probeReply', nonce: 7, hostCache, full: false };
const probeReplyBytes = encodeMessage(probeReply);
const probeBytes = encodeMessage({ type: 'probe', nonce: 7 });
// The two most frequent messages of a churn run but media, and the one that wraps signalling.
const searchRequest: Message = { type: 'searchRequest', queryId: 12345, name: 'user00123', onBehalf: false };
const searchRequestBytes = encodeMessage(searchRequest);
const searchReply: Message = {
  type: 'searchReply',
  queryId: 12345,
  found: true,
  superNode: { ip: 0x50000001, port: 33033 },
  address: { ip: 0x60000001, port: 41000 },
  natClass: 2,
  ageMs: 1000,
  nodes: hostCache.slice(0, 3),
};
const searchReplyBytes = encodeMessage(searchReply);
const routed: Message = {
  type: 'routed',
  from: 'user00001',
  fromSuperNode: { ip: 0x50000001, port: 33033 },
  to: 'user00777',
  toSuperNode: { ip: 0x50000002, port: 33033 },
  hops: 0,
  payload: new Uint8Array(40),
};
const routedBytes = encodeMessage(routed);

const rng = seeded(1);
const ls = deriveSigningKeyPair(rng);
const user = deriveSigningKeyPair(rng);
const credential = encodeCredential(issueCredential(ls.privateKey, 'alice', user.publicKey, 0, 86_400_000));

const mediaReal = new MediaKey(new Uint8Array(32).fill(7), 'real');
const voiceFrame = new Uint8Array(60);

const result = {
  bench: 'crypto',
  node: process.version,
  unit: 'operations per second, one core',
  framesPerSec: {
    real60B: frameRate('real', 60),
    real60BNoMemo: frameRate('real', 60, 0),
    modelled60B: frameRate('modelled', 60),
    real200B: frameRate('real', 200),
    real200BNoMemo: frameRate('real', 200, 0),
    modelled200B: frameRate('modelled', 200),
  },
  wrapOnlyPerSec: {
    real60B: wrapOnlyRate('real', 60),
    modelled60B: wrapOnlyRate('modelled', 60),
    real200B: wrapOnlyRate('real', 200),
    modelled200B: wrapOnlyRate('modelled', 200),
  },
  codecPerSec: {
    encodeProbe: rate((i) => encodeMessage({ type: 'probe', nonce: i >>> 0 })),
    decodeProbe: rate(() => decodeMessage(probeBytes)),
    encodeProbeReply30: rate(() => encodeMessage(probeReply)),
    decodeProbeReply30: rate(() => decodeMessage(probeReplyBytes)),
    probeReply30Bytes: probeReplyBytes.length,
    encodeSearchRequest: rate(() => encodeMessage(searchRequest)),
    decodeSearchRequest: rate(() => decodeMessage(searchRequestBytes)),
    encodeSearchReply: rate(() => encodeMessage(searchReply)),
    decodeSearchReply: rate(() => decodeMessage(searchReplyBytes)),
    encodeRouted: rate(() => encodeMessage(routed)),
    decodeRouted: rate(() => decodeMessage(routedBytes)),
  },
  credentialPerSec: {
    issue: rate(() => issueCredential(ls.privateKey, 'alice', user.publicKey, 0, 86_400_000)),
    verify: rate(() => verifyCredential(credential, ls.publicKeyObject, 'alice', 1000)),
  },
  mediaFrames60BPerSec: {
    real: rate((i) => decryptMedia(mediaReal, 0, i, encryptMedia(mediaReal, 0, i, voiceFrame))),
  },
};

console.log(JSON.stringify({ ...result, sink }));
