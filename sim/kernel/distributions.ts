/**
 * Probability distributions as data, compiled once into samplers.
 *
 * A scenario says `delayMs: { kind: lognormal, mean: 40, sd: 15 }`; the world turns it into a
 * sampler with `makeSampler` when it is built and then draws from it per packet or per user
 * action. The spec is plain data so it can be validated, echoed in summary.json and compared;
 * the sampler is a closure over pre-computed constants, so a draw allocates nothing.
 *
 * A sampler keeps no state between draws (no cached Box-Muller spare): every draw consumes
 * a fixed number of values from the stream it is given, so sharing one sampler between
 * streams never moves one stream's draws into another.
 *
 * Parameter meanings (units are the caller's, named in the field that holds the spec):
 * - constant{value}
 * - uniform{min, max}: [min, max); min = max is a constant.
 * - exponential{mean}
 * - normal{mean, sd}: not truncated, so it can go negative; tails reach ~6.7 sd (the
 *   resolution of `Rng.next`).
 * - lognormal{mu, sigma}: exp(N(mu, sigma)); or lognormal{mean, sd}: the same family given by
 *   the mean and standard deviation of the variable itself (not of its logarithm).
 * - weibull{shape, scale}: CDF 1 - exp(-(x/scale)^shape).
 * - pareto{shape, scale}: Pareto type I, scale is the minimum value, CDF 1 - (scale/x)^shape;
 *   mean is Infinity when shape <= 1.
 * - empirical{values, weights?}: draws one of the listed values (no interpolation between
 *   them), each with probability weight / sum(weights), equal weights when omitted.
 * - mixture{components: [{weight, dist}]}: picks a component with probability
 *   weight / sum(weights), then draws from it.
 *
 * A spec with a bad parameter is caller misuse: `makeSampler` and `meanOf` throw a RangeError
 * naming the parameter.
 *
 * Tails: a draw is a function of uniforms that are multiples of 2^-32 (`Rng.next`), so every
 * spec has a largest and a smallest possible draw, `drawRange`. A heavy tail can put them past
 * the largest double: a Pareto of shape 0.0001 reaches scale x 2^320000, which is Infinity, and
 * a delay of Infinity stops a run. `makeSampler` refuses a spec whose draws can leave
 * +-DRAW_LIMIT, which keeps sums of a few draws and a clock finite too.
 */
import type { Rng } from './rng.js';

export type Distribution =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'exponential'; readonly mean: number }
  | { readonly kind: 'normal'; readonly mean: number; readonly sd: number }
  | { readonly kind: 'lognormal'; readonly mu: number; readonly sigma: number }
  | { readonly kind: 'lognormal'; readonly mean: number; readonly sd: number }
  | { readonly kind: 'weibull'; readonly shape: number; readonly scale: number }
  | { readonly kind: 'pareto'; readonly shape: number; readonly scale: number }
  | { readonly kind: 'empirical'; readonly values: readonly number[]; readonly weights?: readonly number[] }
  | { readonly kind: 'mixture'; readonly components: readonly MixtureComponent[] };

export interface MixtureComponent {
  readonly weight: number;
  readonly dist: Distribution;
}

export type Sampler = (rng: Rng) => number;

const TWO_PI = 2 * Math.PI;
/** The largest -ln(1 - u) for u from `Rng.next` (1 - u >= 2^-32). */
const LOG_RANGE = 32 * Math.LN2;
/** The largest Box-Muller radius sqrt(-2 ln(1 - u)). */
const NORMAL_RANGE = Math.sqrt(2 * LOG_RANGE);

/** How far from zero a spec's draws may reach (in the spec's unit); see the file's header. */
export const DRAW_LIMIT = 1e300;
/** DRAW_LIMIT as messages write it. */
export const DRAW_LIMIT_TEXT = DRAW_LIMIT.toExponential().replace('e+', 'e');

/** Compiles a spec into a sampler; throws RangeError on a bad spec, or one whose draws can leave +-DRAW_LIMIT. */
export function makeSampler(d: Distribution): Sampler {
  const sampler = compile(d, d.kind);
  const [min, max] = drawRange(d);
  if (!(min >= -DRAW_LIMIT && max <= DRAW_LIMIT)) {
    throw new RangeError(`${d.kind}: draws can reach ${max > DRAW_LIMIT ? max : min}, beyond +-${DRAW_LIMIT_TEXT} (its tail at the random streams' resolution of 2^-32)`);
  }
  return sampler;
}

/**
 * The smallest and the largest value a draw can take, given that uniforms are multiples of
 * 2^-32: [min, max], either of them possibly infinite. Components and values of zero weight
 * are never drawn and do not count.
 */
export function drawRange(d: Distribution): [min: number, max: number] {
  return range(d, d.kind);
}

/** The expected value of a spec (Infinity for a Pareto with shape <= 1, or a mixture with one). */
export function meanOf(d: Distribution): number {
  return mean(d, d.kind);
}

