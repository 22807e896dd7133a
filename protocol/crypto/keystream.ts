/**
 * AES in counter mode, computed from one long-lived AES-ECB cipher.
 *
 * Both the obfuscation layer (every packet) and media encryption (every voice frame) XOR data
 * with an AES keystream whose nonce changes per packet. Creating a `node:crypto` CTR cipher per
 * packet costs a native object and a key schedule each time (about 2 us); instead one ECB cipher
 * lives as long as its key, and a packet's keystream is AES_K(nonce || 0), AES_K(nonce || 1), ...
 * - all of a packet's counter blocks encrypted by one `cipher.update` call, then XORed in place.
 *
 * Counter block layout (16 bytes, big-endian): nonce words n0, n1, n2 (u32 each), then the
 * block index (u32). This is exactly standard AES-CTR with IV = n0 || n1 || n2 || 0, which a
 * test checks against OpenSSL's own `aes-*-ctr`.
 *
 * Memo (optional): the native call costs about 0.5 us whatever its size, and the keystream is a
 * pure function of (key, nonce, length). When one object serves both ends of a packet - the
 * simulator shares one Obfuscator among all nodes - the receiver asks for the keystream the
 * sender just computed, and under fixed addresses the same frame id comes round again. A
 * direct-mapped memo of `memoSlots` entries, each the first MEMO_BYTES_MAX bytes of a nonce's
 * keystream, hands it back instead of running AES again. The bytes are identical either way (a
 * test compares against no memo); only the simulator's CPU differs.
 *
 * `CryptoMode` is the scenario switch of PROTOCOL.md: `modelled` keeps every byte count and
 * frame layout and skips the cipher work, for runs too large to pay for AES.
 */

import { createCipheriv, type Cipher } from 'node:crypto';

export type CryptoMode = 'real' | 'modelled';

/** Throws RangeError unless `mode` is a CryptoMode: a scenario typo must not silently pick one. */
export function checkCryptoMode(mode: unknown): CryptoMode {
  if (mode !== 'real' && mode !== 'modelled') throw new RangeError(`crypto mode must be 'real' or 'modelled', got ${String(mode)}`);
  return mode;
}

const BLOCK_BYTES = 16;

/**
 * Longest keystream the memo keeps (16 AES blocks: every packet up to 256 bytes, which is most
 * of the protocol's). Each slot is a fixed 256-byte stretch of one typed array: copying into it
 * costs less than keeping the cipher's output Buffers alive, which the GC has to track.
 */
export const MEMO_BYTES_MAX = 256;

// Counter blocks are written as 32-bit words; on a little-endian host the words are stored
// byte-swapped so the bytes in memory are big-endian.
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

function toBigEndianWord(v: number): number {
  return LITTLE_ENDIAN ? ((v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0 : v >>> 0;
}

export class CounterKeystream {
  private readonly cipher: Cipher;
  private counters: Uint32Array;
  private readonly memoMask: number;
  /** Per slot: n0, n1, n2, and 1 once it holds a keystream (MEMO_BYTES_MAX bytes of it). */
  private readonly memoTags: Uint32Array;
  private readonly memoBytes: Uint8Array;

  /**
   * `key` of 16, 24 or 32 bytes selects AES-128, -192 or -256. `memoSlots` (0, or a power of
   * two) sizes the keystream memo: MEMO_BYTES_MAX bytes per slot, allocated up front.
   */
  constructor(key: Uint8Array, memoSlots = 0) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
    if (!Number.isInteger(memoSlots) || memoSlots < 0 || (memoSlots & (memoSlots - 1)) !== 0) {
      throw new RangeError(`memoSlots must be 0 or a power of two, got ${memoSlots}`);
    }
    this.cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    // Whole blocks only, and never final(): the cipher must not hold back or pad a block.
    this.cipher.setAutoPadding(false);
    this.counters = new Uint32Array(4 * 16);
    this.memoMask = memoSlots - 1;
    this.memoTags = new Uint32Array(4 * memoSlots);
    this.memoBytes = new Uint8Array(MEMO_BYTES_MAX * memoSlots);
  }

  /**
   * Writes `input[inputStart ..+ length)` XOR the keystream of nonce (n0, n1, n2), each a u32,
   * to `output` from `outputStart` (the same array and offset works in place). Copy and XOR in
   * one pass; applying it twice with the same nonce restores the data.
   */
  xor(n0: number, n1: number, n2: number, input: Uint8Array, inputStart: number, output: Uint8Array, outputStart: number, length: number): void {
    if (length <= 0) return;
    n0 >>>= 0;
    n1 >>>= 0;
    n2 >>>= 0;
    let slot = -1;
    if (this.memoMask >= 0 && length <= MEMO_BYTES_MAX) {
      // n2 as it is, mixed with the other two words: nonces that differ in n2 alone (a frame
      // counter under fixed addresses, as in the obfuscation layer) take distinct slots.
      const h = Math.imul(n0, 0x9e3779b1) ^ Math.imul(n1, 0x85ebca6b);
      slot = (n2 ^ h ^ (h >>> 16)) & this.memoMask;
      const tags = this.memoTags;
      const at = 4 * slot;
      // A slot is trusted only for the exact nonce: a hash collision just recomputes.
      if (tags[at] === n0 && tags[at + 1] === n1 && tags[at + 2] === n2 && tags[at + 3] > 0) {
        xorBytes(input, inputStart, this.memoBytes, MEMO_BYTES_MAX * slot, output, outputStart, length);
        return;
      }
    }
    // A memo slot gets the keystream's whole MEMO_BYTES_MAX bytes (one cipher call either way),
    // so the nonce's next packet hits whatever its length.
    const keystream = this.compute(n0, n1, n2, slot >= 0 ? MEMO_BYTES_MAX : length);
    if (slot >= 0) {
      const at = 4 * slot;
      this.memoTags[at] = n0;
      this.memoTags[at + 1] = n1;
      this.memoTags[at + 2] = n2;
      this.memoTags[at + 3] = 1;
      this.memoBytes.set(keystream, MEMO_BYTES_MAX * slot);
    }
    xorBytes(input, inputStart, keystream, 0, output, outputStart, length);
  }

  /** The keystream's first ceil(length / 16) blocks, from one cipher call. */
  private compute(n0: number, n1: number, n2: number, length: number): Uint8Array {
    const blocks = (length + BLOCK_BYTES - 1) >>> 4;
    if (4 * blocks > this.counters.length) this.counters = new Uint32Array(Math.max(4 * blocks, 2 * this.counters.length));
    const w = this.counters;
    const w0 = toBigEndianWord(n0);
    const w1 = toBigEndianWord(n1);
    const w2 = toBigEndianWord(n2);
    for (let b = 0, p = 0; b < blocks; b++, p += 4) {
      w[p] = w0;
      w[p + 1] = w1;
      w[p + 2] = w2;
      w[p + 3] = toBigEndianWord(b);
    }
    return this.cipher.update(new Uint8Array(w.buffer, 0, blocks * BLOCK_BYTES));
  }
}

function xorBytes(input: Uint8Array, inputStart: number, keystream: Uint8Array, keyStart: number, output: Uint8Array, outputStart: number, length: number): void {
  for (let i = 0; i < length; i++) output[outputStart + i] = input[inputStart + i] ^ keystream[keyStart + i];
}
