// A minimal file comes out with every default filled, in the project's units, so summary.json
// can echo the Scenario whole and a reader sees every number a run used.
import { describe, expect, it } from 'vitest';
import { SKYPE_2004 } from '../../protocol/params.js';
import { natPresets } from '../../sim/net/index.js';
import { formatError, loadScenarioText, type Scenario } from '../../sim/scenario/index.js';

function load(yaml: string, file = 'minimal.yaml'): Scenario {
  const result = loadScenarioText(yaml, file);
  if (!result.ok) throw new Error(result.errors.map(formatError).join('\n'));
  return result.scenario;
}

const MINIMAL = 'duration: 90min\nhosts: [{ count: 10 }]\n';

/** Paths of values that JSON would drop or mangle: undefined, NaN, Infinity, functions. */
function unechoable(value: unknown, path = ''): string[] {
  if (value === undefined || typeof value === 'function' || (typeof value === 'number' && !Number.isFinite(value))) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => unechoable(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => unechoable(v, `${path}.${k}`));
  return [];
}

describe('defaults', () => {
  const s = load(MINIMAL);

  it('leave nothing JSON cannot echo', () => {
    expect(unechoable(s)).toEqual([]);
  });

  it('name the scenario after its file and fill the top level', () => {
    expect([s.name, s.seed, s.durationMs, s.profile]).toEqual(['minimal', 1, 5_400_000, 'skype-2004']);
    expect(load(MINIMAL, 'dir/My Scenario.v2.yaml').name).toBe('My-Scenario.v2');
  });

  it('give one region, a quiet network and sim/net timers', () => {
    expect(s.network).toMatchObject({
      regions: ['world'],
      rttMs: [[100]],
      jitterMs: { kind: 'constant', value: 0 },
      loss: { kind: 'none' },
      firewallUdpTimeoutMs: 120_000,
      tcp: { synRtoMs: 3000, synRetries: 2, rtoMinMs: 200, dataRetries: 5, mssBytes: 1460 },
      natTypes: {},
    });
    expect(Object.keys(s.network.bandwidthClasses)).toEqual(['dialup', 'dsl', 'cable', 'lan', 'server']);
  });

  it('make a group of public, unfirewalled DSL hosts on medium machines', () => {
    expect(s.hosts).toEqual([
      {
        name: 'group-0',
        count: 10,
        region: [{ value: 'world', ratio: 1 }],
        nat: [{ value: { kind: 'none' }, ratio: 1 }],
        firewall: [{ value: 'none', ratio: 1 }],
        link: [{ value: { name: 'dsl', uplinkBitsPerSec: 256_000, downlinkBitsPerSec: 1_000_000, accessDelayMs: 15, queueLimitBytes: null, loss: { kind: 'none' } }, ratio: 1 }],
        machine: [{ value: { name: 'medium', cpuMhz: 1500, memoryMb: 512 }, ratio: 1 }],
        supernodeOptOutRatio: 0,
      },
    ]);
  });

  it('spread a group without a region evenly over the regions', () => {
    const t = load('duration: 1h\nnetwork: { regions: [a, b, c, d], rttMs: [[1,2,3,4],[2,1,2,3],[3,2,1,2],[4,3,2,1]] }\nhosts: [{ count: 1 }]\n');
    expect(t.hosts[0].region).toEqual(['a', 'b', 'c', 'd'].map((value) => ({ value, ratio: 0.25 })));
  });

  it('give one login server, the protocol\'s bootstrap list and one PSTN gateway, everywhere', () => {
    const server = { name: 'server', uplinkBitsPerSec: 1e9, downlinkBitsPerSec: 1e9, accessDelayMs: 0.5, queueLimitBytes: null, loss: { kind: 'none' } };
    expect(s.roles).toEqual({
      loginServers: { count: 1, regions: ['world'], link: server },
      bootstrapSupernodes: { count: SKYPE_2004.bootstrapSuperNodeCount, regions: ['world'], link: server },
      pstnGateways: { count: 1, regions: ['world'], link: server },
    });
  });

  it('keep hosts online once logged in, within a warm-up', () => {
    expect(s.churn).toEqual({ mode: 'off', persistentIdentity: true, initialOnlineRatio: 1, warmupMs: 300_000 });
  });

  it('start session churn at its steady state', () => {
    const t = load('duration: 1h\nhosts: [{ count: 1 }]\nchurn: { mode: sessions, session: { kind: exponential, mean: 1h }, offTime: { kind: exponential, mean: 3h } }\n');
    expect(t.churn).toMatchObject({ mode: 'sessions', initialOnlineRatio: 0.25, crashRatio: 0, diurnal: null });
  });

  it('fill every region\'s UTC offset of a diurnal profile', () => {
    const t = load(
      'duration: 1h\nnetwork: { regions: [na, eu], rttMs: [[1, 2], [2, 1]] }\nhosts: [{ count: 1 }]\n' +
        'churn: { mode: sessions, session: 1h, offTime: 1h, diurnal: { hourlyWeights: [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2], utcOffsetHours: { na: -5 } } }\n',
    );
    expect(t.churn.mode === 'sessions' && t.churn.diurnal?.utcOffsetHours).toEqual({ na: -5, eu: 0 });
  });

  it('switch every activity off', () => {
    expect(s.workload).toEqual({
      buddiesPerHost: 20,
      calls: { ratePerHostHour: 0, peerChoice: 'buddies', durationMs: { kind: 'lognormal', mean: 180_000, sd: 240_000 } },
      chat: { ratePerHostHour: 0, peerChoice: 'buddies', messageBytes: 80 },
      searches: { ratePerHostHour: 0, peerChoice: 'random', missingRatio: 0 },
      pstnCalls: { ratePerHostHour: 0, durationMs: { kind: 'lognormal', mean: 180_000, sd: 240_000 }, inboundRatio: 0 },
    });
  });

  it('take every protocol number from the profile', () => {
    expect(s.protocol).toEqual(SKYPE_2004);
    expect(s.protocol).toMatchObject({ hostCacheMax: 200, bootstrapPort: 33033, probeTimeoutMs: 5000, fallbackTcpPorts: [80, 443], loginRoundDelayMs: 6000, loginRounds: 5, keepAliveIntervalMs: 60_000 });
    expect(s.protocol).toMatchObject({ searchRetentionMs: 72 * 3_600_000, voiceFrameMs: 20, voiceBitsPerSec: 24_000, holdPacketIntervalMs: 3000, holePunching: false });
  });

  it('follow the later profile when asked', () => {
    const t = load(`${MINIMAL}profile: skype-2006\n`);
    expect([t.protocol.profile, t.protocol.holePunching, t.protocol.honourOptOut]).toEqual(['skype-2006', true, true]);
  });

  it('sample the trace, every 10 s, without pcap, and no events', () => {
    expect([s.output, s.events]).toEqual([{ trace: 'sampled', traceSampleOneInN: 100, sampleIntervalMs: 10_000, pcap: false }, []]);
  });

  it('expand NAT presets and custom types to RFC 4787 behaviour', () => {
    const t = load('duration: 1h\nnetwork: { natTypes: { cgn: { preset: symmetric, mappingTimeout: 30s, hairpinning: true } } }\nhosts: [{ count: 1, nat: { restricted-cone: 50%, cgn: 50% } }]\n');
    expect(t.hosts[0].nat).toEqual([
      { value: { kind: 'nat', name: 'restricted-cone', ...natPresets['restricted-cone'] }, ratio: 0.5 },
      { value: { kind: 'nat', name: 'cgn', ...natPresets.symmetric, mappingTimeoutMs: 30_000, hairpinning: true }, ratio: 0.5 },
    ]);
  });

  it('normalise units: durations to ms, bandwidths to bits/s, ratios to [0, 1]', () => {
    const t = load(
      'duration: 1h\nnetwork: { bandwidthClasses: { fibre: { uplink: 10Mbit, downlink: 3kB/s, accessDelay: 1.5ms, loss: { kind: bernoulli, lossRatio: 5% } } } }\n' +
        'hosts: [{ count: 1, link: fibre, supernodeOptOut: 12.5% }]\nprotocol: { snMinUplink: 128kbit, overload: 0.8 }\n',
    );
    expect(t.hosts[0].link[0].value).toEqual({ name: 'fibre', uplinkBitsPerSec: 10_000_000, downlinkBitsPerSec: 24_000, accessDelayMs: 1.5, queueLimitBytes: null, loss: { kind: 'bernoulli', lossRatio: 0.05 } });
    expect([t.hosts[0].supernodeOptOutRatio, t.protocol.snMinUplinkBitsPerSec, t.protocol.overloadRatio]).toEqual([0.125, 128_000, 0.8]);
  });
});