function compile(d: Distribution, path: string): Sampler {
  switch (d.kind) {
    case 'constant': {
      const value = finite(d.value, `${path}.value`);
      return () => value;
    }
    case 'uniform': {
      const [min, max] = uniformBounds(d, path);
      const width = max - min;
      return (rng) => min + width * rng.next();
    }
    case 'exponential': {
      const m = positive(d.mean, `${path}.mean`);
      // 1 - u is in (0, 1], so the log is finite.
      return (rng) => -m * Math.log(1 - rng.next());
    }
    case 'normal': {
      const m = finite(d.mean, `${path}.mean`);
      const sd = nonNegative(d.sd, `${path}.sd`);
      return (rng) => m + sd * standardNormal(rng);
    }
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(d, path);
      return (rng) => Math.exp(mu + sigma * standardNormal(rng));
    }
    case 'weibull': {
      const inverseShape = 1 / positive(d.shape, `${path}.shape`);
      const scale = positive(d.scale, `${path}.scale`);
      return (rng) => scale * Math.pow(-Math.log(1 - rng.next()), inverseShape);
    }
    case 'pareto': {
      const negInverseShape = -1 / positive(d.shape, `${path}.shape`);
      const scale = positive(d.scale, `${path}.scale`);
      return (rng) => scale * Math.pow(1 - rng.next(), negInverseShape);
    }
    case 'empirical': {
      const values = Float64Array.from(empiricalValues(d, path));
      if (d.weights === undefined) {
        const n = values.length;
        return (rng) => values[(rng.next() * n) >>> 0];
      }
      const pickIndex = makeIndexPicker(d.weights, (i) => `${path}.weights[${i}]`);
      return (rng) => values[pickIndex(rng)];
    }
    case 'mixture': {
      const components = mixtureComponents(d, path);
      const samplers = components.map((c, i) => compile(c.dist, `${path}.components[${i}].dist`));
      const pickIndex = makeIndexPicker(
        components.map((c) => c.weight),
        (i) => `${path}.components[${i}].weight`,
      );
      return (rng) => samplers[pickIndex(rng)](rng);
    }
    default:
      return unknownKind(d);
  }
}

function mean(d: Distribution, path: string): number {
  switch (d.kind) {
    case 'constant':
      return finite(d.value, `${path}.value`);
    case 'uniform': {
      const [min, max] = uniformBounds(d, path);
      return (min + max) / 2;
    }
    case 'exponential':
      return positive(d.mean, `${path}.mean`);
    case 'normal':
      nonNegative(d.sd, `${path}.sd`);
      return finite(d.mean, `${path}.mean`);
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(d, path);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
    case 'weibull':
      return positive(d.scale, `${path}.scale`) * gamma(1 + 1 / positive(d.shape, `${path}.shape`));
    case 'pareto': {
      const shape = positive(d.shape, `${path}.shape`);
      const scale = positive(d.scale, `${path}.scale`);
      return shape > 1 ? (shape * scale) / (shape - 1) : Infinity;
    }
    case 'empirical': {
      const values = empiricalValues(d, path);
      const weights = d.weights ?? values.map(() => 1);
      checkWeights(weights, (i) => `${path}.weights[${i}]`);
      return weightedMean(values, weights);
    }
    case 'mixture': {
      const components = mixtureComponents(d, path);
      checkWeights(
        components.map((c) => c.weight),
        (i) => `${path}.components[${i}].weight`,
      );
      const means = components.map((c, i) => mean(c.dist, `${path}.components[${i}].dist`));
      return weightedMean(
        means,
        components.map((c) => c.weight),
      );
    }
    default:
      return unknownKind(d);
  }
}

function range(d: Distribution, path: string): [number, number] {
  switch (d.kind) {
    case 'constant': {
      const value = finite(d.value, `${path}.value`);
      return [value, value];
    }
    case 'uniform':
      return uniformBounds(d, path);
    case 'exponential':
      return [0, positive(d.mean, `${path}.mean`) * LOG_RANGE];
    case 'normal': {
      const m = finite(d.mean, `${path}.mean`);
      const reach = nonNegative(d.sd, `${path}.sd`) * NORMAL_RANGE;
      return [m - reach, m + reach];
    }
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(d, path);
      return [Math.exp(mu - sigma * NORMAL_RANGE), Math.exp(mu + sigma * NORMAL_RANGE)];
    }
    case 'weibull': {
      const shape = positive(d.shape, `${path}.shape`);
      return [0, positive(d.scale, `${path}.scale`) * Math.pow(LOG_RANGE, 1 / shape)];
    }
    case 'pareto': {
      const shape = positive(d.shape, `${path}.shape`);
      const scale = positive(d.scale, `${path}.scale`);
      return [scale, scale * Math.pow(2, 32 / shape)];
    }
    case 'empirical': {
      const values = empiricalValues(d, path);
      const weights = d.weights ?? values.map(() => 1);
      checkWeights(weights, (i) => `${path}.weights[${i}]`);
      return spanOf(values.filter((_, i) => weights[i] > 0).map((v) => [v, v]));
    }
    case 'mixture': {
      const components = mixtureComponents(d, path);
      checkWeights(
        components.map((c) => c.weight),
        (i) => `${path}.components[${i}].weight`,
      );
      return spanOf(components.map((c, i) => range(c.dist, `${path}.components[${i}].dist`)).filter((_, i) => components[i].weight > 0));
    }
    default:
      return unknownKind(d);
  }
}

