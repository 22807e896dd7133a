/**
 * How validation errors word what was found: `expected <what>, got <value>`.
 *
 * Values are shown as a user wrote them in YAML terms: text quoted, numbers and booleans
 * bare, and collections by their kind (echoing a whole mapping back helps nobody).
 */

export function show(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null (an empty value)';
  if (typeof input === 'string') return JSON.stringify(input);
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return String(input);
}

/** A missing value reads "missing, expected ...", anything else "expected ..., got ...". */
export function expectedGot(expected: string, input: unknown): string {
  if (input === undefined) return `missing, expected ${expected}`;
  return `expected ${expected}, got ${show(input)}`;
}

export function oneOf(values: readonly unknown[]): string {
  return values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map(String).join(' | ')}`;
}
