/**
 * The `churn` section: when hosts come and go.
 *
 *   churn:
 *     mode: sessions            # off | sessions | trace
 *     session: { kind: weibull, shape: 0.6, scale: 40min }    # time online
 *     offTime: { kind: exponential, mean: 3h }                # time offline
 *     crash: 30%                # share of session ends without a goodbye
 *     initialOnline: 40%        # default: the steady state, mean session / (session + off)
 *     warmup: 10min             # hosts online at the start log in within this
 *     persistentIdentity: true  # a returning host keeps its name, credentials, host cache
 *     diurnal:                  # optional: arrivals follow the local time of day
 *       hourlyWeights: [2, 1, 1, 1, 1, 2, 4, 6, 8, 8, 8, 8, 8, 8, 8, 8, 9, 10, 10, 10, 9, 7, 5, 3]
 *       utcOffsetHours: { na: -5, eu: 1, asia: 8 }            # default 0
 *
 *   churn: { mode: trace, trace: traces/week.csv }  # host,join_s,leave_s[,leave]; path relative to the file
 *
 * Mode `off`: hosts log in once (initialOnline default 100%) and stay, except for scheduled
 * events. The model itself is sim/world/churn.ts.
 */

import { z } from 'zod';
import { meanOf } from '../../kernel/index.js';
import { durationDistribution } from '../distribution.js';
import { between, duration, flag, number, ratio, reference } from '../fields.js';
import type { Distribution } from '../types.js';
import type { Vocabulary } from '../vocabulary.js';

const HOURS_PER_DAY = 24;

export function churnSection(vocab: Vocabulary) {
  const start = { initialOnline: ratio().optional(), warmup: duration().prefault('5min') };
  const persistentIdentity = flag().prefault(true);
  const diurnal = z
    .strictObject({
      hourlyWeights: z.array(number(0, true)).length(HOURS_PER_DAY),
      utcOffsetHours: z.partialRecord(reference(vocab.regions) as z.ZodType<string, string>, between(-12, 14)).prefault({}),
    })
    .refine((d) => d.hourlyWeights.some((w) => w > 0), { path: ['hourlyWeights'], message: 'expected at least one positive weight' });
  return z
    .discriminatedUnion('mode', [
      z.strictObject({ mode: z.literal('off'), ...start, persistentIdentity }),
      z.strictObject({
        mode: z.literal('sessions'),
        session: durationDistribution(),
        offTime: durationDistribution(),
        crash: ratio().prefault(0),
        diurnal: diurnal.optional(),
        ...start,
        persistentIdentity,
      }),
      z.strictObject({ mode: z.literal('trace'), trace: z.string().min(1), persistentIdentity }),
    ])
    .prefault({ mode: 'off' });
}

export type ParsedChurn = z.output<ReturnType<typeof churnSection>>;

/** The renewal process's long-run online share, so a run starts near steady state. */
export function steadyStateOnline(session: Distribution, offTime: Distribution): number {
  const onMs = meanOf(session);
  const offMs = meanOf(offTime);
  if (onMs === Infinity) return offMs === Infinity ? 0.5 : 1;
  return offMs === Infinity ? 0 : onMs / (onMs + offMs);
}
