/**
 * The `hosts` section: groups of ordinary hosts (the Skype clients).
 *
 *   hosts:
 *     - name: home            # hosts are named home-0, home-1, ...; default group-<index>
 *       count: 3500
 *       region: { na: 40%, eu: 40%, asia: 20% }     # default: even over all regions
 *       nat: { full-cone: 20%, port-restricted-cone: 50%, symmetric: 30% }   # default none
 *       firewall: { none: 95%, udp-blocked: 5% }    # none | stateful | udp-blocked | tcp-80-443-only
 *       link: { dsl: 60%, cable: 40% }              # a bandwidth class; default dsl
 *       machine: { low: 30%, medium: 70% }          # a machine class; default medium
 *       supernodeOptOut: 0%                         # users who refuse to be a super node
 *
 * Every attribute is one word or shares adding up to 100%. NAT words are `none` (a public
 * address), a preset (full-cone, restricted-cone, port-restricted-cone, symmetric) or a type
 * declared under network.natTypes; links name bandwidth classes (network.bandwidthClasses) and
 * machines name machine classes (machineClasses).
 */

import { z } from 'zod';
import { integer, mix, name, ratio } from '../fields.js';
import { FIREWALL_KINDS, type FirewallKind } from '../../net/index.js';
import { DEFAULT_MACHINE_CLASS } from './machines.js';
import { NO_NAT } from './network.js';
import { defaultGroupName, type Vocabulary } from '../vocabulary.js';

const DEFAULT_LINK_CLASS = 'dsl';

export function hostsSection(vocab: Vocabulary) {
  const group = z.strictObject({
    name: name().optional(),
    count: integer(0),
    region: mix(vocab.regions).optional(),
    nat: mix(vocab.nats).prefault(NO_NAT),
    firewall: mix(FIREWALL_KINDS as readonly FirewallKind[]).prefault('none'),
    link: mix(vocab.linkClasses).prefault(DEFAULT_LINK_CLASS),
    machine: mix(vocab.machineClasses).prefault(DEFAULT_MACHINE_CLASS),
    supernodeOptOut: ratio().prefault(0),
  });
  return z
    .array(group)
    .min(1)
    .transform((groups) => groups.map((g, i) => ({ ...g, name: g.name ?? defaultGroupName(i) })))
    .superRefine((groups, ctx) => {
      groups.forEach((g, i) => {
        if (groups.findIndex((other) => other.name === g.name) !== i) {
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `group name "${g.name}" is taken by an earlier group` });
        }
      });
    });
}

export type ParsedHostGroup = z.output<ReturnType<typeof hostsSection>>[number];
