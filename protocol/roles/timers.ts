/**
 * Named timers of one node, with the rules of STYLE.md 2 in one place.
 *
 * Each role declares its timers as a closed union of names (with a "fires when" line each) and
 * routes every firing through one dispatch point. This helper keeps, per name, the tag of the
 * instance that is armed:
 *   - `set` arms a name; setting an armed name replaces it (new tag, the runtime replaces too);
 *   - `cancel` disarms it;
 *   - `take` is asked by the dispatch point on a `timer` input: true exactly once for the armed
 *     instance (which it disarms), false for a late or cancelled one - which then does nothing.
 *
 * Tags come from one counter per node, so an old instance can never pass for a new one.
 */

import type { Ctx } from '../node.js';

export class Timers<N extends string> {
  private readonly armed = new Map<N, number>();
  private nextTag = 1;

  set(ctx: Ctx, name: N, delayMs: number): void {
    const tag = this.nextTag++;
    this.armed.set(name, tag);
    ctx.out.push({ kind: 'setTimer', name, tag, delayMs: Math.max(0, delayMs) });
  }

  cancel(ctx: Ctx, name: N): void {
    const tag = this.armed.get(name);
    if (tag === undefined) return;
    this.armed.delete(name);
    ctx.out.push({ kind: 'cancelTimer', name, tag });
  }

  isSet(name: N): boolean {
    return this.armed.has(name);
  }

  /** True iff this firing is the armed instance of `name`; disarms it. */
  take(name: N, tag: number): boolean {
    if (this.armed.get(name) !== tag) return false;
    this.armed.delete(name);
    return true;
  }

  cancelAll(ctx: Ctx, names: readonly N[]): void {
    for (const n of names) this.cancel(ctx, n);
  }
}
