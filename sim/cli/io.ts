/** What a command may touch of the process: output streams, environment, Ctrl-C (tests pass fakes). */

import type { TerminalOut } from './progress.js';

export interface CliIo {
  readonly stdout: TerminalOut;
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `listener` at the first Ctrl-C (a second one ends the process); returns an unsubscribe. */
  onInterrupt(listener: () => void): () => void;
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
  };
}
