/**
 * Receiver statistics of one direction of a media stream: what the listening side can learn
 * from the frames that reach it - loss, one-way delay, interarrival jitter, duplicates and
 * reordering - as input for the E-model (e-model.ts).
 *
 * Inputs: one `onFrame` per datagram that arrives, in arrival order. A datagram carries the
 * sequence number of its first frame, the send time of its first frame, and (in `flow` mode)
 * stands for several frames; see "Aggregates" below. Pure: the caller passes the times.
 *
 * Loss (RFC 3550 section 6.4.1 and appendix A.3, without the 16-bit wrap: our seq is a u32
 * that a 20 ms stream would take 2.7 years to wrap): expected frames are, unless the caller
 * knows better, the span from the lowest sequence number received to the last frame of the
 * highest-starting datagram; lost = expected - received frames. Losses before the first and
 * after the last datagram received are invisible to the span, as in RFC 3550; a receiver that
 * learns the sender's count (e.g. at hang-up) passes it as `summary(expectedFrames)`, and
 * that count is then used instead. Duplicates are not counted as received (unlike RFC 3550,
 * whose cumulative loss can go negative), so `lost` is never below 0.
 *
 * Aggregates: in `flow` mode one datagram stands for `framesSent` consecutive frames,
 * [seq, seq + framesSent), and the network tells how many of them got through (`frames`,
 * Input `datagram`'s `packets`). The receiver cannot tell which frames of an aggregate were
 * lost, only how many: it adds `frames` to the received count and lets the aggregate's
 * sequence range extend the expected span by `framesSent`. With `framesSent` given (the
 * mediaFrame's own `frames` field), loss is exact except for whole datagrams lost at the end;
 * without it (it defaults to `frames`), losses inside the last aggregate are invisible too.
 *
 * Duplicates and reordering are decided per datagram by its start `seq` and count datagrams,
 * not frames. A datagram is out of order when a datagram with a higher start seq arrived
 * before it. Duplicate detection remembers the last `reorderWindowFrames` sequence numbers
 * (a ring indexed by seq, as replay windows do); a datagram older than that cannot be checked
 * and counts as received and out of order.
 *
 * Delay and jitter: one-way delay (transit) is arrival time minus send time of the
 * datagram, so it needs the sender's and receiver's clocks to agree (they do in the
 * simulation; over real clocks only the jitter, which is offset-free, is meaningful). The
 * mean delay is per frame: a datagram's transit counts once for every frame it delivered.
 * Jitter is RFC 3550 section 6.4.1 interarrival jitter, J += (|D| - J) / 16 with D the
 * difference of transit times of consecutive datagrams in arrival order, kept in ms rather
 * than timestamp units; the first datagram only sets the reference transit. Duplicates take
 * no part in delay or jitter: they are copies of a datagram already counted.
 *
 * Caller misuse (a non-integer seq, `frames` < 1, `framesSent` < `frames`, a non-finite time)
 * throws RangeError; the role must validate a peer's mediaFrame before calling.
 */

export interface ReceiverSummary {
  /** Frames received, duplicates excluded. */
  readonly frames: number;
  readonly lost: number;
  /** lost / expected, 0 when nothing was expected. */
  readonly lossRatio: number;
  /** Mean one-way delay per received frame; NaN when no frame arrived. */
  readonly meanDelayMs: number;
  /** RFC 3550 interarrival jitter; 0 until two datagrams arrived. */
  readonly jitterMs: number;
  /** Datagrams that repeated a start seq already received. */
  readonly duplicates: number;
  /** Datagrams that arrived after one with a higher start seq. */
  readonly outOfOrder: number;
}

/** How many recent sequence numbers duplicate detection remembers: 4096 frames = 82 s at 20 ms. */
export const DEFAULT_REORDER_WINDOW_FRAMES = 4096;

export class ReceiverStats {
  /** seenSeq[seq % window] === seq iff a datagram starting at seq arrived (within the window). */
  private readonly seenSeq: Float64Array;
  private framesReceived = 0;
  private lowestSeq = Infinity;
  /** Highest start seq seen: the reference for out-of-order and the duplicate window. */
  private highestSeq = -Infinity;
  /** Last frame index covered by any datagram received. */
  private highestFrame = -Infinity;
  private delaySumMs = 0;
  private jitter = 0;
  private lastTransitMs = NaN;
  private duplicateCount = 0;
  private outOfOrderCount = 0;

