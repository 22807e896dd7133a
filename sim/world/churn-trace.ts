/**
 * Trace-driven churn in the world: every session of a trace file (parsed and checked with the
 * scenario, sim/scenario/churn-trace.ts) becomes a join and a leave event.
 */

import type { Kernel } from '../kernel/kernel.js';
import type { TraceSession } from '../scenario/churn-trace.js';
import type { ChurnTarget } from './churn.js';

/** Schedules every session; `hostIndex` maps a name to the world's index. */
export function scheduleChurnTrace(kernel: Kernel, sessions: readonly TraceSession[], hostIndex: (name: string) => number | undefined, target: ChurnTarget): void {
  const resolved = sessions.map((s) => {
    const index = hostIndex(s.host);
    // The scenario's loader checked every name against the host groups.
    if (index === undefined) throw new Error(`churn trace: no host named ${JSON.stringify(s.host)}, which the loader let through`);
    return { ...s, index };
  });
  for (const s of resolved) {
    kernel.at(s.joinMs, (h: number) => target.join(h), s.index);
    kernel.at(s.leaveMs, (h: number) => target.leave(h, s.leave), s.index);
  }
}
