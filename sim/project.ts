/**
 * Where the project's own files are - package.json, scenarios/, viz/, bench/reference/ - seen
 * from any of its modules, in the sources (sim/cli), compiled (dist/sim/cli) or compiled
 * elsewhere (a test's private build under test-artifacts/): the nearest folder above the module
 * that holds the project's package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'supernode-sim';

export interface Project {
  readonly root: string;
  readonly version: string;
}

/** The project that `moduleUrl` (a module's import.meta.url) belongs to. */
export function projectOf(moduleUrl: string): Project {
  const from = fileURLToPath(moduleUrl);
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version) return { root: dir, version: pkg.version };
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${from}`);
  }
}

/** A path inside the project of `moduleUrl`. */
export function projectPath(moduleUrl: string, ...parts: string[]): string {
  return join(projectOf(moduleUrl).root, ...parts);
}
