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
const PUBLIC_IP = ep('7.7.7.7:0').ip;

/** Runs a detector against a NAT of `kind`; returns the class and the tests it ran. */
function classify(kind: Kind, second: Endpoint | null = SN2): { natClass: NatClass; tests: string[] } {
  const contacted = new Set<string>();
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
  const d = new NatDetector({ local, superNode: SN1, secondSuperNode: second ?? undefined, sends: 2, nextNonce: () => nonce++ });
  const tests: string[] = [];
  let step: NatStep = d.start();
  for (let guard = 0; step.kind === 'send' && guard < 50; guard++) {
    if (tests[tests.length - 1] !== step.test) tests.push(step.test);
    if (kind !== 'udp-blocked') contacted.add(fmt(step.to));
    const source = step.msg.test === NAT_TEST.otherNode ? OTHER_NODE : step.msg.test === NAT_TEST.otherPort ? { ip: step.to.ip, port: step.to.port + 1 } : step.to;
    const reflexive = step.msg.test === NAT_TEST.mapping ? mapping(step.to) : mapping(SN1);
    const next: NatStep | undefined = kind !== 'udp-blocked' && passes(source) ? d.onReply(step.msg.nonce, reflexive) : d.onTimeout();
    if (!next) throw new Error('reply not taken');
    step = next;
  }
  if (step.kind !== 'done') throw new Error('did not finish');
  return { natClass: step.natClass, tests };
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
      expect(classify(kind)).toEqual({ natClass, tests });
    });
  }

  it('without a second SN there is no symmetric test: a symmetric NAT reads as port-restricted', () => {
    expect(classify('symmetric', null)).toEqual({ natClass: 'port-restricted', tests: ['mapping', 'otherNode', 'otherPort'] });
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
