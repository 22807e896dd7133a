/** A view's frame: a titled panel with a one-line note and a body. */

import * as d3 from 'd3';
import { appendText } from './text.js';

export interface Panel {
  readonly root: d3.Selection<HTMLElement, unknown, null, undefined>;
  readonly body: d3.Selection<HTMLDivElement, unknown, null, undefined>;
  readonly controls: d3.Selection<HTMLDivElement, unknown, null, undefined>;
  setNote(text: string): void;
}

export function makePanel(parent: HTMLElement, id: string, title: string, note = ''): Panel {
  const root = d3.select(parent).append('section').attr('class', 'panel').attr('id', id) as unknown as d3.Selection<HTMLElement, unknown, null, undefined>;
  const head = root.append('div').attr('class', 'panel-head');
  appendText(head, 'h2', title);
  const controls = head.append('div').attr('class', 'controls') as unknown as d3.Selection<HTMLDivElement, unknown, null, undefined>;
  const noteEl = appendText(root, 'p', note, 'note');
  const body = root.append('div').attr('class', 'panel-body') as unknown as d3.Selection<HTMLDivElement, unknown, null, undefined>;
  return { root, body, controls, setNote: (t) => void noteEl.text(t) };
}

/** A <select> with options [value, label]; labels set as text. */
export function makeSelect(
  parent: d3.Selection<HTMLDivElement, unknown, null, undefined>,
  label: string,
  options: readonly (readonly [string, string])[],
  onChange: (value: string) => void,
  className = '',
): d3.Selection<HTMLSelectElement, unknown, null, undefined> {
  const wrap = parent.append('label').attr('class', `ctl ${className}`);
  appendText(wrap, 'span', label);
  const select = wrap.append('select') as unknown as d3.Selection<HTMLSelectElement, unknown, null, undefined>;
  fillSelect(select, options);
  select.on('change', function () {
    onChange(this.value);
  });
  return select;
}

export function fillSelect(select: d3.Selection<HTMLSelectElement, unknown, null, undefined>, options: readonly (readonly [string, string])[]): void {
  select
    .selectAll('option')
    .data(options)
    .join('option')
    .attr('value', (d) => d[0])
    .text((d) => d[1]);
}
