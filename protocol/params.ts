/**
 * Every number of the protocol (docs/PROTOCOL.md) as one parameter object.
 *
 * `SKYPE_2004` holds the published values (BS-n / OT-n ids beside each) and, where the studies
 * are silent, our own choice, marked "ours". A scenario starts from a profile and overrides
 * fields; `makeParams` checks the result (a scenario typo is the caller's error: it throws),
 * and the run's summary echoes the whole object.
 *
 * Units are last in every name (`probeTimeoutMs`, `uplinkBitsPerSec`). Ratios are in [0, 1].
 */

import type { CryptoMode } from './crypto/keystream.js';

/** How ordinary hosts become super nodes and stop being ones (roles/election.ts). */
export type ElectionPolicy = 'promote-when-eligible' | 'promote-on-demand';

/** How a caller picks the relay of a call that needs one (roles/relay-selection.ts). */
export type RelayPolicy = 'random-public' | 'lowest-rtt' | 'least-loaded';

/** `packets` simulates every voice frame; `flow` sends one aggregate per interval that the network counts as that many frames (roles/call.ts). */
export type MediaMode = 'packets' | 'flow';

/** What the LS does when a name that already has a session logs in again (roles/login-server.ts). */
export type DuplicateLoginRule = 'replace' | 'refuse';

export interface ProtocolParams {
  /** Profile name, echoed in summaries. */
  readonly profile: string;

  // --- Host cache (BS-5, BS-7) --------------------------------------------------------------
  /** Most SN entries a host cache holds (BS-5). */
  readonly hostCacheMax: number;
  /** Bootstrap SNs a fresh install knows (BS-7); the runtime creates them and passes their addresses. */
  readonly bootstrapSuperNodeCount: number;
  /** Port every bootstrap SN listens on, UDP and TCP (BS-7). */
  readonly bootstrapPort: number;

  // --- Login (BS-9, BS-10) ------------------------------------------------------------------
  /** Wait for a reply to the UDP probe of one HC entry before falling back to TCP (BS-9). */
  readonly probeTimeoutMs: number;
  /** TCP ports tried, in order, after the SN's own port failed (BS-9: 80 then 443). */
  readonly fallbackTcpPorts: readonly number[];
  /** Wait between two login rounds (BS-9). */
  readonly loginRoundDelayMs: number;
  /** Rounds before the login fails (BS-9). */
  readonly loginRounds: number;
  /** HC entries one round tries, in HC order (ours: the whole cache). */
  readonly loginEntriesPerRound: number;
  /** Wait for an SN's answer to a login step (challenge, attach, presence) before trying the next entry (ours). */
  readonly snReplyTimeoutMs: number;
  /** Wait for the LS's answer (challenge, verdict) before backing off (ours; covers LS queueing). */
  readonly lsReplyTimeoutMs: number;
  /** LS tries per login: the first plus retries after busy / unreachable / timeout (ours). */
  readonly lsTriesMax: number;
  /** Back-off before retrying the LS when it gave no retry time (unreachable, timeout) (ours). */
  readonly lsRetryDelayMs: number;
  /**
   * A host that reached an SN only on a fall-back port (80 / 443) starts every later TCP step of
   * the process - SN ladder entries and the LS - at that port, then the BS-9 order (ours; BS-10:
   * a firewall that lets out only 80 / 443 does so for every destination). False: every entry
   * walks its own port, 80, 443 afresh, each blocked port costing a SYN timeout.
   */
  readonly rememberFallbackPort: boolean;

  // --- NAT detection (BS-11) ----------------------------------------------------------------
  /** Resend interval of one NAT test; the test fails after `natTestSends` sends without a reply (ours). */
  readonly natTestRetransmitMs: number;
  readonly natTestSends: number;
  /** An otherNode NAT-test reply from an address the host sent UDP to within this long is discounted (ours; NAT filter state: RFC 4787 asks at least 2 min). */
  readonly natContactMemoryMs: number;

  // --- Keep-alive (BS-15) -------------------------------------------------------------------
  /** Host -> SN keep-alive period (BS-15). */
  readonly keepAliveIntervalMs: number;
  /** An online host re-announces its presence this often; the SN's reply refreshes its host cache (OT-2: "during operation"; value ours). */
  readonly hostCacheRefreshIntervalMs: number;
  /** Consecutive unanswered keep-alives after which the host declares its SN dead (ours). */
  readonly keepAliveMissLimit: number;

