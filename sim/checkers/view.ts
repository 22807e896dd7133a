/**
 * The WorldView of a sim/world World at this moment: configured truth from the world's host
 * records (region, NAT, firewall) beside each node's own belief (HostNode's observation
 * getters) and the LSs' session lists.
 *
 * Two things the World does not know are supplied by whoever drives it:
 *   - `cut`: which regions a partition separates now (sim/net keeps it inside its core; the
 *     driver that calls `partition` / `heal` knows). Default: no partition.
 *   - `userOf`: the user name a host logs in with. Default: the host's name, which is what
 *     World.join uses.
 */

import type { HostNode } from '../../protocol/roles/ordinary-host.js';
import { endpointKey } from '../../protocol/roles/support.js';
import type { World } from '../world/world.js';
import type { HostView, NodeView, WorldView } from './types.js';

export interface ViewOptions {
  readonly cut?: (regionA: string, regionB: string) => boolean;
  readonly userOf?: (hostName: string) => string;
}

const NO_CUT = (): boolean => false;

export function viewOf(world: World, options: ViewOptions = {}): WorldView {
  const userOf = options.userOf ?? ((name: string) => name);
  const hosts: HostView[] = [];
  for (const sn of world.bootstrapSupernodes) {
    const node = sn.runtime.node;
    hosts.push({
      name: sn.name,
      kind: 'bootstrap',
      region: sn.region,
      publicAddress: true,
      natName: 'none',
      firewall: 'none',
      ip: sn.endpoint.ip,
      node: node && nodeView(node),
      user: userOf(sn.name),
      diskHostCache: undefined,
    });
  }
  for (const h of world.hosts) {
    const node = h.runtime.node;
    hosts.push({
      name: h.name,
      kind: 'host',
      region: h.region,
      publicAddress: h.nat.kind === 'none',
      natName: h.nat.kind === 'none' ? 'none' : h.nat.name,
      firewall: h.firewall as HostView['firewall'],
      ip: world.net.ipOf(h.netHost),
      node: node && nodeView(node),
      user: userOf(h.name),
      diskHostCache: h.disk.hostCache,
    });
  }
  return {
    nowMs: world.kernel.now,
    params: world.scenario.protocol,
    tcp: world.scenario.network.tcp,
    hosts,
    loginServers: world.loginServers.map((ls) => ({
      name: ls.name,
      region: ls.region,
      up: ls.runtime.up,
      sessionNames: ls.runtime.node?.sessionNames() ?? [],
    })),
    bootstrap: world.bootstrapSupernodes.map((sn) => sn.endpoint),
    cut: options.cut ?? NO_CUT,
  };
}

function nodeView(node: HostNode): NodeView {
  return {
    state: node.state,
    port: node.port,
    currentSuperNode: node.currentSuperNode,
    isSuperNode: node.isSuperNode,
    clientNames: node.superNode?.clientNames() ?? [],
    hostCache: node.hostCacheEntries(),
  };
}

/** Every host serving as an SN now, by the endpoint it is known by (`endpointKey` of address:port). */
export function servingSuperNodes(view: WorldView): Map<number, HostView> {
  const out = new Map<number, HostView>();
  for (const h of view.hosts) if (h.node?.isSuperNode) out.set(endpointKey({ ip: h.ip, port: h.node.port }), h);
  return out;
}
