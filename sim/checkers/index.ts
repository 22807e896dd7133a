/**
 * Invariant checkers: safety at every step, liveness after healing (STYLE.md 10).
 *
 * One file per invariant; each reads a WorldView (types.ts, built from a World by view.ts)
 * and returns violations with time, host and a readable message. Their time windows come from
 * the protocol's parameters (bounds.ts), never from constants typed in here.
 *
 *   sn-attachment.ts   (a) an online host is attached to exactly one live, serving SN
 *   unique-session.ts  (b) one LS session and one online host per name
 *   host-cache.ts      (c) at most hostCacheMax entries, each an SN (past or present) or bootstrap
 *   sn-placement.ts    (d) no SN behind a NAT or a UDP-blocking firewall (configured truth)
 *   liveness.ts        after healing, every host that can reach an SN is online within a bound
 *
 * How often: the small-world driver (sim/testing) calls `check` after every kernel event, so a
 * state that breaks an invariant for a single event is seen. `checkAll(world)` can be called
 * at any time by other drivers (the scenario engine, at its own interval): it keeps one
 * monitor per world, so windows are measured across calls - the coarser the interval, the
 * later a violation is seen, never missed for a state that lasts beyond its window.
 */

import type { Endpoint } from '../../protocol/node.js';
import type { World } from '../world/world.js';
import { HostCacheChecker } from './host-cache.js';
import { SnAttachmentChecker } from './sn-attachment.js';
import { SnPlacementChecker } from './sn-placement.js';
import type { Checker, Violation, WorldView } from './types.js';
import { UniqueSessionChecker } from './unique-session.js';
import { viewOf, type ViewOptions } from './view.js';

export * from './bounds.js';
export { livenessBound, livenessViolations } from './liveness.js';
export { HostCacheChecker } from './host-cache.js';
export { SnAttachmentChecker } from './sn-attachment.js';
export { SnPlacementChecker } from './sn-placement.js';
export { UniqueSessionChecker } from './unique-session.js';
export type { Checker, HostView, LoginServerView, NodeView, Violation, WorldView } from './types.js';
export { servingSuperNodes, viewOf, type ViewOptions } from './view.js';

export interface MonitorOptions {
  /** Largest host-LS round trip in the world (unique-session's notification delay). */
  readonly rttMaxMs?: number;
  /** Slack added to every window (bounds.ts DEFAULT_SLACK_MS when absent). */
  readonly slackMs?: number;
  /** Host-cache entries a test placed on purpose (not SNs). */
  readonly seededHostCache?: readonly Endpoint[];
}

/** The four safety checkers with their memory; one per world. */
export class InvariantMonitor {
  readonly checkers: readonly Checker[];
  private readonly hostCache: HostCacheChecker;

  constructor(options: MonitorOptions = {}) {
    this.hostCache = new HostCacheChecker(options.seededHostCache);
    this.checkers = [
      new SnAttachmentChecker(options.slackMs),
      new UniqueSessionChecker(options.rttMaxMs, options.slackMs),
      this.hostCache,
      new SnPlacementChecker(),
    ];
  }

  /** Entries a test places in a host cache on purpose. */
  allowHostCacheEntries(entries: readonly Endpoint[]): void {
    this.hostCache.allow(entries);
  }

  noteNodeEvent(host: string, event: string, detail: Readonly<Record<string, string | number | boolean>> | undefined): void {
    for (const c of this.checkers) c.noteNodeEvent?.(host, event, detail);
  }

  check(view: WorldView): Violation[] {
    const out: Violation[] = [];
    for (const c of this.checkers) for (const v of c.check(view)) out.push(v);
    return out;
  }
}

const monitors = new WeakMap<World, InvariantMonitor>();

/** The monitor `checkAll` keeps for `world` (created with `options` on first use). */
export function monitorOf(world: World, options?: MonitorOptions): InvariantMonitor {
  let m = monitors.get(world);
  if (!m) monitors.set(world, (m = new InvariantMonitor(options)));
  return m;
}

/** Runs every safety checker on `world` now; windows are measured across calls on the same world. */
export function checkAll(world: World, options: ViewOptions & MonitorOptions = {}): Violation[] {
  return monitorOf(world, options).check(viewOf(world, options));
}

/** One line per violation: `t=123456ms sn-attachment h3-0: ...`. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `t=${Math.round(v.timeMs)}ms ${v.invariant} ${v.host}: ${v.message}`).join('\n');
}
