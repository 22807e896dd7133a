/**
 * SVG figures for generated reports, drawn in Node: d3's scales, ticks and line generator do
 * the arithmetic, and the markup is written here as strings (no DOM: the report runs in CI
 * without a browser). Each function returns a complete standalone SVG document.
 *
 *   cdfChart     empirical CDFs, one step line per series, an optional shaded band
 *   lineChart    lines over x, an optional shaded interval
 *   ladderSvg    a sequence (ladder) diagram: actors as columns, one arrow per message
 */

import { line, scaleLinear, scaleLog, schemeTableau10, type ScaleContinuousNumeric } from 'd3';

const FONT = 'font-family="Helvetica, Arial, sans-serif"';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n2 = (x: number): string => (Math.round(x * 100) / 100).toString();

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

const FRAME: Frame = { width: 960, height: 420, left: 60, right: 360, top: 36, bottom: 48 };

function axes(f: Frame, x: ScaleContinuousNumeric<number, number>, y: ScaleContinuousNumeric<number, number>, xLabel: string, yLabel: string, title: string, xTicks: number[]): string {
  const out: string[] = [];
  const y0 = f.height - f.bottom;
  out.push(`<text x="${f.left}" y="20" font-size="15" font-weight="bold" ${FONT}>${esc(title)}</text>`);
  out.push(`<line x1="${f.left}" y1="${y0}" x2="${f.width - f.right}" y2="${y0}" stroke="#333"/>`);
  out.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${y0}" stroke="#333"/>`);
  for (const t of xTicks) {
    const px = n2(x(t));
    out.push(`<line x1="${px}" y1="${y0}" x2="${px}" y2="${y0 + 5}" stroke="#333"/><line x1="${px}" y1="${f.top}" x2="${px}" y2="${y0}" stroke="#eee"/>`);
    out.push(`<text x="${px}" y="${y0 + 18}" font-size="11" text-anchor="middle" ${FONT}>${esc(String(+t.toPrecision(3)))}</text>`);
  }
  for (const t of y.ticks(5)) {
    const py = n2(y(t));
    out.push(`<line x1="${f.left - 5}" y1="${py}" x2="${f.left}" y2="${py}" stroke="#333"/><line x1="${f.left}" y1="${py}" x2="${f.width - f.right}" y2="${py}" stroke="#eee"/>`);
    out.push(`<text x="${f.left - 8}" y="${py}" dy="4" font-size="11" text-anchor="end" ${FONT}>${esc(String(+t.toPrecision(3)))}</text>`);
  }
  out.push(`<text x="${(f.left + f.width - f.right) / 2}" y="${f.height - 10}" font-size="12" text-anchor="middle" ${FONT}>${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16,${(f.top + y0) / 2}) rotate(-90)" font-size="12" text-anchor="middle" ${FONT}>${esc(yLabel)}</text>`);
  return out.join('\n');
}

function legend(f: Frame, labels: readonly string[]): string {
  return labels
    .map((l, i) => {
      const y = f.top + 10 + i * 18;
      const x = f.width - f.right + 12;
      return `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${schemeTableau10[i % 10]}" stroke-width="2.5"/><text x="${x + 24}" y="${y + 4}" font-size="11" ${FONT}>${esc(l)}</text>`;
    })
    .join('\n');
}

function doc(f: Frame, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}

export interface CdfSeries {
  readonly label: string;
  readonly values: readonly number[];
}

export interface CdfOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly logX?: boolean;
  /** A shaded x interval (a published range) and its label. */
  readonly band?: { readonly from: number; readonly to: number; readonly label: string };
}

export function cdfChart(series: readonly CdfSeries[], o: CdfOptions): string {
  const f = FRAME;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!o.logX || v > 0));
  if (o.band) all.push(o.band.from, o.band.to);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const x = o.logX ? scaleLog().domain([lo * 0.8, hi * 1.25]).range([f.left, f.width - f.right]) : scaleLinear().domain([0, hi * 1.05]).nice().range([f.left, f.width - f.right]);
  const y = scaleLinear().domain([0, 1]).range([f.height - f.bottom, f.top]);
  const parts: string[] = [];
  if (o.band) {
    const x0 = x(o.band.from);
    const x1 = x(o.band.to);
    parts.push(`<rect x="${n2(x0)}" y="${f.top}" width="${n2(x1 - x0)}" height="${f.height - f.bottom - f.top}" fill="#f2e3b3" opacity="0.6"/>`);
    parts.push(`<text x="${n2((x0 + x1) / 2)}" y="${f.top + 12}" font-size="10" text-anchor="middle" ${FONT}>${esc(o.band.label)}</text>`);
  }
  const xTicks = o.logX ? (x as ReturnType<typeof scaleLog>).ticks(6).filter((t, i, a) => a.length < 12 || [1, 2, 5].includes(+String(t)[0])) : x.ticks(8);
  parts.push(axes(f, x, y, o.xLabel, 'fraction of runs (CDF)', o.title, xTicks));
  series.forEach((s, i) => {
    const v = [...s.values].filter((z) => Number.isFinite(z)).sort((a, b) => a - b);
    if (v.length === 0) return;
    const pts: [number, number][] = [[x(v[0]), y(0)]];
    v.forEach((z, k) => {
      pts.push([x(z), y(k / v.length)]);
      pts.push([x(z), y((k + 1) / v.length)]);
    });
    pts.push([x.range()[1], y(1)]);
    parts.push(`<path d="${line()(pts)}" fill="none" stroke="${schemeTableau10[i % 10]}" stroke-width="2"/>`);
  });
  parts.push(legend(f, series.map((s) => `${s.label} (n=${s.values.length})`)));
  return doc(f, parts.join('\n'));
}

