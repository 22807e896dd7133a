// An in-memory CliIo: what a command printed, a terminal or not, a Ctrl-C and a wall clock on demand.
import type { CliIo } from '../../sim/cli/io.js';

export interface FakeIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
  /** As if the user pressed Ctrl-C. */
  readonly interrupt: () => void;
  /** Moves the wall clock on (it stands still otherwise). */
  readonly advanceWall: (ms: number) => void;
}

export function fakeIo(options: { tty?: boolean; env?: Record<string, string> } = {}): FakeIo {
  let out = '';
  let err = '';
  let wall = 0;
  const listeners = new Set<() => void>();
  return {
    stdout: { write: (t: string) => (out += t), isTTY: options.tty ?? false, columns: 100 },
    stderr: { write: (t: string) => (err += t) },
    env: options.env ?? {},
    onInterrupt(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    wallMs: () => wall,
    interrupt: () => listeners.forEach((l) => l()),
    advanceWall: (ms) => (wall += ms),
    out: () => out,
    err: () => err,
  };
}
