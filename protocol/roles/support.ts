/**
 * Small helpers every role shares: endpoint identity and formatting, draws from a node's Random.
 */

import type { Ctx, Endpoint, Random } from '../node.js';

/** A number that identifies an endpoint (ip * 2^16 + port; exact below 2^53). */
export function endpointKey(e: Endpoint): number {
  return e.ip * 65536 + e.port;
}

/** An endpoint a peer may name as an SN: a non-zero address and port (a peer's 0.0.0.0 or port 0 is garbage, dropped). */
export function isUsableEndpoint(e: Endpoint): boolean {
  return e.ip !== 0 && e.port > 0 && e.port <= 65535;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.ip === b.ip && a.port === b.port;
}

/** `a.b.c.d:port`, for trace details. */
export function formatEndpoint(e: Endpoint): string {
  return `${e.ip >>> 24}.${(e.ip >>> 16) & 255}.${(e.ip >>> 8) & 255}.${e.ip & 255}:${e.port}`;
}

/** A uniform u32 from `rng`. */
export function randomU32(rng: Random): number {
  return Math.floor(rng.next() * 0x1_0000_0000) >>> 0;
}

/** A uniform integer in [0, n). */
export function randomInt(rng: Random, n: number): number {
  return Math.min(n - 1, Math.floor(rng.next() * n));
}

/**
 * Ids seen or used lately, at most `max`, the oldest forgotten first: what a node remembers to
 * tell a late reply from an unexpected one, or a replay from a first sight.
 */
export class RecentIds {
  private readonly ids = new Set<number>();

  constructor(private readonly max: number) {}

  add(id: number): void {
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  delete(id: number): void {
    this.ids.delete(id);
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * An input with no entry for the node's state (STYLE.md 3): counted as a protocol error with a
 * `trace unexpected` output; the caller leaves its state unchanged.
 */
export function unexpected(ctx: Ctx, input: string, state: string): void {
  ctx.out.push({ kind: 'trace', event: 'unexpected', detail: { input, state } });
}