export interface LineSeries {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

export function lineChart(series: readonly LineSeries[], o: { title: string; xLabel: string; yLabel: string; shade?: { from: number; to: number; label: string } }): string {
  const f = FRAME;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x = scaleLinear().domain([Math.min(0, ...xs), Math.max(...xs)]).range([f.left, f.width - f.right]);
  const y = scaleLinear().domain([0, Math.max(...ys) * 1.1]).nice().range([f.height - f.bottom, f.top]);
  const parts: string[] = [];
  if (o.shade) {
    const x0 = x(o.shade.from);
    const x1 = x(o.shade.to);
    parts.push(`<rect x="${n2(x0)}" y="${f.top}" width="${n2(x1 - x0)}" height="${f.height - f.bottom - f.top}" fill="#dde7f3"/>`);
    parts.push(`<text x="${n2((x0 + x1) / 2)}" y="${f.top + 12}" font-size="10" text-anchor="middle" ${FONT}>${esc(o.shade.label)}</text>`);
  }
  parts.push(axes(f, x, y, o.xLabel, o.yLabel, o.title, x.ticks(8)));
  series.forEach((s, i) => {
    const pts = s.points.map((p) => [x(p[0]), y(p[1])] as [number, number]);
    parts.push(`<path d="${line()(pts)}" fill="none" stroke="${schemeTableau10[i % 10]}" stroke-width="1.8"/>`);
  });
  parts.push(legend(f, series.map((s) => s.label)));
  return doc(f, parts.join('\n'));
}

export interface LadderArrow {
  readonly tMs: number;
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** Non-empty: the packet was dropped (drawn dashed red, ending in a cross), with the reason. */
  readonly dropped: string;
}

/** Most arrows one diagram draws; the rest are summarised in a closing line. */
export const LADDER_ARROWS_MAX = 120;

export function ladderSvg(title: string, actors: readonly string[], arrows: readonly LadderArrow[], startMs: number): string {
  const colW = 130;
  const rowH = 20;
  const top = 70;
  const left = 90;
  const shown = arrows.slice(0, LADDER_ARROWS_MAX);
  const width = Math.max(760, left + colW * actors.length + 40);
  const height = top + rowH * (shown.length + 2) + 30;
  const f: Frame = { width, height, left, right: 0, top, bottom: 0 };
  const xOf = (a: string) => left + colW * Math.max(0, actors.indexOf(a)) + colW / 2;
  const parts: string[] = [
    `<defs><marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>`,
    `<text x="10" y="22" font-size="15" font-weight="bold" ${FONT}>${esc(title)}</text>`,
    `<text x="10" y="${top - 8}" font-size="10" fill="#666" ${FONT}>t (s, from ${n2(startMs / 1000)} s)</text>`,
  ];
  actors.forEach((a) => {
    const x = xOf(a);
    parts.push(`<rect x="${x - 52}" y="${top - 34}" width="104" height="22" rx="4" fill="#eef" stroke="#88a"/>`);
    parts.push(`<text x="${x}" y="${top - 19}" font-size="11" text-anchor="middle" ${FONT}>${esc(a)}</text>`);
    parts.push(`<line x1="${x}" y1="${top - 12}" x2="${x}" y2="${height - 20}" stroke="#aab" stroke-dasharray="3 3"/>`);
  });
  shown.forEach((a, i) => {
    const y = top + rowH * (i + 1);
    const x1 = xOf(a.from);
    let x2 = xOf(a.to);
    if (x1 === x2) x2 = x1 + 30;
    const color = a.dropped ? '#c0392b' : '#333';
    parts.push(`<text x="10" y="${y + 4}" font-size="10" fill="#666" ${FONT}>${n2((a.tMs - startMs) / 1000)}</text>`);
    if (a.dropped) {
      const xe = x1 + (x2 - x1) * 0.6;
      parts.push(`<line x1="${x1}" y1="${y}" x2="${n2(xe)}" y2="${y}" stroke="${color}" stroke-dasharray="4 3"/>`);
      parts.push(`<text x="${n2(xe)}" y="${y + 4}" font-size="12" text-anchor="middle" fill="${color}" ${FONT}>×</text>`);
    } else {
      parts.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${color}" marker-end="url(#arr)"/>`);
    }
    const label = a.dropped ? `${a.label} (dropped: ${a.dropped})` : a.label;
    parts.push(`<text x="${n2((x1 + x2) / 2)}" y="${y - 4}" font-size="10" text-anchor="middle" fill="${color}" ${FONT}>${esc(label)}</text>`);
  });
  if (arrows.length > shown.length) {
    parts.push(`<text x="10" y="${top + rowH * (shown.length + 1.5)}" font-size="11" ${FONT}>... ${arrows.length - shown.length} more messages (results.json has them all)</text>`);
  }
  return doc(f, parts.join('\n'));
}
