/**
 * Trace-driven churn files: explicit join/leave times from a CSV file instead of distributions,
 * read and checked when the scenario is loaded (so `sim validate` finds their errors, and a run
 * never starts on a bad file), scheduled by sim/world/churn-trace.ts.
 *
 * Format (one session per row, header required):
 *
 *     host,join_s,leave_s,leave
 *     peers-17,0,3600,logout
 *     peers-3,12.5,95,crash
 *
 * `host` is a host name as the world names them (`<group>-<index>`, index from 0 below the
 * group's count), times are simulated seconds, `leave` is `logout` or `crash` (optional, default
 * `logout`). A host's sessions must not overlap. Blank lines and lines starting with # are
 * skipped. Errors name the file, the line and column, and what was expected.
 */

import type { HostGroup, LeaveKind } from './types.js';

export interface TraceSession {
  readonly host: string;
  readonly joinMs: number;
  readonly leaveMs: number;
  readonly leave: LeaveKind;
  readonly line: number;
}

export class ChurnTraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${col}  ${detail}`);
  }
}

/** The sessions of a trace file's text; throws ChurnTraceError at the first mistake. */
export function parseChurnTrace(text: string, file: string): TraceSession[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0].trim().split(',').map((c) => c.trim());
  if (header[0] !== 'host' || header[1] !== 'join_s' || header[2] !== 'leave_s') {
    throw new ChurnTraceError(file, 1, 1, `expected the header "host,join_s,leave_s[,leave]", got ${JSON.stringify(lines[0])}`);
  }
  const sessions: TraceSession[] = [];
  const lastLeaveMs = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const line = i + 1;
    const cells = raw.split(',');
    // Column of cell k: one past the commas and cells before it.
    const col = (k: number) => 1 + cells.slice(0, k).reduce((n, c) => n + c.length + 1, 0);
    const [host = '', joinText = '', leaveText = '', kindText = 'logout'] = cells.map((c) => c.trim());
    const joinS = Number(joinText);
    const leaveS = Number(leaveText);
    if (host === '') throw new ChurnTraceError(file, line, 1, 'host: expected a host name');
    if (joinText === '' || !Number.isFinite(joinS) || joinS < 0) {
      throw new ChurnTraceError(file, line, col(1), `join_s: expected a non-negative number of seconds, got ${JSON.stringify(joinText)}`);
    }
    if (leaveText === '' || !Number.isFinite(leaveS) || leaveS <= joinS) {
      throw new ChurnTraceError(file, line, col(2), `leave_s: expected a number of seconds after join_s (${joinS}), got ${JSON.stringify(leaveText)}`);
    }
    if (kindText !== 'logout' && kindText !== 'crash') {
      throw new ChurnTraceError(file, line, col(3), `leave: expected one of logout | crash, got ${JSON.stringify(kindText)}`);
    }
    if (cells.length > 4) throw new ChurnTraceError(file, line, col(4), `expected at most 4 cells (host,join_s,leave_s,leave), got ${cells.length}`);
    const previousLeave = lastLeaveMs.get(host);
    if (previousLeave !== undefined && joinS * 1000 < previousLeave) {
      throw new ChurnTraceError(file, line, col(1), `host ${host}: session overlaps the previous one (it ended at ${previousLeave / 1000} s)`);
    }
    lastLeaveMs.set(host, leaveS * 1000);
    sessions.push({ host, joinMs: joinS * 1000, leaveMs: leaveS * 1000, leave: kindText, line });
  }
  return sessions;
}

/** Throws ChurnTraceError at the first session whose host is not one of `groups`' hosts. */
export function checkTraceHosts(sessions: readonly TraceSession[], file: string, groups: readonly HostGroup[]): void {
  const counts = new Map(groups.map((g) => [g.name, g.count]));
  for (const s of sessions) {
    const dash = s.host.lastIndexOf('-');
    const count = counts.get(s.host.slice(0, dash));
    const index = s.host.slice(dash + 1);
    if (dash < 0 || count === undefined || !/^(0|[1-9][0-9]*)$/.test(index) || Number(index) >= count) {
      throw new ChurnTraceError(file, s.line, 1, `host: no host named ${JSON.stringify(s.host)} in the scenario (hosts are <group>-<index>, index below the group's count)`);
    }
  }
}
