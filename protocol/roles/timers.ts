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

/** The tag of a name that is not armed (real tags start at 1). */
const DISARMED = 0;

export class Timers<N extends string> {
  /**
   * The armed tag per name, DISARMED when none: a name once used keeps its entry, so arming and
   * disarming, several times per input, never delete from or grow the map.
   */
  private readonly armed = new Map<N, number>();
  private nextTag = 1;

  set(ctx: Ctx, name: N, delayMs: number): void {
    const tag = this.nextTag++;
    this.armed.set(name, tag);
    ctx.out.push({ kind: 'setTimer', name, tag, delayMs: Math.max(0, delayMs) });
  }

  cancel(ctx: Ctx, name: N): void {
    const tag = this.armed.get(name);
    if (tag === undefined || tag === DISARMED) return;
    this.armed.set(name, DISARMED);
    ctx.out.push({ kind: 'cancelTimer', name, tag });
  }

  isSet(name: N): boolean {
    const tag = this.armed.get(name);
    return tag !== undefined && tag !== DISARMED;
  }

  /** True iff this firing is the armed instance of `name`; disarms it. */
  take(name: N, tag: number): boolean {
    if (tag === DISARMED || this.armed.get(name) !== tag) return false;
    this.armed.set(name, DISARMED);
    return true;
  }

  cancelAll(ctx: Ctx, names: readonly N[]): void {
    for (const n of names) this.cancel(ctx, n);
  }
}
