// Measures the visualizer on a run directory: time to first paint, time until the trace views
// are drawn, and frame times while brushing the timeline with the mouse. Not a test (it takes
// a large run); build with `npx tsc -p tsconfig.json`, then:
//
//   node dist/test/viz/perf.js RUN_DIR [--window-min 10] [--repeat 3]
//
// Prints one JSON line per repetition.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startViz } from '../../sim/cli/commands/viz.js';
import { brushWithMouse, launch, loadTimes, openRun } from './browser.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'window-min': { type: 'string', default: '10' }, repeat: { type: 'string', default: '3' } } });
const dir = positionals[0];
if (!dir) {
  process.stderr.write('usage: node dist/test/viz/perf.js RUN_DIR [--window-min 10] [--repeat 3]\n');
  process.exit(2);
}
const endMs = (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { status: { simulatedMs: number } }).status.simulatedMs;
const windowMs = Number(values['window-min']) * 60_000;
const server = await startViz({ runDirs: [dir] });
const browser = await launch();
try {
  for (let i = 0; i < Number(values.repeat); i++) {
    const page = await browser.context.newPage();
    await openRun(page, server.url, 300_000);
    const load = await loadTimes(page);
    const from = endMs * 0.2;
    const brush = await brushWithMouse(page, endMs, from, from + windowMs, windowMs, 40);
    process.stdout.write(`${JSON.stringify({ run: dir, repetition: i, ...load, brushHandlerMs: brush.handler, brushFrameMs: brush.frames, perViewMs: brush.perViewMs })}\n`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
