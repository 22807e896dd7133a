/**
 * Filter state: which remote endpoints may send in, to what, until when.
 *
 * A permission is a tuple (owner, remote ip, remote port) with an expiry time. NAT boxes own
 * permissions per mapping (owner = mapping id, port 0 = any port of that address); stateful
 * firewalls own them per host. Outbound traffic grants or refreshes one; inbound traffic asks.
 *
 * Expiry: a permission waits in an ExpiryQueue until its expiry time; when it comes due after a
 * refresh it waits again until the new time instead. A refresh is therefore one store, and a
 * permission leaves the table when its lifetime ends.
 */
import type { Kernel } from '../kernel/index.js';
import { ExpiryQueue } from './expiry.js';
import { grown } from './grow.js';
import { TupleMap } from './tuple-map.js';

export class Permissions {
  private readonly index = new TupleMap(3, 1024);
  private owner = new Int32Array(1024);
  private ip = new Uint32Array(1024);
  private port = new Uint16Array(1024);
  private expiresMs = new Float64Array(1024);
  private nextFree = new Int32Array(1024);
  private freeHead = -1;
  private used = 0;

  private readonly expiries: ExpiryQueue;

  constructor(private readonly kernel: Kernel) {
    this.expiries = new ExpiryQueue(kernel, this.onExpiry);
  }

  /** Grants (owner, ip, port) until `untilMs`, or extends a grant that ends sooner. */
  grant(owner: number, ip: number, port: number, untilMs: number): void {
    const key = this.index.key;
    key[0] = owner;
    key[1] = ip;
    key[2] = port;
    const slot = this.index.get();
    if (slot >= 0) {
      if (untilMs > this.expiresMs[slot]) this.expiresMs[slot] = untilMs;
      return;
    }
    const fresh = this.alloc();
    this.owner[fresh] = owner;
    this.ip[fresh] = ip;
    this.port[fresh] = port;
    this.expiresMs[fresh] = untilMs;
    this.index.set(fresh);
    this.expiries.add(untilMs, fresh);
  }

  /** Whether (owner, ip, port) is granted beyond `nowMs`. */
  admits(owner: number, ip: number, port: number, nowMs: number): boolean {
    const key = this.index.key;
    key[0] = owner;
    key[1] = ip;
    key[2] = port;
    const slot = this.index.get();
    return slot >= 0 && this.expiresMs[slot] > nowMs;
  }

  private readonly onExpiry = (slot: number): void => {
    const untilMs = this.expiresMs[slot];
    if (untilMs > this.kernel.now) {
      this.expiries.add(untilMs, slot);
      return;
    }
    const key = this.index.key;
    key[0] = this.owner[slot];
    key[1] = this.ip[slot];
    key[2] = this.port[slot];
    this.index.delete();
    this.nextFree[slot] = this.freeHead;
    this.freeHead = slot;
  };

  private alloc(): number {
    if (this.freeHead >= 0) {
      const slot = this.freeHead;
      this.freeHead = this.nextFree[slot];
      return slot;
    }
    if (this.used === this.owner.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const n = this.owner.length * 2;
    this.owner = grown(this.owner, n);
    this.ip = grown(this.ip, n);
    this.port = grown(this.port, n);
    this.expiresMs = grown(this.expiresMs, n);
    this.nextFree = grown(this.nextFree, n);
  }
}
