/**
 * Scheduled events of a scenario: faults and changes at fixed simulated times.
 *
 * - crash-supernodes: that share of the hosts serving as SNs at that moment (bootstrap SNs
 *   included) crash, drawn from the `events` stream. Bootstrap SNs stay down; an ordinary
 *   host comes back when its user next joins (churn).
 * - restart: that share of the named groups' hosts that are up leave (crash or logout) at
 *   uniformly drawn times within the spread, and join again after the downtime - the shape of
 *   a login storm.
 * - partition / heal: traffic between regions on different sides is cut (see Network.partition).
 * - login-server-down / up: every LS crashes / starts again (accounts survive on its disk).
 * - set-loss: every access link's loss model is replaced.
 *
 * Events at equal times run in the order the file lists them (the kernel's tie rule).
 */

import type { Rng } from '../kernel/rng.js';
import type { ScheduledEvent } from '../scenario/types.js';
import type { World } from './world.js';

export function scheduleEvents(world: World, events: readonly ScheduledEvent[], rng: Rng): void {
  for (const ev of events) world.kernel.at(ev.atMs, (e: ScheduledEvent) => apply(world, e, rng), ev);
}

function apply(world: World, ev: ScheduledEvent, rng: Rng): void {
  world.metrics.count(`event.${ev.action}`);
  switch (ev.action) {
    case 'crash-supernodes':
      return crashSupernodes(world, ev.shareRatio, rng);
    case 'restart':
      return restart(world, ev, rng);
    case 'partition':
      return partition(world, ev.sides);
    case 'heal':
      world.net.heal();
      return;
    case 'login-server-down':
      for (const ls of world.loginServers) ls.runtime.crash();
      return;
    case 'login-server-up':
      for (const ls of world.loginServers) if (!ls.runtime.up) ls.runtime.start();
      return;
    case 'set-loss':
      for (let host = 0; host < world.net.hostCount; host++) world.net.setLinkLoss(host, ev.loss);
      return;
  }
}

function crashSupernodes(world: World, shareRatio: number, rng: Rng): void {
  const serving: (() => void)[] = [];
  for (const sn of world.bootstrapSupernodes) if (sn.runtime.node?.isSuperNode) serving.push(() => sn.runtime.crash());
  for (const h of world.hosts) if (h.runtime.node?.isSuperNode) serving.push(() => world.leave(h.index, 'crash'));
  const victims = chooseShare(serving.length, shareRatio, rng);
  world.metrics.count('supernodesCrashedByEvent', victims.length);
  for (const i of victims) serving[i]();
}

function restart(world: World, ev: Extract<ScheduledEvent, { action: 'restart' }>, rng: Rng): void {
  const groups = new Set(ev.groups);
  const candidates = world.hosts.filter((h) => (groups.size === 0 || groups.has(h.group)) && h.runtime.up);
  for (const i of chooseShare(candidates.length, ev.shareRatio, rng)) {
    const h = candidates[i];
    const downAtMs = world.kernel.now + rng.next() * ev.spreadMs;
    world.kernel.at(downAtMs, () => world.leave(h.index, ev.leave), null);
    world.kernel.at(downAtMs + ev.downtimeMs, () => world.join(h.index), null);
  }
}

function partition(world: World, sides: readonly (readonly string[])[]): void {
  const listed = new Set(sides.flat());
  const rest = world.scenario.network.regions.filter((r) => !listed.has(r));
  const all = rest.length > 0 ? [...sides, rest] : sides;
  for (let a = 0; a < all.length; a++) for (let b = a + 1; b < all.length; b++) world.net.partition(all[a], all[b]);
}

/** round(n * share) distinct indices in [0, n), drawn without replacement, in ascending order. */
export function chooseShare(n: number, share: number, rng: Rng): number[] {
  const k = Math.round(n * share);
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k).sort((a, b) => a - b);
}
