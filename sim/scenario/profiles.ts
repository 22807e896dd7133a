/**
 * Protocol profiles: the defaults of every protocol parameter, by the era of the client.
 *
 * `skype-2004` is PROTOCOL.md as measured: the published numbers carry their source id;
 * numbers the studies do not give are ours (marked "ours") and are what a run measures the
 * effect of. `skype-2006` is the later client PROTOCOL.md names: it punches holes through NATs
 * and honours the "never be a super node" flag; everything else as 2004.
 *
 * A scenario's `protocol` section overrides single values; summary.json echoes the result.
 */

import type { ProfileName, ProtocolParams } from './types.js';

export const PROFILE_NAMES = ['skype-2004', 'skype-2006'] as const satisfies readonly ProfileName[];

const SKYPE_2004: ProtocolParams = {
  hostCacheSize: 200, // BS-5
  bootstrapPort: 33_033, // BS-7
  pstnGatewayPort: 12_340, // seed document
  keepAliveIntervalMs: 60_000, // BS-15
  crypto: 'real',
  holePunching: false, // PROTOCOL.md: off in the 2004 profile
  login: {
    udpProbeTimeoutMs: 5_000, // BS-9
    fallbackPorts: [80, 443], // BS-9, BS-10
    roundIntervalMs: 6_000, // BS-9
    rounds: 5, // BS-9
    passwordWorkFactor: 1_000, // ours: low enough for 100k logins a run
  },
  supernode: {
    election: 'on-demand', // ours
    targetRatio: 0.02, // ours, used by election: ratio
    clientCapacity: 500, // "several hundred" clients per SN (OT-2)
    uptimeThresholdMs: 30 * 60_000, // ours; an uptime condition exists (BS-1, OT-3)
    restartDelayMs: 10 * 60_000, // ours; a restarted SN waits (OT-4)
    minUplinkBitsPerSec: 256_000, // ours; "enough bandwidth" (BS-1)
    minDownlinkBitsPerSec: 512_000, // ours
    minCpu: 'medium', // ours; "enough CPU" (BS-1)
    signallingBitsPerSec: 40_000, // about 5 KB/s per session (OT-2)
    honourOptOut: false, // a 2004 user could not opt out (BS-32)
  },
  search: {
    retentionMs: 72 * 3_600_000, // BS-16
    fanout: 4, // ours
    rounds: 3, // ours; widening rounds (BS-17)
    roundTimeoutMs: 2_000, // ours
  },
  relay: { policy: 'lowest-rtt', candidates: 4 }, // ours: the research question (BS-23)
  media: {
    mode: 'packets',
    voiceFrameMs: 20, // PROTOCOL.md
    voiceBitsPerSec: 24_000, // about 3 kB/s (BS-25)
    holdPacketIntervalMs: 3_000, // BS-27
  },
};

export const PROFILES: Readonly<Record<ProfileName, ProtocolParams>> = {
  'skype-2004': SKYPE_2004,
  'skype-2006': {
    ...SKYPE_2004,
    holePunching: true,
    supernode: { ...SKYPE_2004.supernode, honourOptOut: true },
  },
};
