#!/usr/bin/env node
/** The `sim` executable (package.json `bin`). */

import { relaunchWithHeapFor } from '../run/heap.js';
import { runCli } from './cli.js';
import { processIo } from './io.js';

// `sim schema | head` closes the pipe early; that is the reader's choice, not a failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

// A run larger than Node's default heap runs in a child with a larger one (sim/run/heap.ts).
process.exitCode = (await relaunchWithHeapFor(process.argv.slice(2))) ?? (await runCli(process.argv.slice(2), processIo()));
