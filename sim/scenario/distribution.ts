/**
 * Distributions of durations in scenario files, parsed into the kernel's `Distribution` spec
 * (sim/kernel/distributions.ts) with every duration in ms.
 *
 *   session: { kind: weibull, shape: 0.6, scale: 40min }
 *   offTime: { kind: exponential, mean: 4h }
 *   duration: 3min                      # shorthand for { kind: constant, value: 3min }
 *
 * Parameters that are durations take units (mean, sd, scale, min, max, value, values);
 * shapes, sigma and mu are plain numbers (mu is the mean of ln(ms)). Mixture components hold
 * any kind but another mixture, and their weights are shares adding up to 100%. Empirical
 * weights are relative (filled with 1s when omitted).
 */

import { z } from 'zod';
import { DRAW_LIMIT, DRAW_LIMIT_TEXT, drawRange, type Distribution } from '../kernel/index.js';
import { duration, number, percent, ratio, real, sumsToOne } from './fields.js';

const constant = z.strictObject({ kind: z.literal('constant'), value: duration() });

const uniform = z
  .strictObject({ kind: z.literal('uniform'), min: duration(), max: duration() })
  .refine((d) => d.min <= d.max, { path: ['max'], message: 'expected max >= min' });

const exponential = z.strictObject({ kind: z.literal('exponential'), mean: duration('positive') });

const normal = z.strictObject({ kind: z.literal('normal'), mean: duration('signed'), sd: duration() });

/** Either {mu, sigma} (of ln ms) or {mean, sd} (of the duration itself), as the kernel takes them. */
const lognormal = z
  .strictObject({
    kind: z.literal('lognormal'),
    mu: real().optional(),
    sigma: number(0, true).optional(),
    mean: duration('positive').optional(),
    sd: duration().optional(),
  })
  .superRefine((d, ctx) => {
    const logForm = d.mu !== undefined || d.sigma !== undefined;
    const momentForm = d.mean !== undefined || d.sd !== undefined;
    const complete = logForm ? d.mu !== undefined && d.sigma !== undefined : d.mean !== undefined && d.sd !== undefined;
    if (logForm === momentForm || !complete) {
      ctx.addIssue({ code: 'custom', message: 'expected either mu and sigma (of ln ms) or mean and sd (durations), not both or neither' });
    }
  });

const weibull = z.strictObject({ kind: z.literal('weibull'), shape: number(0, false), scale: duration('positive') });

const pareto = z.strictObject({ kind: z.literal('pareto'), shape: number(0, false), scale: duration('positive') });

const empirical = z
  .strictObject({
    kind: z.literal('empirical'),
    values: z.array(duration()).min(1),
    weights: z.array(number(0, true)).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.weights !== undefined && d.weights.length !== d.values.length) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: `expected one weight per value (${d.values.length}), got ${d.weights.length}` });
    } else if (d.weights !== undefined && !d.weights.some((w) => w > 0)) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: 'expected at least one positive weight' });
    }
  });

const simpleKinds = [constant, uniform, exponential, normal, lognormal, weibull, pareto, empirical] as const;

type Parsed = z.output<(typeof simpleKinds)[number]>;

function toSpec(d: Parsed): Distribution {
  switch (d.kind) {
    case 'lognormal':
      return d.mu !== undefined ? { kind: 'lognormal', mu: d.mu, sigma: d.sigma ?? 0 } : { kind: 'lognormal', mean: d.mean ?? 0, sd: d.sd ?? 0 };
    case 'empirical':
      return { kind: 'empirical', values: d.values, weights: d.weights ?? d.values.map(() => 1) };
    default:
      return d;
  }
}

/** A duration alone means a constant. */
function orConstant<T extends z.ZodType<Distribution>>(spec: T) {
  return z.union([duration(), spec]).transform((d): Distribution => (typeof d === 'number' ? { kind: 'constant', value: d } : d));
}

const simpleDistribution = orConstant(z.discriminatedUnion('kind', simpleKinds).transform(toSpec));

const mixture = z
  .strictObject({
    kind: z.literal('mixture'),
    components: z.array(z.strictObject({ weight: ratio(), dist: simpleDistribution })).min(1),
  })
  .superRefine((d, ctx) => {
    const weights = d.components.map((c) => c.weight);
    if (!sumsToOne(weights)) {
      ctx.addIssue({ code: 'custom', path: ['components'], message: `expected weights adding up to 100%, got ${percent(weights.reduce((a, b) => a + b, 0))}` });
    }
  });

/** A distribution of durations, in ms, whose draws stay within the kernel's DRAW_LIMIT. */
export function durationDistribution() {
  return orConstant(z.discriminatedUnion('kind', [...simpleKinds, mixture]).transform(toSpecOrMixture)).superRefine(checkTail);
}

/** What brings a kind's tail in, for the error message. */
const TAIL_HINT: Partial<Record<Distribution['kind'], string>> = {
  exponential: 'a smaller mean',
  normal: 'a smaller sd',
  lognormal: 'a smaller sigma or sd',
  weibull: 'a larger shape',
  pareto: 'a larger shape',
};

/** A spec whose draws can leave the limit, or a mixture component that can, is an error at its place. */
function checkTail(d: Distribution, ctx: z.RefinementCtx): void {
  if (d.kind !== 'mixture') return reportTail(d, [], ctx);
  d.components.forEach((c, i) => {
    if (c.weight > 0) reportTail(c.dist, ['components', i, 'dist'], ctx);
  });
}

function reportTail(d: Distribution, path: (string | number)[], ctx: z.RefinementCtx): void {
  const [min, max] = drawRange(d);
  if (min >= -DRAW_LIMIT && max <= DRAW_LIMIT) return;
  const hint = TAIL_HINT[d.kind];
  ctx.addIssue({
    code: 'custom',
    path,
    message: `expected draws within +-${DRAW_LIMIT_TEXT} ms, got a ${d.kind} whose tail reaches ${max > DRAW_LIMIT ? max : min} ms (at the random streams' resolution of 2^-32)${hint ? `; ${hint} brings it in` : ''}`,
  });
}

function toSpecOrMixture(d: Parsed | z.output<typeof mixture>): Distribution {
  return d.kind === 'mixture' ? { kind: 'mixture', components: d.components } : toSpec(d);
}
