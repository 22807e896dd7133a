// `sim viz` as the command line runs it: which directories it refuses (exit 2), what its
// loopback server answers and refuses, and Ctrl-C closing it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../sim/cli/cli.js';
import { findRuns } from '../../sim/cli/commands/viz.js';
import { fakeIo } from '../cli/fake-io.js';
import { makeRun } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'viz-server-'));
let run: string;

beforeAll(async () => {
  ({ path: run } = await makeRun(dir, 'tiny', ['hosts[0].count=10', 'hosts[1].count=10', 'hosts[2].count=10', 'hosts[3].count=10', 'duration=2min', 'output.trace=full']));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A raw GET (no URL normalisation, any Host header). */
function get(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('sim viz', () => {
  it('exits 2 for a directory that is not a run, or a run that failed before its summary', async () => {
    const failed = join(dir, 'broken.incomplete');
    const empty = join(dir, 'empty');
    mkdirSync(failed);
    mkdirSync(empty);
    writeFileSync(join(failed, 'trace.ndjson'), '{}\n');
    for (const [path, message] of [
      [join(dir, 'missing'), 'not a directory'],
      [failed, 'a run that failed before writing its summary.json; see its INCOMPLETE file'],
      [empty, 'not a run directory: no summary.json'],
    ]) {
      const io = fakeIo();
      expect(await runCli(['viz', path], io)).toBe(2);
      expect(io.err()).toBe(`${path}  ${message}\n`);
      expect(io.out()).toBe('');
    }
  });

  it('serves a run that ended early when it is named, and lists only finished runs by itself', () => {
    const stopped = join(dir, 'runs', 'tiny.incomplete');
    mkdirSync(stopped, { recursive: true });
    writeFileSync(join(stopped, 'summary.json'), readFileSync(join(run, 'summary.json')));
    expect(findRuns([stopped])).toEqual([{ id: '0', name: 'tiny.incomplete', path: stopped, files: { 'summary.json': expect.any(Number) } }]);
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      expect(() => findRuns([])).toThrow(/none under \.\/runs/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('documents itself in --help', async () => {
    const io = fakeIo();
    expect(await runCli(['viz', '--help'], io)).toBe(0);
    expect(io.out()).toContain('sim viz [runs..]');
    expect(io.out()).toContain('--port');
    expect(io.out()).toContain('--dev');
  });

  it('builds the app, serves it and the run files on 127.0.0.1 until Ctrl-C', async () => {
    const io = fakeIo();
    const exit = runCli(['viz', run], io);
    const started = Date.now();
    while (!/http:\/\/127\.0\.0\.1:\d+\//.test(io.out())) {
      if (Date.now() - started > 50_000) throw new Error(`no URL printed: ${io.out()} ${io.err()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(io.out())![0];
    expect(io.out()).toContain(`open    tiny  ${run}`);

    const page = await get(url, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module"');
    const runs = JSON.parse((await get(url, '/api/runs')).body) as { id: string; name: string; files: Record<string, number> }[];
    expect(runs).toEqual([{ id: '0', name: 'tiny', path: run, files: { 'summary.json': expect.any(Number), 'metrics.csv': expect.any(Number), 'trace.ndjson': expect.any(Number) } }]);
    for (const f of ['summary.json', 'metrics.csv', 'trace.ndjson']) {
      const res = await get(url, `/runs/0/${f}`);
      expect(res.status).toBe(200);
      expect(res.body).toBe(readFileSync(join(run, f), 'utf8'));
      expect(Number(res.headers['content-length'])).toBe(runs[0].files[f]);
    }
    // Nothing else of the disk, nothing for other hosts, nothing but reads.
    expect((await get(url, '/runs/0/.sim-run')).status).toBe(404);
    expect((await get(url, '/runs/1/summary.json')).status).toBe(404);
    expect((await get(url, '/runs/0/..%2F..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
    expect((await get(url, '/%2e%2e/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await get(url, '/../../../../etc/passwd')).status).toBe(404);
    expect((await get(url, '/api/runs', { host: 'attacker.example' })).status).toBe(403);
    expect((await get(url, '/api/runs', {}, 'POST')).status).toBe(405);

    io.interrupt();
    expect(await exit).toBe(0);
    await expect(get(url, '/api/runs')).rejects.toThrow();
  });
});
