// Each sampler against its textbook mean and CDF. The expected values are written here from
// the formulas, not taken from the implementation, so a wrong formula on either side shows.
//
// Tolerances: the fraction of n draws at or below x is Binomial(n, F(x)) / n, and a sample mean
// is within a few standard errors of the true mean; both are checked at 6 standard deviations
// (a false alarm about once in 10^8 checks), with n large enough that a swapped or mistyped
// parameter misses by far more.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drawRange, makeSampler, meanOf, type Distribution } from '../../sim/kernel/distributions.js';
import { RngStreams, type Rng } from '../../sim/kernel/rng.js';

const DRAWS = 20_000;
const RUNS = { numRuns: 25 };
const SIGMAS = 6;

/** Standard normal quantiles at the probe probabilities. */
const PROBES: readonly (readonly [p: number, z: number])[] = [
  [0.05, -1.6448536269514729],
  [0.25, -0.6744897501960817],
  [0.5, 0],
  [0.75, 0.6744897501960817],
  [0.95, 1.6448536269514729],
];

const seedArb = fc.integer({ min: 0, max: 2 ** 31 });

function draw(d: Distribution, seed: number, n = DRAWS): Float64Array {
  const sample = makeSampler(d);
  const rng = new RngStreams(seed).stream('distribution-test');
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = sample(rng);
  return xs;
}

function expectMean(xs: Float64Array, mean: number): void {
  let sum = 0;
  for (const x of xs) sum += x;
  const m = sum / xs.length;
  let sq = 0;
  for (const x of xs) sq += (x - m) ** 2;
  const standardError = Math.sqrt(sq / (xs.length - 1) / xs.length);
  expect(Math.abs(m - mean)).toBeLessThanOrEqual(SIGMAS * standardError + 1e-12 * Math.abs(mean));
}

/** For each [x, F(x)]: the share of draws at or below x is F(x), within binomial noise. */
function expectCdf(xs: Float64Array, points: readonly (readonly [x: number, cdf: number])[]): void {
  for (const [x, cdf] of points) {
    let below = 0;
    for (const v of xs) if (v <= x) below++;
    const tolerance = SIGMAS * Math.sqrt((cdf * (1 - cdf)) / xs.length) + 1 / xs.length;
    expect(Math.abs(below / xs.length - cdf), `F(${x}) should be ${cdf}`).toBeLessThanOrEqual(tolerance);
  }
}

const quantilePoints = (quantile: (p: number, z: number) => number): [number, number][] =>
  PROBES.map(([p, z]) => [quantile(p, z), p]);

