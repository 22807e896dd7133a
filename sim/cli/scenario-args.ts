/**
 * From command-line arguments to a validated Scenario: `--set` and the options that are
 * shorthands for one (`--seed`, `--trace`, `--pcap`) become overrides, checked like the file.
 * The shorthands apply after every `--set`, so they win over a `--set` of the same value.
 */

import { formatError, isOverride, loadScenarioFile, makeOverride, parseSetOption, type LoadResult, type Override, type ScenarioError } from '../scenario/index.js';

export interface ScenarioArgs {
  readonly file: string;
  readonly set: readonly string[];
  readonly seed?: string;
  readonly trace?: string;
  readonly pcap?: boolean;
}

export function loadFromArgs(args: ScenarioArgs): LoadResult {
  const candidates = [
    ...args.set.map(parseSetOption),
    ...(args.seed === undefined ? [] : [makeOverride(`--seed ${args.seed}`, 'seed', args.seed)]),
    ...(args.trace === undefined ? [] : [makeOverride(`--trace ${args.trace}`, 'output.trace', args.trace)]),
    ...(args.pcap === undefined ? [] : [makeOverride(args.pcap ? '--pcap' : '--no-pcap', 'output.pcap', String(args.pcap))]),
  ];
  const overrides: Override[] = candidates.filter(isOverride);
  const errors = candidates.filter((c): c is ScenarioError => !isOverride(c));
  return errors.length > 0 ? { ok: false, errors } : loadScenarioFile(args.file, overrides);
}

export function errorReport(errors: readonly ScenarioError[]): string {
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
  return `${errors.map(formatError).join('\n')}\n${count}\n`;
}
