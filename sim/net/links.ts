/**
 * Access links: each host's last mile, between the host and the core.
 *
 * Modelled:
 * - the uplink as one FIFO queue served at `uplinkBitsPerSec`: a packet leaves when every
 *   packet queued before it has been serialized, plus its own serialization time; a bounded
 *   queue (`queueLimitBytes`, counting the packet in service) drops what does not fit. The
 *   queue is kept as one number per host - the time it becomes idle - so a packet costs no
 *   event and no allocation in the queue.
 * - the downlink as its serialization delay only (no queue: the core delivers at most what
 *   the senders' uplinks let through, and the hosts here are uplink-bound).
 * - `accessDelayMs`, each way.
 * - loss, per direction, from the link's LossSpec (Bernoulli, or Gilbert-Elliott with its
 *   good/bad state kept per host and direction), drawn from one `net/loss` stream in event
 *   order.
 * - aggregates (N packets of one size standing for a media flow): queued back to back, so
 *   the uplink is busy for all N; lost packet by packet, with the draws N single packets in a
 *   row would make (`enqueueBurst`, `lostUpOf`, `lostDownOf`).
 *
 * Not modelled: bandwidth shared between the up- and downlink, link-layer retransmission,
 * AQM (RED, CoDel), and any change of bandwidth at run time.
 */
import type { Rng } from '../kernel/index.js';
import { grown } from './grow.js';
import type { HostId, LinkSpec, LossSpec } from './config.js';
import type { HostTable } from './hosts.js';
import { F64, LINK, LOSS, U32, UPLINK_IDLE_AT_MS } from './hosts.js';

// Fields of a link profile: the parameters hosts with the same link share.
const PROFILE = 4;
const UPLINK_BITS_PER_SEC = 0;
const DOWNLINK_BITS_PER_SEC = 1;
const ACCESS_DELAY_MS = 2;
const QUEUE_LIMIT_BYTES = 3;

const LOSS_NONE = 0;
const LOSS_BERNOULLI = 1;
const LOSS_GILBERT_ELLIOTT = 2;

const UP_BAD = 1;
const DOWN_BAD = 2;

/** A loss model in use, shared by the hosts that have the same spec. */
interface LossProfile {
  readonly kind: number;
  readonly pGoodToBad: number;
  readonly pBadToGood: number;
  readonly lossRatioGood: number;
  readonly lossRatioBad: number;
}

export class Links {
  /** Profile 0 is "no loss", so a lossless link costs no lookup of its profile. */
  private readonly profiles: LossProfile[] = [toProfile({ kind: 'none' })];
  private readonly profileIds = new Map<string, number>();
  /** Link profiles, PROFILE numbers each, and their ids by parameters. */
  private links = new Float64Array(16 * PROFILE);
  private linkCount = 0;
  private readonly linkIds = new Map<string, number>();

  constructor(
    private readonly hosts: HostTable,
    private readonly lossRng: Rng,
  ) {}

  set(host: HostId, link: LinkSpec): void {
    if (!(link.uplinkBitsPerSec > 0)) throw new RangeError(`uplinkBitsPerSec must be positive, got ${link.uplinkBitsPerSec}`);
    if (!(link.downlinkBitsPerSec > 0)) throw new RangeError(`downlinkBitsPerSec must be positive, got ${link.downlinkBitsPerSec}`);
    if (!(link.accessDelayMs >= 0)) throw new RangeError(`accessDelayMs must be >= 0, got ${link.accessDelayMs}`);
    const limit = link.queueLimitBytes ?? Infinity;
    if (!(limit > 0)) throw new RangeError(`queueLimitBytes must be positive, got ${limit}`);
    this.hosts.u32[host * U32 + LINK] = this.linkFor(link.uplinkBitsPerSec, link.downlinkBitsPerSec, link.accessDelayMs, limit);
    this.hosts.f64[host * F64 + UPLINK_IDLE_AT_MS] = 0;
    this.setLoss(host, link.loss ?? { kind: 'none' });
  }

  setLoss(host: HostId, loss: LossSpec): void {
    this.hosts.u32[host * U32 + LOSS] = this.profileFor(loss) * 4;
  }

  accessDelayMs(host: HostId): number {
    return this.links[this.hosts.u32[host * U32 + LINK] * PROFILE + ACCESS_DELAY_MS];
  }

