/**
 * The `network` section: regions and their RTT matrix, jitter, the loss model, bandwidth
 * classes (access links hosts refer to by name) and custom NAT types.
 *
 *   network:
 *     regions: [na, eu, asia]
 *     rttMs:               # symmetric, one row per region, in the order of `regions`
 *       - [40, 110, 190]
 *       - [110, 30, 260]
 *       - [190, 260, 60]
 *     jitter: 5ms          # extra one-way delay, uniform in [0, jitter]
 *     loss: { kind: gilbert-elliott, goodToBad: 0.5%, badToGood: 30% }
 *     bandwidthClasses:
 *       fibre: { uplink: 10Mbit, downlink: 10Mbit, accessDelay: 2ms }
 *     natTypes:
 *       cgn: { preset: symmetric, mappingLifetime: 30s }
 *
 * Built-in bandwidth classes (typical access links of 2004; a file may redefine them):
 * dialup, dsl, cable, lan, and server (what role hosts get).
 */

import { z } from 'zod';
import { bandwidth, choice, duration, flag, name, number, ratio } from '../fields.js';
import { NAT_PRESETS, NAT_PRESET_NAMES, NO_NAT } from '../nat-presets.js';
import type { AccessLink, LossModel, NatBehaviour } from '../types.js';

export const BUILT_IN_LINK_CLASSES: Readonly<Record<string, AccessLink>> = {
  dialup: { uplinkBitsPerSec: 33_600, downlinkBitsPerSec: 53_000, accessDelayMs: 60 },
  dsl: { uplinkBitsPerSec: 256_000, downlinkBitsPerSec: 1_000_000, accessDelayMs: 15 },
  cable: { uplinkBitsPerSec: 384_000, downlinkBitsPerSec: 3_000_000, accessDelayMs: 8 },
  lan: { uplinkBitsPerSec: 100_000_000, downlinkBitsPerSec: 100_000_000, accessDelayMs: 1 },
  server: { uplinkBitsPerSec: 1_000_000_000, downlinkBitsPerSec: 1_000_000_000, accessDelayMs: 0.5 },
};

export const DEFAULT_REGION = 'world';
const DEFAULT_RTT_MS = 100;

export const lossModel = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('bernoulli'), loss: ratio() }),
    z.strictObject({
      kind: z.literal('gilbert-elliott'),
      goodToBad: ratio(),
      badToGood: ratio(),
      lossInGood: ratio().prefault(0),
      lossInBad: ratio().prefault(1),
    }),
  ])
  .transform(
    (m): LossModel =>
      m.kind === 'bernoulli'
        ? { kind: 'bernoulli', lossRatio: m.loss }
        : {
            kind: 'gilbert-elliott',
            goodToBadRatio: m.goodToBad,
            badToGoodRatio: m.badToGood,
            lossInGoodRatio: m.lossInGood,
            lossInBadRatio: m.lossInBad,
          },
  );

const accessLink = z
  .strictObject({ uplink: bandwidth(), downlink: bandwidth(), accessDelay: duration().prefault(0) })
  .transform((l): AccessLink => ({ uplinkBitsPerSec: l.uplink, downlinkBitsPerSec: l.downlink, accessDelayMs: l.accessDelay }));

const natDependence = choice(['endpoint-independent', 'address-dependent', 'address-and-port-dependent']);

/** A custom NAT: a preset to start from (optional), and any RFC 4787 field to change. */
const natType = z
  .strictObject({
    preset: choice(NAT_PRESET_NAMES).optional(),
    mapping: natDependence.optional(),
    filtering: natDependence.optional(),
    portAllocation: choice(['preserving', 'sequential', 'random']).optional(),
    mappingLifetime: duration('positive').optional(),
    hairpinning: flag().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.preset !== undefined) return;
    for (const key of ['mapping', 'filtering'] as const) {
      if (t[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'missing (needed when no preset is given)' });
    }
  })
  .transform((t): NatBehaviour => {
    const base = t.preset !== undefined ? NAT_PRESETS[t.preset] : NAT_PRESETS['port-restricted-cone'];
    return {
      mapping: t.mapping ?? base.mapping,
      filtering: t.filtering ?? base.filtering,
      portAllocation: t.portAllocation ?? base.portAllocation,
      mappingLifetimeMs: t.mappingLifetime ?? base.mappingLifetimeMs,
      hairpinning: t.hairpinning ?? base.hairpinning,
    };
  });

const RESERVED_NAT_NAMES: readonly string[] = [NO_NAT, ...NAT_PRESET_NAMES];

export const networkSection = z
  .strictObject({
    regions: z.array(name()).min(1).prefault([DEFAULT_REGION]),
    rttMs: z.array(z.array(number(0, true))).prefault([[DEFAULT_RTT_MS]]),
    jitter: duration().prefault(0),
    loss: lossModel.prefault({ kind: 'bernoulli', loss: 0 }),
    bandwidthClasses: z.record(name(), accessLink).prefault({}),
    natTypes: z.record(name(), natType).prefault({}),
  })
  .superRefine((n, ctx) => {
    n.regions.forEach((r, i) => {
      if (n.regions.indexOf(r) !== i) ctx.addIssue({ code: 'custom', path: ['regions', i], message: `region "${r}" is listed twice` });
    });
    checkRttMatrix(n.rttMs, n.regions.length, ctx);
    for (const nat of Object.keys(n.natTypes)) {
      if (RESERVED_NAT_NAMES.includes(nat)) {
        ctx.addIssue({ code: 'custom', path: ['natTypes', nat], message: `"${nat}" is a preset; give the custom type another name` });
      }
    }
  })
  .transform((n) => ({
    regions: n.regions,
    rttMs: n.rttMs,
    jitterMs: n.jitter,
    loss: n.loss,
    bandwidthClasses: { ...BUILT_IN_LINK_CLASSES, ...n.bandwidthClasses },
    natTypes: n.natTypes,
  }));

function checkRttMatrix(rttMs: readonly (readonly number[])[], regionCount: number, ctx: z.RefinementCtx): void {
  const size = `${regionCount}x${regionCount}`;
  if (rttMs.length !== regionCount) {
    ctx.addIssue({ code: 'custom', path: ['rttMs'], message: `expected a ${size} matrix (one row per region), got ${rttMs.length} rows` });
    return;
  }
  rttMs.forEach((row, i) => {
    if (row.length !== regionCount) {
      ctx.addIssue({ code: 'custom', path: ['rttMs', i], message: `expected ${regionCount} entries (one per region), got ${row.length}` });
    }
  });
  for (let i = 0; i < regionCount; i++) {
    for (let j = i + 1; j < regionCount; j++) {
      if (rttMs[i][j] !== undefined && rttMs[j][i] !== undefined && rttMs[i][j] !== rttMs[j][i]) {
        ctx.addIssue({
          code: 'custom',
          path: ['rttMs', j, i],
          message: `expected ${rttMs[i][j]} (the matrix is symmetric: rttMs[${i}][${j}] is ${rttMs[i][j]}), got ${rttMs[j][i]}`,
        });
      }
    }
  }
}
