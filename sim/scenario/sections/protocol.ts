/**
 * The `protocol` section: changes to the profile's protocol parameters (profiles.ts has every
 * default with its source). Only what is written here overrides the profile.
 *
 *   protocol:
 *     keepAliveInterval: 60s
 *     crypto: modelled        # same bytes on the wire, no cipher work (large runs)
 *     login: { udpProbeTimeout: 5s, fallbackPorts: [80, 443], roundInterval: 6s, rounds: 5 }
 *     supernode: { election: ratio, target: 2%, clientCapacity: 300, uptimeThreshold: 1h }
 *     search: { retention: 72h }
 *     relay: { policy: least-loaded }
 *     media: { mode: flow, voiceFrame: 20ms, voiceRate: 3kB/s, holdPacketInterval: 3s }
 */

import { z } from 'zod';
import { bandwidth, choice, duration, flag, integer, port, ratio } from '../fields.js';
import { CPU_CLASSES } from './hosts.js';
import type { ProtocolParams } from '../types.js';

/** An optional parameter with a description for editors. */
function param<T extends z.ZodType>(schema: T, description: string) {
  return schema.optional().meta({ description });
}

const login = z.strictObject({
  udpProbeTimeout: param(duration('positive'), 'Wait for a UDP answer from an SN before trying TCP (BS-9).'),
  fallbackPorts: param(z.array(port()).min(1), 'TCP ports tried after the SN\'s own port, in order (BS-9).'),
  roundInterval: param(duration(), 'Pause between login rounds (BS-9).'),
  rounds: param(integer(1), 'Login rounds before giving up (BS-9).'),
  passwordWorkFactor: param(integer(1), 'PBKDF2 iterations of the login server\'s password records.'),
});

const supernode = z.strictObject({
  election: param(choice(['on-demand', 'all-eligible', 'ratio']), 'How eligible hosts become super nodes.'),
  target: param(ratio(), 'SNs as a share of online hosts, for election: ratio.'),
  clientCapacity: param(integer(1), 'Clients an SN serves at most (OT-2: several hundred).'),
  uptimeThreshold: param(duration(), 'Uptime before a host is eligible (BS-1, OT-3).'),
  restartDelay: param(duration(), 'After a restart, time before a host serves as SN again (OT-4).'),
  minUplink: param(bandwidth('non-negative'), 'Uplink an SN needs at least.'),
  minDownlink: param(bandwidth('non-negative'), 'Downlink an SN needs at least.'),
  minCpu: param(choice(CPU_CLASSES), 'CPU class an SN needs at least.'),
  signalling: param(bandwidth(), 'SN signalling budget per session (OT-2: about 5 KB/s).'),
  honourOptOut: param(flag(), 'Respect the users\' "never be a super node" flag.'),
});

const search = z.strictObject({
  retention: param(duration('positive'), 'A user who logged in this recently must be found (BS-16).'),
  fanout: param(integer(1), 'Nodes queried per search round.'),
  rounds: param(integer(1), 'Widening search rounds before asking the login server (BS-17, BS-20).'),
  roundTimeout: param(duration('positive'), 'Wait for answers per search round.'),
});

const relay = z.strictObject({
  policy: param(choice(['random-public', 'lowest-rtt', 'least-loaded']), 'How a relay is chosen (BS-23).'),
  candidates: param(integer(1), 'Relay candidates probed per call.'),
});

const media = z.strictObject({
  mode: param(choice(['packets', 'flow']), 'packets: every voice frame is a packet; flow: a rate, for large runs.'),
  voiceFrame: param(duration('positive'), 'Time between voice frames.'),
  voiceRate: param(bandwidth(), 'Voice stream rate, both directions together (BS-25: about 3 kB/s).'),
  holdPacketInterval: param(duration('positive'), 'Time between packets of a call on hold (BS-27).'),
});

type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

export type ProtocolOverrides = DeepPartial<ProtocolParams>;

export const protocolSection = z
  .strictObject({
    hostCacheSize: param(integer(1), 'Host cache capacity (BS-5).'),
    bootstrapPort: param(port(), 'Port of the bootstrap SNs (BS-7).'),
    pstnGatewayPort: param(port(), 'Port of the PSTN gateway.'),
    keepAliveInterval: param(duration('positive'), 'Keep-alive interval on the SN connection (BS-15).'),
    crypto: param(choice(['real', 'modelled']), 'real: AES from node:crypto; modelled: same bytes, no cipher work.'),
    holePunching: param(flag(), 'Try UDP hole punching before relaying.'),
    login: login.optional(),
    supernode: supernode.optional(),
    search: search.optional(),
    relay: relay.optional(),
    media: media.optional(),
  })
  .prefault({})
  .transform(
    (p): ProtocolOverrides => ({
      hostCacheSize: p.hostCacheSize,
      bootstrapPort: p.bootstrapPort,
      pstnGatewayPort: p.pstnGatewayPort,
      keepAliveIntervalMs: p.keepAliveInterval,
      crypto: p.crypto,
      holePunching: p.holePunching,
      login: p.login && {
        udpProbeTimeoutMs: p.login.udpProbeTimeout,
        fallbackPorts: p.login.fallbackPorts,
        roundIntervalMs: p.login.roundInterval,
        rounds: p.login.rounds,
        passwordWorkFactor: p.login.passwordWorkFactor,
      },
      supernode: p.supernode && {
        election: p.supernode.election,
        targetRatio: p.supernode.target,
        clientCapacity: p.supernode.clientCapacity,
        uptimeThresholdMs: p.supernode.uptimeThreshold,
        restartDelayMs: p.supernode.restartDelay,
        minUplinkBitsPerSec: p.supernode.minUplink,
        minDownlinkBitsPerSec: p.supernode.minDownlink,
        minCpu: p.supernode.minCpu,
        signallingBitsPerSec: p.supernode.signalling,
        honourOptOut: p.supernode.honourOptOut,
      },
      search: p.search && {
        retentionMs: p.search.retention,
        fanout: p.search.fanout,
        rounds: p.search.rounds,
        roundTimeoutMs: p.search.roundTimeout,
      },
      relay: p.relay,
      media: p.media && {
        mode: p.media.mode,
        voiceFrameMs: p.media.voiceFrame,
        voiceBitsPerSec: p.media.voiceRate,
        holdPacketIntervalMs: p.media.holdPacketInterval,
      },
    }),
  );

/** The profile's parameters with every value the file gave in their place. */
export function applyOverrides(profile: ProtocolParams, overrides: ProtocolOverrides): ProtocolParams {
  return mergeDefined(profile, overrides) as unknown as ProtocolParams;
}

function mergeDefined(base: object, overrides: object): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const under = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(under) ? mergeDefined(under, value) : value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