  downlinkMs(host: HostId, wireBytes: number): number {
    return (wireBytes * 8000) / this.links[this.hosts.u32[host * U32 + LINK] * PROFILE + DOWNLINK_BITS_PER_SEC];
  }

  /**
   * Queues `wireBytes` on `host`'s uplink at `nowMs`; returns the time its last bit leaves,
   * or -1 when the queue is full (the packet is dropped and the queue unchanged).
   */
  enqueue(host: HostId, wireBytes: number, nowMs: number): number {
    const f = this.hosts.f64;
    const at = host * F64 + UPLINK_IDLE_AT_MS;
    const link = this.hosts.u32[host * U32 + LINK] * PROFILE;
    const rate = this.links[link + UPLINK_BITS_PER_SEC];
    const idleAtMs = f[at];
    const startMs = idleAtMs > nowMs ? idleAtMs : nowMs;
    const backlogBytes = ((startMs - nowMs) * rate) / 8000;
    if (backlogBytes + wireBytes > this.links[link + QUEUE_LIMIT_BYTES]) return -1;
    const doneMs = startMs + (wireBytes * 8000) / rate;
    f[at] = doneMs;
    return doneMs;
  }

  /** How many packets the last `enqueueBurst` queued. */
  admitted = 0;

  /**
   * Queues `packets` packets of `wireBytes` each on `host`'s uplink at `nowMs`, back to back
   * (an aggregate datagram or write): as many as fit, or with `whole` all or none. Returns the
   * time the first one's last bit leaves, or -1 when none fits (queue unchanged); sets
   * `admitted`. The queue stays busy until the last admitted one has left, so the link carries
   * the aggregate's full bandwidth; the caller times the aggregate by its first packet.
   */
  enqueueBurst(host: HostId, wireBytes: number, packets: number, nowMs: number, whole: boolean): number {
    if (packets === 1) {
      this.admitted = 1;
      const departMs = this.enqueue(host, wireBytes, nowMs);
      if (departMs < 0) this.admitted = 0;
      return departMs;
    }
    const f = this.hosts.f64;
    const at = host * F64 + UPLINK_IDLE_AT_MS;
    const link = this.hosts.u32[host * U32 + LINK] * PROFILE;
    const rate = this.links[link + UPLINK_BITS_PER_SEC];
    const idleAtMs = f[at];
    const startMs = idleAtMs > nowMs ? idleAtMs : nowMs;
    const roomBytes = this.links[link + QUEUE_LIMIT_BYTES] - ((startMs - nowMs) * rate) / 8000;
    let n = packets;
    if (whole) {
      if (packets * wireBytes > roomBytes) n = 0;
    } else if (packets * wireBytes > roomBytes) {
      // The same test as enqueue's for the first packet, so a burst admits at least what a
      // single packet would; rounding in the division can only cost the last one.
      n = wireBytes > roomBytes ? 0 : Math.max(1, Math.min(packets, Math.floor(roomBytes / wireBytes)));
    }
    this.admitted = n;
    if (n === 0) return -1;
    f[at] = startMs + (n * wireBytes * 8000) / rate;
    return startMs + (wireBytes * 8000) / rate;
  }

  /**
   * How many of `packets` packets up `host`'s uplink are lost: the loss model applied to each
   * in turn, exactly as that many single packets in a row would draw it (see lostCount).
   */
  lostUpOf(host: HostId, packets: number): number {
    return packets === 1 ? (this.lost(host, UP_BAD) ? 1 : 0) : this.lostCount(host, UP_BAD, packets);
  }

  /** How many of `packets` packets down `host`'s downlink are lost (see lostUpOf). */
  lostDownOf(host: HostId, packets: number): number {
    return packets === 1 ? (this.lost(host, DOWN_BAD) ? 1 : 0) : this.lostCount(host, DOWN_BAD, packets);
  }

  /** Draws whether the next packet up `host`'s uplink is lost. */
  lostUp(host: HostId): boolean {
    return this.lost(host, UP_BAD);
  }

  /** Draws whether the next packet down `host`'s downlink is lost. */
  lostDown(host: HostId): boolean {
    return this.lost(host, DOWN_BAD);
  }

