/** Atomic file output for reports: write a temporary file beside the target, then rename. */

import { renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirectories } from '../output/directories.js';

export function writeAtomic(file: string, content: string): void {
  makeDirectories(dirname(file));
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}
