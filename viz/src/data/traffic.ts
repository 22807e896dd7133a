/**
 * Traffic in a time window, aggregated from the trace's packet rows: messages and bytes per
 * message type, drops per type, and messages per link (host pair, either direction), with
 * filters on message type, transport and host. A pass over the rows of the window; the
 * per-link counters are reused between calls, so brushing allocates little.
 *
 * Counted as in summary.json's traffic.byType: a message is a `send` row (sentPackets), a drop
 * a `drop` row (droppedPackets; a packet a firewall stops on its way out has a drop row and no
 * send row). TCP ACKs of data segments are counted by the network but not traced one by one,
 * so `tcp-ack` here counts only the handshake's.
 */

import { DROP, type TraceStore } from './trace.js';

export interface TrafficFilter {
  /** Message type id (TraceStore.msgTypes), or -1 for all. */
  readonly msg: number;
  /** 0 udp, 1 tcp, -1 both. */
  readonly proto: number;
  /** Only packets from or to this host; -1 for all. */
  readonly host: number;
}

export const NO_FILTER: TrafficFilter = { msg: -1, proto: -1, host: -1 };

export interface LinkCount {
  readonly link: number;
  readonly a: number;
  readonly b: number;
  readonly messages: number;
  readonly bytes: number;
}

export interface TrafficWindow {
  readonly t0: number;
  readonly t1: number;
  /** Per message type id. */
  readonly sent: Float64Array;
  readonly sentBytes: Float64Array;
  readonly dropped: Float64Array;
  readonly totalSent: number;
  readonly totalBytes: number;
  readonly totalDropped: number;
  /** Distinct links with a message in the window. */
  readonly links: number;
  /** The busiest links, most messages first (ties: lower link id). */
  readonly topLinks: readonly LinkCount[];
}

export class TrafficAggregator {
  private linkMessages = new Float64Array(0);
  private linkBytes = new Float64Array(0);
  private touched = new Int32Array(0);

  constructor(private readonly store: TraceStore) {}

  /** Rows with t0 <= t < t1 (ms). */
  window(t0: number, t1: number, filter: TrafficFilter = NO_FILTER, topN = 15): TrafficWindow {
    const s = this.store;
    const types = s.msgTypes.length;
    const links = s.linkA.length;
    if (this.linkMessages.length < links) {
      const n = Math.max(links, this.linkMessages.length * 2, 1024);
      this.linkMessages = new Float64Array(n);
      this.linkBytes = new Float64Array(n);
      this.touched = new Int32Array(n);
    }
    const sent = new Float64Array(types);
    const sentBytes = new Float64Array(types);
    const dropped = new Float64Array(types);
    const lm = this.linkMessages;
    const lb = this.linkBytes;
    const touched = this.touched;
    let nTouched = 0;
    const { kind, proto, from, to, msg, bytes, packets, link, tx } = s;
    const fMsg = filter.msg;
    const fProto = filter.proto;
    const fHost = filter.host;
    const end = s.txAt(t1);
    for (let i = s.txAt(t0); i < end; i++) {
      const r = tx[i];
      const k = kind[r];
      if (fMsg >= 0 && msg[r] !== fMsg) continue;
      if (fProto >= 0 && proto[r] !== fProto) continue;
      if (fHost >= 0 && from[r] !== fHost && to[r] !== fHost) continue;
      const m = msg[r];
      const n = packets[r];
      if (k === DROP) {
        dropped[m] += n;
        continue;
      }
      sent[m] += n;
      sentBytes[m] += bytes[r] * n;
      const l = link[r];
      if (l >= 0) {
        if (lm[l] === 0) touched[nTouched++] = l;
        lm[l] += n;
        lb[l] += bytes[r] * n;
      }
    }
    const top: LinkCount[] = [];
    for (let i = 0; i < nTouched; i++) {
      const l = touched[i];
      const c = lm[l];
      if (top.length < topN || c > top[top.length - 1].messages || (c === top[top.length - 1].messages && l < top[top.length - 1].link)) {
        const entry = { link: l, a: s.linkA[l], b: s.linkB[l], messages: c, bytes: lb[l] };
        let j = top.length;
        while (j > 0 && (top[j - 1].messages < c || (top[j - 1].messages === c && top[j - 1].link > l))) j--;
        top.splice(j, 0, entry);
        if (top.length > topN) top.pop();
      }
      lm[l] = 0;
      lb[l] = 0;
    }
    let totalSent = 0;
    let totalBytes = 0;
    let totalDropped = 0;
    for (let m = 0; m < types; m++) {
      totalSent += sent[m];
      totalBytes += sentBytes[m];
      totalDropped += dropped[m];
    }
    return { t0, t1, sent, sentBytes, dropped, totalSent, totalBytes, totalDropped, links: nTouched, topLinks: top };
  }
}
