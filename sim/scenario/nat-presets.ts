/**
 * The classic NAT names (RFC 3489's cone taxonomy) in RFC 4787 terms.
 *
 * Mapping: which outbound flows share one public port. Filtering: which inbound packets a
 * mapping lets through. Cones map endpoint-independently and differ in filtering; a symmetric
 * NAT maps per destination (address and port), so a port learned from one peer is useless to
 * another - the case where only a relay helps (BS-23).
 *
 * Lifetime: RFC 4787 REQ-5 asks for at least 2 minutes of UDP idle time; many home NATs of the
 * era used less, which a custom type can say. Hairpinning off: most consumer NATs of 2004 did
 * not loop traffic back to their own public address. Symmetric NATs of the era mostly gave out
 * ports in sequence; cones kept the host's own port when it was free.
 */

import type { NatBehaviour, NatPreset } from './types.js';

export const NAT_PRESETS: Readonly<Record<NatPreset, NatBehaviour>> = {
  'full-cone': cone('endpoint-independent'),
  'restricted-cone': cone('address-dependent'),
  'port-restricted-cone': cone('address-and-port-dependent'),
  symmetric: {
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'sequential',
    mappingLifetimeMs: 120_000,
    hairpinning: false,
  },
};

export const NAT_PRESET_NAMES = ['full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric'] as const satisfies readonly NatPreset[];

/** `none` is a host with a public address; it is not a NAT type but is written where one is. */
export const NO_NAT = 'none';

function cone(filtering: NatBehaviour['filtering']): NatBehaviour {
  return { mapping: 'endpoint-independent', filtering, portAllocation: 'preserving', mappingLifetimeMs: 120_000, hairpinning: false };
}
