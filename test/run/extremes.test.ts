// A scenario that validates runs without failing: the scenario language refuses what the model cannot
// run with, and no value it accepts stops a run with an internal failure. Each case is a small
// world with a random handful of settings at the edges of what they may be, among them values
// that once passed validation and then stopped a run (a heavy-tailed jitter that drew Infinity,
// a SYN retry count whose backoff overflowed, a chat text too long for a message, a capacity too
// large for its u32 on the wire, a credential lifetime in fractions of a ms); those are refused
// now, the rest must run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RunDirectory } from '../../sim/output/run-directory.js';
import { runScenario } from '../../sim/run/run.js';
import { isOverride, loadScenarioText, parseSetOption, type Override } from '../../sim/scenario/index.js';

const dir = mkdtempSync(join(tmpdir(), 'extremes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 24 hosts of every NAT and firewall kind, SNs promoted early, every activity of the workload. */
const BASE = `
name: extremes
seed: 1
duration: 4min
network:
  regions: [a, b]
  rttMs: [[30, 150], [150, 40]]
hosts:
  - name: pub
    count: 8
    nat: none
    link: lan
    machine: high
  - name: home
    count: 16
    region: { a: 50%, b: 50% }
    nat: { full-cone: 25%, restricted-cone: 25%, port-restricted-cone: 25%, symmetric: 25% }
    firewall: { none: 80%, udp-blocked: 10%, tcp-80-443-only: 10% }
roles:
  pstnGateways: { count: 1 }
churn: { mode: sessions, session: 2min, offTime: 1min, warmup: 30s }
workload:
  buddiesPerHost: 4
  calls: { ratePerHostHour: 30, duration: 1min }
  chat: { ratePerHostHour: 60 }
  searches: { ratePerHostHour: 30, missing: 20% }
  pstnCalls: { ratePerHostHour: 10, inbound: 50% }
protocol:
  snUptimeThreshold: 20s
  passwordWorkFactor: 1
output: { trace: off }
`;

/** Per setting, values at its edges; a run takes a few of these settings at once. */
const EDGES: readonly (readonly [path: string, values: readonly string[]])[] = [
  ['network.jitter', ['0ms', '{kind: pareto, shape: 0.04, scale: 1ms}', '{kind: pareto, shape: 0.0001, scale: 1ms}', '{kind: weibull, shape: 0.001, scale: 1ms}', '{kind: lognormal, mu: 0, sigma: 40}']],
  ['network.loss', ['{kind: bernoulli, lossRatio: 100%}', '{kind: gilbert-elliott, pGoodToBad: 100%, pBadToGood: 0%, lossRatioGood: 0%, lossRatioBad: 100%}']],
  ['network.tcp.synRetries', ['0', '30', '1000000']],
  ['network.tcp.dataRetries', ['0', '30', '31']],
  ['network.tcp.synRto', ['1ms', '100d']],
  ['network.tcp.rtoMin', ['0ms', '100d']],
  ['network.tcp.mssBytes', ['1', '1000000']],
  ['workload.chat.messageBytes', ['1', '64000', '1000000']],
  ['workload.calls.duration', ['1ms', '100d', '{kind: pareto, shape: 0.0001, scale: 1s}']],
  ['churn.session', ['1ms', '100d', '{kind: weibull, shape: 0.001, scale: 1min}']],
  ['churn.offTime', ['1ms', '100d']],
  ['protocol.snClientCapacity', ['1', '4294967295', '1099511627776']],
  ['protocol.relayCapacity', ['1', '4294967295', '1099511627776']],
  ['protocol.searchFanout', ['1', '1099511627776']],
  ['protocol.searchReplicas', ['0', '1099511627776']],
  ['protocol.searchRounds', ['1', '1000']],
  ['protocol.hostCacheMax', ['1', '1000000']],
  ['protocol.loginRounds', ['1', '1000']],
  ['protocol.loginEntriesPerRound', ['1', '1000000']],
  ['protocol.keepAliveMissLimit', ['1', '1000000']],
  ['protocol.snHostCacheReplySize', ['0', '1000000']],
  ['protocol.overlayDegree', ['0', '1000000']],
  ['protocol.lsLoginsPerSec', ['0.001', '1000000']],
  ['protocol.lsQueueMax', ['1', '1000000']],
  ['protocol.credentialLifetime', ['0ms', '100d', '0.5ms']],
  ['protocol.passwordWorkFactor', ['2147483648']],
  ['protocol.probeTimeout', ['1ms', '100d']],
  ['protocol.chatSendsMax', ['1', '1000']],
  ['protocol.chatRetry', ['1s', '100d']],
  ['protocol.mediaMode', ['flow']],
  ['protocol.flowInterval', ['20ms', '100d']],
  ['protocol.holePunching', ['true']],
  ['protocol.relayPolicy', ['lowest-rtt', 'least-loaded']],
  ['protocol.electionPolicy', ['promote-on-demand']],
  ['protocol.duplicateLogin', ['refuse']],
  ['events', ['[{at: 1min, action: crash-supernodes, share: 100%}]', '[{at: 0ms, action: restart, groups: [home], share: 100%, spread: 0ms, downtime: 0ms}]', '[{at: 1min, action: login-server-down}]', '[{at: 30s, action: partition, sides: [[a], [b]]}]']],
];

const settingsArb = fc
  .subarray([...EDGES.keys()], { minLength: 1, maxLength: 6 })
  .chain((picked) => fc.tuple(...picked.map((i) => fc.constantFrom(...EDGES[i][1]).map((v) => `${EDGES[i][0]}=${v}`))));

function overridesOf(sets: readonly string[]): Override[] {
  return sets.map((s) => {
    const o = parseSetOption(s);
    if (!isOverride(o)) throw new Error(`bad --set in the test: ${s}`);
    return o;
  });
}

/**
 * Events a case may run. Most cases take 160,000-350,000; a draw of near-zero session and
 * off times (hosts coming and going every millisecond) would take minutes. Such a run is cut
 * here, at a batch boundary and so the same way every time: the property is that nothing fails,
 * not that everything is fast.
 */
const EVENT_BUDGET = 1_500_000;

describe('a scenario that validates', () => {
  it('runs without failing, to its end or its event budget, whatever edge values it takes', async () => {
    let ran = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(settingsArb, async (sets) => {
        const loaded = loadScenarioText(BASE, 'extremes.yaml', overridesOf(sets));
        if (!loaded.ok) {
          refused++;
          return;
        }
        const out = RunDirectory.open(join(dir, `run-${ran}`));
        const summary = await runScenario(loaded.scenario, { run: 0, out, version: 'test', maxEvents: EVENT_BUDGET });
        out.commit();
        expect(summary.status.complete || summary.status.events >= EVENT_BUDGET).toBe(true);
        ran++;
      }),
      { numRuns: 24 },
    );
    // Not vacuous: about two cases in three are valid and run (a draw with fewer than 4 of 24
    // comes about once in 3.6 million).
    expect(ran).toBeGreaterThanOrEqual(4);
    expect(ran + refused).toBe(24);
  });
});
