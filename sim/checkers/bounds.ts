/**
 * The time bounds the invariants and the liveness check allow, derived from the protocol's
 * parameters (protocol/params.ts) and sim/net's TCP timers - never typed in by hand, so a
 * scenario that changes a timer changes its bounds with it. Each function says its formula.
 *
 * Defaults (skype-2004, sim/net TCP defaults) for orientation:
 *   tcpConnectTimeoutMs            21 000   (SYNs at 0, 3, 9 s; failure at 21 s)
 *   snLossDetectionMs             250 000   ((3 + 1) x 60 s keep-alive, + 10 s slack)
 *   staleClientMs                 250 000   (180 s client timeout + 60 s sweep, + 10 s slack)
 *   ladderFailureMs(7 entries, refused at once)   199 000 = 5 x 7 x 5 s + 4 x 6 s
 *   ladderFailureMs(7 entries, SYNs black-holed) 2 404 000 = 5 x 7 x (5 s + 3 x 21 s) + 4 x 6 s
 */

import type { Endpoint } from '../../protocol/node.js';
import type { ProtocolParams } from '../../protocol/params.js';
import type { TcpParams } from '../net/index.js';

/**
 * Slack added to windows that end with a message on the wire: one round trip with a few
 * retransmissions on the small worlds' paths (RTT under 300 ms). Bigger worlds pass their own.
 */
export const DEFAULT_SLACK_MS = 10_000;

/**
 * When a connect whose SYNs are all swallowed fails (sim/net tcp.ts): SYNs at 0, rto, 3 rto,
 * ... (synRetries retransmissions, the timeout doubling), failure one doubled timeout after the
 * last: synRtoMs x (2^(synRetries + 1) - 1).
 */
export function tcpConnectTimeoutMs(tcp: TcpParams): number {
  return tcp.synRtoMs * (2 ** (tcp.synRetries + 1) - 1);
}

/**
 * How long TCP keeps retrying one message before the sender gives up (sim/net tcp.ts): RTO =
 * path RTT + rtoMinMs, doubling at each of dataRetries retransmissions, then one more RTO:
 * (rttMs + rtoMinMs) x (2^(dataRetries + 1) - 1).
 */
export function tcpGiveUpMs(tcp: TcpParams, rttMs: number): number {
  return (rttMs + tcp.rtoMinMs) * (2 ** (tcp.dataRetries + 1) - 1);
}

/** TCP ports the BS-9 ladder tries for one HC entry: its own, then 80, then 443 (duplicates once). */
export function ladderPorts(p: ProtocolParams, entry: Endpoint): number[] {
  const ports = [entry.port, ...p.fallbackTcpPorts];
  return ports.filter((x, i) => ports.indexOf(x) === i);
}

/**
 * Total time of a login whose every candidate is unreachable, from the login to its failure
 * (BS-9 ladder, login.ts): per round, each entry costs its UDP probe timeout plus one failed
 * connect per ladder port; rounds are separated by the round delay, and there is no wait after
 * the last round:
 *
 *   loginRounds x sum over entries of (probeTimeoutMs + ports(entry) x connectFailMs)
 *     + (loginRounds - 1) x loginRoundDelayMs
 *
 * `connectFailMs` is how long one connect takes to fail: the RTT when the SN's host answers
 * with a RST (refused), `tcpConnectTimeoutMs` when its SYNs are swallowed (black-holed).
 */
export function ladderFailureMs(p: ProtocolParams, entries: readonly Endpoint[], connectFailMs: number): number {
  let roundMs = 0;
  for (const e of entries) roundMs += p.probeTimeoutMs + ladderPorts(p, e).length * connectFailMs;
  return p.loginRounds * roundMs + (p.loginRounds - 1) * p.loginRoundDelayMs;
}

/**
 * Longest an online host may stay attached to an SN that died, stopped serving, dropped it, or
 * was cut off by a partition, before it notices (invariant a). A keep-alive goes out every
 * keepAliveIntervalMs; at each one the host counts the previous as missed if unanswered, and
 * gives the SN up at keepAliveMissLimit misses. The worst case is a loss just after an answered
 * keep-alive: the next one is sent 1 interval later and counted missed 2 intervals later, so the
 * limit is reached (keepAliveMissLimit + 1) intervals after the loss:
 *
 *   (keepAliveMissLimit + 1) x keepAliveIntervalMs + slack
 *
 * A host keeping alive over TCP (UDP blocked) hears of a dead SN sooner: the TCP timeout of one
 * keep-alive (tcpGiveUpMs) is far below one interval.
 */
