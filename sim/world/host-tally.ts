/**
 * Counts of ordinary hosts by state, kept up to date as inputs are delivered, so that a
 * metrics sample costs time in proportion to the super nodes, not to the hosts.
 *
 * Each host runtime tells the tally (a NodeWatch) after every input it delivered, start and
 * crash included; the tally reads the node's login state and whether it serves as an SN, and
 * moves the host between counts when that changed. One byte per host remembers what it last
 * counted. A node's state changes only inside `handle`, so the counts are exact at any instant
 * between events. `checkAgainst` recounts from scratch (tests).
 *
 * What it counts (the gauges of metrics.csv, sim/run/probes.ts): hosts up (application
 * running), online, logging in (up, neither online nor offline), and the set of hosts serving
 * as SNs (an UpSet, walked at a sample for their client counts).
 */

import type { HostNode } from '../../protocol/roles/ordinary-host.js';
import type { NodeWatch } from '../runtime/host-runtime.js';
import { UpSet } from '../runtime/up-set.js';

const DOWN = 0;
const OFFLINE = 1;
const LOGGING_IN = 2;
const ONLINE = 3;
/** Added to the state code while the host serves as an SN. */
const SERVING = 4;

export interface TallyCounts {
  readonly up: number;
  readonly online: number;
  readonly loggingIn: number;
}

export class HostTally implements NodeWatch, TallyCounts {
  up = 0;
  online = 0;
  loggingIn = 0;
  /** Indices of the ordinary hosts serving as SNs (unordered: for counting). */
  readonly serving = new UpSet();
  private codes: Uint8Array = new Uint8Array(64);

  settled(index: number, node: unknown): void {
    const code = codeOf(node as HostNode | undefined);
    if (index >= this.codes.length) {
      const grown = new Uint8Array(Math.max(index + 1, 2 * this.codes.length));
      grown.set(this.codes);
      this.codes = grown;
    }
    const old = this.codes[index];
    if (old === code) return;
    this.codes[index] = code;
    this.count(old & 3, -1);
    this.count(code & 3, 1);
    if ((code & SERVING) !== (old & SERVING)) {
      if (code & SERVING) this.serving.add(index);
      else this.serving.delete(index);
    }
  }

  private count(state: number, delta: number): void {
    if (state === DOWN) return;
    this.up += delta;
    if (state === ONLINE) this.online += delta;
    else if (state === LOGGING_IN) this.loggingIn += delta;
  }
}

function codeOf(node: HostNode | undefined): number {
  if (node === undefined) return DOWN;
  const state = node.state;
  const code = state === 'online' ? ONLINE : state === 'offline' ? OFFLINE : LOGGING_IN;
  return node.superNode === undefined ? code : code + SERVING;
}

/** The same counts by visiting every node (what the tally saves; for tests). */
export function recount(nodes: Iterable<HostNode | undefined>): TallyCounts & { serving: number } {
  let up = 0;
  let online = 0;
  let loggingIn = 0;
  let serving = 0;
  for (const node of nodes) {
    const code = codeOf(node);
    if (code & SERVING) serving++;
    if ((code & 3) === DOWN) continue;
    up++;
    if ((code & 3) === ONLINE) online++;
    else if ((code & 3) === LOGGING_IN) loggingIn++;
  }
  return { up, online, loggingIn, serving };
}
