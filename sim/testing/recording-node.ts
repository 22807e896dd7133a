/**
 * A protocol node that records, for every input, the outputs its inner node gave - so a test
 * can read a side's whole conversation ("at 5000 ms, timer probeTimeout -> connect 1.0.0.2:80")
 * without the runtime's help. It changes nothing: outputs are copied, not filtered.
 */

import type { Ctx, Input, Output, ProtocolNode } from '../../protocol/node.js';

export interface LogEntry {
  readonly tMs: number;
  readonly input: Input<unknown>;
  readonly outputs: readonly Output[];
}

export class RecordingNode<N extends ProtocolNode<unknown>> implements ProtocolNode<unknown> {
  constructor(
    readonly inner: N,
    private readonly log: LogEntry[],
  ) {}

  handle(input: Input<unknown>, ctx: Ctx): void {
    const from = ctx.out.length;
    try {
      this.inner.handle(input, ctx);
    } finally {
      this.log.push({ tMs: ctx.now, input, outputs: ctx.out.slice(from) });
    }
  }
}
