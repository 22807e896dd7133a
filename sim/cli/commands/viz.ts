/**
 * `sim viz [RUN_DIR ...]`: build the web visualizer (viz/, Vite's programmatic API) and serve
 * it with the run directories' files, on loopback only.
 *
 * What the page may fetch:
 *   /api/runs                    the runs served: [{ id, name, path, files: { name: bytes } }]
 *   /runs/<id>/<file>            summary.json, metrics.csv or trace.ndjson of run <id>, streamed
 *   everything else              the built app (index.html, assets/...)
 * Nothing else of the file system is reachable: run files are named from a fixed list, and
 * static paths are resolved inside the build directory. The server listens on 127.0.0.1 and
 * answers only requests whose Host header names a loopback host (a page on another site cannot
 * reach it by rebinding a DNS name to 127.0.0.1).
 *
 * With no RUN_DIR, every finished run under ./runs is served, newest first. The first run is
 * the one the page opens; a second is offered side by side for comparison. A directory still
 * named `.incomplete` (sim/output/run-directory.ts) is served when named, if it holds a
 * summary.json: a run that Ctrl-C or a budget ended early wrote every file, and the page marks
 * it INCOMPLETE. One without is a run that failed before its summary, and is refused.
 *
 * `--dev` serves viz/ through Vite's dev server instead (hot reload while editing the app),
 * with the same /api and /runs routes (package.json `viz:dev`).
 */

