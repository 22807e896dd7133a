/**
 * Named random streams derived from one scenario seed.
 *
 * Every concern that draws randomness (net/loss, net/latency, churn, each host ...) asks for
 * its own stream by name. A stream's starting state depends only on (seed, run, name): its
 * generator is seeded with SHA-256 of that triple, so adding a stream, a host, or drawing more
 * from another stream never changes this stream's draws. `run` selects an independent
 * replication of the same scenario (`--run N`).
 *
 * The generator is Alea (Baagøe 2010, from `seedrandom`): small state (four numbers, so a
 * stream per host is cheap), long period (~2^116), passes BigCrush. seedrandom derives the
 * initial state from the seed string; the recurrence is then stepped here, in a class with
 * fixed-shape fields, because calling seedrandom's closure costs about twice as much on the
 * per-packet path. A test holds our sequence identical to seedrandom's.
 *
 * Resolution: `next()` returns multiples of 2^-32 (Alea's native output), which bounds the
 * extreme tails of samplers built on it (e.g. an exponential draw is at most ~22.2 means).
 */
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';
import type { Random } from '../../protocol/node.js';

/** A seeded random stream; what a protocol node gets as `ctx.rng`. */
export interface Rng extends Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n); n an integer in [1, 2^32 - 1]. */
  int(n: number): number;
  /** True with probability p in [0, 1]. */
  chance(p: number): boolean;
  /** A uniformly chosen element of a non-empty array. */
  pick<T>(xs: readonly T[]): T;
}

const TWO_POW_MINUS_32 = 2.3283064365386963e-10;

/** The seed string a stream's generator is built from: hex SHA-256 of (seed, run, name). */
export function streamSeed(seed: number, run: number, name: string): string {
  // JSON of an array keeps the triple unambiguous ("a/1" + "2" never equals "a" + "/12").
  return createHash('sha256').update(JSON.stringify([seed, run, name])).digest('hex');
}

class AleaRng implements Rng {
  // `declare`: a field defined first as undefined would hold its doubles boxed, and next()
  // would allocate a number per draw; assigned first in the constructor, they stay unboxed.
  private declare s0: number;
  private declare s1: number;
  private declare s2: number;
  private declare c: number;

  constructor(seedText: string) {
    const state = seedrandom.alea(seedText, { state: true }).state();
    this.s0 = state.s0;
    this.s1 = state.s1;
    this.s2 = state.s2;
    this.c = state.c;
  }

  next(): number {
    const t = 2091639 * this.s0 + this.c * TWO_POW_MINUS_32;
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.c = t | 0;
    return (this.s2 = t - this.c);
  }

  int(n: number): number {
    if (n >>> 0 !== n || n === 0) throw new RangeError(`int(n) needs an integer n in [1, 2^32 - 1], got ${n}`);
    // next() * n < 2^32, so >>> 0 is floor; bias is below n / 2^32, negligible for sim sizes.
    return (this.next() * n) >>> 0;
  }

  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`chance(p) needs p in [0, 1], got ${p}`);
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('pick() needs a non-empty array');
    return xs[(this.next() * xs.length) >>> 0];
  }
}

/** The streams of one run of one scenario. */
export class RngStreams {
  private readonly streams = new Map<string, Rng>();

  constructor(
    readonly seed: number,
    readonly run = 0,
  ) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    if (!Number.isSafeInteger(run) || run < 0) throw new RangeError(`run must be a non-negative safe integer, got ${run}`);
  }

  /**
   * The stream called `name`. Asking again for a name returns the same stream, continuing
   * where it left off: two users of one name share draws rather than repeat them.
   */
  stream(name: string): Rng {
    let rng = this.streams.get(name);
    if (rng === undefined) {
      if (name.length === 0) throw new RangeError('a stream needs a non-empty name');
      rng = new AleaRng(streamSeed(this.seed, this.run, name));
      this.streams.set(name, rng);
    }
    return rng;
  }
}
