/**
 * Trace sinks: where the writer's chunks go. A memory sink for tests, a file sink for runs.
 *
 * The file sink writes synchronously: a chunk is on disk (in the OS's hands) when `write`
 * returns, so a run that crashes leaves a trace up to its last full chunk, and the sink needs
 * no event loop - the simulation never yields to it.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceSink } from './writer.js';

export class MemorySink implements TraceSink {
  private readonly chunks: string[] = [];
  closed = false;

  write(chunk: string): void {
    this.chunks.push(chunk);
  }

  close(): void {
    this.closed = true;
  }

  text(): string {
    return this.chunks.join('');
  }

  /** Every line written so far, parsed. */
  events(): Record<string, unknown>[] {
    return this.text()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export class FileSink implements TraceSink {
  private fd: number;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(chunk: string): void {
    writeSync(this.fd, chunk);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
