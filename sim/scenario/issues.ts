/**
 * From zod issues to findings: a path, a message in the project's wording, and whether the
 * key (not the value) is at fault.
 *
 * Two things need care. An unknown key is reported once per key, at the key, with a
 * did-you-mean from the keys the object knows; zod reports them per object, so the error map
 * notes the known keys on the issue. A union that fails reports every alternative's errors;
 * the finding is taken from the alternative the user evidently meant - the one that got
 * deepest into the value, or failed on more than the value's type - and only when every
 * alternative failed on the type alone does the message list them all.
 */

import { z } from 'zod';
import type { PathSegment } from './errors.js';
import { didYouMean } from './suggest.js';
import { expectedGot, oneOf } from './wording.js';

export interface Finding {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly atKey: boolean;
}

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

interface KnownKeys {
  knownKeys?: readonly string[];
}

const KEYS_LISTED_MAX = 12;

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'text',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** The error map handed to zod: words every issue a leaf schema did not word itself. */
export function scenarioErrorMap(iss: RawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return expectedGot(TYPE_WORDS[iss.expected] ?? iss.expected, iss.input);
    case 'invalid_value':
      return expectedGot(oneOf(iss.values), iss.input) + (typeof iss.input === 'string' ? didYouMean(iss.input, iss.values.map(String)) : '');
    case 'too_small':
    case 'too_big':
      return sizeMessage(iss);
    case 'unrecognized_keys':
      (iss as KnownKeys).knownKeys = knownKeysOf(iss.inst);
      return `unknown key`;
    case 'invalid_union':
      return discriminatorMessage(iss);
    default:
      return undefined;
  }
}

/** The keys an object schema declares, or a record's closed set of keys. */
function knownKeysOf(schema: unknown): readonly string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodRecord && schema.keyType instanceof z.ZodEnum) return schema.keyType.options.map(String);
  return [];
}

function sizeMessage(iss: Extract<RawIssue, { code: 'too_small' | 'too_big' }>): string | undefined {
  const limit = Number(iss.code === 'too_small' ? iss.minimum : iss.maximum);
  if (iss.origin === 'array') {
    const bound = iss.exact ? 'exactly' : iss.code === 'too_small' ? 'at least' : 'at most';
    const got = Array.isArray(iss.input) ? `, got ${iss.input.length}` : '';
    return `expected ${bound} ${limit} ${limit === 1 ? 'entry' : 'entries'}${got}`;
  }
  if (iss.origin === 'string') return `expected text of ${iss.code === 'too_small' ? 'at least' : 'at most'} ${limit} characters`;
  const operator = iss.code === 'too_small' ? (iss.inclusive ? '>=' : '>') : iss.inclusive ? '<=' : '<';
  return expectedGot(`a number ${operator} ${limit}`, iss.input);
}

/** A discriminated union whose discriminator matched no option (`kind: expo`). */
function discriminatorMessage(iss: Extract<RawIssue, { code: 'invalid_union' }>): string | undefined {
  const { discriminator, options } = iss as { discriminator?: string; options?: readonly unknown[] };
  if (discriminator === undefined || options === undefined) return undefined;
  const value = typeof iss.input === 'object' && iss.input !== null ? (iss.input as Record<string, unknown>)[discriminator] : undefined;
  const words = options.map(String);
  return expectedGot(oneOf(words), value) + (typeof value === 'string' ? didYouMean(value, words) : '');
}

export function findingsOf(issues: readonly Issue[], prefix: readonly PathSegment[] = []): Finding[] {
  return issues.flatMap((iss): Finding[] => {
    const path = [...prefix, ...(iss.path as PathSegment[])];
    switch (iss.code) {
      case 'unrecognized_keys': {
        const known = (iss as KnownKeys).knownKeys ?? [];
        // Listing the known keys helps while the list is short enough to read.
        const choices = known.length > 0 && known.length <= KEYS_LISTED_MAX ? `; expected one of ${known.join(' | ')}` : '';
        return iss.keys.map((key) => ({ path: [...path, key], message: `unknown key "${key}"${didYouMean(key, known) || choices}`, atKey: true }));
      }
      case 'invalid_union':
        return iss.errors.length === 0 ? [{ path, message: iss.message, atKey: false }] : unionFindings(iss.errors, path, iss.input);
      case 'invalid_key':
        return findingsOf(iss.issues, path).map((f) => ({ ...f, atKey: true }));
      case 'invalid_element':
        return findingsOf(iss.issues, path);
      default:
        return [{ path, message: iss.message, atKey: iss.code === 'custom' && iss.params?.atKey === true }];
    }
  });
}

function unionFindings(alternatives: readonly (readonly Issue[])[], path: readonly PathSegment[], input: unknown): Finding[] {
  const ranked = alternatives
    .map((issues, order) => ({ issues, order, depth: Math.max(...issues.map((i) => i.path.length)), typeOnly: issues.every(isTypeMismatch) }))
    .sort((a, b) => b.depth - a.depth || Number(a.typeOnly) - Number(b.typeOnly) || a.order - b.order);
  const best = ranked[0];
  if (best.depth > 0 || !best.typeOnly) return findingsOf(best.issues, path);
  const expected = [...new Set(alternatives.map((issues) => expectedPhrase(issues[0])))];
  return [{ path, message: expectedGot(expected.join(' or '), input), atKey: false }];
}

function isTypeMismatch(iss: Issue): boolean {
  if (iss.path.length > 0) return false;
  if (iss.code === 'invalid_type') return true;
  if (iss.code === 'custom') return iss.params?.wrongType === true;
  // A closed choice given something that is not even text failed on the type, too.
  return iss.code === 'invalid_value' && typeof iss.input !== 'string';
}

function expectedPhrase(iss: Issue): string {
  if (iss.code === 'invalid_type') return TYPE_WORDS[iss.expected] ?? iss.expected;
  if (iss.code === 'invalid_value') return oneOf(iss.values);
  if (iss.code === 'custom' && typeof iss.params?.expected === 'string') return iss.params.expected;
  return 'something else';
}
