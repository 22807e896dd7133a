/**
 * Invariant (d): no SN sits behind a NAT or a firewall that blocks UDP (BS-1, BS-10).
 *
 * Checked against the world's configured truth (the host's NAT and firewall as the scenario
 * built them), never against the node's own NAT class, which is exactly what could be wrong.
 * A `stateful` firewall counts too: it refuses every inbound connection, so clients could never
 * attach - an SN must take unsolicited traffic. Reported at once, once per serving spell.
 */

import type { Checker, Violation, WorldView } from './types.js';

export class SnPlacementChecker implements Checker {
  readonly name = 'sn-placement';
  private readonly reported = new Set<string>();

  check(view: WorldView): Violation[] {
    const out: Violation[] = [];
    for (const h of view.hosts) {
      if (!h.node?.isSuperNode) {
        this.reported.delete(h.name);
        continue;
      }
      const problems: string[] = [];
      if (!h.publicAddress) problems.push(`behind NAT ${h.natName}`);
      if (h.firewall !== 'none') problems.push(`behind firewall ${h.firewall}`);
      if (problems.length === 0 || this.reported.has(h.name)) continue;
      this.reported.add(h.name);
      out.push({ timeMs: view.nowMs, invariant: this.name, host: h.name, message: `${h.name} serves as a super node ${problems.join(' and ')}` });
    }
    return out;
  }
}