  constructor(readonly reorderWindowFrames: number = DEFAULT_REORDER_WINDOW_FRAMES) {
    if (!Number.isSafeInteger(reorderWindowFrames) || reorderWindowFrames < 1) {
      throw new RangeError(`ReceiverStats: reorderWindowFrames must be a positive integer, got ${reorderWindowFrames}`);
    }
    this.seenSeq = new Float64Array(reorderWindowFrames).fill(-1);
  }

  /**
   * One datagram arrived: `seq` is the index of its first frame, `sentAtMs` the send time of
   * that frame, `frames` how many of its frames got through, `framesSent` how many it stood
   * for (defaults to `frames`).
   */
  onFrame(seq: number, sentAtMs: number, arrivedAtMs: number, frames = 1, framesSent = frames): void {
    checkFrame(seq, sentAtMs, arrivedAtMs, frames, framesSent);
    const window = this.reorderWindowFrames;
    const slot = seq % window;
    const inWindow = seq > this.highestSeq - window;
    if (inWindow && this.seenSeq[slot] === seq) {
      this.duplicateCount++;
      return;
    }
    if (seq < this.highestSeq) this.outOfOrderCount++;
    // Only a seq inside the window may claim its slot: an older one would evict a newer seq.
    if (inWindow) this.seenSeq[slot] = seq;

    if (seq > this.highestSeq) this.highestSeq = seq;
    if (seq < this.lowestSeq) this.lowestSeq = seq;
    const lastFrame = seq + framesSent - 1;
    if (lastFrame > this.highestFrame) this.highestFrame = lastFrame;
    this.framesReceived += frames;

    const transitMs = arrivedAtMs - sentAtMs;
    this.delaySumMs += transitMs * frames;
    if (!Number.isNaN(this.lastTransitMs)) {
      // RFC 3550 section 6.4.1: J(i) = J(i-1) + (|D(i-1,i)| - J(i-1)) / 16.
      this.jitter += (Math.abs(transitMs - this.lastTransitMs) - this.jitter) / 16;
    }
    this.lastTransitMs = transitMs;
  }

  /** The statistics so far; `expectedFrames`, the sender's count, replaces the span estimate. */
  summary(expectedFrames?: number): ReceiverSummary {
    if (expectedFrames !== undefined && !(Number.isSafeInteger(expectedFrames) && expectedFrames >= 0)) {
      throw new RangeError(`ReceiverStats.summary: expectedFrames must be an integer >= 0, got ${expectedFrames}`);
    }
    const received = this.framesReceived;
    const spanFrames = received === 0 ? 0 : this.highestFrame - this.lowestSeq + 1;
    const expected = expectedFrames ?? spanFrames;
    const lost = Math.max(0, expected - received);
    return {
      frames: received,
      lost,
      lossRatio: expected > 0 ? lost / expected : 0,
      meanDelayMs: received > 0 ? this.delaySumMs / received : NaN,
      jitterMs: this.jitter,
      duplicates: this.duplicateCount,
      outOfOrder: this.outOfOrderCount,
    };
  }
}

function checkFrame(seq: number, sentAtMs: number, arrivedAtMs: number, frames: number, framesSent: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`ReceiverStats.onFrame: seq must be an integer >= 0, got ${seq}`);
  if (!Number.isFinite(sentAtMs)) throw new RangeError(`ReceiverStats.onFrame: sentAtMs must be finite, got ${sentAtMs}`);
  if (!Number.isFinite(arrivedAtMs)) throw new RangeError(`ReceiverStats.onFrame: arrivedAtMs must be finite, got ${arrivedAtMs}`);
  if (!Number.isSafeInteger(frames) || frames < 1) throw new RangeError(`ReceiverStats.onFrame: frames must be an integer >= 1, got ${frames}`);
  if (!Number.isSafeInteger(framesSent) || framesSent < frames) {
    throw new RangeError(`ReceiverStats.onFrame: framesSent must be an integer >= frames (${frames}), got ${framesSent}`);
  }
}
