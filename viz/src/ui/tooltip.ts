/** The one tooltip of the page: lines of text (set as text), near the pointer. */

import { setText } from './text.js';

let box: HTMLElement | null = null;

function tooltipBox(): HTMLElement {
  box ??= document.getElementById('tooltip');
  if (!box) {
    box = document.createElement('div');
    box.id = 'tooltip';
    box.className = 'tooltip';
    document.body.append(box);
  }
  return box;
}

export function showTooltip(event: MouseEvent, lines: readonly unknown[]): void {
  const el = tooltipBox();
  el.replaceChildren();
  lines.forEach((line, i) => {
    const div = document.createElement('div');
    if (i === 0) div.className = 'tt-title';
    setText(div, line);
    el.append(div);
  });
  el.hidden = false;
  const pad = 14;
  const { innerWidth, innerHeight } = window;
  const rect = el.getBoundingClientRect();
  let x = event.clientX + pad;
  let y = event.clientY + pad;
  if (x + rect.width > innerWidth - 4) x = event.clientX - rect.width - pad;
  if (y + rect.height > innerHeight - 4) y = event.clientY - rect.height - pad;
  el.style.left = `${Math.max(4, x)}px`;
  el.style.top = `${Math.max(4, y)}px`;
}

export function hideTooltip(): void {
  tooltipBox().hidden = true;
}
