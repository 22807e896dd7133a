// Chromium for the visualizer's tests and measurements: Debian's /usr/bin/chromium driven by
// playwright-core, headless, in a fresh profile directory; and the page-side measurements
// (first paint, frame times while brushing) read from window.__viz.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { VizHooks } from '../../viz/src/hooks.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a profile of its own (playwright passes it as --user-data-dir). */
export async function launch(viewport = { width: 1600, height: 1000 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'viz-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page's window.__viz, typed, inside page.evaluate. */
export type VizWindow = { __viz: VizHooks };

/** Opens `url` and waits until the trace views are drawn, or only the summary's for a run without trace (or until the page reports an error). */
export async function openRun(page: Page, url: string, timeoutMs = 60_000, until: 'trace' | 'summary' = 'trace'): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction((what) => {
    const v = (globalThis as unknown as Partial<VizWindow>).__viz;
    return v !== undefined && (v.ready[what] || v.error !== null);
  }, until, { timeout: timeoutMs });
  const error = await page.evaluate(() => (globalThis as unknown as VizWindow).__viz.error);
  if (error !== null || errors.length > 0) throw new Error(`the page failed: ${error ?? ''} ${errors.join('; ')}`);
}

export interface Stats {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export function stats(values: readonly number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN);
  return { n: s.length, p50: round(at(0.5)), p95: round(at(0.95)), max: round(s[s.length - 1] ?? NaN) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Screen x of simulated time `tMs` on the timeline, and the y of its middle. */
export async function timelinePoint(page: Page, tMs: number, endMs: number): Promise<{ x: number; y: number }> {
  const box = await page.locator('#timeline .brush rect.overlay').boundingBox();
  if (!box) throw new Error('no brush on the timeline');
  return { x: box.x + (tMs / endMs) * box.width, y: box.y + box.height / 2 };
}

export interface BrushMeasurement {
  /** Time in the brush handler per brush event: state change and every view's update. */
  readonly handler: Stats;
  /** Intervals between animation frames while the mouse dragged. */
  readonly frames: Stats;
  /** Mean time per brush event each view spent updating. */
  readonly perViewMs: Record<string, number>;
}

/**
 * Drags a new selection from `fromMs` to `toMs` on the timeline, then drags that selection
 * along by `panMs`, `steps` mouse moves each, recording every animation frame meanwhile.
 */
export async function brushWithMouse(page: Page, endMs: number, fromMs: number, toMs: number, panMs: number, steps = 30): Promise<BrushMeasurement> {
  await page.evaluate(() => {
    const g = globalThis as unknown as { __frames: number[]; __recording: boolean; requestAnimationFrame(cb: (t: number) => void): number } & VizWindow;
    g.__viz.perf.brushHandlerMs.length = 0;
    (g as unknown as { __viewMs0: Record<string, number> }).__viewMs0 = g.__viz.viewMs();
    g.__frames = [];
    g.__recording = true;
    let last = -1;
    const tick = (t: number) => {
      if (last >= 0) g.__frames.push(t - last);
      last = t;
      if (g.__recording) g.requestAnimationFrame(tick);
    };
    g.requestAnimationFrame(tick);
  });
  const a = await timelinePoint(page, fromMs, endMs);
  const b = await timelinePoint(page, toMs, endMs);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps });
  await page.mouse.up();
  const mid = await timelinePoint(page, (fromMs + toMs) / 2, endMs);
  const moved = await timelinePoint(page, (fromMs + toMs) / 2 + panMs, endMs);
  await page.mouse.move(mid.x, mid.y);
  await page.mouse.down();
  await page.mouse.move(moved.x, moved.y, { steps });
  await page.mouse.up();
  const { handler, frames, viewMs0, viewMs1 } = await page.evaluate(() => {
    const g = globalThis as unknown as { __frames: number[]; __recording: boolean; __viewMs0: Record<string, number> } & VizWindow;
    g.__recording = false;
    return { handler: [...g.__viz.perf.brushHandlerMs], frames: g.__frames, viewMs0: g.__viewMs0, viewMs1: g.__viz.viewMs() };
  });
  const perViewMs = Object.fromEntries(Object.entries(viewMs1).map(([k, v]) => [k, round((v - (viewMs0[k] ?? 0)) / Math.max(1, handler.length))]));
  return { handler: stats(handler), frames: stats(frames), perViewMs };
}

export interface LoadMeasurement {
  /** summary.json and metrics.csv drawn (headline, timeline, distributions), ms after navigation. */
  readonly firstPaintMs: number;
  /** The browser's first contentful paint. */
  readonly firstContentfulPaintMs: number | null;
  /** The trace streamed in and the trace views drawn. */
  readonly traceReadyMs: number;
  readonly traceLines: number;
  readonly traceBytes: number;
}

export async function loadTimes(page: Page): Promise<LoadMeasurement> {
  return page.evaluate(() => {
    const g = globalThis as unknown as VizWindow & { performance: { getEntriesByName(n: string): { startTime: number }[] } };
    const p = g.__viz.perf;
    const fcp = g.performance.getEntriesByName('first-contentful-paint')[0];
    return { firstPaintMs: p.firstPaintMs ?? NaN, firstContentfulPaintMs: fcp ? fcp.startTime : null, traceReadyMs: p.traceReadyMs ?? NaN, traceLines: p.traceLines, traceBytes: p.traceBytes };
  });
}
