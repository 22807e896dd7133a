// The compiled `sim` (package.json bin: dist/sim/cli/main.js), run as a user runs it: exit
// codes and messages on stderr (test/compiled-tree.ts builds it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { scenarioJsonSchema } from '../../sim/scenario/index.js';
import { compileTree, root } from '../compiled-tree.js';
import { BROKEN_CASES } from '../scenario/broken-cases.js';

const bin = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { sim: string } }).bin.sim;
let main: string;
let removeBuild: () => void;
const scenarios = join(root, 'scenarios');
let dir: string;

/** Runs the built sim; concurrent, since each run is mostly Node starting up. */
function sim(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: dir, env: { ...process.env, CI: 'true' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
  });
}

beforeAll(() => {
  const program = bin.replace(/^dist\//, '');
  const build = compileTree('cli-build', [program]);
  main = join(build.dir, program);
  removeBuild = build.remove;
  dir = mkdtempSync(join(tmpdir(), 'sim-built-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeBuild?.();
});

describe.concurrent('the built sim', () => {
  it('is what package.json names as the sim executable', ({ expect }) => {
    expect(bin).toBe('dist/sim/cli/main.js');
    expect(readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  // Concurrent tests assert with their own `expect`, so a failure is reported against its test.
  it.for(BROKEN_CASES.map((c, i) => ({ ...c, file: `broken-${i}.yaml` })))('exits 2 for $name', async ({ yaml, errors, file }, { expect }) => {
    writeFileSync(join(dir, file), yaml);
    const r = await sim('validate', file);
    expect(r.code).toBe(2);
    const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
    expect(r.err).toBe(`${errors.map((e) => e.replace('FILE', file)).join('\n')}\n${count}\n`);
    expect(r.out).toBe('');
  });

  it('exits 2 for a missing file', async ({ expect }) => {
    expect(await sim('validate', 'nowhere.yaml')).toEqual({ code: 2, out: '', err: 'nowhere.yaml  cannot read the scenario file: no such file\n1 error\n' });
  });

  it.for(readdirSync(scenarios).filter((f) => f.endsWith('.yaml')))('validates scenarios/%s', async (file, { expect }) => {
    const r = await sim('validate', join(scenarios, file));
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/: ok - /);
  });

  it('exits 2 for a bad --set, naming the option', async ({ expect }) => {
    const r = await sim('run', join(scenarios, 'sn-crash.yaml'), '--set', 'events[0].share=1/3');
    expect(r.code).toBe(2);
    expect(r.err).toBe('--set events[0].share=1/3  events[0].share: expected a ratio from 0 to 1, or a percentage such as 5%, got "1/3"\n1 error\n');
  });

  it('prints the JSON Schema', async ({ expect }) => {
    const r = await sim('schema');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(scenarioJsonSchema());
  });

  it('shows help with examples and exits 0', async ({ expect }) => {
    const r = await sim('run', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('sim run scenarios/churn.yaml --seed 7 --run 2');
  });
});
