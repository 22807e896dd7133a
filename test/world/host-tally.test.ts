// The world's HostTally (counts kept as inputs are delivered) agrees with a recount of every
// node at every instant, through logins, promotions, logouts, crashes and restarts.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseSetOption, isOverride } from '../../sim/scenario/index.js';
import { TraceWriter } from '../../sim/trace/index.js';
import { recount } from '../../sim/world/host-tally.js';
import { World } from '../../sim/world/world.js';

const churnFile = resolve(import.meta.dirname, '../../scenarios/churn.yaml');

function world(): World {
  // Small SNs and a short uptime threshold, so that hosts get promoted within the run.
  const sets = [
    'hosts[0].count=40',
    'hosts[1].count=40',
    'hosts[2].count=40',
    'hosts[3].count=60',
    'duration=30min',
    'output.trace=off',
    'protocol.passwordWorkFactor=1',
    'protocol.snClientCapacity=4',
    'protocol.snUptimeThreshold=1min',
  ];
  const overrides = sets.map(parseSetOption).map((o) => {
    if (!isOverride(o)) throw new Error(JSON.stringify(o));
    return o;
  });
  const loaded = loadScenarioFile(churnFile, overrides);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return new World(loaded.scenario, { run: 0, trace: TraceWriter.off() });
}

describe('HostTally', () => {
  it('matches a recount of every node after every event', () => {
    const w = world();
    const rng = w.rngs.stream('test/tally');
    w.startInfrastructure();
    for (const h of w.hosts) {
      w.kernel.at(rng.next() * 300_000, (i: number) => w.join(i), h.index);
      if (rng.next() < 0.4) w.kernel.at(600_000 + rng.next() * 600_000, (i: number) => w.leave(i, rng.next() < 0.5 ? 'crash' : 'logout'), h.index);
      if (rng.next() < 0.3) w.kernel.at(1_200_000 + rng.next() * 300_000, (i: number) => w.join(i), h.index);
    }
    let checks = 0;
    let servingSeen = 0;
    let onlineSeen = 0;
    while (w.kernel.nextTime() <= 1_800_000) {
      w.kernel.step();
      const nodes = w.hosts.map((h) => h.runtime.node);
      const truth = recount(nodes);
      const t = w.tally;
      const counted = { up: t.up, online: t.online, loggingIn: t.loggingIn, serving: t.serving.size };
      // expect() only on a mismatch: it is slow, and this runs after every event.
      if (counted.up !== truth.up || counted.online !== truth.online || counted.loggingIn !== truth.loggingIn || counted.serving !== truth.serving) {
        expect({ at: w.kernel.now, ...counted }).toEqual({ at: w.kernel.now, ...truth });
      }
      for (let k = 0; k < t.serving.size; k++) if (!nodes[t.serving.at(k)]?.superNode) expect(`host ${t.serving.at(k)} counted as serving`).toBe('');
      servingSeen = Math.max(servingSeen, truth.serving);
      onlineSeen = Math.max(onlineSeen, truth.online);
      checks++;
    }
    expect(checks).toBeGreaterThan(10_000);
    expect(onlineSeen).toBeGreaterThan(50);
    expect(servingSeen).toBeGreaterThan(0);
  });
});
