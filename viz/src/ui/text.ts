/**
 * Text from a run - user names, message types, node event details - comes from files a run
 * wrote, or anyone wrote: it is data, never markup. Every view puts such strings on the page
 * through these helpers (textContent underneath, d3's .text()), never through innerHTML or
 * .html(); a test (test/viz) checks the sources for markup sinks and renders hostile strings
 * through these helpers in the browser.
 */

import type { BaseType, Selection } from 'd3';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parent selection will do
type AnySelection = Selection<any, any, any, any>;

/** Makes any value a string fit for textContent (objects as compact JSON). */
export function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

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

/** A node event's detail as one line: `name=home-na-12, clients=3`. */
export function detailText(detail: Readonly<Record<string, unknown>>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}=${asText(v)}`)
    .join(', ');
}

/** Shortens a string to `max` characters with an ellipsis (for labels; tooltips show it whole). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}
