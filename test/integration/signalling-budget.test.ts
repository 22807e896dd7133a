// The SN signalling budget (OT-2, signalling-budget.ts): a token bucket per client session over
// the routed messages the client hands its SN. Alone: it never lets through more than its
// envelope (the bucket, the rate over the stretch, one message), and never refuses a client that
// keeps to its rate, however large its messages. In a small world: an SN refuses a burst beyond
// the budget (chat then gets through on its retries), a call set-up that meets a bucket in debt
// fails with cause overBudget, and the default budget or none refuses nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BURST_MS, SignallingBudget } from '../../protocol/roles/signalling-budget.js';
import { SmallWorld } from '../../sim/testing/index.js';

const RATES = [800, 8_000, 40_000, 1_000_000];

const requestsArb = fc.array(fc.record({ gapMs: fc.double({ min: 0, max: 3_000, noNaN: true }), bytes: fc.integer({ min: 1, max: 12_000 }) }), { minLength: 1, maxLength: 60 });

describe('a signalling budget alone', () => {
  it('lets through no more than the bucket plus the rate over any stretch of time, plus the last message', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RATES), requestsArb, (bitsPerSec, requests) => {
        const budget = new SignallingBudget(bitsPerSec, 0);
        const bytesPerMs = bitsPerSec / 8000;
        const accepted: { t: number; bytes: number }[] = [];
        let t = 0;
        for (const r of requests) {
          t += r.gapMs;
          if (budget.take(r.bytes, t)) accepted.push({ t, bytes: r.bytes });
        }
        for (let i = 0; i < accepted.length; i++) {
          // Bytes accepted from the i-th acceptance up to, not including, the j-th.
          let before = 0;
          for (let j = i; j < accepted.length; j++) {
            const envelope = bytesPerMs * BURST_MS + bytesPerMs * (accepted[j].t - accepted[i].t);
            expect(before, `bytes accepted from ${accepted[i].t} ms until ${accepted[j].t} ms`).toBeLessThanOrEqual(envelope + 1e-3);
            before += accepted[j].bytes;
          }
        }
      }),
    );
  });

  it('never refuses a client that sends no faster than the rate, whatever the size of its messages', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RATES), requestsArb, (bitsPerSec, requests) => {
        const bytesPerMs = bitsPerSec / 8000;
        const budget = new SignallingBudget(bitsPerSec, 0);
        let t = 0;
        let last = 0;
        for (const r of requests) {
          // The previous message's worth of time has passed before the next is sent.
          t += Math.max(r.gapMs, last / bytesPerMs);
          expect(budget.take(r.bytes, t), `${r.bytes} bytes at ${t} ms`).toBe(true);
          last = r.bytes;
        }
      }),
    );
  });

  it('refuses while in debt, and takes nothing for a refusal', () => {
    // 1,000 bytes/s, a bucket of 2,000 bytes.
    const budget = new SignallingBudget(8_000, 0);
    expect(budget.take(5_000, 0)).toBe(true); // 3,000 in debt
    expect(budget.take(1, 2_999)).toBe(false); // 1 in debt still
    expect(budget.take(1, 3_000)).toBe(true); // paid back: 1 in debt again
    expect(budget.take(1, 3_000)).toBe(false);
    expect(budget.take(2_000, 3_001)).toBe(true);
  });
});

const HOSTS = [{ name: 'pa' }, { name: 'na', nat: 'port-restricted-cone' }];

/** pa and na online, each knowing where the other is. */
function world(protocol: Record<string, unknown>): SmallWorld {
  const sw = new SmallWorld({ seed: 3, superNodes: 2, hosts: HOSTS, buddiesPerHost: 1, protocol: { chatRetry: '2s', chatSendsMax: 40, ...protocol } });
  sw.advance(1_000);
  for (const h of ['pa', 'na']) sw.login(h);
  const ready = sw.until(() => ['pa', 'na'].every((h) => sw.state(h) === 'online') && sw.node('pa').contactOf('na-0') !== undefined, 600_000);
  if (!ready) throw new Error('pa and na did not come online');
  return sw;
}

function overBudget(sw: SmallWorld): { host: string; name: unknown }[] {
  return sw.nodeEventLog.filter((e) => e.event === 'signallingOverBudget').map((e) => ({ host: e.host, name: e.detail?.name }));
}

function chatBurst(sw: SmallWorld, n: number): void {
  for (let i = 0; i < n; i++) sw.act('pa', { type: 'chat', to: 'na-0', text: `message ${i} of a burst, long enough to weigh something` });
  sw.advance(120_000);
}

describe('the budget at a super node', () => {
  it('refuses a burst beyond it, at the sender’s SN; chat gets through on its retries', () => {
    // 100 bytes/s, a bucket of 200 bytes: two or three chat messages.
    const sw = world({ snSignalling: '800bit' });
    chatBurst(sw, 12);
    const refused = overBudget(sw);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((r) => r.name))).toContain('pa-0');
    expect(sw.nodeEvents('na', 'chatDelivered')).toHaveLength(12);
    expect(sw.nodeEvents('pa', 'chatUndelivered')).toHaveLength(0);
    sw.assertNoViolations();
  });

  it('refuses nothing of the same burst at the default budget (5 KB/s), or with none', () => {
    for (const protocol of [{}, { snSignalling: '0bit' }]) {
      const sw = world(protocol);
      chatBurst(sw, 12);
      expect(overBudget(sw)).toEqual([]);
      expect(sw.nodeEvents('na', 'chatDelivered')).toHaveLength(12);
    }
  });

  it('fails a call whose routed invite meets a bucket in debt: cause overBudget', () => {
    const sw = world({ snSignalling: '800bit' });
    // About 1,300 bytes of chat against a 200-byte bucket: 11 s in debt at 100 bytes/s.
    for (let i = 0; i < 12; i++) sw.act('na', { type: 'chat', to: 'pa-0', text: `message ${i} of a burst, long enough to weigh something` });
    sw.act('na', { type: 'call', callee: 'pa-0', durationMs: 10_000 });
    sw.until(() => sw.nodeEvents('na', 'callFailed').length > 0, 60_000);
    expect(sw.nodeEvents('na', 'callFailed').map((e) => e.detail?.cause)).toEqual(['overBudget']);
    expect(overBudget(sw).map((r) => r.name)).toContain('na-0');
  });
});