  // --- Login server (BS-2, BS-8) ------------------------------------------------------------
  /** TCP port of the LS (ours; the LS is TCP only, BS-8). */
  readonly loginServerPort: number;
  /** Logins the LS completes per second: service time 1000 / this ms each (ours; for login storms). */
  readonly lsLoginsPerSec: number;
  /** Requests waiting for service beyond which the LS answers `authBusy` (ours). */
  readonly lsQueueMax: number;
  /** Failed logins of one name within `lsFailureWindowMs` after which the name is refused until the window passes (ours). */
  readonly lsFailureLimit: number;
  readonly lsFailureWindowMs: number;
  /** Second login of a name: `replace` ends the first session, `refuse` refuses the second (ours). */
  readonly duplicateLogin: DuplicateLoginRule;
  /** PBKDF2 iterations of the LS's password records (ours; CPU per login check). */
  readonly passwordWorkFactor: number;
  /**
   * An online host sends a keep-alive on its LS session link this often (ours; the studies are
   * silent). A dead link (LS crashed, restarted, partitioned) shows up as a TCP give-up or RST on
   * a keep-alive, and the host re-validates its session (login-server.ts). LS load: one small
   * message and its ack per online host per period.
   */
  readonly lsSessionKeepAliveMs: number;
  /**
   * Session lease (ours): a host whose session the LS has not confirmed (keep-alive ack,
   * re-validation, login) for this long since it sent the confirmed request goes offline by
   * itself; the LS counts a session it has not heard from for this long as over. So a newer
   * login the LS holds for an unreachable older session is accepted only once the older host
   * is offline. Must exceed lsSessionKeepAliveMs.
   */
  readonly lsSessionLeaseMs: number;
  /** Validity of a credential the LS signs (ours). A host re-uses a valid credential when it re-logs in. */
  readonly credentialLifetimeMs: number;
  /** `real` runs AES on every frame; `modelled` keeps bytes and flow, skips cipher work (PROTOCOL.md). */
  readonly cryptoMode: CryptoMode;

  // --- Super nodes (BS-1, OT-2, OT-3, OT-4) -------------------------------------------------
  /** Clients an SN attaches before refusing ("several hundred", OT-2). */
  readonly snClientCapacity: number;
  /** SNs an SN lists in a probe reply, attach reply or presence reply (ours). */
  readonly snHostCacheReplySize: number;
  /** Overlay links an SN opens to other SNs ("a few", ours). */
  readonly overlayDegree: number;
  /** Overlay links an SN holds in all (opened + accepted) before refusing more (ours). */
  readonly overlayLinksMax: number;
  /** Period of overlay upkeep: SN-list exchange on each link, refilling links, dropping silent ones (ours). */
  readonly overlayMaintainIntervalMs: number;
  /** A link silent (no SN list) for this long is dropped (ours). */
  readonly overlayLinkTimeoutMs: number;
  /** A client whose keep-alives stopped for this long is dropped by its SN (ours: 3 periods). */
  readonly snClientTimeoutMs: number;
  /** The SN's second UDP port for the NAT test "reply from another port" is its port plus this (ours). */
  readonly snAlternatePortOffset: number;
  /** After a failed overlay join to an SN, wait this long before trying that SN again; doubles with each failure in a row (ours). */
  readonly overlayRetryDelayMs: number;
  /** Cap of the doubling overlay retry delay (ours). */
  readonly overlayRetryDelayMaxMs: number;

  // --- Load spreading among SNs (ours; super-node.ts) ----------------------------------------
  /**
   * An SN sends clients elsewhere (redirect at attach, hand-off) only to SNs whose last reported
   * load (clients / capacity, plus what it sent them since) is at least this much below its own.
   * Hysteresis: the larger, the fewer moves and the wider the spread left.
   */
  readonly snLoadMarginRatio: number;
  /** SNs listed in an attachRedirect or handOff, lightest first; 0 switches redirects and hand-offs off. */
  readonly snReferralsMax: number;
  /** An SN redirects an attaching client only at or above this load (0: whenever a lighter SN is known; a full SN always may). */
  readonly snRedirectAboveRatio: number;
  /** At each load check an SN at or above this load hands clients off to lighter SNs. */
  readonly snHandOffAboveRatio: number;
  /** Clients an SN hands off per load check (loadCheckIntervalMs); 0 switches hand-off off. */
  readonly snHandOffPerCheck: number;
  /** A client an SN sent elsewhere counts in the target's estimated load this long, on top of its reports (the time it takes to attach there). */
  readonly snReferralSettleMs: number;

