/**
 * The `output` section: what a run writes besides summary.json.
 *
 *   output:
 *     trace: sample            # off | sample | full (trace.ndjson)
 *     traceSampleOneInN: 100   # at level sample: about one host in this many is followed
 *     sampleInterval: 10s      # one metrics.csv row per interval
 *     pcap: false              # also write trace.pcapng
 *
 * `sim run --trace LEVEL` and `--pcap` override the first and last. The trace writer itself
 * is sim/trace (which calls the middle level `sampled`).
 */

import { z } from 'zod';
import { choice, duration, flag, integer } from '../fields.js';
import type { OutputSettings, TraceLevel } from '../types.js';

const TRACE_LEVELS: Readonly<Record<string, TraceLevel>> = { off: 'off', sample: 'sampled', full: 'full' };
const TRACE_LEVEL_WORDS = ['off', 'sample', 'full'] as const;

export const outputSection = z
  .strictObject({
    trace: choice(TRACE_LEVEL_WORDS).prefault('sample'),
    traceSampleOneInN: integer(1).prefault(100),
    sampleInterval: duration('positive').prefault('10s'),
    pcap: flag().prefault(false),
  })
  .prefault({})
  .transform(
    (o): OutputSettings => ({ trace: TRACE_LEVELS[o.trace], traceSampleOneInN: o.traceSampleOneInN, sampleIntervalMs: o.sampleInterval, pcap: o.pcap }),
  );
