/**
 * All the runs of the report, seeded: seed = base + repetition. Sessions (session.ts) run in
 * every setup `repetitions` times (30, or 3 with --quick) and give the distributions; the
 * fall-back, host-cache and port runs (fallback.ts, ports.ts) run once each, since what they
 * measure is exact.
 */

import { runFallback, runHostCache, type FallbackResult, type HostCacheResult } from './fallback.js';
import { SETUP_NAMES, type LabSetup, type SetupName } from './lab.js';
import { runPorts, type PortsResult } from './ports.js';
import { runSearches, type SearchResult } from './search-runs.js';
import { runSession, type SessionResult } from './session.js';

export interface MeasureOptions {
  readonly repetitions: number;
  readonly baseSeed: number;
  /** Public hosts of the host-cache run (the lab's `peers` count unless smaller for --quick). */
  readonly peers: number;
  readonly onProgress?: (what: string) => void;
}

export interface Measurements {
  readonly sessions: Readonly<Record<SetupName, readonly SessionResult[]>>;
  readonly fallback: { readonly fresh: FallbackResult; readonly populated: FallbackResult };
  readonly hostCache: HostCacheResult;
  readonly ports: PortsResult;
  readonly searches: Readonly<Record<SetupName, readonly SearchResult[]>>;
  readonly seeds: readonly number[];
}

export function measure(lab: Readonly<Record<SetupName, LabSetup>>, o: MeasureOptions): Measurements {
  const seeds = Array.from({ length: o.repetitions }, (_, i) => o.baseSeed + i);
  const sessions = {} as Record<SetupName, SessionResult[]>;
  for (const name of SETUP_NAMES) {
    o.onProgress?.(`sessions: ${name}`);
    // Ladder diagrams come from the first repetition's trace.
    sessions[name] = seeds.map((seed, i) => runSession(lab[name], seed, i === 0));
  }
  const searches = {} as Record<SetupName, SearchResult[]>;
  for (const name of SETUP_NAMES) {
    o.onProgress?.(`searches: ${name}`);
    searches[name] = seeds.map((seed, i) => runSearches(lab[name], seed, i === 0));
  }
  o.onProgress?.('fall-back ladders');
  const fallback = { fresh: runFallback(lab.public, o.baseSeed, 'fresh'), populated: runFallback(lab.public, o.baseSeed, 'populated') };
  o.onProgress?.(`host cache (${o.peers} peers)`);
  const hostCache = runHostCache(lab.public, o.baseSeed, o.peers);
  o.onProgress?.('ports');
  const ports = runPorts(lab.public, o.baseSeed);
  return { sessions, fallback, hostCache, ports, searches, seeds };
}
