/**
 * The `workload` section: what online users do. Each activity is a Poisson process at
 * `ratePerHostHour` per online host (0, the default, switches it off); the model itself is
 * sim/world/workload.ts.
 *
 *   workload:
 *     buddiesPerHost: 20
 *     calls: { ratePerHostHour: 0.5, peerChoice: buddies, duration: { kind: lognormal, mean: 3min, sd: 4min } }
 *     chat: { ratePerHostHour: 4, messageBytes: 80 }
 *     searches: { ratePerHostHour: 0.2, peerChoice: random, missing: 5% }
 *     pstnCalls: { ratePerHostHour: 0.05, inbound: 20% }
 *
 * Logins are not a workload rate: hosts log in when churn brings them online (see churn).
 */

import { z } from 'zod';
import { CHAT_TEXT_BYTES_MAX } from '../../../protocol/roles/chat.js';
import { durationDistribution } from '../distribution.js';
import { choice, integer, number, ratio } from '../fields.js';
import type { Workload } from '../types.js';

const rate = () => number(0, true).prefault(0);
const peerChoice = (fallback: 'buddies' | 'random') => choice(['buddies', 'random']).prefault(fallback);
const callDuration = () => durationDistribution().prefault({ kind: 'lognormal', mean: '3min', sd: '4min' });

export const workloadSection = z
  .strictObject({
    buddiesPerHost: integer(0).prefault(20),
    calls: z.strictObject({ ratePerHostHour: rate(), peerChoice: peerChoice('buddies'), duration: callDuration() }).prefault({}),
    chat: z.strictObject({ ratePerHostHour: rate(), peerChoice: peerChoice('buddies'), messageBytes: integer(1, CHAT_TEXT_BYTES_MAX).prefault(80) }).prefault({}),
    searches: z.strictObject({ ratePerHostHour: rate(), peerChoice: peerChoice('random'), missing: ratio().prefault(0) }).prefault({}),
    pstnCalls: z.strictObject({ ratePerHostHour: rate(), duration: callDuration(), inbound: ratio().prefault(0) }).prefault({}),
  })
  .prefault({})
  .transform(
    (w): Workload => ({
      buddiesPerHost: w.buddiesPerHost,
      calls: { ratePerHostHour: w.calls.ratePerHostHour, peerChoice: w.calls.peerChoice, durationMs: w.calls.duration },
      chat: w.chat,
      searches: { ratePerHostHour: w.searches.ratePerHostHour, peerChoice: w.searches.peerChoice, missingRatio: w.searches.missing },
      pstnCalls: { ratePerHostHour: w.pstnCalls.ratePerHostHour, durationMs: w.pstnCalls.duration, inboundRatio: w.pstnCalls.inbound },
    }),
  );
