/**
 * The command line that repeats a run exactly: the same file, the seed it ran with (written
 * out even when it came from the file), the replication, and every override. Printed when a
 * run fails, and handed to the engine for its own failure messages.
 */

export interface ReplayArgs {
  readonly file: string;
  readonly seed: number;
  readonly run: number;
  readonly out?: string;
  readonly set: readonly string[];
  readonly trace?: string;
  readonly pcap?: boolean;
  /** The event budget: where a partial run stopped is part of what it did. */
  readonly maxEvents?: number;
}

export function replayCommand(a: ReplayArgs): string {
  const words = ['sim', 'run', a.file, '--seed', String(a.seed), '--run', String(a.run)];
  if (a.out !== undefined) words.push('--out', a.out);
  for (const s of a.set) words.push('--set', s);
  if (a.trace !== undefined) words.push('--trace', a.trace);
  if (a.pcap !== undefined) words.push(a.pcap ? '--pcap' : '--no-pcap');
  if (a.maxEvents !== undefined) words.push('--max-events', String(a.maxEvents));
  return words.map(shellQuote).join(' ');
}

/** Quotes a word for a POSIX shell, leaving plain words bare so the line stays readable. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.:=,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
