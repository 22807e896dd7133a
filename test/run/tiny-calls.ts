// A small scenario with many calls (user-to-user and PSTN) and chat, for the tests of the
// calls / relays sections and of `compare`: about a second per run.
import { formatError, loadScenarioText, type Scenario } from '../../sim/scenario/index.js';

/** 70 hosts, every one online from the start, many calls between buddies, PSTN calls both ways. */
export const TINY_CALLS = `
name: tiny-calls
seed: 3
duration: 20min
network:
  regions: [a, b]
  rttMs: [[30, 120], [120, 40]]
hosts:
  - name: pub
    count: 25
    nat: none
    link: lan
    machine: high
  - name: home
    count: 45
    nat: { port-restricted-cone: 60%, symmetric: 40% }
    firewall: { none: 85%, udp-blocked: 15% }
roles:
  pstnGateways: { count: 1 }
churn: { mode: off, warmup: 2min }
workload:
  buddiesPerHost: 8
  calls: { ratePerHostHour: 6, peerChoice: buddies, duration: { kind: constant, value: 2min } }
  chat: { ratePerHostHour: 6, peerChoice: buddies }
  pstnCalls: { ratePerHostHour: 1, inbound: 50%, duration: { kind: constant, value: 1min } }
protocol:
  snUptimeThreshold: 3min
  mediaMode: flow
output: { trace: off }
`;

export function load(text: string): Scenario {
  const r = loadScenarioText(text, 'tiny.yaml');
  if (!r.ok) throw new Error(r.errors.map(formatError).join('\n'));
  return r.scenario;
}
