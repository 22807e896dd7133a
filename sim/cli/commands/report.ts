/**
 * `sim report baset [--quick] [--out DIR]`: regenerate the Baset & Schulzrinne comparison
 * (sim/report/baset/report.ts) into DIR (default reports/baset). Exit 0 when written - rows
 * that differ from the published figures are findings, not failures; 2 on a bad setup file
 * (file:line:col), 1 on an internal failure.
 */

import { resolve } from 'node:path';
import { describeFsError, makeDirectories } from '../../output/directories.js';
import { LabError } from '../../report/baset/lab.js';
import { runBasetReport } from '../../report/baset/report.js';
import { EXIT_BAD_INPUT, EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { packageVersion } from '../version.js';

export interface ReportArgs {
  readonly which: string;
  readonly quick: boolean;
  readonly out?: string;
  readonly quiet?: boolean;
}

export function reportCommand(args: ReportArgs, io: CliIo): number {
  if (args.which !== 'baset') {
    io.stderr.write(`sim report: no report named "${args.which}" (there is: baset)\n`);
    return EXIT_BAD_INPUT;
  }
  const outDir = resolve(args.out ?? 'reports/baset');
  // Before the measurements, which take minutes: a place that cannot hold the report is said now.
  try {
    makeDirectories(outDir);
  } catch (e) {
    io.stderr.write(`${args.out !== undefined ? `--out ${args.out}  ` : ''}cannot create ${outDir}: ${describeFsError(e)}\n`);
    return EXIT_BAD_INPUT;
  }
  const say = (s: string) => {
    if (!args.quiet) io.stderr.write(`${s}\n`);
  };
  let report;
  try {
    report = runBasetReport({ quick: args.quick, outDir, version: packageVersion(), onProgress: (w) => say(`report baset: ${w}`) });
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    io.stderr.write(`${e.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const count = (v: string) => report.rows.filter((r) => r.verdict === v).length;
  if (!args.quiet) {
    io.stdout.write(`wrote ${outDir}/report.md, results.json and ${report.files.filter((f) => f.endsWith('.svg')).length} figures in ${report.wallSeconds.toFixed(1)} s\n`);
    io.stdout.write(`rows: ${count('pass')} pass, ${count('differ')} differ, ${count('not-measured')} not measured\n`);
  }
  return EXIT_OK;
}
