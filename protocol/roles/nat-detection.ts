/**
 * NAT and firewall type detection at login (BS-11): the classic RFC 3489 tests, run against
 * super nodes instead of a dedicated STUN server.
 *
 * What it models: the host asks SNs where its datagrams come from and whether unsolicited
 * replies get through. The simulator's NATs translate the `from` endpoint of datagrams, so the
 * reflexive address an SN reports is the NAT mapping, and filtering decides which replies
 * arrive. Tests, in order (each a `natProbe` with a fresh nonce, resent every
 * `natTestRetransmitMs`, failed after `natTestSends` sends without a reply):
 *
 *   mapping        to SN1 (the SN the host attached to): reply from the same address and port.
 *                  No reply: udp-blocked. Else r1 = the reflexive address.
 *   otherNode      SN1 forwards the request over the overlay to another SN (another IP), or -
 *                  with no overlay link up - to one of its other clients, which replies to r1. A reply: filtering lets anyone in - open if r1 is the host's
 *                  own address, else full-cone.
 *   secondMapping  (only if r1 is not the host's own address, and a second SN at another IP is
 *                  known) the mapping test against SN2: a different reflexive address means the
 *                  mapping depends on the destination - symmetric.
 *   otherPort      SN1 replies from its other UDP port: a reply means filtering by address only
 *                  (restricted); none means by address and port (port-restricted).
 *
 * Inputs: `start` once; `onReply(nonce, reflexive)` for every natProbeReply (a reply with a
 * nonce other than the current test's returns undefined: late or not ours); `onTimeout` when
 * the host's `natTest` timer fires. Each returns the next step: send a probe (the host sends it
 * and re-arms `natTest`), or done with a class.
 *
 * Design choices (the studies are silent): a public address behind a filtering firewall is
 * classed by its filter (restricted / port-restricted), not as a separate "symmetric firewall";
 * when SN1 cannot forward (no overlay link and no other client able to reply) or SN2 never answers, the test counts as failed -
 * the conservative reading (more filtering, never a false "open"); no second SN known means no
 * symmetric test (the host is classed by its filtering). A host already known to be UDP-blocked
 * (its login needed TCP after a UDP timeout) is not tested: it is udp-blocked and sends no UDP.
 *
 * An otherNode reply from an address the host itself sent UDP to lately (`contacted`: its
 * probes of this login - a redirect makes that a neighbour of SN1 - or the keep-alives to an
 * earlier SN) proves nothing: a filter that admits replies from addresses it sent to lets it
 * in too. Such a reply is discounted (the host counts it, the test goes on: the retransmit is
 * forwarded by SN1's next neighbour). Without this rule port-restricted and restricted hosts
 * were classed full-cone, and firewalled public hosts open - and promoted to SNs no one could
 * reach.
 */

import type { Endpoint } from '../node.js';
import { NAT_TEST, type MessageOf } from '../wire/messages.js';
import { sameEndpoint } from './support.js';

export type NatClass = 'unknown' | 'open' | 'full-cone' | 'restricted' | 'port-restricted' | 'symmetric' | 'udp-blocked';

export type NatTestName = 'mapping' | 'otherNode' | 'secondMapping' | 'otherPort';

export type NatStep =
  | { readonly kind: 'send'; readonly to: Endpoint; readonly msg: MessageOf<'natProbe'>; readonly test: NatTestName }
  /** A reply that proves nothing (see the header): nothing to do, the test goes on. */
  | { readonly kind: 'discounted'; readonly test: NatTestName; readonly from: Endpoint }
  | { readonly kind: 'done'; readonly natClass: NatClass; readonly reflexive: Endpoint | undefined };

export interface NatDetectorOptions {
  /** The host's own address (its interface IP) and UDP port. */
  readonly local: Endpoint;
  /** SN1's UDP endpoint (its host-cache entry). */
  readonly superNode: Endpoint;
  /** A second SN at another IP, for the symmetric test, if one is known. */
  readonly secondSuperNode: Endpoint | undefined;
  /** Sends of one test before it counts as failed. */
  readonly sends: number;
  /** Draws a fresh nonce for each test. */
  readonly nextNonce: () => number;
  /** Whether the host sent UDP to this address lately (see the header); default: never. */
  readonly contacted?: (ip: number) => boolean;
}

export class NatDetector {
  private test: NatTestName = 'mapping';
  private nonce = 0;
  private sends = 0;
  private reflexive: Endpoint | undefined;
  private finished = false;

  constructor(private readonly o: NatDetectorOptions) {}

  get currentTest(): NatTestName {
    return this.test;
  }

  get done(): boolean {
    return this.finished;
  }

  start(): NatStep {
    return this.begin('mapping');
  }

  /** A natProbeReply from `from` arrived; undefined if it is not the current test's (late or stray). */
  onReply(nonce: number, reflexive: Endpoint, from?: Endpoint): NatStep | undefined {
    if (this.finished || nonce !== this.nonce) return undefined;
    switch (this.test) {
      case 'mapping':
        this.reflexive = reflexive;
        return this.begin('otherNode');
      case 'otherNode':
        if (from && this.o.contacted?.(from.ip)) return { kind: 'discounted', test: this.test, from };
        return this.finish(this.isPublic() ? 'open' : 'full-cone');
      case 'secondMapping':
        return this.reflexive && sameEndpoint(reflexive, this.reflexive) ? this.begin('otherPort') : this.finish('symmetric');
      case 'otherPort':
        return this.finish('restricted');
    }
  }

  /** The current test's retransmit interval ended. */
  onTimeout(): NatStep {
    if (this.finished) throw new RangeError('NAT detection: timeout after it finished');
    if (this.sends < this.o.sends) return this.send();
    switch (this.test) {
      case 'mapping':
        return this.finish('udp-blocked');
      case 'otherNode':
        return this.isPublic() || !this.o.secondSuperNode ? this.begin('otherPort') : this.begin('secondMapping');
      case 'secondMapping':
        return this.begin('otherPort');
      case 'otherPort':
        return this.finish('port-restricted');
    }
  }

  private isPublic(): boolean {
    return this.reflexive !== undefined && sameEndpoint(this.reflexive, this.o.local);
  }

  private begin(test: NatTestName): NatStep {
    this.test = test;
    this.nonce = this.o.nextNonce();
    this.sends = 0;
    return this.send();
  }

  private send(): NatStep {
    this.sends++;
    const to = this.test === 'secondMapping' && this.o.secondSuperNode ? this.o.secondSuperNode : this.o.superNode;
    const code = this.test === 'otherNode' ? NAT_TEST.otherNode : this.test === 'otherPort' ? NAT_TEST.otherPort : NAT_TEST.mapping;
    return { kind: 'send', to, test: this.test, msg: { type: 'natProbe', nonce: this.nonce, test: code } };
  }

  private finish(natClass: NatClass): NatStep {
    this.finished = true;
    return { kind: 'done', natClass, reflexive: this.reflexive };
  }
}
