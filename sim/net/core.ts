/**
 * The core network between access links: a delay per pair of regions, jitter, and partitions.
 *
 * Modelled: one-way core delay = rttMs[a][b] / 2 (the matrix is taken as symmetric paths);
 * jitter = one draw per packet from the configured distribution (`net/jitter` stream), negative
 * draws counting as zero - so datagrams can be reordered, as on the Internet; partitions as
 * a cut between two regions that drops every packet crossing it while it lasts.
 *
 * Not modelled: topology inside the core, core congestion and loss (loss lives on access
 * links), asymmetric routes, route changes.
 */
import type { Rng, Sampler } from '../kernel/index.js';
import { makeSampler } from '../kernel/index.js';
import type { NetConfig } from './config.js';

export class Core {
  readonly regionCount: number;
  private readonly oneWay: Float64Array;
  private readonly cut: Uint8Array;
  private readonly regionIds = new Map<string, number>();
  private readonly jitter: Sampler | null;

  constructor(
    config: NetConfig,
    private readonly jitterRng: Rng,
  ) {
    const n = config.regions.length;
    if (n === 0) throw new RangeError('the network needs at least one region');
    if (n > 0xffff) throw new RangeError('at most 65535 regions');
    if (config.rttMs.length !== n || config.rttMs.some((row) => row.length !== n)) {
      throw new RangeError(`rttMs must be a ${n} x ${n} matrix, one row and column per region`);
    }
    this.regionCount = n;
    this.oneWay = new Float64Array(n * n);
    this.cut = new Uint8Array(n * n);
    config.regions.forEach((name, i) => {
      if (this.regionIds.has(name)) throw new RangeError(`region ${JSON.stringify(name)} is listed twice`);
      this.regionIds.set(name, i);
    });
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        const rtt = config.rttMs[a][b];
        if (!(rtt >= 0) || rtt !== config.rttMs[b][a]) {
          throw new RangeError(`rttMs[${a}][${b}] must be a non-negative number equal to rttMs[${b}][${a}], got ${rtt}`);
        }
        this.oneWay[a * n + b] = rtt / 2;
      }
    }
    this.jitter = config.jitterMs === undefined ? null : makeSampler(config.jitterMs);
  }

  region(name: string): number {
    const id = this.regionIds.get(name);
    if (id === undefined) throw new RangeError(`unknown region ${JSON.stringify(name)}`);
    return id;
  }

  oneWayMs(a: number, b: number): number {
    return this.oneWay[a * this.regionCount + b];
  }

  isCut(a: number, b: number): boolean {
    return this.cut[a * this.regionCount + b] === 1;
  }

  /** Draws one packet's jitter. */
  jitterMs(): number {
    if (this.jitter === null) return 0;
    const ms = this.jitter(this.jitterRng);
    return ms > 0 ? ms : 0;
  }

  /** Cuts (or, with `isCut` false, restores) every path between a region of `as` and one of `bs`. */
  setCut(as: readonly string[], bs: readonly string[], isCut: boolean): void {
    const n = this.regionCount;
    for (const a of as.map((name) => this.region(name))) {
      for (const b of bs.map((name) => this.region(name))) {
        this.cut[a * n + b] = isCut ? 1 : 0;
        this.cut[b * n + a] = isCut ? 1 : 0;
      }
    }
  }

  healAll(): void {
    this.cut.fill(0);
  }
}
