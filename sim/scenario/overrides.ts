/**
 * Command-line overrides: `--set path=value` (and the options that are shorthands for one,
 * such as `--seed N`), applied to the file's data before validation, so an overridden value is
 * checked exactly like one written in the file.
 *
 * Paths are written as in error messages: `hosts[0].count`, `protocol.login.rounds`. Values
 * are YAML: `100000`, `modelled`, `[80, 443]`, `{ kind: exponential, mean: 30min }`. A missing
 * key on the way is created; a list index may be at most the list's length (which appends).
 */

import { formatPath, type PathSegment, type ScenarioError } from './errors.js';
import { YamlSource } from './yaml-source.js';

export interface Override {
  /** How the user wrote it, for error messages: `--set hosts[0].count=5`, `--seed 7`. */
  readonly label: string;
  readonly path: readonly PathSegment[];
  readonly value: unknown;
}

const SEGMENT = /^(?:\.?([A-Za-z0-9_-]+)|\[(\d+)\])/;

/** `hosts[0].count` into ['hosts', 0, 'count']; undefined when malformed. */
export function parsePath(text: string): PathSegment[] | undefined {
  const path: PathSegment[] = [];
  let rest = text;
  while (rest !== '') {
    const m = SEGMENT.exec(rest);
    if (!m || (path.length === 0 && rest.startsWith('.'))) return undefined;
    path.push(m[1] !== undefined ? m[1] : Number(m[2]));
    rest = rest.slice(m[0].length);
  }
  return path.length > 0 ? path : undefined;
}

/** An override of `pathText` with `valueText` read as YAML. */
export function makeOverride(label: string, pathText: string, valueText: string): Override | ScenarioError {
  const path = parsePath(pathText);
  if (path === undefined) {
    return { source: label, path: '', message: `expected a path such as hosts[0].count or protocol.crypto, got ${JSON.stringify(pathText)}` };
  }
  // Read as a scenario file is read, so that a value means there what it means here.
  const source = new YamlSource(valueText);
  const notYaml = (detail: string): ScenarioError => ({ source: label, path: formatPath(path), message: `the value is not valid YAML: ${detail}` });
  const syntax = source.syntaxProblems[0];
  if (syntax !== undefined) return notYaml(syntax.message);
  const read = source.toData();
  return read.ok ? { label, path, value: read.data } : notYaml(read.problem.message);
}

/** `--set path=value`. */
export function parseSetOption(text: string): Override | ScenarioError {
  const label = `--set ${text}`;
  const eq = text.indexOf('=');
  if (eq < 0) return { source: label, path: '', message: 'expected path=value, e.g. hosts[0].count=100000' };
  return makeOverride(label, text.slice(0, eq).trim(), text.slice(eq + 1));
}

export function isOverride(x: Override | ScenarioError): x is Override {
  return 'label' in x;
}

/** The data with the overrides applied in order (a later one wins); `data` is left as it was. */
export function withOverrides(
  data: Record<string, unknown>,
  overrides: readonly Override[],
): { data: Record<string, unknown>; errors: ScenarioError[] } {
  const copy = copyTree(data) as Record<string, unknown>;
  const errors = overrides.flatMap((o) => {
    const problem = setIn(copy, o.path, o.value);
    return problem === undefined ? [] : [{ source: o.label, path: formatPath(o.path), message: problem }];
  });
  return { data: copy, errors };
}

/** YAML aliases share objects between places; an override must change only its own place. */
function copyTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyTree);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyTree(v)]));
  }
  return value;
}

function setIn(root: Record<string, unknown>, path: readonly PathSegment[], value: unknown): string | undefined {
  let container: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    const here = formatPath(path.slice(0, i)) || 'the scenario';
    if (typeof segment === 'number') {
      if (!Array.isArray(container)) return `${here} is not a list, so it has no entry [${segment}]`;
      if (segment > container.length) return `${here} has ${container.length} entries; [${segment}] is past the end`;
    } else if (typeof container !== 'object' || container === null || Array.isArray(container)) {
      return `${here} is not a mapping, so it has no key "${segment}"`;
    }
    const slots = container as Record<PathSegment, unknown>;
    if (last) {
      slots[segment] = value;
    } else {
      if (slots[segment] === undefined || slots[segment] === null) slots[segment] = typeof path[i + 1] === 'number' ? [] : {};
      container = slots[segment];
    }
  }
  return undefined;
}
