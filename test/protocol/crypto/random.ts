// Randoms for the crypto tests: a seeded stream (mulberry32), and one that replays given bytes
// so known-answer vectors (RFC 8032, RFC 7748) can be fed through the Random-based derivations.
import type { Random } from '../../../protocol/node.js';

export function seededRandom(seed: number): Random {
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

/** Draws that `randomBytesFrom` turns back into exactly these bytes (then throws if overdrawn). */
export function bytesRandom(hex: string): Random {
  const bytes = Buffer.from(hex, 'hex');
  let i = 0;
  return {
    next() {
      if (i >= bytes.length) throw new Error('bytesRandom overdrawn');
      return (bytes[i++] + 0.5) / 256;
    },
  };
}
