/**
 * Churn: when each host comes online and when it leaves, and how.
 *
 * Model (alternating renewal process per host): a host is online for a session drawn from the
 * session distribution, then offline for a time drawn from the off-time distribution, and so
 * on. A session ends in a crash (no goodbye: the host's state dies, peers notice by timeout)
 * with probability `crashRatio`, otherwise in a graceful logout.
 *
 * Diurnal modulation (optional): each region has a daily activity profile (24 hourly weights,
 * local time = simulated time + the region's offset). A host whose off-time ends at time t
 * joins with probability weight(t) / max(weight); otherwise it stays off for another drawn
 * off-time (thinning). Arrivals are therefore proportional to the profile; session lengths are
 * not modulated (a user who is online stays for their session).
 *
 * Start of the run: each host is online with probability `initialOnlineRatio` (by default the
 * renewal steady state, mean session / (mean session + mean off)); those hosts log in at a
 * uniformly drawn time within `warmupMs`, so the run does not begin with a synthetic login
 * storm. Their first session is a fresh draw, not the residual of one in progress - exact for
 * exponential sessions, an approximation otherwise.
 *
 * Trace-driven mode replaces all of this with explicit join/leave times (churn-trace.ts here,
 * the file read by sim/scenario/churn-trace.ts).
 *
 * Every draw comes from the stream handed in (one per concern, `churn`), so the schedule does
 * not depend on what the protocol does.
 */

import type { Kernel } from '../kernel/kernel.js';
import type { LeaveKind } from '../scenario/types.js';

export type { LeaveKind };

export interface ChurnTarget {
  join(host: number): void;
  leave(host: number, kind: LeaveKind): void;
}

export interface DiurnalProfile {
  /** 24 non-negative weights, one per local hour. */
  readonly hourlyWeights: readonly number[];
  /** Per host: hours added to simulated time to get the host's local time. */
  readonly utcOffsetHours: (host: number) => number;
}

export interface ChurnModel {
  readonly sessionMs: () => number;
  readonly offMs: () => number;
  readonly crashRatio: number;
  readonly initialOnlineRatio: number;
  readonly warmupMs: number;
  readonly diurnal?: DiurnalProfile;
  /** Uniform [0, 1) draws of the churn stream. */
  readonly uniform: () => number;
}

const HOUR_MS = 3_600_000;

export class ChurnDriver {
  private readonly joinedAtMs: Float64Array;
  private readonly maxWeight: number;
  private readonly onJoin = (host: number): void => this.join(host);
  private readonly onLeave = (host: number): void => this.leave(host);
  private readonly onOffEnd = (host: number): void => this.offEnded(host);

  constructor(
    private readonly kernel: Kernel,
    private readonly hostCount: number,
    private readonly model: ChurnModel,
    private readonly target: ChurnTarget,
    /** Called with every completed session length (ms), for measurement. */
    private readonly onSessionEnd: (host: number, sessionMs: number, kind: LeaveKind) => void = () => {},
  ) {
    this.joinedAtMs = new Float64Array(hostCount).fill(-1);
    this.maxWeight = model.diurnal ? Math.max(...model.diurnal.hourlyWeights) : 1;
    if (model.diurnal && !(this.maxWeight > 0)) throw new RangeError('diurnal profile: at least one hourly weight must be positive');
  }

  /** Schedules every host's first transition. Call once, at time 0. */
  start(): void {
    const m = this.model;
    for (let host = 0; host < this.hostCount; host++) {
      if (m.uniform() < m.initialOnlineRatio) this.kernel.at(this.kernel.now + m.uniform() * m.warmupMs, this.onJoin, host);
      else this.kernel.after(m.offMs(), this.onOffEnd, host);
    }
  }

  isOnline(host: number): boolean {
    return this.joinedAtMs[host] >= 0;
  }

  private offEnded(host: number): void {
    const d = this.model.diurnal;
    if (d && this.model.uniform() * this.maxWeight >= this.weightAt(d, host)) {
      this.kernel.after(this.model.offMs(), this.onOffEnd, host);
      return;
    }
    this.join(host);
  }

  private join(host: number): void {
    this.joinedAtMs[host] = this.kernel.now;
    this.target.join(host);
    this.kernel.after(this.model.sessionMs(), this.onLeave, host);
  }

  private leave(host: number): void {
    const kind: LeaveKind = this.model.uniform() < this.model.crashRatio ? 'crash' : 'logout';
    const sessionMs = this.kernel.now - this.joinedAtMs[host];
    this.joinedAtMs[host] = -1;
    this.target.leave(host, kind);
    this.onSessionEnd(host, sessionMs, kind);
    this.kernel.after(this.model.offMs(), this.onOffEnd, host);
  }

  private weightAt(d: DiurnalProfile, host: number): number {
    const localHours = this.kernel.now / HOUR_MS + d.utcOffsetHours(host);
    const hour = ((Math.floor(localHours) % 24) + 24) % 24;
    return d.hourlyWeights[hour];
  }
}
