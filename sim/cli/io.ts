/** What a command may touch of the process: its output streams and environment (tests pass fakes). */

import type { TerminalOut } from './progress.js';

export interface CliIo {
  readonly stdout: TerminalOut;
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