describe('distributions', () => {
  it('constant always gives its value', () => {
    const xs = draw({ kind: 'constant', value: 4.5 }, 1, 100);
    expect([...new Set(xs)]).toEqual([4.5]);
    expect(meanOf({ kind: 'constant', value: 4.5 })).toBe(4.5);
  });

  it('uniform{min, max}', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: 1e-3, max: 1000, noNaN: true }), (seed, min, width) => {
        const d: Distribution = { kind: 'uniform', min, max: min + width };
        const xs = draw(d, seed);
        expect(xs.every((x) => x >= min && x < min + width)).toBe(true);
        expect(meanOf(d)).toBeCloseTo(min + width / 2, 9);
        expectMean(xs, min + width / 2);
        expectCdf(xs, quantilePoints((p) => min + p * width));
      }),
      RUNS,
    );
  });

  it('exponential{mean}', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: 0.01, max: 1000, noNaN: true }), (seed, mean) => {
        const d: Distribution = { kind: 'exponential', mean };
        const xs = draw(d, seed);
        expect(meanOf(d)).toBe(mean);
        expectMean(xs, mean);
        expectCdf(xs, quantilePoints((p) => -mean * Math.log(1 - p)));
      }),
      RUNS,
    );
  });

  it('normal{mean, sd}', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: 0.01, max: 50, noNaN: true }), (seed, mean, sd) => {
        const d: Distribution = { kind: 'normal', mean, sd };
        const xs = draw(d, seed);
        expect(meanOf(d)).toBe(mean);
        expectMean(xs, mean);
        expectCdf(xs, quantilePoints((_, z) => mean + sd * z));
      }),
      RUNS,
    );
  });

  it('lognormal{mu, sigma}', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: -2, max: 5, noNaN: true }), fc.double({ min: 0.05, max: 1, noNaN: true }), (seed, mu, sigma) => {
        const d: Distribution = { kind: 'lognormal', mu, sigma };
        const xs = draw(d, seed);
        const mean = Math.exp(mu + (sigma * sigma) / 2);
        expect(meanOf(d)).toBeCloseTo(mean, 9);
        expectMean(xs, mean);
        expectCdf(xs, quantilePoints((_, z) => Math.exp(mu + sigma * z)));
      }),
      RUNS,
    );
  });

  it('lognormal{mean, sd}: the mean and sd of the variable itself', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: 1, max: 500, noNaN: true }), fc.double({ min: 0.05, max: 1, noNaN: true }), (seed, mean, cv) => {
        const sd = cv * mean;
        const d: Distribution = { kind: 'lognormal', mean, sd };
        const xs = draw(d, seed);
        // The median of a lognormal is mean / sqrt(1 + cv^2).
        expect(meanOf(d)).toBeCloseTo(mean, 9);
        expectMean(xs, mean);
        expectCdf(xs, [[mean / Math.sqrt(1 + cv * cv), 0.5]]);
        let sq = 0;
        for (const x of xs) sq += (x - mean) ** 2;
        expect(Math.sqrt(sq / xs.length) / sd).toBeGreaterThan(0.85);
        expect(Math.sqrt(sq / xs.length) / sd).toBeLessThan(1.15);
      }),
      RUNS,
    );
  });

  it('weibull{shape, scale}', () => {
    // Shapes whose mean scale * Gamma(1 + 1/shape) is known in closed form or tabled.
    const gammaOnePlusInverse: Record<number, number> = {
      0.5: 2,
      1: 1,
      1.5: 0.9027452929509336,
      2: Math.sqrt(Math.PI) / 2,
      3: 0.8929795115692492,
      4: 0.9064024770554771,
    };
    fc.assert(
      fc.property(seedArb, fc.constantFrom(0.5, 1, 1.5, 2, 3, 4), fc.double({ min: 10, max: 1000, noNaN: true }), (seed, shape, scale) => {
        const d: Distribution = { kind: 'weibull', shape, scale };
        const xs = draw(d, seed);
        const mean = scale * gammaOnePlusInverse[shape];
        expect(meanOf(d) / mean).toBeCloseTo(1, 12);
        expectMean(xs, mean);
        expectCdf(xs, quantilePoints((p) => scale * (-Math.log(1 - p)) ** (1 / shape)));
      }),
      RUNS,
    );
  });

  it('pareto{shape, scale}: quantiles for any shape, the mean where the variance is finite', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: 0.5, max: 8, noNaN: true }), fc.double({ min: 10, max: 1000, noNaN: true }), (seed, shape, scale) => {
        const d: Distribution = { kind: 'pareto', shape, scale };
        const xs = draw(d, seed);
        expect(xs.every((x) => x >= scale)).toBe(true);
        expectCdf(xs, quantilePoints((p) => scale * (1 - p) ** (-1 / shape)));
        expect(meanOf(d)).toBe(shape > 1 ? (shape * scale) / (shape - 1) : Infinity);
        if (shape > 4) expectMean(xs, (shape * scale) / (shape - 1));
      }),
      RUNS,
    );
    expect(meanOf({ kind: 'pareto', shape: 1, scale: 5 })).toBe(Infinity);
  });

  it('empirical{values, weights}: draws the listed values only, each as often as its weight', () => {
    const entryArb = fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 10 })), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(seedArb, entryArb, fc.boolean(), (seed, entries, weighted) => {
        fc.pre(!weighted || entries.some(([, w]) => w > 0));
        const values = entries.map(([v]) => v);
        const weights = weighted ? entries.map(([, w]) => w) : values.map(() => 1);
        const d: Distribution = weighted ? { kind: 'empirical', values, weights } : { kind: 'empirical', values };
        const xs = draw(d, seed);
        const total = weights.reduce((a, b) => a + b, 0);
        const share = new Map<number, number>();
        values.forEach((v, i) => share.set(v, (share.get(v) ?? 0) + weights[i] / total));
        const counts = new Map<number, number>();
        for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
        for (const x of counts.keys()) expect(share.get(x) ?? 0).toBeGreaterThan(0);
        for (const [v, p] of share) {
          const tolerance = SIGMAS * Math.sqrt((p * (1 - p)) / xs.length) + 1 / xs.length;
          expect(Math.abs((counts.get(v) ?? 0) / xs.length - p)).toBeLessThanOrEqual(tolerance);
        }
        const mean = values.reduce((a, v, i) => a + (v * weights[i]) / total, 0);
        expect(meanOf(d)).toBeCloseTo(mean, 9);
      }),
      RUNS,
    );
  });

  it('mixture{components}: picks a component by weight, then draws from it', () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.double({ min: 50, max: 100, noNaN: true }),
        (seed, w, expMean, uniformMin) => {
          const d: Distribution = {
            kind: 'mixture',
            components: [
              { weight: w, dist: { kind: 'exponential', mean: expMean } },
              { weight: 1 - w, dist: { kind: 'uniform', min: uniformMin, max: uniformMin + 10 } },
            ],
          };
          const xs = draw(d, seed);
          const cdf = (x: number): number =>
            w * (1 - Math.exp(-x / expMean)) + (1 - w) * Math.min(1, Math.max(0, (x - uniformMin) / 10));
          const mean = w * expMean + (1 - w) * (uniformMin + 5);
          expect(meanOf(d)).toBeCloseTo(mean, 9);
          expectMean(xs, mean);
          expectCdf(xs, [expMean / 2, expMean, uniformMin + 2.5, uniformMin + 5, uniformMin + 7.5].map((x) => [x, cdf(x)] as const));
        },
      ),
      RUNS,
    );
  });

  it('gives a mixture with an infinite-mean component an infinite mean, unless its weight is zero', () => {
    const heavy: Distribution = { kind: 'pareto', shape: 0.8, scale: 1 };
    const light: Distribution = { kind: 'constant', value: 2 };
    expect(meanOf({ kind: 'mixture', components: [{ weight: 1, dist: heavy }, { weight: 1, dist: light }] })).toBe(Infinity);
    expect(meanOf({ kind: 'mixture', components: [{ weight: 0, dist: heavy }, { weight: 1, dist: light }] })).toBe(2);
  });

  it('draws the same values from a stream whether or not the sampler is shared with another stream', () => {
    for (const d of [
      { kind: 'normal', mean: 0, sd: 1 },
      { kind: 'lognormal', mu: 0, sigma: 1 },
      { kind: 'mixture', components: [{ weight: 1, dist: { kind: 'normal', mean: 0, sd: 1 } }] },
    ] satisfies Distribution[]) {
      const shared = makeSampler(d);
      const a = new RngStreams(9).stream('a');
      const b = new RngStreams(9).stream('b');
      const interleaved: number[] = [];
      for (let i = 0; i < 101; i++) {
        interleaved.push(shared(a));
        shared(b);
      }
      const alone = makeSampler(d);
      const a2 = new RngStreams(9).stream('a');
      expect(interleaved).toEqual(Array.from({ length: 101 }, () => alone(a2)));
    }
  });

  it('refuses bad parameters with a RangeError that names them', () => {
    const bad: [unknown, RegExp][] = [
      [{ kind: 'constant', value: Number.NaN }, /constant\.value/],
      [{ kind: 'uniform', min: 2, max: 1 }, /uniform: min/],
      [{ kind: 'uniform', min: 0, max: Infinity }, /uniform\.max/],
      [{ kind: 'exponential', mean: 0 }, /exponential\.mean/],
      [{ kind: 'normal', mean: 0, sd: -1 }, /normal\.sd/],
      [{ kind: 'lognormal', mu: 0, sigma: -0.1 }, /lognormal\.sigma/],
      [{ kind: 'lognormal', mean: -1, sd: 1 }, /lognormal\.mean/],
      [{ kind: 'lognormal', sigma: 1 }, /lognormal needs/],
      [{ kind: 'lognormal', mu: 0, sigma: 1, mean: 1, sd: 1 }, /lognormal needs/],
      [{ kind: 'weibull', shape: 0, scale: 1 }, /weibull\.shape/],
      [{ kind: 'weibull', shape: 1, scale: -1 }, /weibull\.scale/],
      [{ kind: 'pareto', shape: -1, scale: 1 }, /pareto\.shape/],
      [{ kind: 'pareto', shape: 1, scale: 0 }, /pareto\.scale/],
      [{ kind: 'empirical', values: [] }, /empirical\.values/],
      [{ kind: 'empirical', values: [1, Number.NaN] }, /empirical\.values\[1\]/],
      [{ kind: 'empirical', values: [1, 2], weights: [1] }, /empirical\.weights/],
      [{ kind: 'empirical', values: [1, 2], weights: [1, -1] }, /empirical\.weights\[1\]/],
      [{ kind: 'empirical', values: [1, 2], weights: [0, 0] }, /positive finite sum/],
      [{ kind: 'mixture', components: [] }, /mixture\.components/],
      [{ kind: 'mixture', components: [{ weight: 1 }] }, /components\[0\]\.dist/],
      [{ kind: 'mixture', components: [{ weight: 1, dist: { kind: 'exponential', mean: -2 } }] }, /mixture\.components\[0\]\.dist\.mean/],
      [{ kind: 'gamma', shape: 1 }, /unknown distribution kind "gamma"/],
    ];
    for (const [spec, message] of bad) {
      expect(() => makeSampler(spec as Distribution), JSON.stringify(spec)).toThrow(RangeError);
      expect(() => makeSampler(spec as Distribution), JSON.stringify(spec)).toThrow(message);
      expect(() => meanOf(spec as Distribution), JSON.stringify(spec)).toThrow(RangeError);
    }
  });

  it('never picks a zero-weight value, even at the extremes of the uniform draw', () => {
    const extreme = (u: number): Rng => ({
      next: () => u,
      int: (n) => Math.floor(u * n),
      chance: (p) => u < p,
      pick: (xs) => xs[Math.floor(u * xs.length)],
    });
    const d: Distribution = { kind: 'empirical', values: [1, 2, 3, 4], weights: [0, 1, 0, 1] };
    const mixture: Distribution = {
      kind: 'mixture',
      components: [
        { weight: 0, dist: { kind: 'constant', value: -1 } },
        { weight: 1, dist: { kind: 'constant', value: 5 } },
        { weight: 0, dist: { kind: 'constant', value: -1 } },
      ],
    };
    for (const u of [0, 0.5, 1 - 2 ** -32]) {
      expect([2, 4]).toContain(makeSampler(d)(extreme(u)));
      expect(makeSampler(mixture)(extreme(u))).toBe(5);
    }
  });

  it('bounds every draw by drawRange, and reaches its ends, at any uniforms the streams can give', () => {
    // The uniforms a stream gives are multiples of 2^-32 in [0, 1 - 2^-32]; the extremes of a
    // sampler come from the extremes of its uniforms (and cos = 1 or -1 for the normal ones).
    const us = [0, 2 ** -32, 0.25, 0.5, 0.75, 1 - 2 ** -32];
    const scripted = (seq: readonly number[]): Rng => {
      let i = 0;
      const next = (): number => seq[i++ % seq.length];
      return { next, int: (n) => Math.floor(next() * n), chance: (p) => next() < p, pick: (xs) => xs[Math.floor(next() * xs.length)] };
    };
    const positiveArb = fc.double({ min: 1e-3, max: 1e4, noNaN: true });
    const simpleArb: fc.Arbitrary<Distribution> = fc.oneof(
      positiveArb.map((value) => ({ kind: 'constant' as const, value })),
      fc.tuple(positiveArb, positiveArb).map(([a, b]) => ({ kind: 'uniform' as const, min: Math.min(a, b), max: Math.max(a, b) })),
      positiveArb.map((mean) => ({ kind: 'exponential' as const, mean })),
      fc.tuple(positiveArb, positiveArb).map(([mean, sd]) => ({ kind: 'normal' as const, mean, sd })),
      fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true })).map(([mu, sigma]) => ({ kind: 'lognormal' as const, mu, sigma })),
      fc.tuple(fc.double({ min: 0.05, max: 5, noNaN: true }), positiveArb).map(([shape, scale]) => ({ kind: 'weibull' as const, shape, scale })),
      fc.tuple(fc.double({ min: 0.05, max: 5, noNaN: true }), positiveArb).map(([shape, scale]) => ({ kind: 'pareto' as const, shape, scale })),
    );
    fc.assert(
      fc.property(simpleArb, (d) => {
        const [min, max] = drawRange(d);
        const sample = makeSampler(d);
        let lowest = Infinity;
        let highest = -Infinity;
        for (const u1 of us) {
          for (const u2 of us) {
            const x = sample(scripted([u1, u2]));
            lowest = Math.min(lowest, x);
            highest = Math.max(highest, x);
          }
        }
        const slack = (v: number): number => 1e-9 * Math.abs(v) + 1e-300;
        expect(lowest).toBeGreaterThanOrEqual(min - slack(min));
        expect(highest).toBeLessThanOrEqual(max + slack(max));
        expect(Math.abs(lowest - min)).toBeLessThanOrEqual(slack(min));
        expect(Math.abs(highest - max)).toBeLessThanOrEqual(slack(max));
      }),
    );
    const mixture: Distribution = {
      kind: 'mixture',
      components: [
        { weight: 1, dist: { kind: 'uniform', min: 2, max: 3 } },
        { weight: 0, dist: { kind: 'constant', value: -50 } },
        { weight: 1, dist: { kind: 'empirical', values: [1, 9, 100], weights: [1, 1, 0] } },
      ],
    };
    expect(drawRange(mixture)).toEqual([1, 9]);
  });

  it('refuses a spec whose tail can leave +-1e300, however it is nested', () => {
    const overflowing: [Distribution, RegExp][] = [
      [{ kind: 'pareto', shape: 0.0001, scale: 1 }, /pareto: draws can reach Infinity/],
      [{ kind: 'weibull', shape: 0.001, scale: 1 }, /weibull: draws can reach Infinity/],
      [{ kind: 'lognormal', mu: 0, sigma: 200 }, /lognormal: draws can reach Infinity/],
      [{ kind: 'normal', mean: 0, sd: 1e300 }, /normal: draws can reach -?6\.66/],
      [{ kind: 'mixture', components: [{ weight: 0.5, dist: { kind: 'constant', value: 1 } }, { weight: 0.5, dist: { kind: 'pareto', shape: 0.01, scale: 1 } }] }, /mixture: draws can reach Infinity/],
    ];
    for (const [spec, message] of overflowing) expect(() => makeSampler(spec), JSON.stringify(spec)).toThrow(message);
    // Heavy but finite tails, and an overflowing component that is never picked, are fine.
    expect(() => makeSampler({ kind: 'pareto', shape: 0.05, scale: 1 })).not.toThrow();
    expect(() => makeSampler({ kind: 'mixture', components: [{ weight: 1, dist: { kind: 'constant', value: 1 } }, { weight: 0, dist: { kind: 'pareto', shape: 0.0001, scale: 1 } }] })).not.toThrow();
  });

  it('accepts degenerate but meaningful specs', () => {
    expect(draw({ kind: 'uniform', min: 3, max: 3 }, 1, 10).every((x) => x === 3)).toBe(true);
    expect(draw({ kind: 'normal', mean: 3, sd: 0 }, 1, 10).every((x) => x === 3)).toBe(true);
    expect(draw({ kind: 'lognormal', mean: 3, sd: 0 }, 1, 10).every((x) => Math.abs(x - 3) < 1e-12)).toBe(true);
    expect(draw({ kind: 'empirical', values: [7, 8], weights: [0, 1] }, 1, 100).every((x) => x === 8)).toBe(true);
  });
});
