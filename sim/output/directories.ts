/**
 * Making the directories that outputs go to, and saying why it failed in words a user can act on.
 */

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p`, one level at a time: Node's own recursive mkdir never returns for a path in a
 * file system that answers ENOENT where the parent exists (/proc), and this fails there instead.
 * A file where a directory belongs fails as ENOTDIR.
 */
export function makeDirectories(path: string): void {
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR' });
    return;
  }
  makeDirectories(dirname(path));
  mkdirSync(path);
}

const FS_ERRORS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOENT: 'the file system refuses to make it there',
  ENOSPC: 'no space left on the device',
};

export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code !== undefined && FS_ERRORS[code]) || (e instanceof Error ? e.message : String(e));
}
