/**
 * Filter state: which remote endpoints may send in, to what, until when.
 *
 * A permission is a tuple (owner, remote ip, remote port) with an expiry time. NAT boxes own
 * permissions per mapping (owner = mapping id, port 0 = any port of that address); stateful
 * firewalls own them per host. Outbound traffic grants or refreshes one; inbound traffic asks.
 *
 * Expiry: a permission waits in an ExpiryQueue until its expiry time; when it comes due after a
 * refresh it waits again until the new time instead. A refresh is therefore one store, and a
 * permission leaves the table when its lifetime ends. The expiry time lives in the index slot
 * beside the key, so granting and asking read one slot; the permission's own record (its key,
 * by a stable id for the queue) is read only when it comes due.
 */
import type { Kernel } from '../kernel/index.js';
import { ExpiryQueue } from './expiry.js';
import { grown } from './grow.js';
import { TupleMap } from './tuple-map.js';

export class Permissions {
  /** (owner, ip, port) -> id, with the expiry time. */
  private readonly index = new TupleMap(3, 1024, true);
  private owner = new Int32Array(1024);
  private ip = new Uint32Array(1024);
  private port = new Uint16Array(1024);
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
    if (this.index.raiseTime(untilMs)) return;
    const fresh = this.alloc();
    this.owner[fresh] = owner;
    this.ip[fresh] = ip;
    this.port[fresh] = port;
    this.index.setTimed(fresh, untilMs);
    this.expiries.add(untilMs, fresh);
  }

  /** Whether (owner, ip, port) is granted beyond `nowMs`. */
  admits(owner: number, ip: number, port: number, nowMs: number): boolean {
    const key = this.index.key;
    key[0] = owner;
    key[1] = ip;
    key[2] = port;
    return this.index.time() > nowMs;
  }

  private readonly onExpiry = (id: number): void => {
    const key = this.index.key;
    key[0] = this.owner[id];
    key[1] = this.ip[id];
    key[2] = this.port[id];
    const untilMs = this.index.time();
    if (untilMs > this.kernel.now) {
      this.expiries.add(untilMs, id);
      return;
    }
    this.index.delete();
    this.nextFree[id] = this.freeHead;
    this.freeHead = id;
  };

  private alloc(): number {
    if (this.freeHead >= 0) {
      const id = this.freeHead;
      this.freeHead = this.nextFree[id];
      return id;
    }
    if (this.used === this.owner.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const n = this.owner.length * 2;
    this.owner = grown(this.owner, n);
    this.ip = grown(this.ip, n);
    this.port = grown(this.port, n);
    this.nextFree = grown(this.nextFree, n);
  }
}