  // --- Election (BS-1, BS-32, OT-3, OT-4) ---------------------------------------------------
  readonly electionPolicy: ElectionPolicy;
  /** Uptime (since the host process started) before a host is eligible (OT-3; value ours). */
  readonly snUptimeThresholdMs: number;
  /** Bandwidth, CPU and memory floors for eligibility (BS-1; values ours). */
  readonly snMinUplinkBitsPerSec: number;
  readonly snMinDownlinkBitsPerSec: number;
  readonly snMinCpuMhz: number;
  readonly snMinMemoryMb: number;
  /** A host that was an SN before a restart does not serve again before this delay (OT-4; value ours). */
  readonly snRestartDelayMs: number;
  /** Users could not opt out of SN duty in 2004 (BS-32); a later profile may honour the flag. */
  readonly honourOptOut: boolean;
  /** Period of an SN's load check (promote-on-demand) and client-count sample (ours). */
  readonly loadCheckIntervalMs: number;
  /** promote-on-demand: clients / capacity at or above which an SN asks an eligible client to promote (ours). */
  readonly overloadRatio: number;
  /** promote-on-demand: clients / capacity at or below which an SN counts as underused (ours). */
  readonly underuseRatio: number;
  /** promote-on-demand: an SN underused for this long demotes itself (ours). */
  readonly underuseDemoteAfterMs: number;

  /**
   * An SN's signalling budget per client session, about 5 KB/s (OT-2): the routed messages a
   * client hands its SN, metered by a token bucket (roles/signalling-budget.ts); 0: no budget.
   */
  readonly snSignallingBitsPerSec: number;

  // --- User search (BS-16 - BS-20) -----------------------------------------------------------
  /** A user who logged in within this long is found (BS-16: 72 hours); index records live this long. */
  readonly searchRetentionMs: number;
  /** SNs that hold each user's index record besides the user's own SN (ours). */
  readonly searchReplicas: number;
  /** Nodes asked per search round (ours). */
  readonly searchFanout: number;
  /** Widening rounds before the LS is asked (ours; BS-17). */
  readonly searchRounds: number;
  /** Wait for the replies of one search round (ours). */
  readonly searchRoundTimeoutMs: number;
  /** How long a node that relayed a search answer keeps it to answer the next search of the name (ours; BS-20 "cached"). */
  readonly searchCacheMs: number;

  // --- Calls, relays and media (BS-21 - BS-28) ----------------------------------------------
  /** A call not answered (accepted or refused) this long after the user placed it fails, cause `timeout` (ours). */
  readonly callSetupTimeoutMs: number;
  /** UDP hole punching between NATed peers (off in 2004, PROTOCOL.md); symmetric NATs still need a relay. */
  readonly holePunching: boolean;
  /** Wait for the first punched packet from the peer before falling back to a relay (ours). */
  readonly holePunchTimeoutMs: number;
  readonly relayPolicy: RelayPolicy;
  /** Candidates a caller takes from its host cache for relay selection (and probes, for lowest-rtt and least-loaded) (ours). */
  readonly relayCandidates: number;
  /** Wait for the probe replies of a relay selection (ours). */
  readonly relayProbeTimeoutMs: number;
  /** Wait for a relay's answer to an allocation before trying the next candidate (ours). */
  readonly relayReplyTimeoutMs: number;
  /** Calls one relay forwards at once; beyond it the relay refuses (ours). */
  readonly relayCapacity: number;
  /** A party that hears nothing from the relay (media, hold packets, keep-alive answers) for this long declares it failed (ours). */
  readonly relayFailureTimeoutMs: number;
  /** On relay failure mid-call: select another relay (true) or drop the call (false) (ours; the research question). */
  readonly relayReselect: boolean;
  readonly mediaMode: MediaMode;
  /** One voice frame this often per direction (PROTOCOL.md: 20 ms). */
  readonly voiceFrameMs: number;
  /** Voice bits per second per direction on the wire, IP and UDP headers included (BS-25: about 3 kB/s). */
  readonly voiceBitsPerSec: number;
  /** On hold, one packet this often per direction (BS-27: about 3 s). */
  readonly holdPacketIntervalMs: number;
  /** In `flow` mode, one aggregate datagram stands for this long of frames (ours). */
  readonly flowIntervalMs: number;

  // --- Chat and presence ----------------------------------------------------------------------
  /** A chat message not acknowledged by the buddy this long after sending is sent again, same sequence number (ours). */
  readonly chatRetryMs: number;
  /** Sends of one chat message before it counts as undelivered (ours). */
  readonly chatSendsMax: number;

