/**
 * AES in counter mode, computed from one long-lived AES-ECB cipher.
 *
 * Both the obfuscation layer (every packet) and media encryption (every voice frame) XOR data
 * with an AES keystream whose nonce changes per packet. Creating a `node:crypto` CTR cipher per
 * packet costs a native object and a key schedule each time; instead one ECB cipher lives as
 * long as its key, and a packet's keystream is AES_K(nonce || 0), AES_K(nonce || 1), ... -
 * all of a packet's counter blocks encrypted by one `cipher.update` call, then XORed in place.
 *
 * Counter block layout (16 bytes, big-endian): nonce words n0, n1, n2 (u32 each), then the
 * block index (u32). This is exactly standard AES-CTR with IV = n0 || n1 || n2 || 0, which a
 * test checks against OpenSSL's own `aes-*-ctr`.
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

export class CounterKeystream {
  private readonly cipher: Cipher;
  private counters: Uint8Array;

  /** `key` of 16, 24 or 32 bytes selects AES-128, -192 or -256. */
  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
    this.cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    // Whole blocks only, and never final(): the cipher must not hold back or pad a block.
    this.cipher.setAutoPadding(false);
    this.counters = new Uint8Array(BLOCK_BYTES * 16);
  }

  /**
   * XORs `data[start, end)` in place with the keystream of nonce (n0, n1, n2), each a u32.
   * Applying it twice with the same nonce restores the data.
   */
  xorInPlace(n0: number, n1: number, n2: number, data: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length <= 0) return;
    const blocks = (length + BLOCK_BYTES - 1) >>> 4;
    const counterBytes = blocks * BLOCK_BYTES;
    if (counterBytes > this.counters.length) this.counters = new Uint8Array(Math.max(counterBytes, this.counters.length * 2));
    const c = this.counters;
    for (let b = 0, p = 0; b < blocks; b++, p += BLOCK_BYTES) {
      putU32(c, p, n0);
      putU32(c, p + 4, n1);
      putU32(c, p + 8, n2);
      putU32(c, p + 12, b);
    }
    const keystream = this.cipher.update(c.subarray(0, counterBytes));
    for (let i = 0; i < length; i++) data[start + i] ^= keystream[i];
  }
}

function putU32(out: Uint8Array, p: number, v: number): void {
  out[p] = v >>> 24;
  out[p + 1] = v >>> 16;
  out[p + 2] = v >>> 8;
  out[p + 3] = v;
}
