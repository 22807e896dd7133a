/**
 * The `roles` section: the infrastructure hosts, all public and unfirewalled.
 *
 *   roles:
 *     loginServers: { count: 1, regions: [eu] }          # the central login server (BS-2)
 *     bootstrapSupernodes: { regions: [na, eu] }         # a fresh install's bootstrap list (BS-7)
 *     pstnGateways: { count: 1, regions: [na] }          # SkypeIn / SkypeOut
 *
 * How many bootstrap SNs there are is a protocol parameter (bootstrapSuperNodeCount, 7 in
 * 2004), since every install's list has that many. Hosts of a role are spread round-robin over `regions` (default: every region) and get the
 * `server` bandwidth class unless `link` names another.
 */

import { z } from 'zod';
import { integer, reference } from '../fields.js';
import type { Vocabulary } from '../vocabulary.js';

const ROLE_LINK_CLASS = 'server';

export function rolesSection(vocab: Vocabulary) {
  const placement = {
    regions: z.array(reference(vocab.regions)).min(1).optional(),
    link: reference(vocab.linkClasses).prefault(ROLE_LINK_CLASS),
  };
  const role = (defaultCount: number, minCount: number) => z.strictObject({ count: integer(minCount).prefault(defaultCount), ...placement }).prefault({});
  return z
    .strictObject({
      loginServers: role(1, 1),
      bootstrapSupernodes: z.strictObject(placement).prefault({}),
      pstnGateways: role(1, 0),
    })
    .prefault({});
}

export type ParsedRoles = z.output<ReturnType<typeof rolesSection>>;