import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { INCOMPLETE_SUFFIX, MARKER_FILE } from '../../output/run-directory.js';
import { EXIT_BAD_INPUT, EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { projectPath } from '../../project.js';

/** The files of a run directory the visualizer reads. */
export const RUN_FILES = ['summary.json', 'metrics.csv', 'trace.ndjson'] as const;
export type RunFile = (typeof RUN_FILES)[number];

export interface VizArgs {
  readonly runDirs: readonly string[];
  /** 0 or absent: a free port. */
  readonly port?: number;
  readonly dev?: boolean;
}

export interface ServedRun {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  /** Size in bytes of each run file present. */
  readonly files: Partial<Record<RunFile, number>>;
}

export interface VizServer {
  readonly url: string;
  readonly runs: readonly ServedRun[];
  close(): Promise<void>;
}

/** A run directory the user named cannot be served; the user's to fix. */
export class VizInputError extends Error {}

export async function vizCommand(args: VizArgs, io: CliIo): Promise<number> {
  let server: VizServer;
  try {
    server = await startViz({ ...args, log: (line) => io.stderr.write(`${line}\n`) });
  } catch (e) {
    if (!(e instanceof VizInputError)) throw e;
    io.stderr.write(`${e.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const stopped = new Promise<void>((done) => {
    const stop = io.onInterrupt(() => {
      stop();
      done();
    });
  });
  io.stdout.write(`${servingText(server)}\n`);
  await stopped;
  await server.close();
  return EXIT_OK;
}

function servingText(server: VizServer): string {
  const lines = server.runs.map((r, i) => `  ${i === 0 ? 'open   ' : i === 1 ? 'compare' : '       '} ${r.name}  ${r.path}`);
  return [`sim viz: ${server.url}`, ...lines, 'Ctrl-C to stop'].join('\n');
}

export interface StartOptions extends VizArgs {
  /** Build messages and warnings (Vite's); silent by default. */
  readonly log?: (line: string) => void;
}

/** Builds (or, with `dev`, serves from source) the app and starts the server on 127.0.0.1. */
export async function startViz(options: StartOptions): Promise<VizServer> {
  const runs = findRuns(options.runDirs);
  const vizRoot = findVizRoot();
  const vite = await import('vite');
  const runRoutes = runRouteHandler(runs);

  if (options.dev) {
    const dev = await vite.createServer({
      root: vizRoot,
      configFile: false,
      envDir: false,
      publicDir: false,
      logLevel: options.log ? 'info' : 'silent',
      server: { host: '127.0.0.1', port: options.port ?? 0, strictPort: options.port !== undefined && options.port !== 0 },
      plugins: [
        {
          name: 'sim-run-files',
          configureServer(s) {
            s.middlewares.use((req, res, next) => {
              if (!runRoutes(req, res)) next();
            });
          },
        },
      ],
    });
    await dev.listen();
    const address = dev.httpServer?.address() as AddressInfo | null;
    if (!address) throw new Error('the Vite dev server did not start listening');
    return { url: `http://127.0.0.1:${address.port}/`, runs, close: () => dev.close() };
  }

  const outDir = mkdtempSync(join(tmpdir(), 'sim-viz-'));
  try {
    await vite.build({
      root: vizRoot,
      configFile: false,
      envDir: false,
      publicDir: false,
      base: './',
      logLevel: options.log ? 'warn' : 'silent',
      build: { outDir, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 2048, sourcemap: true },
    });
  } catch (e) {
    rmSync(outDir, { recursive: true, force: true });
    throw e;
  }
  const server = createServer((req, res) => {
    if (!fromLoopback(req)) return send(res, 403, 'text/plain', 'sim viz answers loopback hosts only\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
    if (runRoutes(req, res)) return;
    serveStatic(outDir, req, res);
  });
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}/`,
    runs,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(outDir, { recursive: true, force: true });
          done();
        });
      }),
  };
}

/** The runs to serve: the directories named, or every finished run under ./runs, newest first. */
export function findRuns(runDirs: readonly string[]): ServedRun[] {
  const dirs = runDirs.length > 0 ? runDirs.map((d) => resolve(d)) : runsUnder(resolve('runs'));
  if (dirs.length === 0) throw new VizInputError('sim viz: no run directories given, and none under ./runs (sim run writes them there)');
  return dirs.map((dir, i) => {
    const name = basename(dir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new VizInputError(`${dir}  not a directory`);
    if (!existsSync(join(dir, 'summary.json'))) {
      throw new VizInputError(
        name.endsWith(INCOMPLETE_SUFFIX) ? `${dir}  a run that failed before writing its summary.json; see its INCOMPLETE file` : `${dir}  not a run directory: no summary.json`,
      );
    }
    const files: Partial<Record<RunFile, number>> = {};
    for (const f of RUN_FILES) {
      const p = join(dir, f);
      if (existsSync(p)) files[f] = statSync(p).size;
    }
    return { id: String(i), name, path: dir, files };
  });
}

function runsUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((n) => join(root, n))
    .filter((d) => !d.endsWith(INCOMPLETE_SUFFIX) && existsSync(join(d, MARKER_FILE)) && existsSync(join(d, 'summary.json')))
    .map((d) => ({ d, mtimeMs: statSync(join(d, 'summary.json')).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs || (a.d < b.d ? -1 : 1))
    .map((x) => x.d);
}

/** viz/ of this checkout: the first ancestor of this file holding viz/index.html. */
function findVizRoot(): string {
  const dir = projectPath(import.meta.url, 'viz');
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`cannot find the visualizer sources (${join(dir, 'index.html')})`);
  return dir;
}

/** Answers /api/runs and /runs/<id>/<file>; false for any other path. */
function runRouteHandler(runs: readonly ServedRun[]): (req: IncomingMessage, res: ServerResponse) => boolean {
  const listing = JSON.stringify(runs);
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/api/runs') {
      send(res, 200, 'application/json', listing, req.method === 'HEAD');
      return true;
    }
    const m = /^\/runs\/(\d+)\/([^/]+)$/.exec(path);
    if (!m) return false;
    const run = runs[Number(m[1])];
    const file = m[2] as RunFile;
    if (!run || !RUN_FILES.includes(file) || run.files[file] === undefined) {
      send(res, 404, 'text/plain', 'no such run file\n');
      return true;
    }
    streamFile(join(run.path, file), req, res);
    return true;
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.ndjson': 'application/x-ndjson',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): void {
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    return send(res, 400, 'text/plain', 'bad path\n');
  }
  const file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
  const rel = relative(root, file);
  if (rel.startsWith('..') || rel.includes(`..${sep}`) || !existsSync(file) || !statSync(file).isFile()) {
    return send(res, 404, 'text/plain', 'not found\n');
  }
  streamFile(file, req, res);
}

function streamFile(file: string, req: IncomingMessage, res: ServerResponse): void {
  const size = statSync(file).size;
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': String(size),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

function send(res: ServerResponse, status: number, type: string, body: string, headOnly = false): void {
  res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' });
  res.end(headOnly ? undefined : body);
}

function fromLoopback(req: IncomingMessage): boolean {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail);
      done((server.address() as AddressInfo).port);
    });
  });
}