export function snLossDetectionMs(p: ProtocolParams, slackMs = DEFAULT_SLACK_MS): number {
  return (p.keepAliveMissLimit + 1) * p.keepAliveIntervalMs + slackMs;
}

/**
 * Longest an SN may keep a client that went elsewhere (invariant a, "exactly one SN"): the SN
 * drops a client silent for snClientTimeoutMs, checked once per keepAliveIntervalMs:
 *
 *   snClientTimeoutMs + keepAliveIntervalMs + slack
 */
export function staleClientMs(p: ProtocolParams, slackMs = DEFAULT_SLACK_MS): number {
  return p.snClientTimeoutMs + p.keepAliveIntervalMs + slackMs;
}

/**
 * Longest two hosts may be online under one name (invariant b): the LS ends the older session
 * by a `sessionEnded` on its TCP link the moment it accepts the newer login, and the newer host
 * still has to attach, test its NAT and announce itself before it is online. The message
 * arrives within TCP's give-up time on that path (tcpGiveUpMs), after which the older host is
 * offline:
 *
 *   tcpGiveUpMs(tcp, rttMaxMs) + slack
 */
export function duplicateOnlineMs(tcp: TcpParams, rttMaxMs: number, slackMs = DEFAULT_SLACK_MS): number {
  return tcpGiveUpMs(tcp, rttMaxMs) + slackMs;
}

/**
 * Worst time one login candidate can cost before the ladder moves on: its UDP probe times out;
 * then either every ladder port's SYNs are swallowed, or a connect succeeds and each of the
 * three SN steps (greeting, attach, presence) waits its full reply timeout. The bound adds
 * both, which covers any mix:
 *
 *   probeTimeoutMs + ports x tcpConnectTimeoutMs + 3 x snReplyTimeoutMs
 */
export function candidateWorstMs(p: ProtocolParams, tcp: TcpParams): number {
  const ports = 1 + p.fallbackTcpPorts.length;
  return p.probeTimeoutMs + ports * tcpConnectTimeoutMs(tcp) + 3 * p.snReplyTimeoutMs;
}

/**
 * Liveness: after churn stops and partitions heal, a host that is up, whose user wants to be
 * online, and that can reach a serving SN is online within this bound (`candidates` is how many
 * SN endpoints a login round can try: the bootstrap list, every endpoint that ever served, and
 * any a test seeded). The terms, each a worst case:
 *
 *   detection   snLossDetectionMs: a host still "online" on an SN that died must notice first.
 *   ladder      2 x (candidates x candidateWorstMs + loginRoundDelayMs): the rest of the round
 *               in progress at healing (the live SN may already be behind it), then a whole
 *               round, which reaches the live SN. If the round in progress was the last
 *               (BS-9: 5 rounds) the login fails and the user logs in again at once - a new
 *               ladder, still within two rounds.
 *   LS          tcpConnectTimeoutMs + lsReplyTimeoutMs + 2 x lsRetryDelayMs: an LS attempt in
 *               flight at healing ends (its SYN retransmitted after the cut, or its reply
 *               timeout), one back-off (at most twice the base delay) and a fresh attempt.
 *   NAT tests   4 x natTestSends x natTestRetransmitMs (mapping, other node, second
 *               mapping, other port; each may time out).
 *   slack       a few round trips for the replies of the steps that succeed.
 *
 *   livenessBoundMs = detection + ladder + LS + NAT tests + slack
 */
export function livenessBoundMs(p: ProtocolParams, tcp: TcpParams, candidates: number, slackMs = DEFAULT_SLACK_MS): number {
  const ladder = 2 * (candidates * candidateWorstMs(p, tcp) + p.loginRoundDelayMs);
  const ls = tcpConnectTimeoutMs(tcp) + p.lsReplyTimeoutMs + 2 * p.lsRetryDelayMs;
  const nat = 4 * p.natTestSends * p.natTestRetransmitMs;
  return snLossDetectionMs(p, slackMs) + ladder + ls + nat + slackMs;
}
