// Run directories appear whole or flagged incomplete, and never replace what is not a run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INCOMPLETE_FILE, MARKER_FILE, RunDirectory, RunDirectoryError } from '../../sim/output/run-directory.js';

describe('RunDirectory', () => {
  let root: string;
  let final: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'run-dir-'));
    final = join(root, 'churn-1');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes under the .incomplete name and appears whole on commit', () => {
    const dir = RunDirectory.open(final);
    dir.writeFile('summary.json', '{}');
    expect(dir.path).toBe(`${final}.incomplete`);
    expect(existsSync(final)).toBe(false);
    expect(dir.commit()).toBe(final);
    expect(readdirSync(root)).toEqual(['churn-1']);
    expect(readdirSync(final).sort()).toEqual([MARKER_FILE, 'summary.json']);
  });

  it('makes the missing parents, and refuses a place it cannot make with a RunDirectoryError that says why', () => {
    const nested = join(root, 'a', 'b', 'run');
    RunDirectory.open(nested).commit();
    expect(readdirSync(nested)).toEqual([MARKER_FILE]);
    writeFileSync(join(root, 'file'), 'x');
    expect(() => RunDirectory.open(join(root, 'file', 'run'))).toThrow(RunDirectoryError);
    expect(() => RunDirectory.open(join(root, 'file', 'run'))).toThrow(/cannot create .*run\.incomplete: a part of the path is not a directory/);
  });

  // Node's own recursive mkdir never returns there.
  it.runIf(existsSync('/proc/self'))('refuses a place in /proc rather than hang', () => {
    expect(() => RunDirectory.open('/proc/no-such-run')).toThrow(/cannot create \/proc\/no-such-run\.incomplete/);
  });

  it('replaces an earlier run', () => {
    const first = RunDirectory.open(final);
    first.writeFile('old.csv', 'x');
    first.commit();
    const second = RunDirectory.open(final);
    second.writeFile('summary.json', '{}');
    second.commit();
    expect(readdirSync(final).sort()).toEqual([MARKER_FILE, 'summary.json']);
    expect(readdirSync(root)).toEqual(['churn-1']);
  });

  it('leaves a failed run flagged, with the reason', () => {
    const dir = RunDirectory.open(final);
    dir.writeFile('trace.ndjson', '{}\n');
    dir.abandon('internal failure: boom\nreplay: sim run x --seed 1 --run 0');
    expect(existsSync(final)).toBe(false);
    expect(readFileSync(join(`${final}.incomplete`, INCOMPLETE_FILE), 'utf8')).toBe('internal failure: boom\nreplay: sim run x --seed 1 --run 0\n');
    expect(() => dir.commit()).toThrow(/already abandoned/);
  });

  it('clears a stale .incomplete directory of an earlier, killed run', () => {
    RunDirectory.open(final).writeFile('half.csv', 'x');
    const dir = RunDirectory.open(final);
    expect(readdirSync(dir.path)).toEqual([MARKER_FILE]);
  });

  it('refuses to replace a directory that is not a run directory', () => {
    mkdirSync(final);
    writeFileSync(join(final, 'thesis.tex'), 'years of work');
    expect(() => RunDirectory.open(final)).toThrow(RunDirectoryError);
    expect(readFileSync(join(final, 'thesis.tex'), 'utf8')).toBe('years of work');
  });

  it('refuses a directory that turned into something else before the commit', () => {
    const dir = RunDirectory.open(final);
    mkdirSync(final);
    writeFileSync(join(final, 'notes.txt'), 'mine');
    expect(() => dir.commit()).toThrow(RunDirectoryError);
    expect(readFileSync(join(final, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('takes plain file names only', () => {
    const dir = RunDirectory.open(final);
    expect(dir.pathOf('metrics.csv')).toBe(join(`${final}.incomplete`, 'metrics.csv'));
    for (const bad of ['../escape', 'sub/file', '', MARKER_FILE, INCOMPLETE_FILE]) expect(() => dir.pathOf(bad)).toThrow(RangeError);
  });
});
