/**
 * "Did you mean": the closest known word to a mistyped one, by edit distance - Levenshtein's,
 * with a swap of two neighbouring letters counted as one edit (`nta` is one typo of `nat`).
 *
 * A suggestion is offered only when it is plausibly the same word: the two differ only in
 * case, or at most a third of the typed word's letters differ (at least one edit allowed), or
 * one is the start of the other (`crypto` for `cryptoMode`). Ties go to the word listed
 * first, so the hint depends on nothing but the lists.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, beforePrevious[j - 2] + 1);
      current.push(d);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length];
}

export function closest(typed: string, known: readonly string[]): string | undefined {
  const caseMatch = known.find((k) => k.toLowerCase() === typed.toLowerCase());
  if (caseMatch !== undefined) return caseMatch;
  const budget = Math.max(1, Math.floor(typed.length / 3));
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const k of known) {
    const d = editDistance(typed, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best ?? known.find((k) => Math.min(k.length, typed.length) >= MIN_PREFIX && (k.startsWith(typed) || typed.startsWith(k)));
}

/** Shorter common starts are coincidence more often than intent. */
const MIN_PREFIX = 4;

/** ` (did you mean "count"?)`, or nothing. */
export function didYouMean(typed: string, known: readonly string[]): string {
  const hint = closest(typed, known);
  return hint === undefined ? '' : ` (did you mean "${hint}"?)`;
}
