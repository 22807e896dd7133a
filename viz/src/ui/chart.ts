/** Small helpers shared by the charts: an SVG with margins, axes with a unit label. */

import * as d3 from 'd3';

export interface Margin {
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

export interface Frame {
  readonly svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  readonly g: d3.Selection<SVGGElement, unknown, null, undefined>;
  readonly width: number;
  readonly height: number;
  readonly margin: Margin;
}

/** An SVG of `outerWidth` x `outerHeight` px whose group `g` is the plot area inside `margin`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any HTML parent selection
export function makeFrame(parent: d3.Selection<any, any, any, any>, outerWidth: number, outerHeight: number, margin: Margin, className = 'chart'): Frame {
  const svg = parent
    .append('svg')
    .attr('class', className)
    .attr('width', outerWidth)
    .attr('height', outerHeight)
    .attr('viewBox', `0 0 ${outerWidth} ${outerHeight}`) as unknown as d3.Selection<SVGSVGElement, unknown, null, undefined>;
  const g = svg.append('g').attr('transform', `translate(${margin.left},${margin.top})`) as unknown as d3.Selection<SVGGElement, unknown, null, undefined>;
  return { svg, g, width: outerWidth - margin.left - margin.right, height: outerHeight - margin.top - margin.bottom, margin };
}

/** Axis label text at the end of an x axis, or rotated along a y axis. */
export function axisLabel(g: d3.Selection<SVGGElement, unknown, null, undefined>, text: string, kind: 'x' | 'y', frame: { width: number; height: number; margin: Margin }): void {
  const label = g.append('text').attr('class', 'axis-label').text(text);
  if (kind === 'x') label.attr('x', frame.width).attr('y', frame.height + frame.margin.bottom - 6).attr('text-anchor', 'end');
  else label.attr('transform', 'rotate(-90)').attr('x', 0).attr('y', -frame.margin.left + 12).attr('text-anchor', 'end');
}

/** Plain-number ticks without SI suffix clutter for small values: 0, 50, 1k, 1.5M. */
export function shortNumber(n: d3.NumberValue): string {
  const v = Number(n);
  if (Math.abs(v) < 1000) return d3.format(',~r')(Math.round(v * 100) / 100);
  return d3.format('~s')(v);
}

/** An axis of simulated time given in seconds, ticked at round minutes ("0", "10", "20"). */
export function minutesAxis(scaleS: d3.ScaleLinear<number, number>, count: number): d3.Axis<d3.NumberValue> {
  const [a, b] = scaleS.domain();
  return d3
    .axisBottom(scaleS)
    .tickValues(d3.ticks(a / 60, b / 60, count).map((m) => m * 60))
    .tickFormat((s) => d3.format('~r')(Math.round((Number(s) / 60) * 1000) / 1000));
}
