/**
 * Leaf schemas of the scenario language: numbers with their allowed range, names, choices,
 * and values with units. Each words its own error as "expected <what>, got <value>" and
 * carries the JSON Schema fragment an editor needs to check it.
 *
 * Values with units parse in a transform, so the parsed scenario holds plain numbers in the
 * project's units; the JSON Schema describes the text a user writes (schemas are exported
 * with `io: 'input'`).
 */

import { z } from 'zod';
import {
  BANDWIDTH_PATTERN,
  DURATION_PATTERN,
  PERCENT_PATTERN,
  parseBitsPerSec,
  parseDurationMs,
  parseRatio,
} from './units.js';
import { didYouMean } from './suggest.js';
import { expectedGot, oneOf } from './wording.js';

interface RawIssue {
  readonly input?: unknown;
}

function expecting(what: string): (iss: RawIssue) => string {
  return (iss) => expectedGot(what, iss.input);
}

/** An integer in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const what = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  const error = expecting(what);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export function port() {
  return integer(1, 65_535);
}

export function real() {
  return z.number({ error: expecting('a number') });
}

export function between(min: number, max: number) {
  const error = expecting(`a number from ${min} to ${max}`);
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** A finite number above `min` (or at least `min` when `inclusive`). */
export function number(min: number, inclusive: boolean) {
  const error = expecting(inclusive ? `a number >= ${min}` : `a number > ${min}`);
  const base = z.number({ error });
  return inclusive ? base.min(min, { error }) : base.gt(min, { error });
}

export function flag() {
  return z.boolean({ error: expecting('true or false') });
}

/** One of a closed set of words; a near miss gets a did-you-mean. */
export function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss: RawIssue) => expectedGot(oneOf(values), iss.input) + (typeof iss.input === 'string' ? didYouMean(iss.input, values) : ''),
  });
}

const NAME_WHAT = 'a name (letters, digits, ".", "_" or "-", starting with a letter or digit)';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A name that is safe in host names (`<group>-<index>`) and run directory names. */
export function name() {
  const error = expecting(NAME_WHAT);
  return z.string({ error }).regex(NAME_PATTERN, { error });
}

export function isName(text: string): boolean {
  return NAME_PATTERN.test(text);
}

/** A name that must be one of `known`, or any name while the declarations are unreadable. */
export function reference(known: readonly string[] | undefined): z.ZodType<string> {
  return known !== undefined && known.length > 0 ? choice(known as [string, ...string[]]) : name();
}

/**
 * One word, or shares of several adding up to 100%: `nat: symmetric` or
 * `nat: { none: 30%, symmetric: 70% }`. Unknown words are reported at their key.
 */
export function mix<W extends string>(known: readonly W[] | undefined) {
  return z
    .union([reference(known), z.record(z.string(), ratio())])
    .superRefine((value, ctx) => {
      if (typeof value === 'string') return;
      const words: readonly string[] | undefined = known;
      for (const word of Object.keys(value)) {
        if (words !== undefined && !words.includes(word)) {
          ctx.addIssue({ code: 'custom', path: [word], message: expectedGot(oneOf(words), word) + didYouMean(word, words), params: { atKey: true } });
        }
      }
      const shares = Object.values(value);
      if (!sumsToOne(shares)) {
        ctx.addIssue({ code: 'custom', message: `expected shares adding up to 100%, got ${percent(shares.reduce((a, b) => a + b, 0))}` });
      }
    })
    // The words were checked against `known` above, which is what makes them Ws.
    .transform((value): { value: W; ratio: number }[] =>
      typeof value === 'string' ? [{ value: value as W, ratio: 1 }] : Object.entries(value).map(([word, share]) => ({ value: word as W, ratio: share })),
    );
}

/** A value with a unit: `parse` returns the normalised number or undefined for bad input. */
function withUnit(parse: (input: unknown) => number | undefined, what: string, jsonSchema: Record<string, unknown>) {
  return z
    .unknown()
    .transform((input, ctx): number => {
      const value = parse(input);
      if (value !== undefined) return value;
      // wrongType lets a union pick the alternative the user meant (see issues.ts).
      const wrongType = typeof input !== 'string' && typeof input !== 'number';
      ctx.issues.push({ code: 'custom', input, message: expectedGot(what, input), params: { wrongType, expected: what } });
      return z.NEVER;
    })
    .meta({ ...jsonSchema, description: what });
}

const DURATION_JSON = { anyOf: [{ type: 'string', pattern: DURATION_PATTERN }, { const: 0 }] };

/** Milliseconds from `90s`, `150ms`, `2h`, `1h30min`; `signed` allows `-5h`. */
export function duration(range: 'non-negative' | 'positive' | 'signed' = 'non-negative') {
  const qualifier = { 'non-negative': '', positive: 'positive ', signed: 'signed ' }[range];
  const what = `a ${qualifier}duration with a unit (ms, s, min, h, d; e.g. 90s, 150ms, 2h)`;
  const inRange = (ms: number) => (range === 'signed' ? true : range === 'positive' ? ms > 0 : ms >= 0);
  return withUnit(
    (input) => {
      const ms = parseDurationMs(input);
      return ms !== undefined && inRange(ms) ? ms : undefined;
    },
    what,
    DURATION_JSON,
  );
}

/** Bits per second from `1Mbit`, `100kbit`, `56kbps`, `3kB/s`. */
export function bandwidth(range: 'non-negative' | 'positive' = 'positive') {
  const what = `a ${range === 'positive' ? 'positive ' : ''}bandwidth with a unit (e.g. 1Mbit, 100kbit, 3kB/s)`;
  return withUnit(
    (input) => {
      const bits = parseBitsPerSec(input);
      return bits !== undefined && (range === 'non-negative' || bits > 0) ? bits : undefined;
    },
    what,
    { anyOf: [{ type: 'string', pattern: BANDWIDTH_PATTERN }, { const: 0 }] },
  );
}

/** A ratio in [0, 1] from `0.05` or `5%`. */
export function ratio() {
  return withUnit(parseRatio, 'a ratio from 0 to 1, or a percentage such as 5%', {
    anyOf: [
      { type: 'number', minimum: 0, maximum: 1 },
      { type: 'string', pattern: PERCENT_PATTERN },
    ],
  });
}

/** Shares that must add up to one; a little slack absorbs decimal rounding (0.1 + 0.2). */
export function sumsToOne(ratios: readonly number[]): boolean {
  return Math.abs(ratios.reduce((a, b) => a + b, 0) - 1) < 1e-6;
}

export function percent(value: number): string {
  return `${Number((value * 100).toFixed(6))}%`;
}