  private lost(host: HostId, badBit: number): boolean {
    const u32 = this.hosts.u32;
    const at = host * U32 + LOSS;
    const loss = u32[at];
    if (loss === 0) return false;
    const p = this.profiles[loss >>> 2];
    if (p.kind === LOSS_BERNOULLI) return this.lossRng.next() < p.lossRatioGood;
    let bad = (loss & badBit) !== 0;
    if (this.lossRng.next() < (bad ? p.pBadToGood : p.pGoodToBad)) {
      bad = !bad;
      u32[at] = loss ^ badBit;
    }
    return this.lossRng.next() < (bad ? p.lossRatioBad : p.lossRatioGood);
  }

  /**
   * Losses among `packets` packets in a row: one draw per packet from `net/loss`, and for
   * Gilbert-Elliott one chain step before each, as `lost` does packet by packet. For Bernoulli
   * the count is thus an exact Binomial(packets, lossRatio) draw; for Gilbert-Elliott the chain
   * ends where `packets` single packets would leave it. Cost: 1 or 2 draws per packet - cheap
   * next to the kernel events an aggregate saves, and it keeps the stream's draws identical to
   * those of the single packets it stands for (no inversion with its 2^-32 tail cut-off).
   */
  private lostCount(host: HostId, badBit: number, packets: number): number {
    const u32 = this.hosts.u32;
    const at = host * U32 + LOSS;
    const loss = u32[at];
    if (loss === 0) return 0;
    const p = this.profiles[loss >>> 2];
    const rng = this.lossRng;
    let lost = 0;
    if (p.kind === LOSS_BERNOULLI) {
      const ratio = p.lossRatioGood;
      for (let i = 0; i < packets; i++) if (rng.next() < ratio) lost++;
      return lost;
    }
    let bad = (loss & badBit) !== 0;
    for (let i = 0; i < packets; i++) {
      if (rng.next() < (bad ? p.pBadToGood : p.pGoodToBad)) bad = !bad;
      if (rng.next() < (bad ? p.lossRatioBad : p.lossRatioGood)) lost++;
    }
    if (bad !== ((loss & badBit) !== 0)) u32[at] = loss ^ badBit;
    return lost;
  }

  private linkFor(uplinkBitsPerSec: number, downlinkBitsPerSec: number, accessDelayMs: number, queueLimitBytes: number): number {
    const key = `${uplinkBitsPerSec} ${downlinkBitsPerSec} ${accessDelayMs} ${queueLimitBytes}`;
    let id = this.linkIds.get(key);
    if (id === undefined) {
      id = this.linkCount++;
      if (id * PROFILE === this.links.length) this.links = grown(this.links, 2 * this.links.length);
      const at = id * PROFILE;
      this.links[at + UPLINK_BITS_PER_SEC] = uplinkBitsPerSec;
      this.links[at + DOWNLINK_BITS_PER_SEC] = downlinkBitsPerSec;
      this.links[at + ACCESS_DELAY_MS] = accessDelayMs;
      this.links[at + QUEUE_LIMIT_BYTES] = queueLimitBytes;
      this.linkIds.set(key, id);
    }
    return id;
  }

  private profileFor(loss: LossSpec): number {
    const profile = toProfile(loss);
    if (profile.kind === LOSS_NONE) return 0;
    const key = JSON.stringify(profile);
    let id = this.profileIds.get(key);
    if (id === undefined) {
      id = this.profiles.length;
      this.profiles.push(profile);
      this.profileIds.set(key, id);
    }
    return id;
  }
}

function toProfile(loss: LossSpec): LossProfile {
  switch (loss.kind) {
    case 'none':
      return { kind: LOSS_NONE, pGoodToBad: 0, pBadToGood: 0, lossRatioGood: 0, lossRatioBad: 0 };
    case 'bernoulli':
      return { kind: LOSS_BERNOULLI, pGoodToBad: 0, pBadToGood: 0, lossRatioGood: ratio(loss.lossRatio, 'lossRatio'), lossRatioBad: 0 };
    case 'gilbert-elliott':
      return {
        kind: LOSS_GILBERT_ELLIOTT,
        pGoodToBad: ratio(loss.pGoodToBad, 'pGoodToBad'),
        pBadToGood: ratio(loss.pBadToGood, 'pBadToGood'),
        lossRatioGood: ratio(loss.lossRatioGood, 'lossRatioGood'),
        lossRatioBad: ratio(loss.lossRatioBad, 'lossRatioBad'),
      };
    default:
      throw new RangeError(`unknown loss kind ${JSON.stringify((loss as { kind: unknown }).kind)}`);
  }
}

function ratio(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${value}`);
  return value;
}
