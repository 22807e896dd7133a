// The import rule of DESIGN.md, as a test: protocol/ is pure and knows nothing of sim/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    specs.push(m[1] ?? m[2]);
  }
  return specs;
}

describe('architecture', () => {
  const protocolFiles = sourceFiles(join(root, 'protocol'));

  it('finds the protocol sources', () => {
    expect(protocolFiles.length).toBeGreaterThan(0);
  });

  it('protocol/ imports nothing outside protocol/ but node:crypto', () => {
    const offences: string[] = [];
    for (const file of protocolFiles) {
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (relative(join(root, 'protocol'), target).startsWith('..')) offences.push(`${relative(root, file)} -> ${spec}`);
        } else if (spec !== 'node:crypto') {
          offences.push(`${relative(root, file)} -> ${spec}`);
        }
      }
    }
    expect(offences).toEqual([]);
  });

  it('protocol/ and sim/ never read the wall clock or Math.random', () => {
    const offences: string[] = [];
    const simFiles = sourceFiles(join(root, 'sim')).filter((f) => !f.includes(`${join('sim', 'cli')}`));
    for (const file of [...protocolFiles, ...simFiles]) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/Math\.random|Date\.now|performance\.now|setTimeout|setInterval/.test(line) && !line.includes('// wall-clock ok')) {
          offences.push(`${relative(root, file)}:${i + 1}`);
        }
      });
    }
    expect(offences).toEqual([]);
  });
});
