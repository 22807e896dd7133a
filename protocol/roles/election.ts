/**
 * Super-node election: who may serve as an SN, and when a host starts and stops serving.
 *
 * Published behaviour: an SN is an ordinary host with a public IP and enough CPU, memory,
 * bandwidth (BS-1) and uptime (OT-3); a user of 2004 could not opt out (BS-32); a restarted SN
 * takes a while before it serves again (OT-4). How the real network picked SNs among the
 * eligible is not published: the policy is ours and a parameter (`electionPolicy`).
 *
 * Eligibility (`checkEligibility`), all of:
 *   - NAT class `open` (public IP, not UDP-blocked), known from the host's NAT detection, so a
 *     host must have logged in once (a bootstrap SN is configured, not elected);
 *   - uplink, downlink, CPU and memory at or above the `snMin*` floors - the host's
 *     configuration, handed to its constructor by the runtime;
 *   - not opted out, if the profile honours opt-out (`honourOptOut`, false in 2004);
 *   - uptime (since the host process started) at least `snUptimeThresholdMs`;
 *   - if the host served as an SN before its last restart, at least `snRestartDelayMs` since
 *     the start (OT-4). The flag lives in the host's disk; a policy demotion clears it.
 * The time-based conditions give an exact instant (`eligibleFromMs`); the host arms its
 * `eligibilityCheck` timer for it, so "time from eligible to promoted" is measured, not polled.
 *
 * Policies:
 *   promote-when-eligible  a host promotes itself the moment it is eligible (at the
 *                          eligibilityCheck timer, or at login if already past the thresholds).
 *                          It serves until it logs out or crashes: never demoted by policy.
 *   promote-on-demand      hosts report eligibility to their SN (`presence.eligible`, re-sent
 *                          when it changes). An SN checks its load every `loadCheckIntervalMs`
 *                          (`decideLoad`): at or above `overloadRatio` of its capacity, or after
 *                          refusing a client for being full, it asks one eligible client (the
 *                          longest attached not asked yet) to promote (`promoteRequest`), at
 *                          most one request per check interval. The client promotes if still
 *                          eligible. An SN at or below `underuseRatio` of capacity for
 *                          `underuseDemoteAfterMs`, with at least one overlay link (never the
 *                          last SN it knows of) and not a bootstrap SN, demotes itself: its
 *                          clients are told (`superNodeLeavingTo`, naming its neighbours) and log in elsewhere.
 *
 * Bootstrap SNs (runtime-configured) serve from their first start and are never demoted; after
 * a restart they too wait `snRestartDelayMs` (OT-4 applies to every SN).
 *
 * A promoted host keeps its own client session with its SN (its user stays logged in as
 * before); serving is a second job of the same node. Logout ends serving (the flag stays set,
 * so a quick restart waits per OT-4).
 *
 * Outputs (emitted by the host that applies the decisions): trace `promoted` / `demoted`,
 * metric `promotion` (value: ms from eligible to promoted; labels policy, trigger bootstrap |
 * eligible | request) and `demotion` (value: ms served; labels policy, cause).
 *
 * Reading `promotion`: "eligible" is the later of the instant the uptime and restart-hold
 * conditions are met and the end of the NAT detection that showed the host open. Under
 * promote-when-eligible the value is 0 by construction - the host promotes itself at that
 * instant (trigger eligible) - so it measures nothing there; the policy's cost shows in the SN
 * count and in clients per SN instead. Under promote-on-demand (trigger request) it is the wait
 * for an overloaded SN to ask: the figure the metric is for. Bootstrap SNs (trigger bootstrap)
 * are configured, not elected: their 0 is no measurement either.
 */

import type { ProtocolParams } from '../params.js';
import type { NatClass } from './nat-detection.js';

/** What the runtime tells a host about its machine (from the scenario's host class and link). */
export interface HostConfig {
  readonly uplinkBitsPerSec: number;
  readonly downlinkBitsPerSec: number;
  readonly cpuMhz: number;
  readonly memoryMb: number;
  /** The user opted out of SN duty (honoured only if `params.honourOptOut`). */
  readonly optOut?: boolean;
}

export type Ineligibility = 'nat' | 'uplink' | 'downlink' | 'cpu' | 'memory' | 'optOut' | 'uptime' | 'restartDelay';

export interface EligibilityState {
  readonly natClass: NatClass;
  /** When the host process started. */
  readonly startedAtMs: number;
  /** No serving before this (OT-4); `startedAtMs` if the host was no SN before its restart. */
  readonly holdUntilMs: number;
}

export type Eligibility = { readonly eligible: true } | { readonly eligible: false; readonly reason: Ineligibility };

/** The conditions that do not change with time; undefined if all hold. */
function staticIneligibility(p: ProtocolParams, c: HostConfig, s: EligibilityState): Ineligibility | undefined {
  if (s.natClass !== 'open') return 'nat';
  if (c.uplinkBitsPerSec < p.snMinUplinkBitsPerSec) return 'uplink';
  if (c.downlinkBitsPerSec < p.snMinDownlinkBitsPerSec) return 'downlink';
  if (c.cpuMhz < p.snMinCpuMhz) return 'cpu';
  if (c.memoryMb < p.snMinMemoryMb) return 'memory';
  if (p.honourOptOut && c.optOut) return 'optOut';
  return undefined;
}

export function checkEligibility(p: ProtocolParams, c: HostConfig, s: EligibilityState, nowMs: number): Eligibility {
  const reason = staticIneligibility(p, c, s);
  if (reason) return { eligible: false, reason };
  if (nowMs < s.holdUntilMs) return { eligible: false, reason: 'restartDelay' };
  if (nowMs - s.startedAtMs < p.snUptimeThresholdMs) return { eligible: false, reason: 'uptime' };
  return { eligible: true };
}

/** The earliest instant the time-based conditions hold, or undefined if a static one fails. */
export function eligibleFromMs(p: ProtocolParams, c: HostConfig, s: EligibilityState): number | undefined {
  if (staticIneligibility(p, c, s)) return undefined;
  return Math.max(s.holdUntilMs, s.startedAtMs + p.snUptimeThresholdMs);
}

export interface LoadState {
  readonly clientCount: number;
  /** The SN refused an attachment for being full since its last load check. */
  readonly refusedSinceCheck: boolean;
  readonly bootstrap: boolean;
  readonly overlayLinks: number;
  /** Since when the SN has been underused, if it is. */
  readonly underusedSinceMs: number | undefined;
}

export interface LoadDecision {
  readonly requestPromotion: boolean;
  readonly underusedSinceMs: number | undefined;
  readonly demote: boolean;
}

/** An SN's periodic load check (promote-on-demand; the other policy never requests or demotes). */
export function decideLoad(p: ProtocolParams, s: LoadState, nowMs: number): LoadDecision {
  if (p.electionPolicy !== 'promote-on-demand') return { requestPromotion: false, underusedSinceMs: undefined, demote: false };
  const load = s.clientCount / p.snClientCapacity;
  const requestPromotion = load >= p.overloadRatio || s.refusedSinceCheck;
  const underused = load <= p.underuseRatio && !s.bootstrap && s.overlayLinks > 0;
  const underusedSinceMs = underused ? (s.underusedSinceMs ?? nowMs) : undefined;
  const demote = underusedSinceMs !== undefined && nowMs - underusedSinceMs >= p.underuseDemoteAfterMs;
  return { requestPromotion, underusedSinceMs, demote };
}
