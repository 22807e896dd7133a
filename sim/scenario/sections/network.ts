/**
 * The `network` section: regions and their RTT matrix, jitter, loss, firewall and TCP timers,
 * bandwidth classes (access links hosts refer to by name) and custom NAT types. What each
 * piece means is sim/net's (config.ts); defaults are sim/net's too.
 *
 *   network:
 *     regions: [na, eu, asia]
 *     rttMs:               # symmetric, one row per region, in the order of `regions`
 *       - [40, 110, 190]
 *       - [110, 30, 260]
 *       - [190, 260, 60]
 *     jitter: { kind: exponential, mean: 2ms }    # extra one-way delay per packet
 *     loss: { kind: gilbert-elliott, pGoodToBad: 0.5%, pBadToGood: 30%, lossRatioBad: 50% }
 *     firewallUdpTimeout: 120s
 *     tcp: { synRto: 3s, synRetries: 2, rtoMin: 200ms, dataRetries: 5, mssBytes: 1460 }
 *     bandwidthClasses:
 *       fibre: { uplink: 10Mbit, downlink: 10Mbit, accessDelay: 2ms, queueLimitBytes: 64000 }
 *     natTypes:
 *       cgn: { preset: symmetric, mappingTimeout: 30s }
 *
 * `loss` applies to every access link whose class has none of its own. Built-in bandwidth
 * classes (typical access links of 2004; a file may redefine them): dialup, dsl, cable, lan,
 * and server (what role hosts get).
 */

import { z } from 'zod';
import { DEFAULT_FIREWALL_UDP_TIMEOUT_MS, NAT_BEHAVIOURS, NAT_PRESETS, TCP_RETRIES_MAX, natPresets, tcpDefaults } from '../../net/index.js';
import type { LossSpec, NatBehaviour, NatParams, NatPreset } from '../../net/index.js';
import { durationDistribution } from '../distribution.js';
import { bandwidth, choice, duration, flag, integer, name, number, ratio } from '../fields.js';
import type { AccessLink, Network } from '../types.js';

/** Written where a NAT type goes, for a host with a public address. */
export const NO_NAT = 'none';

/** A class as declared: without loss it takes the network's. */
type DeclaredLink = Omit<AccessLink, 'loss'> & { readonly loss?: LossSpec };

export const BUILT_IN_LINK_CLASSES: Readonly<Record<string, DeclaredLink>> = {
  dialup: { uplinkBitsPerSec: 33_600, downlinkBitsPerSec: 53_000, accessDelayMs: 60, queueLimitBytes: null },
  dsl: { uplinkBitsPerSec: 256_000, downlinkBitsPerSec: 1_000_000, accessDelayMs: 15, queueLimitBytes: null },
  cable: { uplinkBitsPerSec: 384_000, downlinkBitsPerSec: 3_000_000, accessDelayMs: 8, queueLimitBytes: null },
  lan: { uplinkBitsPerSec: 100_000_000, downlinkBitsPerSec: 100_000_000, accessDelayMs: 1, queueLimitBytes: null },
  server: { uplinkBitsPerSec: 1_000_000_000, downlinkBitsPerSec: 1_000_000_000, accessDelayMs: 0.5, queueLimitBytes: null },
};

export const DEFAULT_REGION = 'world';
const DEFAULT_RTT_MS = 100;

/** Written with sim/net's own field names, so a file's loss reads like the model's. */
export const lossSpec = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({ kind: z.literal('bernoulli'), lossRatio: ratio() }),
    z.strictObject({
      kind: z.literal('gilbert-elliott'),
      pGoodToBad: ratio(),
      pBadToGood: ratio(),
      lossRatioGood: ratio().prefault(0),
      lossRatioBad: ratio().prefault(1),
    }),
  ])
  .transform((l): LossSpec => l);

const accessLink = z.strictObject({
  uplink: bandwidth(),
  downlink: bandwidth(),
  accessDelay: duration().prefault(0),
  queueLimitBytes: integer(1).optional(),
  loss: lossSpec.optional(),
});

const natBehaviour = choice(NAT_BEHAVIOURS as readonly [NatBehaviour, ...NatBehaviour[]]);

/** A custom NAT: a preset to start from (default port-restricted-cone), and fields to change. */
const natType = z
  .strictObject({
    preset: choice(NAT_PRESETS as readonly [NatPreset, ...NatPreset[]]).optional(),
    mapping: natBehaviour.optional(),
    filtering: natBehaviour.optional(),
    portAllocation: choice(['preserving', 'sequential', 'random']).optional(),
    mappingTimeout: duration('positive').optional(),
    hairpinning: flag().optional(),
  })
  .transform((t): NatParams => {
    const base = natPresets[t.preset ?? 'port-restricted-cone'];
    return {
      mapping: t.mapping ?? base.mapping,
      filtering: t.filtering ?? base.filtering,
      portAllocation: t.portAllocation ?? base.portAllocation,
      hairpinning: t.hairpinning ?? base.hairpinning,
      mappingTimeoutMs: t.mappingTimeout ?? base.mappingTimeoutMs,
    };
  });

const tcp = z
  .strictObject({
    synRto: duration('positive').prefault(`${tcpDefaults.synRtoMs}ms`),
    synRetries: integer(0, TCP_RETRIES_MAX).prefault(tcpDefaults.synRetries),
    rtoMin: duration().prefault(`${tcpDefaults.rtoMinMs}ms`),
    dataRetries: integer(0, TCP_RETRIES_MAX).prefault(tcpDefaults.dataRetries),
    mssBytes: integer(1).prefault(tcpDefaults.mssBytes),
  })
  .prefault({})
  .transform((t) => ({ synRtoMs: t.synRto, synRetries: t.synRetries, rtoMinMs: t.rtoMin, dataRetries: t.dataRetries, mssBytes: t.mssBytes }));

const RESERVED_NAT_NAMES: readonly string[] = [NO_NAT, ...NAT_PRESETS];

export const networkSection = z
  .strictObject({
    regions: z.array(name()).min(1).prefault([DEFAULT_REGION]),
    rttMs: z.array(z.array(number(0, true))).prefault([[DEFAULT_RTT_MS]]),
    jitter: durationDistribution().prefault(0),
    loss: lossSpec.prefault({ kind: 'none' }),
    firewallUdpTimeout: duration('positive').prefault(`${DEFAULT_FIREWALL_UDP_TIMEOUT_MS}ms`),
    tcp,
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
        ctx.addIssue({ code: 'custom', path: ['natTypes', nat], message: `"${nat}" is a preset; give the custom type another name`, params: { atKey: true } });
      }
    }
  })
  .transform((n): Network => {
    const declared = Object.fromEntries(
      Object.entries(n.bandwidthClasses).map(([className, l]): [string, DeclaredLink] => [
        className,
        { uplinkBitsPerSec: l.uplink, downlinkBitsPerSec: l.downlink, accessDelayMs: l.accessDelay, queueLimitBytes: l.queueLimitBytes ?? null, loss: l.loss },
      ]),
    );
    const classes: Record<string, DeclaredLink> = { ...BUILT_IN_LINK_CLASSES, ...declared };
    return {
      regions: n.regions,
      rttMs: n.rttMs,
      jitterMs: n.jitter,
      loss: n.loss,
      firewallUdpTimeoutMs: n.firewallUdpTimeout,
      tcp: n.tcp,
      bandwidthClasses: Object.fromEntries(Object.entries(classes).map(([c, l]): [string, AccessLink] => [c, { ...l, loss: l.loss ?? n.loss }])),
      natTypes: n.natTypes,
    };
  });

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
