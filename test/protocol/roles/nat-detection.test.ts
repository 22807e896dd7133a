// NAT classification (BS-11) against an emulated NAT of each kind: the detector's steps are
// answered (or not) the way that NAT would let them through.
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../protocol/node.js';
import { NatDetector, type NatClass, type NatStep } from '../../../protocol/roles/nat-detection.js';
import { NAT_TEST } from '../../../protocol/wire/messages.js';
import { ep, fmt } from './harness.js';

type Kind = 'open' | 'open-firewalled' | 'full-cone' | 'restricted' | 'port-restricted' | 'symmetric' | 'udp-blocked';

const LOCAL = ep('10.0.0.2:5000');
const SN1 = ep('1.0.0.1:33033');
const SN2 = ep('1.0.0.2:33033');
const OTHER_NODE = ep('1.0.0.3:33033');
/** SN1 forwards each send of the "other node" test to its next neighbour: these, in turn. */
const OTHER_NODES = [OTHER_NODE, ep('1.0.0.4:33033')];
const PUBLIC_IP = ep('7.7.7.7:0').ip;

/**
 * Runs a detector against a NAT of `kind`; returns the class and the tests it ran.
 * `sentEarlier`: endpoints the host sent UDP to before the tests (its filter admits them); the
 * detector is told their addresses.
 */
function classify(kind: Kind, second: Endpoint | null = SN2, sentEarlier: Endpoint[] = []): { natClass: NatClass; tests: string[]; discounted: number } {
  const contacted = new Set<string>(sentEarlier.map(fmt));
  const publicLocal = kind === 'open' || kind === 'open-firewalled';
  const local = publicLocal ? { ip: PUBLIC_IP, port: LOCAL.port } : LOCAL;
  const mapping = (dst: Endpoint): Endpoint => {
    if (publicLocal) return local;
    if (kind === 'symmetric') return { ip: PUBLIC_IP, port: 6000 + (dst.ip & 0xff) };
    return { ip: PUBLIC_IP, port: 6000 };
  };
  const passes = (src: Endpoint): boolean => {
    if (kind === 'udp-blocked') return false;
    if (kind === 'open' || kind === 'full-cone') return true;
    if (kind === 'restricted' || kind === 'open-firewalled') return [...contacted].some((c) => ep(c).ip === src.ip);
    return contacted.has(fmt(src));
  };
  let nonce = 100;
  const told = new Set(sentEarlier.map((e) => e.ip));
  const d = new NatDetector({ local, superNode: SN1, secondSuperNode: second ?? undefined, sends: 2, nextNonce: () => nonce++, contacted: (ip) => told.has(ip) });
  let discounted = 0;
  let forwards = 0;
  const tests: string[] = [];
  let step: NatStep = d.start();
  for (let guard = 0; step.kind === 'send' && guard < 50; guard++) {
    if (tests[tests.length - 1] !== step.test) tests.push(step.test);
    if (kind !== 'udp-blocked') contacted.add(fmt(step.to));
    const source =
      step.msg.test === NAT_TEST.otherNode ? OTHER_NODES[forwards++ % OTHER_NODES.length] : step.msg.test === NAT_TEST.otherPort ? { ip: step.to.ip, port: step.to.port + 1 } : step.to;
    const reflexive = step.msg.test === NAT_TEST.mapping ? mapping(step.to) : mapping(SN1);
    let next: NatStep | undefined = kind !== 'udp-blocked' && passes(source) ? d.onReply(step.msg.nonce, reflexive, source) : d.onTimeout();
    if (next?.kind === 'discounted') {
      discounted++;
      next = d.onTimeout(); // the retransmit interval runs out
    }
    if (!next) throw new Error('reply not taken');
    step = next;
  }
  if (step.kind !== 'done') throw new Error('did not finish');
  return { natClass: step.natClass, tests, discounted };
}

describe('NAT detection (BS-11): the RFC 3489 tests against super nodes', () => {
  const cases: [Kind, NatClass, string[]][] = [
    ['open', 'open', ['mapping', 'otherNode']],
    ['full-cone', 'full-cone', ['mapping', 'otherNode']],
    ['restricted', 'restricted', ['mapping', 'otherNode', 'secondMapping', 'otherPort']],
    ['port-restricted', 'port-restricted', ['mapping', 'otherNode', 'secondMapping', 'otherPort']],
    ['symmetric', 'symmetric', ['mapping', 'otherNode', 'secondMapping']],
    ['udp-blocked', 'udp-blocked', ['mapping']],
    ['open-firewalled', 'restricted', ['mapping', 'otherNode', 'otherPort']],
  ];
  for (const [kind, natClass, tests] of cases) {
    it(`classifies a ${kind} host as ${natClass}`, () => {
      expect(classify(kind)).toEqual({ natClass, tests, discounted: 0 });
    });
  }

  it('without a second SN there is no symmetric test: a symmetric NAT reads as port-restricted', () => {
    expect(classify('symmetric', null)).toEqual({ natClass: 'port-restricted', tests: ['mapping', 'otherNode', 'otherPort'], discounted: 0 });
  });

  // The "other node" is a neighbour of SN1; after a redirect the host has just probed one.
  const afterProbing: [Kind, NatClass][] = [
    ['open', 'open'],
    ['full-cone', 'full-cone'],
    ['restricted', 'restricted'],
    ['port-restricted', 'port-restricted'],
    ['open-firewalled', 'restricted'],
  ];
  for (const [kind, natClass] of afterProbing) {
    it(`classifies a ${kind} host as ${natClass} though it probed the node that answers the "other node" test`, () => {
      const r = classify(kind, SN2, [OTHER_NODE]);
      expect(r.natClass).toBe(natClass);
      // The first reply (from the probed node) is discounted; the retransmit, forwarded by
      // another neighbour, decides.
      expect(r.discounted).toBe(1);
    });
  }

  it('a reply to the "other node" test from an address the host sent to is discounted, not taken as open', () => {
    const d = new NatDetector({ local: LOCAL, superNode: SN1, secondSuperNode: SN2, sends: 2, nextNonce: () => 7, contacted: (ip) => ip === OTHER_NODE.ip });
    d.start();
    d.onReply(7, ep('7.7.7.7:6000'), SN1);
    expect(d.onReply(7, ep('7.7.7.7:6000'), OTHER_NODE)).toEqual({ kind: 'discounted', test: 'otherNode', from: OTHER_NODE });
    expect(d.done).toBe(false);
    expect(d.onReply(7, ep('7.7.7.7:6000'), ep('1.0.0.4:33033'))).toEqual({ kind: 'done', natClass: 'full-cone', reflexive: ep('7.7.7.7:6000') });
  });

  it('sends each test natTestSends times with one nonce; a reply with another nonce is not taken', () => {
    const d = new NatDetector({ local: LOCAL, superNode: SN1, secondSuperNode: SN2, sends: 3, nextNonce: () => 42 });
    const first = d.start();
    expect(first).toMatchObject({ kind: 'send', msg: { type: 'natProbe', nonce: 42, test: NAT_TEST.mapping } });
    expect(d.onReply(41, SN1)).toBeUndefined();
    expect(d.onTimeout()).toMatchObject({ kind: 'send', msg: { nonce: 42 } });
    expect(d.onTimeout()).toMatchObject({ kind: 'send', msg: { nonce: 42 } });
    expect(d.onTimeout()).toEqual({ kind: 'done', natClass: 'udp-blocked', reflexive: undefined });
    expect(d.onReply(42, SN1)).toBeUndefined();
  });
});
