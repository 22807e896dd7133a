/** What a command may touch of the process: output streams, environment, Ctrl-C, the wall clock (tests pass fakes). */

import type { TerminalOut } from './progress.js';

export interface CliIo {
  readonly stdout: TerminalOut;
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `listener` at the first Ctrl-C (a second one ends the process); returns an unsubscribe. */
  onInterrupt(listener: () => void): () => void;
  /** Wall-clock milliseconds from an arbitrary origin: for budgets and closing messages, never for the simulation. */
  wallMs(): number;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(listener) {
      // Only the first press is ours: the handler removes itself, so a second one gets
      // Node's default and ends the process at once.
      const handler = () => {
        process.off('SIGINT', handler);
        listener();
      };
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    wallMs: () => performance.now(), // wall-clock ok: the CLI's own clock
  };
}