/** The smallest interval holding every one of `ranges`. */
function spanOf(ranges: readonly (readonly [number, number])[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const [lo, hi] of ranges) {
    if (lo < min) min = lo;
    if (hi > max) max = hi;
  }
  return [min, max];
}

/** Box-Muller, cosine branch only: two uniforms per draw, nothing kept between draws. */
function standardNormal(rng: Rng): number {
  const radius = Math.sqrt(-2 * Math.log(1 - rng.next()));
  return radius * Math.cos(TWO_PI * rng.next());
}

function uniformBounds(d: Extract<Distribution, { kind: 'uniform' }>, path: string): [number, number] {
  const min = finite(d.min, `${path}.min`);
  const max = finite(d.max, `${path}.max`);
  if (min > max) throw new RangeError(`${path}: min (${min}) must not exceed max (${max})`);
  return [min, max];
}

function lognormalParams(d: Extract<Distribution, { kind: 'lognormal' }>, path: string): { mu: number; sigma: number } {
  if ('mu' in d === 'mean' in d) throw new RangeError(`${path} needs either {mu, sigma} or {mean, sd}`);
  if ('mu' in d) return { mu: finite(d.mu, `${path}.mu`), sigma: nonNegative(d.sigma, `${path}.sigma`) };
  const m = positive(d.mean, `${path}.mean`);
  const sd = nonNegative(d.sd, `${path}.sd`);
  // Moments of exp(N(mu, sigma)): mean = exp(mu + sigma^2/2), var = mean^2 (exp(sigma^2) - 1).
  const sigma2 = Math.log1p((sd * sd) / (m * m));
  return { mu: Math.log(m) - sigma2 / 2, sigma: Math.sqrt(sigma2) };
}

function empiricalValues(d: Extract<Distribution, { kind: 'empirical' }>, path: string): readonly number[] {
  if (!Array.isArray(d.values) || d.values.length === 0) throw new RangeError(`${path}.values must be a non-empty array`);
  d.values.forEach((v, i) => finite(v, `${path}.values[${i}]`));
  if (d.weights !== undefined && (!Array.isArray(d.weights) || d.weights.length !== d.values.length)) {
    throw new RangeError(`${path}.weights must have one weight per value (${d.values.length})`);
  }
  return d.values;
}

function mixtureComponents(d: Extract<Distribution, { kind: 'mixture' }>, path: string): readonly MixtureComponent[] {
  if (!Array.isArray(d.components) || d.components.length === 0) {
    throw new RangeError(`${path}.components must be a non-empty array`);
  }
  d.components.forEach((c, i) => {
    if (typeof c?.dist !== 'object' || c.dist === null) throw new RangeError(`${path}.components[${i}].dist is missing`);
  });
  return d.components;
}

/** A draw of index i with probability weights[i] / sum: one uniform, binary search over the running sum. */
function makeIndexPicker(weights: readonly number[], weightPath: (i: number) => string): (rng: Rng) => number {
  const total = checkWeights(weights, weightPath);
  const cumulative = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (cumulative[i] = sum += w));
  const last = weights.length - 1;
  return (rng) => {
    // u < total (next() <= 1 - 2^-32), so the search ends on an index of positive weight.
    const u = rng.next() * total;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

function checkWeights(weights: readonly number[], weightPath: (i: number) => string): number {
  let total = 0;
  weights.forEach((w, i) => (total += nonNegative(w, weightPath(i))));
  if (!(total > 0 && Number.isFinite(total))) {
    throw new RangeError(`the weights from ${weightPath(0)} on must have a positive finite sum, got ${total}`);
  }
  return total;
}

/** Sum of w*x over positive weights (a zero-weight infinite mean does not count), over sum of w. */
function weightedMean(xs: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  let total = 0;
  xs.forEach((x, i) => {
    if (weights[i] > 0) {
      sum += weights[i] * x;
      total += weights[i];
    }
  });
  return sum / total;
}

/**
 * Gamma function for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15), enough for the
 * Weibull mean.
 */
function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (z + i);
  return Math.sqrt(TWO_PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * a;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

function finite(x: number, path: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`${path} must be a finite number, got ${x}`);
  return x;
}

function positive(x: number, path: string): number {
  if (!(finite(x, path) > 0)) throw new RangeError(`${path} must be positive, got ${x}`);
  return x;
}

function nonNegative(x: number, path: string): number {
  if (!(finite(x, path) >= 0)) throw new RangeError(`${path} must not be negative, got ${x}`);
  return x;
}

function unknownKind(d: never): never {
  throw new RangeError(`unknown distribution kind ${JSON.stringify((d as { kind?: unknown }).kind)}`);
}
