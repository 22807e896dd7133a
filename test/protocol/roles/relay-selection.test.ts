// Relay selection, the caller's side (BS-23): each policy's order from fake probe replies, the
// decision when nobody answers, and a property over random candidates, RTTs and loads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../protocol/node.js';
import type { RelayPolicy } from '../../../protocol/params.js';
import { RelaySelection, type RelayDecision, type RelaySelectionStep } from '../../../protocol/roles/relay-selection.js';
import { ep, fmt, SeededRandom } from './harness.js';

const A = ep('1.0.0.1:33033');
const B = ep('1.0.0.2:33033');
const C = ep('1.0.0.3:33033');
const D = ep('1.0.0.4:33033');

function selection(policy: RelayPolicy, candidates: Endpoint[], probeCount = 4, seed = 1): RelaySelection {
  let nonce = 1000;
  return new RelaySelection({ policy, candidates, probeCount, probeTimeoutMs: 1000, nextNonce: () => nonce++, random: new SeededRandom(seed) });
}

type Probe = Extract<RelaySelectionStep, { kind: 'probe' }>;

function probesOf(steps: RelaySelectionStep[]): Probe[] {
  return steps.filter((s): s is Probe => s.kind === 'probe');
}

function probeTo(steps: RelaySelectionStep[], to: Endpoint): Probe {
  const p = probesOf(steps).find((s) => fmt(s.to) === fmt(to));
  if (!p) throw new Error(`no probe to ${fmt(to)}`);
  return p;
}

function orderOf(d: RelayDecision | undefined): string[] {
  if (d?.kind !== 'chosen') throw new Error(`expected chosen, got ${JSON.stringify(d)}`);
  return d.order.map(fmt);
}

describe('relay selection: random-public', () => {
  it('sends no probe and returns every candidate in one step', () => {
    const steps = selection('random-public', [A, B, C]).start(0);
    expect(steps).toHaveLength(1);
    const d = steps[0] as RelayDecision;
    expect(d.kind).toBe('chosen');
    expect(orderOf(d).sort()).toEqual([A, B, C].map(fmt).sort());
    expect(d).toMatchObject({ probes: 0 });
    expect(d.kind === 'chosen' && d.rttMs).toBeUndefined();
  });

  it('puts each candidate first about equally often (a uniform order, not the host-cache order)', () => {
    const firsts = new Map<string, number>();
    const runs = 3000;
    for (let seed = 1; seed <= runs; seed++) {
      const d = selection('random-public', [A, B, C, D], 4, seed).start(0)[0] as RelayDecision;
      const first = orderOf(d)[0];
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    for (const e of [A, B, C, D]) expect(Math.abs((firsts.get(fmt(e)) ?? 0) / runs - 0.25)).toBeLessThan(0.04);
  });

  it('is none without candidates', () => {
    expect(selection('random-public', []).start(0)).toEqual([{ kind: 'none', probes: 0 }]);
  });
});

describe('relay selection: probing policies', () => {
  it('lowest-rtt probes every candidate at once, waits, and orders the answered ones by RTT', () => {
    const s = selection('lowest-rtt', [A, B, C, D]);
    const steps = s.start(100);
    expect(probesOf(steps).map((p) => fmt(p.to)).sort()).toEqual([A, B, C, D].map(fmt).sort());
    expect(steps[steps.length - 1]).toEqual({ kind: 'wait', ms: 1000 });
    expect(new Set(probesOf(steps).map((p) => p.nonce)).size).toBe(4);
    // C fastest but fully loaded: lowest-rtt ignores load.
    expect(s.onReply(probeTo(steps, B).nonce, B, 0, 20, 180)).toBeUndefined();
    expect(s.onReply(probeTo(steps, C).nonce, C, 20, 20, 130)).toBeUndefined();
    expect(s.onReply(probeTo(steps, A).nonce, A, 1, 20, 400)).toBeUndefined();
    // D stays silent: the timeout decides, without D.
    const d = s.onTimeout();
    expect(orderOf(d)).toEqual([C, B, A].map(fmt));
    expect(d).toMatchObject({ probes: 4, rttMs: 30 });
    expect(s.done).toBe(true);
  });

  it('decides as soon as every probed candidate answered', () => {
    const s = selection('lowest-rtt', [A, B]);
    const steps = s.start(0);
    expect(s.onReply(probeTo(steps, A).nonce, A, 0, 20, 50)).toBeUndefined();
    const d = s.onReply(probeTo(steps, B).nonce, B, 0, 20, 20);
    expect(orderOf(d)).toEqual([B, A].map(fmt));
    expect(() => s.onTimeout()).toThrow(RangeError);
  });

  it('least-loaded orders by calls/capacity, then RTT; capacity 0 (not relaying) last', () => {
    const s = selection('least-loaded', [A, B, C, D]);
    const steps = s.start(0);
    s.onReply(probeTo(steps, A).nonce, A, 10, 20, 10); // 0.5, fastest
    s.onReply(probeTo(steps, B).nonce, B, 1, 20, 90); // 0.05
    s.onReply(probeTo(steps, C).nonce, C, 2, 40, 50); // 0.05, faster than B
    const d = s.onReply(probeTo(steps, D).nonce, D, 0, 0, 5); // does not relay
    expect(orderOf(d)).toEqual([C, B, A, D].map(fmt));
    expect(d).toMatchObject({ rttMs: 50 });
  });

  it('probes only probeCount candidates, a random sample of distinct ones', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 50; seed++) {
      const probes = probesOf(selection('lowest-rtt', [A, B, C, D, A], 2, seed).start(0));
      expect(probes).toHaveLength(2);
      expect(fmt(probes[0].to)).not.toBe(fmt(probes[1].to));
      for (const p of probes) seen.add(fmt(p.to));
    }
    expect([...seen].sort()).toEqual([A, B, C, D].map(fmt).sort());
  });

  it('is none when no candidate answers, and when there is none to probe', () => {
    const s = selection('least-loaded', [A, B, C]);
    s.start(0);
    expect(s.onTimeout()).toEqual({ kind: 'none', probes: 3 });
    expect(selection('lowest-rtt', []).start(0)).toEqual([{ kind: 'none', probes: 0 }]);
  });

  it('ignores a stray nonce, a reply from the wrong source, a repeat, and replies after the decision', () => {
    const s = selection('lowest-rtt', [A, B]);
    const steps = s.start(0);
    const a = probeTo(steps, A).nonce;
    expect(s.onReply(a + 777, A, 0, 20, 5)).toBeUndefined();
    expect(s.onReply(a, B, 0, 20, 5)).toBeUndefined(); // A's nonce from B
    expect(s.onReply(a, A, 0, 20, 300)).toBeUndefined();
    expect(s.onReply(a, A, 0, 20, 1)).toBeUndefined(); // repeat: the first RTT stands
    const d = s.onTimeout();
    expect(d).toMatchObject({ kind: 'chosen', rttMs: 300 });
    expect(s.onReply(probeTo(steps, B).nonce, B, 0, 20, 400)).toBeUndefined();
  });

  it('refuses caller misuse at the edge', () => {
    expect(() => selection('lowest-rtt', [A], 0)).toThrow(RangeError);
    const s = selection('lowest-rtt', [A]);
    expect(() => s.onTimeout()).toThrow(RangeError);
    s.start(0);
    expect(() => s.start(0)).toThrow(RangeError);
  });
});

