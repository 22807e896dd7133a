/**
 * Protocol profiles: the defaults of every protocol parameter, by the era of the client.
 *
 * The numbers live in protocol/params.ts (`SKYPE_2004`, with their sources); this file adds
 * the parameters that are not there yet (`ProtocolExtensions`) and the later profile.
 * `skype-2006` is the later client PROTOCOL.md names: it punches holes through NATs and honours
 * the "never be a super node" flag; everything else as 2004.
 */

import { SKYPE_2004 } from '../../protocol/params.js';
import type { ProfileName, ProtocolExtensions, ProtocolParams } from './types.js';

export interface Profile {
  readonly params: ProtocolParams;
  readonly extensions: ProtocolExtensions;
}

export const PROFILE_NAMES = ['skype-2004', 'skype-2006'] as const satisfies readonly ProfileName[];

const EXTENSIONS_2004: ProtocolExtensions = {
  holePunching: false, // PROTOCOL.md: off in the 2004 profile
  snSignallingBitsPerSec: 40_000, // about 5 KB/s per session (OT-2)
  searchRetentionMs: 72 * 3_600_000, // BS-16
  searchFanout: 4, // ours
  searchRounds: 3, // ours; widening rounds (BS-17)
  searchRoundTimeoutMs: 2_000, // ours
  relayPolicy: 'lowest-rtt', // ours: the research question (BS-23)
  relayCandidates: 4, // ours
  mediaMode: 'packets',
  voiceFrameMs: 20, // PROTOCOL.md
  voiceBitsPerSec: 24_000, // about 3 kB/s (BS-25)
  holdPacketIntervalMs: 3_000, // BS-27
};

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  'skype-2004': { params: SKYPE_2004, extensions: EXTENSIONS_2004 },
  'skype-2006': {
    params: { ...SKYPE_2004, profile: 'skype-2006', honourOptOut: true },
    extensions: { ...EXTENSIONS_2004, holePunching: true },
  },
};
