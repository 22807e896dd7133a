/**
 * A super node's signalling budget for one client session (OT-2: "about 5 KB/s per session").
 * Pure: time passed in.
 *
 * What it meters (ours; the studies give the figure, not the mechanism): the routed messages a
 * client hands its SN (routing.ts: call set-up on a NAT path, chat, presence, PSTN legs), each
 * at its encoded size - the signalling the SN forwards, and searches for, on the client's
 * behalf. A token bucket: it fills at `snSignallingBitsPerSec` and holds at most
 * BURST_MS of it, and starts full, so a login's burst of presence notices (a notice to every
 * buddy, about 20 x 70 bytes with churn.yaml's buddy lists) passes at once. A message is let
 * through whenever the bucket is not in debt and paid for in full, which may put it in debt:
 * a chat text of 64,000 bytes (chat.ts allows it) passes a 10 KB bucket, and the client's next
 * messages wait until the debt is paid back. While in debt every message is refused whole:
 * the SN answers `routeFailed{overBudget}` and takes nothing. So over any stretch of time the
 * SN forwards at most the bucket, plus the rate times the stretch, plus one message.
 * `snSignallingBitsPerSec: 0` switches the budget off.
 *
 * Not metered: keep-alives, presence to the SN itself, index announcements, and searches a
 * UDP-blocked client asks of its SN over TCP (BS-19) - the SN's own upkeep of the session,
 * which the client cannot multiply.
 */

/** How much of the budget the bucket holds: a burst of this many milliseconds at the full rate (ours). */
export const BURST_MS = 2_000;
/**
 * A refill computed for the very instant the debt is paid back may fall short by a rounding
 * error; the bucket overlooks that much rather than refuse a client that keeps to its rate.
 */
const ROUNDING_BYTES = 1e-6;

export class SignallingBudget {
  private bytes: number;

  /** `bitsPerSec` > 0; a budget of 0 is no budget, and the caller makes none. */
  constructor(
    private readonly bitsPerSec: number,
    private atMs: number,
  ) {
    this.bytes = this.depthBytes;
  }

  private get depthBytes(): number {
    return (this.bitsPerSec * BURST_MS) / 8000;
  }

  /** Pays for a message of `bytes` at `nowMs` unless the bucket is in debt; false (and nothing paid) if it is. */
  take(bytes: number, nowMs: number): boolean {
    if (nowMs > this.atMs) {
      this.bytes = Math.min(this.depthBytes, this.bytes + ((nowMs - this.atMs) * this.bitsPerSec) / 8000);
      this.atMs = nowMs;
    }
    if (this.bytes < -ROUNDING_BYTES) return false;
    this.bytes -= bytes;
    return true;
  }
}