  // --- PSTN gateway (seed) ---------------------------------------------------------------------
  /** PSTN gateway port, TCP signalling and UDP media (seed). */
  readonly pstnGatewayPort: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The 2004 client as measured (BS-n), with our choices where the studies are silent. */
export const SKYPE_2004: ProtocolParams = Object.freeze({
  profile: 'skype-2004',

  hostCacheMax: 200,
  bootstrapSuperNodeCount: 7,
  bootstrapPort: 33033,

  probeTimeoutMs: 5_000,
  fallbackTcpPorts: Object.freeze([80, 443]),
  loginRoundDelayMs: 6_000,
  loginRounds: 5,
  loginEntriesPerRound: 200,
  snReplyTimeoutMs: 10_000,
  lsReplyTimeoutMs: 60_000,
  lsTriesMax: 5,
  lsRetryDelayMs: 10_000,
  rememberFallbackPort: true,

  natTestRetransmitMs: 1_000,
  natTestSends: 2,
  natContactMemoryMs: 5 * MINUTE_MS,

  keepAliveIntervalMs: 60_000,
  hostCacheRefreshIntervalMs: 10 * MINUTE_MS,
  keepAliveMissLimit: 3,

  loginServerPort: 33033,
  lsLoginsPerSec: 500,
  lsQueueMax: 5_000,
  lsFailureLimit: 5,
  lsFailureWindowMs: 10 * MINUTE_MS,
  duplicateLogin: 'replace',
  passwordWorkFactor: 1_000,
  lsSessionKeepAliveMs: 2 * MINUTE_MS,
  lsSessionLeaseMs: 5 * MINUTE_MS,
  credentialLifetimeMs: 24 * HOUR_MS,
  cryptoMode: 'real',

  snClientCapacity: 500,
  snHostCacheReplySize: 20,
  overlayDegree: 4,
  overlayLinksMax: 16,
  overlayMaintainIntervalMs: 60_000,
  overlayLinkTimeoutMs: 3 * 60_000,
  snClientTimeoutMs: 3 * 60_000,
  snAlternatePortOffset: 1,
  overlayRetryDelayMs: 60_000,
  overlayRetryDelayMaxMs: 1 * HOUR_MS,

  snLoadMarginRatio: 0.05,
  snReferralsMax: 4,
  snRedirectAboveRatio: 0,
  snHandOffAboveRatio: 0.2,
  snHandOffPerCheck: 10,
  snReferralSettleMs: 2_000,

  electionPolicy: 'promote-when-eligible',
  snUptimeThresholdMs: 1 * HOUR_MS,
  snMinUplinkBitsPerSec: 256_000,
  snMinDownlinkBitsPerSec: 256_000,
  snMinCpuMhz: 1_000,
  snMinMemoryMb: 256,
  snRestartDelayMs: 30 * MINUTE_MS,
  honourOptOut: false,
  loadCheckIntervalMs: 60_000,
  overloadRatio: 0.9,
  underuseRatio: 0.05,
  underuseDemoteAfterMs: 30 * MINUTE_MS,

  snSignallingBitsPerSec: 40_000,

  searchRetentionMs: 72 * HOUR_MS,
  searchReplicas: 3,
  searchFanout: 4,
  searchRounds: 3,
  searchRoundTimeoutMs: 2_000,
  searchCacheMs: 10 * MINUTE_MS,

  callSetupTimeoutMs: 30_000,
  holePunching: false,
  holePunchTimeoutMs: 2_000,
  relayPolicy: 'lowest-rtt',
  relayCandidates: 4,
  relayProbeTimeoutMs: 1_000,
  relayReplyTimeoutMs: 3_000,
  relayCapacity: 20,
  relayFailureTimeoutMs: 5_000,
  relayReselect: true,
  mediaMode: 'packets',
  voiceFrameMs: 20,
  voiceBitsPerSec: 24_000,
  holdPacketIntervalMs: 3_000,
  flowIntervalMs: 1_000,

  chatRetryMs: 10_000,
  chatSendsMax: 3,

  pstnGatewayPort: 12340,
});

/** Named profiles a scenario can start from. */
/** The later client PROTOCOL.md names: it punches holes through NATs and honours the "never be a super node" flag; everything else as 2004. */
export const SKYPE_2006: ProtocolParams = Object.freeze({ ...SKYPE_2004, profile: 'skype-2006', honourOptOut: true, holePunching: true });

export const PROFILES: Readonly<Record<string, ProtocolParams>> = Object.freeze({ 'skype-2004': SKYPE_2004, 'skype-2006': SKYPE_2006 });

/**
 * `base` (default SKYPE_2004) with `overrides`, checked. Throws RangeError naming the first
 * bad field: a scenario must not run on a value the protocol cannot mean.
 */
export function makeParams(overrides: Partial<ProtocolParams> = {}, base: ProtocolParams = SKYPE_2004): ProtocolParams {
  const p: ProtocolParams = Object.freeze({ ...base, ...overrides });
  checkParams(p);
  return p;
}

const POSITIVE_INTEGERS = [
  'hostCacheMax',
  'bootstrapSuperNodeCount',
  'loginRounds',
  'loginEntriesPerRound',
  'lsTriesMax',
  'natTestSends',
  'keepAliveMissLimit',
  'lsQueueMax',
  'lsFailureLimit',
  'passwordWorkFactor',
  'snClientCapacity',
  'overlayLinksMax',
  'searchFanout',
  'searchRounds',
  'relayCandidates',
  'relayCapacity',
  'chatSendsMax',
] as const;

const NON_NEGATIVE_NUMBERS = [
  'probeTimeoutMs',
  'loginRoundDelayMs',
  'snReplyTimeoutMs',
  'lsReplyTimeoutMs',
  'lsRetryDelayMs',
  'natTestRetransmitMs',
  'lsFailureWindowMs',
  'credentialLifetimeMs',
  'snHostCacheReplySize',
  'overlayDegree',
  'overlayLinkTimeoutMs',
  'snClientTimeoutMs',
  'snUptimeThresholdMs',
  'snMinUplinkBitsPerSec',
  'snMinDownlinkBitsPerSec',
  'snMinCpuMhz',
  'snMinMemoryMb',
  'snRestartDelayMs',
  'underuseDemoteAfterMs',
  'overlayRetryDelayMs',
  'overlayRetryDelayMaxMs',
  'snReferralSettleMs',
  'natContactMemoryMs',
  'snSignallingBitsPerSec',
  'searchCacheMs',
] as const;

const NON_NEGATIVE_INTEGERS = ['snReferralsMax', 'snHandOffPerCheck', 'searchReplicas'] as const;

const PORTS = ['bootstrapPort', 'loginServerPort', 'pstnGatewayPort', 'snAlternatePortOffset'] as const;

const RATIOS = ['overloadRatio', 'underuseRatio', 'snLoadMarginRatio', 'snRedirectAboveRatio', 'snHandOffAboveRatio'] as const;

const POSITIVE_PERIODS = [
  'searchRetentionMs',
  'searchRoundTimeoutMs',
  'callSetupTimeoutMs',
  'holePunchTimeoutMs',
  'relayProbeTimeoutMs',
  'relayReplyTimeoutMs',
  'relayFailureTimeoutMs',
  'voiceFrameMs',
  'voiceBitsPerSec',
  'holdPacketIntervalMs',
  'flowIntervalMs',
  'chatRetryMs',
  'lsSessionKeepAliveMs',
  'lsSessionLeaseMs',
  'keepAliveIntervalMs',
  'hostCacheRefreshIntervalMs',
  'overlayMaintainIntervalMs',
  'loadCheckIntervalMs',
  'lsLoginsPerSec',
] as const;

function checkParams(p: ProtocolParams): void {
  for (const k of POSITIVE_INTEGERS) if (!Number.isSafeInteger(p[k]) || p[k] < 1) bad(k, 'an integer >= 1', p[k]);
  for (const k of NON_NEGATIVE_NUMBERS) if (!(typeof p[k] === 'number' && p[k] >= 0 && Number.isFinite(p[k]))) bad(k, 'a finite number >= 0', p[k]);
  for (const k of NON_NEGATIVE_INTEGERS) if (!Number.isSafeInteger(p[k]) || p[k] < 0) bad(k, 'an integer >= 0', p[k]);
  for (const k of PORTS) if (!Number.isInteger(p[k]) || p[k] < 1 || p[k] > 65535) bad(k, 'a port 1..65535', p[k]);
  for (const k of RATIOS) if (!(typeof p[k] === 'number' && p[k] >= 0 && p[k] <= 1)) bad(k, 'a ratio in [0, 1]', p[k]);
  for (const k of POSITIVE_PERIODS) if (!(typeof p[k] === 'number' && p[k] > 0)) bad(k, 'a number > 0', p[k]);
  if (!Number.isSafeInteger(p.overlayDegree)) bad('overlayDegree', 'an integer >= 0', p.overlayDegree);
  if (!Number.isSafeInteger(p.snHostCacheReplySize)) bad('snHostCacheReplySize', 'an integer >= 0', p.snHostCacheReplySize);
  if (!Array.isArray(p.fallbackTcpPorts) || p.fallbackTcpPorts.some((x) => !Number.isInteger(x) || x < 1 || x > 65535)) {
    bad('fallbackTcpPorts', 'a list of ports 1..65535', p.fallbackTcpPorts);
  }
  if (p.underuseRatio >= p.overloadRatio) badRelation(p, 'underuseRatio', 'below', 'overloadRatio');
  if (p.electionPolicy !== 'promote-when-eligible' && p.electionPolicy !== 'promote-on-demand') {
    bad('electionPolicy', "'promote-when-eligible' or 'promote-on-demand'", p.electionPolicy);
  }
  if (p.duplicateLogin !== 'replace' && p.duplicateLogin !== 'refuse') bad('duplicateLogin', "'replace' or 'refuse'", p.duplicateLogin);
  if (p.cryptoMode !== 'real' && p.cryptoMode !== 'modelled') bad('cryptoMode', "'real' or 'modelled'", p.cryptoMode);
  if (typeof p.honourOptOut !== 'boolean') bad('honourOptOut', 'a boolean', p.honourOptOut);
  for (const k of ['holePunching', 'relayReselect'] as const) if (typeof p[k] !== 'boolean') bad(k, 'a boolean', p[k]);
  if (!['random-public', 'lowest-rtt', 'least-loaded'].includes(p.relayPolicy)) bad('relayPolicy', "'random-public', 'lowest-rtt' or 'least-loaded'", p.relayPolicy);
  if (p.mediaMode !== 'packets' && p.mediaMode !== 'flow') bad('mediaMode', "'packets' or 'flow'", p.mediaMode);
  if (p.flowIntervalMs < p.voiceFrameMs) badRelation(p, 'flowIntervalMs', 'at least', 'voiceFrameMs');
  if (typeof p.rememberFallbackPort !== 'boolean') bad('rememberFallbackPort', 'a boolean', p.rememberFallbackPort);
  if (p.lsSessionLeaseMs <= p.lsSessionKeepAliveMs) badRelation(p, 'lsSessionLeaseMs', 'above', 'lsSessionKeepAliveMs');
  // Capacities travel as u32 (superNodeLoad, relayProbeReply); Node's PBKDF2 takes at most 2^31 - 1 iterations.
  for (const k of ['snClientCapacity', 'relayCapacity'] as const) if (p[k] > 0xffffffff) bad(k, 'an integer from 1 to 4294967295', p[k]);
  if (p.passwordWorkFactor > 0x7fffffff) bad('passwordWorkFactor', 'an integer from 1 to 2147483647', p.passwordWorkFactor);
  // Credentials carry whole milliseconds (credentials.ts), and their expiry must stay a safe integer.
  if (!(Number.isSafeInteger(p.credentialLifetimeMs) && p.credentialLifetimeMs <= 2 ** 52)) {
    bad('credentialLifetimeMs', 'a whole number of ms, at most 2^52', p.credentialLifetimeMs);
  }
  if (p.overlayRetryDelayMaxMs < p.overlayRetryDelayMs) badRelation(p, 'overlayRetryDelayMaxMs', 'at least', 'overlayRetryDelayMs');
}

/**
 * A parameter out of its range, or out of line with another (`than`: `field` must be
 * `expected` - 'at least', 'above', 'below' - that one). The message names the fields as
 * written here; scenario files, which name them without their unit, format their own from the
 * fields (sim/scenario/sections/protocol.ts).
 */
export class ParamError extends RangeError {
  constructor(
    readonly field: keyof ProtocolParams,
    readonly expected: string,
    readonly got: unknown,
    readonly than?: { readonly field: keyof ProtocolParams; readonly value: unknown },
  ) {
    const wanted = than === undefined ? expected : `${expected} ${than.field} (${JSON.stringify(than.value)})`;
    super(`protocol parameter ${field}: expected ${wanted}, got ${JSON.stringify(got)}`);
  }
}

function bad(field: keyof ProtocolParams, expected: string, got: unknown): never {
  throw new ParamError(field, expected, got);
}

function badRelation(p: ProtocolParams, field: keyof ProtocolParams, relation: string, than: keyof ProtocolParams): never {
  throw new ParamError(field, relation, p[field], { field: than, value: p[than] });
}
