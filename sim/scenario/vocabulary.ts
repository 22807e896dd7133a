/**
 * The names a scenario file declares, read leniently from the raw data before validation.
 *
 * Host groups refer to regions, NAT types, bandwidth and machine classes by name; events refer to
 * regions and groups. The schema is built with these names as closed choices, so a mistyped
 * reference is reported in the same pass as every other error, with a did-you-mean. Where a
 * declaration is itself malformed, its names are left open (any name passes) and the
 * declaration's own errors are what the user sees.
 */

import { NAT_PRESETS } from '../net/index.js';
import { BUILT_IN_MACHINE_CLASSES } from './sections/machines.js';
import { BUILT_IN_LINK_CLASSES, DEFAULT_REGION, NO_NAT } from './sections/network.js';

export interface Vocabulary {
  readonly regions?: readonly string[];
  readonly nats?: readonly string[];
  readonly linkClasses?: readonly string[];
  readonly machineClasses?: readonly string[];
  readonly groups?: readonly string[];
}

/** Group `i` is called this when the file gives it no name. */
export function defaultGroupName(index: number): string {
  return `group-${index}`;
}

export function vocabularyOf(data: unknown): Vocabulary {
  const root = asRecord(data);
  const network = root === undefined ? undefined : root.network === undefined ? {} : asRecord(root.network);
  return {
    regions: network && (network.regions === undefined ? [DEFAULT_REGION] : stringList(network.regions)),
    nats: network && declared([NO_NAT, ...NAT_PRESETS], network.natTypes),
    linkClasses: network && declared(Object.keys(BUILT_IN_LINK_CLASSES), network.bandwidthClasses),
    machineClasses: root && declared(Object.keys(BUILT_IN_MACHINE_CLASSES), root.machineClasses),
    groups: root && groupNames(root.hosts),
  };
}

function declared(builtIn: readonly string[], declarations: unknown): readonly string[] | undefined {
  if (declarations === undefined) return builtIn;
  const own = asRecord(declarations);
  return own && [...new Set([...builtIn, ...Object.keys(own)])];
}

function groupNames(hosts: unknown): readonly string[] | undefined {
  if (!Array.isArray(hosts)) return undefined;
  const names = hosts.map((g, i) => {
    const given = asRecord(g)?.name;
    return given === undefined ? defaultGroupName(i) : given;
  });
  return names.every((n) => typeof n === 'string') ? names : undefined;
}

function stringList(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string') ? value : undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
