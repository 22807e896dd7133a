/**
 * Trace-driven churn: explicit join/leave times from a CSV file instead of distributions.
 *
 * Format (one session per row, header required):
 *
 *     host,join_s,leave_s,leave
 *     peers-17,0,3600,logout
 *     peers-3,12.5,95,crash
 *
 * `host` is a host name as the world names them (`<group>-<index>`), times are simulated
 * seconds, `leave` is `logout` or `crash` (optional, default `logout`). A host's sessions must
 * not overlap. Errors name the file, the line and what was expected.
 */

import type { Kernel } from '../kernel/kernel.js';
import type { ChurnTarget, LeaveKind } from './churn.js';

export interface TraceSession {
  readonly host: string;
  readonly joinMs: number;
  readonly leaveMs: number;
  readonly leave: LeaveKind;
  readonly line: number;
}

export class ChurnTraceError extends Error {}

export function parseChurnTrace(text: string, file: string): TraceSession[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim().split(',').map((c) => c.trim());
  if (!header || header[0] !== 'host' || header[1] !== 'join_s' || header[2] !== 'leave_s') {
    throw new ChurnTraceError(`${file}:1:1  expected the header "host,join_s,leave_s[,leave]", got "${lines[0] ?? ''}"`);
  }
  const sessions: TraceSession[] = [];
  const lastLeaveMs = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const line = i + 1;
    const cells = raw.split(',').map((c) => c.trim());
    const [host, joinText, leaveText, kindText = 'logout'] = cells;
    const joinS = Number(joinText);
    const leaveS = Number(leaveText);
    if (!host) throw new ChurnTraceError(`${file}:${line}:1  expected a host name`);
    if (joinText === '' || !Number.isFinite(joinS) || joinS < 0) {
      throw new ChurnTraceError(`${file}:${line}  join_s: expected a non-negative number of seconds, got "${joinText ?? ''}"`);
    }
    if (leaveText === '' || !Number.isFinite(leaveS) || leaveS <= joinS) {
      throw new ChurnTraceError(`${file}:${line}  leave_s: expected a number of seconds after join_s (${joinS}), got "${leaveText ?? ''}"`);
    }
    if (kindText !== 'logout' && kindText !== 'crash') {
      throw new ChurnTraceError(`${file}:${line}  leave: expected one of logout | crash, got "${kindText}"`);
    }
    const previousLeave = lastLeaveMs.get(host);
    if (previousLeave !== undefined && joinS * 1000 < previousLeave) {
      throw new ChurnTraceError(`${file}:${line}  host ${host}: session overlaps the previous one (it ended at ${previousLeave / 1000} s)`);
    }
    lastLeaveMs.set(host, leaveS * 1000);
    sessions.push({ host, joinMs: joinS * 1000, leaveMs: leaveS * 1000, leave: kindText, line });
  }
  return sessions;
}

/** Schedules every session; `hostIndex` maps a name to the world's index or undefined. */
export function scheduleChurnTrace(
  kernel: Kernel,
  sessions: readonly TraceSession[],
  file: string,
  hostIndex: (name: string) => number | undefined,
  target: ChurnTarget,
): void {
  const resolved = sessions.map((s) => {
    const index = hostIndex(s.host);
    if (index === undefined) throw new ChurnTraceError(`${file}:${s.line}:1  host: no host named "${s.host}" in the scenario`);
    return { ...s, index };
  });
  for (const s of resolved) {
    kernel.at(s.joinMs, (h: number) => target.join(h), s.index);
    kernel.at(s.leaveMs, (h: number) => target.leave(h, s.leave), s.index);
  }
}
