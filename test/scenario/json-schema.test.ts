// The exported JSON Schema agrees with the loader: shipped scenarios conform, and the kinds of
// mistake an editor can see without the file's declarations do not.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../sim/scenario/index.js';
import { conforms, unknownKeywords } from './json-schema-check.js';

const schema = scenarioJsonSchema();
const dir = resolve(import.meta.dirname, '../../scenarios');
const yamlData = (text: string) => parseDocument(text, { merge: true }).toJS();
const MINIMAL = 'duration: 1h\nhosts: [{ count: 10 }]\n';

describe('JSON Schema of scenarios', () => {
  it('is draft 2020-12, closed at the top, and uses only keywords the checker knows', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['duration', 'hosts']);
    expect(unknownKeywords(schema as Record<string, unknown>)).toEqual([]);
  });

  it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('accepts %s', (file) => {
    expect(conforms(yamlData(readFileSync(join(dir, file), 'utf8')), schema as Record<string, unknown>)).toBe(true);
  });

  it.each([
    ['an unknown key', 'duraton: 1h\nduration: 1h\nhosts: [{ count: 10 }]\n'],
    ['a duration without a unit', 'duration: 60\nhosts: [{ count: 10 }]\n'],
    ['a negative count', 'duration: 1h\nhosts: [{ count: -1 }]\n'],
    ['a mistyped NAT preset in a custom type', `${MINIMAL}network: { natTypes: { x: { preset: ful-cone } } }\n`],
    ['a ratio above 100%', `${MINIMAL}churn: { mode: sessions, session: 1h, offTime: 1h, crash: 150% }\n`],
    ['an unknown distribution', `${MINIMAL}churn: { mode: sessions, session: { kind: expo, mean: 1h }, offTime: 1h }\n`],
    ['an unknown protocol parameter', `${MINIMAL}protocol: { crypto: modelled }\n`],
    ['a bad bandwidth', `${MINIMAL}network: { bandwidthClasses: { x: { uplink: fast, downlink: 1Mbit } } }\n`],
  ])('refuses %s', (_, text) => {
    expect(conforms(yamlData(text), schema as Record<string, unknown>)).toBe(false);
  });

  it('accepts the minimal scenario', () => {
    expect(conforms(yamlData(MINIMAL), schema as Record<string, unknown>)).toBe(true);
  });
});
