/**
 * Loading a scenario: read the file, parse the YAML, apply command-line overrides, validate,
 * and either return the Scenario with every default filled or every error found.
 *
 * Order matters for what the user sees: YAML syntax errors stop here (the data behind them is
 * a guess); override paths that cannot be set stop here; otherwise all validation errors of
 * the file and the overrides come back together, in reading order.
 */

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve as resolvePath } from 'node:path';
import { ChurnTraceError, checkTraceHosts, parseChurnTrace } from './churn-trace.js';
import { formatPath, sortErrors, type PathSegment, type ScenarioError } from './errors.js';
import { findingsOf, scenarioErrorMap, type Finding } from './issues.js';
import { withOverrides, type Override } from './overrides.js';
import { scenarioSchema } from './schema.js';
import { isName } from './fields.js';
import { FALLBACK_NAME } from './resolve.js';
import type { Scenario } from './types.js';
import { vocabularyOf } from './vocabulary.js';
import { YamlSource, type SyntaxProblem } from './yaml-source.js';

export type LoadResult = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly errors: readonly ScenarioError[] };

export function loadScenarioFile(file: string, overrides: readonly Override[] = []): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return { ok: false, errors: [{ source: file, path: '', message: `cannot read the scenario file: ${reason}` }] };
  }
  return loadScenarioText(text, file, overrides);
}

/** `file` names the text in errors, gives the default name, and anchors relative paths. */
export function loadScenarioText(text: string, file: string, overrides: readonly Override[] = []): LoadResult {
  const source = new YamlSource(text);
  const fail = (errors: readonly ScenarioError[]): LoadResult => ({ ok: false, errors: sortErrors(errors, overrides.map((o) => o.label)) });
  const yamlError = (kind: string) => (p: SyntaxProblem): ScenarioError => ({ source: file, line: p.line, col: p.col, path: '', message: `${kind}: ${p.message}` });
  const syntax = source.syntaxProblems;
  if (syntax.length > 0) return fail(syntax.map(yamlError('YAML syntax')));
  const parsedYaml = source.toData();
  if (!parsedYaml.ok) return fail([yamlError('YAML')(parsedYaml.problem)]);
  const raw = parsedYaml.data ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return fail([{ source: file, line: 1, col: 1, path: '', message: 'expected a mapping of sections (name, duration, hosts, ...) at the top level' }]);
  }
  const { data, errors: overrideErrors } = withOverrides(raw as Record<string, unknown>, overrides);
  if (overrideErrors.length > 0) return fail(overrideErrors);
  if (data.name === undefined) data.name = nameFromFile(file);

  const parsed = scenarioSchema(vocabularyOf(data)).safeParse(data, { reportInput: true, error: scenarioErrorMap });
  const place = (f: Finding) => placeFinding(f, file, source, overrides);
  if (!parsed.success) return fail(findingsOf(parsed.error.issues).map(place));

  const scenario = withTraceFile(parsed.data, dirname(file));
  if (scenario.churn.mode === 'trace') {
    const traceFile = scenario.churn.traceFile;
    if (!existsSync(traceFile)) return fail([place({ path: ['churn', 'trace'], message: `no such file: ${traceFile}`, atKey: false })]);
    const problem = churnTraceProblem(traceFile, scenario);
    if (problem) return fail([problem]);
  }
  return { ok: true, scenario };
}

/** The first mistake in the scenario's churn trace file, located in that file; undefined if none. */
function churnTraceProblem(traceFile: string, scenario: Scenario): ScenarioError | undefined {
  try {
    checkTraceHosts(parseChurnTrace(readFileSync(traceFile, 'utf8'), traceFile), traceFile, scenario.hosts);
    return undefined;
  } catch (e) {
    if (e instanceof ChurnTraceError) return { source: e.file, line: e.line, col: e.col, path: '', message: e.detail };
    return { source: traceFile, path: '', message: `cannot read the churn trace: ${(e as Error).message}` };
  }
}

/** Blames the override that wrote the value, or else the place in the file. */
function placeFinding(f: Finding, file: string, source: YamlSource, overrides: readonly Override[]): ScenarioError {
  const path = formatPath(f.path);
  const at = source.locate(f.path, f.atKey);
  const covering = [...overrides].reverse().find((o) => startsWith(f.path, o.path) || (!at.exact && startsWith(o.path, f.path)));
  if (covering) return { source: covering.label, path, message: f.message };
  return { source: file, line: at.line, col: at.col, path, message: f.message };
}

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

/** `scenarios/login-storm.yaml` is called login-storm; odd characters become dashes. */
function nameFromFile(file: string): string {
  const stem = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return isName(stem) ? stem : FALLBACK_NAME;
}

function withTraceFile(s: Scenario, baseDir: string): Scenario {
  return s.churn.mode === 'trace' ? { ...s, churn: { ...s.churn, traceFile: resolvePath(baseDir, s.churn.traceFile) } } : s;
}
