/**
 * The `compare` section: run the scenario once per value of one protocol parameter, with the
 * same seed, and compare the runs (`sim run` writes `<out>/<parameter>=<value>/` per value
 * and `<out>/comparison.json`).
 *
 *   compare:
 *     relayPolicy: [random-public, lowest-rtt, least-loaded]
 *
 * The key is a key of the `protocol` section (sections/protocol.ts), written the same way
 * (`snUptimeThreshold: [10min, 1h]`); its values are checked like that key's value, and each
 * variant's parameters by the protocol's own `makeParams`. Exactly one key, with 2 or more
 * distinct values. A listed value replaces whatever the `protocol` section sets for that key.
 * `compare: null` (or `--set compare=null`) means no comparison: one run.
 */

import { z } from 'zod';
import type { PathSegment } from '../errors.js';
import type { Compare, ProfileName, Scenario } from '../types.js';
import { PARAMS, protocolFor, type ProtocolOverrides } from './protocol.js';

export type ParsedCompare = Readonly<Record<string, readonly unknown[] | undefined>>;

const EXAMPLE = 'relayPolicy: [random-public, lowest-rtt]';

export const compareSection = z
  .strictObject(Object.fromEntries(PARAMS.map((p) => [p.inputKey, z.array(p.value).min(2).optional()])))
  .superRefine((given, ctx) => {
    const keys = Object.keys(given).filter((k) => given[k] !== undefined);
    if (keys.length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: `expected one protocol parameter with a list of 2 or more values, e.g. ${EXAMPLE}` });
    }
    for (const key of keys.slice(1)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `compare varies one parameter, and ${keys[0]} is already varied`, params: { atKey: true } });
    }
    for (const key of keys) {
      const param = PARAMS.find((p) => p.inputKey === key)!;
      const labels = (given[key] as unknown[]).map(param.format);
      labels.forEach((label, i) => {
        const first = labels.indexOf(label);
        if (first < i) ctx.addIssue({ code: 'custom', path: [key, i], message: `expected values that differ, got ${label} again (entry ${first})` });
      });
    }
    // Only a section that parsed: after an unknown key (a typo) "expected one parameter" would
    // repeat the did-you-mean in worse words.
  }, { when: (payload) => payload.issues.length === 0 })
  // null (`--set compare=null`) runs the scenario once, as if the section were absent.
  .nullable()
  .optional();

export type CompareResult = { readonly ok: true; readonly compare: Compare | null } | { readonly ok: false; readonly path: PathSegment[]; readonly message: string };

/** Checks each variant's protocol parameters as a run would build them. */
export function resolveCompare(given: ParsedCompare | null | undefined, profile: ProfileName, protocol: ProtocolOverrides): CompareResult {
  if (!given) return { ok: true, compare: null };
  const parameter = Object.keys(given).find((k) => given[k] !== undefined);
  // No key: the section's own issues (unknown key, empty) already fail the parse.
  if (parameter === undefined) return { ok: true, compare: null };
  const param = PARAMS.find((p) => p.inputKey === parameter)!;
  const values = given[parameter]!;
  for (let i = 0; i < values.length; i++) {
    const r = protocolFor(profile, { ...protocol, [param.key]: values[i] });
    if (!r.ok) {
      const about = r.key === parameter ? r.message : `with ${parameter} = ${param.format(values[i])}, protocol.${r.key || '?'}: ${r.message}`;
      return { ok: false, path: ['compare', parameter, i], message: about };
    }
  }
  return {
    ok: true,
    compare: { parameter, protocolKey: param.key as Compare['protocolKey'], values: [...values] as Compare['values'], labels: values.map(param.format) },
  };
}

/** The scenario each value of `compare` makes: that value in place, no compare of its own. */
export function compareVariants(s: Scenario): { readonly label: string; readonly dirName: string; readonly scenario: Scenario }[] {
  const c = s.compare;
  if (!c) return [];
  return c.values.map((value, i) => ({
    label: c.labels[i],
    dirName: `${c.parameter}=${c.labels[i]}`,
    scenario: { ...s, protocol: Object.freeze({ ...s.protocol, [c.protocolKey]: value }), compare: null },
  }));
}
