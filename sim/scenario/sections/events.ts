/**
 * The `events` section: faults and changes at given simulated times.
 *
 *   events:
 *     - { at: 30min, action: crash-supernodes, share: 33% }   # a share of the SNs online then
 *     - { at: 40min, action: restart, groups: [home], share: 60%, spread: 5min, downtime: 2min }
 *     - { at: 50min, action: partition, sides: [[na], [eu, asia]] }
 *     - { at: 55min, action: heal }                           # undo every partition
 *     - { at: 1h, action: login-server-down }                 # every login server
 *     - { at: 1h10min, action: login-server-up }
 *     - { at: 1h20min, action: set-loss, loss: { kind: bernoulli, lossRatio: 5% } }
 *
 * restart: a share of the groups' online hosts leaves (`leave: logout`, the default, or
 * `crash`) at times spread uniformly over `spread`, and logs in again after `downtime`.
 * partition: traffic between regions crosses only within a side; regions not listed form one
 * more side. Every `at` must fall within the scenario's duration (checked with the whole file).
 */

import { z } from 'zod';
import { choice, duration, ratio, reference } from '../fields.js';
import { lossSpec } from './network.js';
import type { ScheduledEvent } from '../types.js';
import type { Vocabulary } from '../vocabulary.js';

export function eventsSection(vocab: Vocabulary) {
  const at = duration();
  const region = reference(vocab.regions);
  const partition = z
    .strictObject({ at, action: z.literal('partition'), sides: z.array(z.array(region).min(1)).min(1) })
    .superRefine((p, ctx) => {
      const seen = new Set<string>();
      p.sides.forEach((side, i) =>
        side.forEach((r, j) => {
          if (seen.has(r)) ctx.addIssue({ code: 'custom', path: ['sides', i, j], message: `region "${r}" is already on a side` });
          seen.add(r);
        }),
      );
    });
  const event = z
    .discriminatedUnion('action', [
      z.strictObject({ at, action: z.literal('crash-supernodes'), share: ratio() }),
      z.strictObject({
        at,
        action: z.literal('restart'),
        groups: z.array(reference(vocab.groups)).min(1).optional(),
        share: ratio().prefault(1),
        spread: duration().prefault(0),
        downtime: duration().prefault('1min'),
        leave: choice(['logout', 'crash']).prefault('logout'),
      }),
      partition,
      z.strictObject({ at, action: z.literal('heal') }),
      z.strictObject({ at, action: z.literal('login-server-down') }),
      z.strictObject({ at, action: z.literal('login-server-up') }),
      z.strictObject({ at, action: z.literal('set-loss'), loss: lossSpec }),
    ])
    .transform((e): ScheduledEvent => {
      switch (e.action) {
        case 'crash-supernodes':
          return { atMs: e.at, action: e.action, shareRatio: e.share };
        case 'restart':
          return {
            atMs: e.at,
            action: e.action,
            groups: e.groups ?? vocab.groups ?? [],
            shareRatio: e.share,
            spreadMs: e.spread,
            downtimeMs: e.downtime,
            leave: e.leave,
          };
        case 'partition':
          return { atMs: e.at, action: e.action, sides: e.sides };
        case 'set-loss':
          return { atMs: e.at, action: e.action, loss: e.loss };
        default:
          return { atMs: e.at, action: e.action };
      }
    });
  return z.array(event).prefault([]);
}
