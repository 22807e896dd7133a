/**
 * Text from a run - user names, message types, node event details - comes from files a run
 * wrote, or anyone wrote: it is data, never markup. Every view puts such strings on the page
 * through these helpers (textContent underneath, d3's .text()), never through innerHTML or
 * .html(); a test (test/viz) checks the sources for markup sinks and renders hostile strings
 * through these helpers in the browser.
 */

import type { BaseType, Selection } from 'd3';
import { asText } from '../data/format.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parent selection will do
type AnySelection = Selection<any, any, any, any>;

/** Appends a `tag` element holding `text` as text; returns it. */
export function appendText(parent: AnySelection, tag: string, text: unknown, className?: string): Selection<HTMLElement, unknown, BaseType | null, unknown> {
  const el = (parent as Selection<HTMLElement, unknown, BaseType | null, unknown>).append<HTMLElement>(tag).text(asText(text));
  if (className) el.attr('class', className);
  return el;
}

/** Replaces an element's content with `text`, as text. Plain DOM, for code without d3. */
export function setText(el: Element, text: unknown): void {
  el.textContent = asText(text);
}

/** Shortens a string to `max` characters with an ellipsis (for labels; tooltips show it whole). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}
