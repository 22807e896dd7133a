// An in-memory CliIo: what a command printed, and a terminal or not.
import type { CliIo } from '../../sim/cli/io.js';

export interface FakeIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

export function fakeIo(options: { tty?: boolean; env?: Record<string, string> } = {}): FakeIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t), isTTY: options.tty ?? false, columns: 100 },
    stderr: { write: (t: string) => (err += t) },
    env: options.env ?? {},
    out: () => out,
    err: () => err,
  };
}