describe('relay selection: property', () => {
  const policy = fc.constantFrom<RelayPolicy>('random-public', 'lowest-rtt', 'least-loaded');
  const candidate = fc.record({
    host: fc.integer({ min: 1, max: 30 }),
    /** RTT of its reply, or null: it stays silent. */
    rttMs: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: null }),
    calls: fc.integer({ min: 0, max: 30 }),
    capacity: fc.integer({ min: 0, max: 30 }),
  });

  it('chooses only candidates; lowest-rtt puts no answered candidate with a lower RTT behind the first', () => {
    fc.assert(
      fc.property(policy, fc.array(candidate, { maxLength: 8 }), fc.integer({ min: 1, max: 6 }), fc.integer(), fc.integer({ min: 0, max: 1e6 }), (pol, cands, k, seed, startMs) => {
        const byKey = new Map(cands.map((c) => [fmt(ep(`2.0.0.${c.host}:33033`)), c]));
        const endpoints = cands.map((c) => ep(`2.0.0.${c.host}:33033`));
        const s = selection(pol, endpoints, k, seed);
        const steps = s.start(startMs);
        let decision = steps.find((x): x is RelayDecision => x.kind === 'chosen' || x.kind === 'none');
        const rttOf = new Map<string, number>();
        // Replies arrive in RTT order, as they would on a network; those beyond the wait are late.
        const replies = probesOf(steps)
          .map((p) => ({ p, c: byKey.get(fmt(p.to))! }))
          .filter((r) => r.c.rttMs !== null && r.c.rttMs < 1000)
          .sort((x, y) => x.c.rttMs! - y.c.rttMs!);
        for (const { p, c } of replies) {
          rttOf.set(fmt(p.to), c.rttMs!);
          decision ??= s.onReply(p.nonce, p.to, c.calls, c.capacity, startMs + c.rttMs!);
        }
        decision ??= s.onTimeout();
        if (decision.kind === 'none') {
          expect(pol === 'random-public' ? endpoints.length : rttOf.size).toBe(0);
          return;
        }
        const order = decision.order.map(fmt);
        expect(order.length).toBeGreaterThan(0);
        expect(new Set(order).size).toBe(order.length);
        for (const e of order) expect(byKey.has(e)).toBe(true);
        if (pol === 'random-public') expect(order.length).toBe(byKey.size);
        if (pol === 'lowest-rtt') {
          const first = rttOf.get(order[0])!;
          expect(decision.rttMs).toBe(first);
          for (const rtt of rttOf.values()) expect(rtt).toBeGreaterThanOrEqual(first);
        }
        if (pol !== 'random-public') expect(order.sort()).toEqual([...rttOf.keys()].sort());
      }),
      { numRuns: 500 },
    );
  });
});
