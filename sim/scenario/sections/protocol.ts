/**
 * The `protocol` section: changes to the profile's protocol parameters. Only what is written
 * here overrides the profile; summary.json echoes the result.
 *
 *   protocol:
 *     keepAliveInterval: 60s
 *     cryptoMode: modelled      # same bytes on the wire, no cipher work (large runs)
 *     probeTimeout: 5s
 *     fallbackTcpPorts: [80, 443]
 *     snUptimeThreshold: 1h
 *     snMinUplink: 256kbit
 *     electionPolicy: promote-on-demand
 *     overload: 90%
 *
 * The keys are those of protocol/params.ts, derived, not listed:
 * a parameter whose name ends in a unit drops it here and takes the unit in its value
 * (`probeTimeoutMs` is written `probeTimeout: 5s`, `snMinUplinkBitsPerSec` is `snMinUplink:
 * 256kbit`, `overloadRatio` is `overload: 90%`); any other keeps its name. A new parameter in
 * protocol/params.ts is therefore settable from scenarios with no change here. Values are
 * checked by type here and by the protocol's own `makeParams` after the profile is applied.
 */

import { z } from 'zod';
import { makeParams, ParamError } from '../../../protocol/params.js';
import { bandwidth, choice, duration, flag, number, percent, port, ratio } from '../fields.js';
import { PROFILES } from '../profiles.js';
import type { ProfileName, ProtocolParams, ScenarioProtocol } from '../types.js';
import { formatBandwidth, formatDuration } from '../units.js';

/** Parameters whose value is one of a few words, so a typo gets a did-you-mean. */
const CHOICES: { readonly [K in keyof ScenarioProtocol]?: readonly [ScenarioProtocol[K], ...ScenarioProtocol[K][]] } = {
  cryptoMode: ['real', 'modelled'],
  electionPolicy: ['promote-when-eligible', 'promote-on-demand'],
  duplicateLogin: ['replace', 'refuse'],
  relayPolicy: ['random-public', 'lowest-rtt', 'least-loaded'],
  mediaMode: ['packets', 'flow'],
};

/** Set by the profile, not a parameter a file changes. */
const NOT_SETTABLE: readonly string[] = ['profile'];

interface Param {
  readonly key: string;
  readonly inputKey: string;
  /** The value alone (what `compare` lists), and `schema`: the same, optional, documented. */
  readonly value: z.ZodType;
  readonly schema: z.ZodType;
  /** A parsed value written back as the file writes it (10min, 256kbit, 90%). */
  readonly format: (value: unknown) => string;
}

const SUFFIXES = ['Ms', 'BitsPerSec', 'Ratio'] as const;

function paramOf(key: string, example: unknown): Param {
  const suffix = SUFFIXES.find((s) => key.endsWith(s) && key.length > s.length && typeof example === 'number');
  const { schema, shown } = valueOf(key, suffix, example);
  return {
    key,
    inputKey: suffix ? key.slice(0, -suffix.length) : key,
    value: schema,
    schema: schema.optional().meta({ description: `${key}; skype-2004: ${shown}` }),
    format: (v) => formatValue(suffix, v),
  };
}

function formatValue(suffix: string | undefined, v: unknown): string {
  if (suffix === 'Ms') return formatDuration(v as number);
  if (suffix === 'BitsPerSec') return formatBandwidth(v as number);
  if (suffix === 'Ratio') return percent(v as number);
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** The value's schema, and the example written as a file would write it. */
function valueOf(key: string, suffix: string | undefined, example: unknown): { schema: z.ZodType; shown: string } {
  const words = CHOICES[key as keyof ScenarioProtocol];
  if (suffix === 'Ms') return { schema: duration(), shown: formatDuration(example as number) };
  if (suffix === 'BitsPerSec') return { schema: bandwidth('non-negative'), shown: formatBandwidth(example as number) };
  if (suffix === 'Ratio') return { schema: ratio(), shown: percent(example as number) };
  if (words) return { schema: choice(words as readonly [string, ...string[]]), shown: String(example) };
  if (typeof example === 'boolean') return { schema: flag(), shown: String(example) };
  if (Array.isArray(example)) return { schema: z.array(port()).min(1), shown: `[${example.join(', ')}]` };
  if (key.endsWith('Port')) return { schema: port(), shown: String(example) };
  return { schema: number(0, true), shown: String(example) };
}

const base = PROFILES['skype-2004'];
/** Every settable parameter, in protocol/params.ts's order (sections/compare.ts varies one). */
export const PARAMS: readonly Param[] = Object.entries(base)
  .filter(([key]) => !NOT_SETTABLE.includes(key))
  .map(([key, example]) => paramOf(key, example));

export type ProtocolOverrides = Partial<Record<string, unknown>>;

export const protocolSection = z
  .strictObject(Object.fromEntries(PARAMS.map((p) => [p.inputKey, p.schema])))
  .prefault({})
  .transform((given): ProtocolOverrides => Object.fromEntries(PARAMS.filter((p) => given[p.inputKey] !== undefined).map((p) => [p.key, given[p.inputKey]])));

/** A parameter of protocol/params.ts as the file writes it: its key and how its values read. */
function paramNamed(key: string): Param | undefined {
  return PARAMS.find((p) => p.key === key);
}

export type ProtocolResult = { readonly ok: true; readonly protocol: ScenarioProtocol } | { readonly ok: false; readonly key: string; readonly message: string };

/** The profile with the file's values in place, as `makeParams` accepts it (or why not). */
export function protocolFor(profile: ProfileName, overrides: ProtocolOverrides): ProtocolResult {
  const params = PROFILES[profile];
  try {
    return { ok: true, protocol: makeParams(overrides as Partial<ProtocolParams>, params) };
  } catch (e) {
    if (!(e instanceof ParamError)) throw e;
    // In the file's words: its keys, and values in their units (20ms, not 20).
    const than = e.than === undefined ? '' : ` protocol.${shownKey(e.than.field)} (${shownValue(e.than.field, e.than.value)})`;
    return { ok: false, key: shownKey(e.field), message: `expected ${e.expected}${than}, got ${shownValue(e.field, e.got)}` };
  }
}

function shownKey(key: string): string {
  return paramNamed(key)?.inputKey ?? key;
}

function shownValue(key: string, value: unknown): string {
  const param = paramNamed(key);
  return param !== undefined && typeof value === 'number' && Number.isFinite(value) ? param.format(value) : JSON.stringify(value);
}
