/**
 * A scenario file as YAML: the data, its syntax errors, and where each value was written.
 *
 * Merge keys (`<<: *template`) are on, so templates work; a value that came from a template
 * is located in the template, which is where it has to be fixed. Duplicate keys are syntax
 * errors (a silent last-one-wins would hide a typo).
 */

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair } from 'yaml';
import type { PathSegment } from './errors.js';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface SyntaxProblem extends Position {
  readonly message: string;
}

export interface Location extends Position {
  /** False when the path does not exist in the file (a missing key, or a value from elsewhere). */
  readonly exact: boolean;
}

export class YamlSource {
  private readonly lineCounter = new LineCounter();
  private readonly doc: Document;

  constructor(text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  }

  get syntaxProblems(): SyntaxProblem[] {
    return this.doc.errors.map((e) => ({ ...this.position(e.pos[0]), message: e.message }));
  }

  /**
   * Plain data, aliases expanded and merge keys applied; or, for a document that parses but
   * cannot become data, why not: an alias of an anchor not set before it, a merge key whose
   * value is not a mapping (or a list of them), or more alias expansions than the YAML reader
   * allows (its guard against alias bombs).
   */
  toData(): { readonly ok: true; readonly data: unknown } | { readonly ok: false; readonly problem: SyntaxProblem } {
    const unreadable = this.unreadable();
    if (unreadable) return { ok: false, problem: unreadable };
    try {
      return { ok: true, data: this.doc.toJS() };
    } catch (e) {
      return { ok: false, problem: { line: 1, col: 1, message: (e as Error).message } };
    }
  }

  /** The first alias or merge key that cannot be read, located. */
  private unreadable(): SyntaxProblem | undefined {
    let problem: SyntaxProblem | undefined;
    const at = (node: unknown, message: string) => {
      problem = { ...this.position(rangeStart(node) ?? 0), message };
      return visit.BREAK;
    };
    visit(this.doc, {
      Alias: (_, alias) => (alias.resolve(this.doc) === undefined ? at(alias, `no anchor &${alias.source} before this alias`) : undefined),
      Pair: (_, pair) => {
        if (!isMergeKey(pair.key)) return undefined;
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        const bad = sources.find((s) => !isMap(isAlias(s) ? s.resolve(this.doc) : s));
        if (bad === undefined) return undefined;
        const value = isAlias(bad) ? bad.resolve(this.doc) : bad;
        const got = value === undefined ? 'an alias of no anchor' : isSeq(value) ? 'a list' : 'a plain value';
        return at(bad ?? pair.key, `a merge key (<<) takes a mapping, an alias of one or a list of them (<<: *template), got ${got}`);
      },
    });
    return problem;
  }

  /**
   * The deepest node on `path` that the file has. `atKey` points at the key rather than the
   * value (for unknown keys).
   */
  locate(path: readonly PathSegment[], atKey: boolean): Location {
    let node: unknown = this.doc.contents;
    let pair: Pair | undefined;
    let depth = 0;
    for (const segment of path) {
      const next = this.child(node, segment);
      if (next === undefined) break;
      ({ node, pair } = next);
      depth++;
    }
    const exact = depth === path.length;
    const target = exact && atKey && pair ? pair.key : node;
    return { ...this.position(rangeStart(target) ?? rangeStart(pair?.key) ?? 0), exact };
  }

  private child(node: unknown, segment: PathSegment): { node: unknown; pair?: Pair } | undefined {
    const here = isAlias(node) ? node.resolve(this.doc) : node;
    if (isSeq(here) && typeof segment === 'number') {
      return segment < here.items.length ? { node: here.items[segment] } : undefined;
    }
    if (!isMap(here)) return undefined;
    const own = here.items.find((p) => isPair(p) && !isMergeKey(p.key) && keyText(p.key) === String(segment));
    if (own) return { node: own.value, pair: own };
    // Keys a merge brought in: later sources lose to earlier ones, as YAML merges them.
    for (const merge of here.items.filter((p) => isMergeKey(p.key))) {
      const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
      for (const source of sources) {
        const found = this.child(source, segment);
        if (found) return found;
      }
    }
    return undefined;
  }

  private position(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, col };
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.source === '<<' || typeof key.value === 'symbol');
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
