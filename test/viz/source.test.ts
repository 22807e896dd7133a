// Rules for the visualizer's sources (viz/src): text from runs never becomes markup, viz/
// takes nothing from sim/ but types (DESIGN.md: "its own code; shared types only"), and
// the app type-checks under its own tsconfig (viz/tsconfig.json: DOM, bundler resolution).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './fixture.js';

const src = join(root, 'viz', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('viz/src', () => {
  const files = sourceFiles(src);

  it('has no markup sinks: strings reach the page as text only', () => {
    const sinks = /\.html\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|srcdoc/;
    const offences = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (sinks.test(line) && !line.trim().startsWith('*') && !line.trim().startsWith('//') ? [`${relative(root, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(files.length).toBeGreaterThan(10);
    expect(offences).toEqual([]);
  });

  it('imports nothing from outside viz/ but d3 and type-only imports', () => {
    const offences: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/^(import|export)\s+(type\s+)?[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
        const [, , typeOnly, spec] = m;
        if (spec === 'd3') continue;
        const outside = !spec.startsWith('.') || relative(join(root, 'viz'), resolve(dirname(f), spec)).startsWith('..');
        if (outside && !typeOnly) offences.push(`${relative(root, f)}: ${m[0]}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('type-checks with viz/tsconfig.json', () => {
    let out = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'viz', 'tsconfig.json')], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    // Only our own files: the sim/ files reached through type imports are others' to keep.
    expect(out.split('\n').filter((l) => l.startsWith('viz/'))).toEqual([]);
  });
});
