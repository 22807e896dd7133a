/**
 * Scenario errors: bad input, reported where the user can fix it.
 *
 *   scenarios/churn.yaml:14:12  hosts[2].nat: expected one of none | full-cone | ..., got "ful-cone"
 *   --set hosts[0].count=-5  hosts[0].count: expected an integer >= 0, got -5
 *
 * `source` is the file (with line and column) or the command-line option that supplied the
 * value. Errors are data, not exceptions: a file yields all of its errors at once.
 */

export type PathSegment = string | number;

export interface ScenarioError {
  readonly source: string;
  readonly line?: number;
  readonly col?: number;
  /** Where in the scenario, as `hosts[2].nat`; empty for errors about the file as a whole. */
  readonly path: string;
  readonly message: string;
}

export function formatError(e: ScenarioError): string {
  const where = e.line === undefined ? e.source : `${e.source}:${e.line}:${e.col ?? 1}`;
  return `${where}  ${e.path === '' ? '' : `${e.path}: `}${e.message}`;
}

export function formatPath(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** File errors in reading order, then option errors in the order of `optionOrder` (their labels); duplicates once. */
export function sortErrors(errors: readonly ScenarioError[], optionOrder: readonly string[] = []): ScenarioError[] {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = formatError(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const rank = (e: ScenarioError) => (e.line === undefined ? 1 + optionOrder.indexOf(e.source) : -1);
  return unique
    .map((e, order) => ({ e, order }))
    .sort((a, b) => rank(a.e) - rank(b.e) || (a.e.line ?? 0) - (b.e.line ?? 0) || (a.e.col ?? 0) - (b.e.col ?? 0) || a.order - b.order)
    .map(({ e }) => e);
}
