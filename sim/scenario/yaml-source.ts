/**
 * A scenario file as YAML: the data, its syntax errors, and where each value was written.
 *
 * Merge keys (`<<: *template`) are on, so templates work; a value that came from a template
 * is located in the template, which is where it has to be fixed. Duplicate keys are syntax
 * errors (a silent last-one-wins would hide a typo).
 */

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
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

  /** Plain data; aliases expanded, merge keys applied. */
  toData(): unknown {
    return this.doc.toJS();
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
