// The protocol's numbers: published defaults, and a checked override.
import { describe, expect, it } from 'vitest';
import { makeParams, PROFILES, SKYPE_2004 } from '../../../protocol/params.js';

describe('protocol parameters', () => {
  it('the skype-2004 profile holds the published values', () => {
    expect(PROFILES['skype-2004']).toBe(SKYPE_2004);
    expect(SKYPE_2004).toMatchObject({
      hostCacheMax: 200, // BS-5
      bootstrapSuperNodeCount: 7, // BS-7
      bootstrapPort: 33033, // BS-7
      probeTimeoutMs: 5000, // BS-9
      fallbackTcpPorts: [80, 443], // BS-9
      loginRoundDelayMs: 6000, // BS-9
      loginRounds: 5, // BS-9
      keepAliveIntervalMs: 60_000, // BS-15
      honourOptOut: false, // BS-32
      pstnGatewayPort: 12340, // seed
    });
    expect(Object.isFrozen(SKYPE_2004)).toBe(true);
  });

  it('overrides are checked: a bad value throws, naming the field', () => {
    expect(makeParams({ loginRounds: 3 }).loginRounds).toBe(3);
    expect(() => makeParams({ loginRounds: 0 })).toThrow(/loginRounds/);
    expect(() => makeParams({ probeTimeoutMs: -1 })).toThrow(/probeTimeoutMs/);
    expect(() => makeParams({ fallbackTcpPorts: [80, 70000] })).toThrow(/fallbackTcpPorts/);
    expect(() => makeParams({ electionPolicy: 'whenever' as never })).toThrow(/electionPolicy/);
    expect(() => makeParams({ duplicateLogin: 'both' as never })).toThrow(/duplicateLogin/);
    expect(() => makeParams({ cryptoMode: 'none' as never })).toThrow(/cryptoMode/);
    expect(() => makeParams({ overloadRatio: 0.1, underuseRatio: 0.2 })).toThrow(/underuseRatio/);
    expect(() => makeParams({ lsLoginsPerSec: 0 })).toThrow(/lsLoginsPerSec/);
  });

  it('refuses values the wire or the platform cannot carry, and takes the largest that they can', () => {
    // Each of these stopped a run with an internal failure before it was checked here.
    expect(() => makeParams({ snClientCapacity: 2 ** 32 })).toThrow(/snClientCapacity: expected an integer from 1 to 4294967295/);
    expect(() => makeParams({ relayCapacity: 2 ** 32 })).toThrow(/relayCapacity/);
    expect(() => makeParams({ passwordWorkFactor: 2 ** 31 })).toThrow(/passwordWorkFactor: expected an integer from 1 to 2147483647/);
    expect(() => makeParams({ credentialLifetimeMs: 0.5 })).toThrow(/credentialLifetimeMs: expected a whole number of ms/);
    expect(() => makeParams({ credentialLifetimeMs: 2 ** 53 })).toThrow(/credentialLifetimeMs/);
    const largest = makeParams({ snClientCapacity: 2 ** 32 - 1, relayCapacity: 2 ** 32 - 1, passwordWorkFactor: 2 ** 31 - 1, credentialLifetimeMs: 2 ** 52 });
    expect(largest.snClientCapacity).toBe(2 ** 32 - 1);
  });
});
