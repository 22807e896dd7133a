// The tree compiled with the project's tsconfig into a private directory under test-artifacts/
// (dist/ is rebuilt by others while tests run), for tests that run the compiled programs as a
// user does. A type error elsewhere in the tree does not stop tsc from emitting, so only a
// missing program fails the build.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');

/** Compiles the tree into test-artifacts/NAME-PID; returns that directory and a remover. */
export function compileTree(name: string, mustEmit: readonly string[]): { readonly dir: string; readonly remove: () => void } {
  // Inside the repository, so the build finds package.json (version) and node_modules above it.
  const dir = join(root, 'test-artifacts', `${name}-${process.pid}`);
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', dir], { stdio: 'pipe' });
  } catch {
    // Errors in files being written alongside ours; the emitted JavaScript is still there.
  }
  for (const file of mustEmit) if (!existsSync(join(dir, file))) throw new Error(`the build did not produce ${join(dir, file)}`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
