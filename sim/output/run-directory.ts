/**
 * A run directory that appears whole or flagged incomplete, never half-written under its name.
 *
 * A run writes into `<dir>.incomplete/`; `commit()` renames it to `<dir>` at the end. A run
 * that fails calls `abandon(reason)`, which leaves the directory under its `.incomplete` name
 * with an INCOMPLETE file saying why; a run killed outright leaves the `.incomplete` name
 * alone, which is flag enough. Readers (viz, reports) take only directories without the suffix.
 *
 * Every run directory holds a `.sim-run` marker. Committing over an existing directory
 * replaces it only if it has the marker (an earlier run) or is empty, so `--out ~` cannot
 * delete a home directory.
 */

import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeFsError, makeDirectories } from './directories.js';

export const INCOMPLETE_SUFFIX = '.incomplete';
export const MARKER_FILE = '.sim-run';
export const INCOMPLETE_FILE = 'INCOMPLETE';

/** The directory cannot be used; the user's to fix (a path that is not a run directory). */
export class RunDirectoryError extends Error {}

export class RunDirectory {
  private state: 'open' | 'committed' | 'abandoned' = 'open';

  private constructor(
    /** Where the run's files go while it runs. */
    readonly path: string,
    /** Where they are once the run is committed. */
    readonly finalPath: string,
  ) {}

  /** Starts a run directory for `finalPath`; a stale `.incomplete` one from an earlier run is removed. */
  static open(finalPath: string): RunDirectory {
    checkReplaceable(finalPath);
    const working = finalPath + INCOMPLETE_SUFFIX;
    if (existsSync(working)) {
      checkReplaceable(working);
      rmSync(working, { recursive: true, force: true });
    }
    try {
      makeDirectories(working);
      writeFileSync(join(working, MARKER_FILE), 'supernode-sim run directory\n');
    } catch (e) {
      throw new RunDirectoryError(`cannot create ${working}: ${describeFsError(e)}`);
    }
    return new RunDirectory(working, finalPath);
  }

  /** The path of a file of the run (for writers that open files themselves). */
  pathOf(name: string): string {
    if (name !== basename(name) || name === '' || name === MARKER_FILE || name === INCOMPLETE_FILE) {
      throw new RangeError(`run files are plain names other than ${MARKER_FILE} and ${INCOMPLETE_FILE}, got ${JSON.stringify(name)}`);
    }
    return join(this.path, name);
  }

  writeFile(name: string, data: string | Uint8Array): void {
    this.checkOpen();
    writeFileSync(this.pathOf(name), data);
  }

  /** Renames the directory to its final name (replacing an earlier run there); returns that name. */
  commit(): string {
    this.checkOpen();
    if (existsSync(this.finalPath)) {
      checkReplaceable(this.finalPath);
      const old = join(dirname(this.finalPath), `.${basename(this.finalPath)}.replaced-${process.pid}`);
      renameSync(this.finalPath, old);
      renameSync(this.path, this.finalPath);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(this.path, this.finalPath);
    }
    this.state = 'committed';
    return this.finalPath;
  }

  /** Leaves the directory flagged incomplete, with the reason in its INCOMPLETE file. */
  abandon(reason: string): void {
    if (this.state !== 'open') return;
    writeFileSync(join(this.path, INCOMPLETE_FILE), reason.endsWith('\n') ? reason : `${reason}\n`);
    this.state = 'abandoned';
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new Error(`run directory ${this.finalPath} is already ${this.state}`);
  }
}

function checkReplaceable(path: string): void {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) throw new RunDirectoryError(`${path} exists and is not a directory`);
  const entries = readdirSync(path);
  if (entries.length > 0 && !entries.includes(MARKER_FILE)) {
    throw new RunDirectoryError(`${path} exists and is not a run directory (no ${MARKER_FILE}); choose another --out`);
  }
}
