/**
 * The `output` section: what a run writes besides summary.json.
 *
 *   output:
 *     trace: sample          # off | sample | full (trace.ndjson)
 *     traceSample: 1%        # at level sample: share of hosts whose events are recorded
 *     sampleInterval: 10s    # one metrics.csv row per interval
 *     pcap: false            # also write trace.pcapng
 *
 * `sim run --trace LEVEL` and `--pcap` override the first and last.
 */

import { z } from 'zod';
import { choice, duration, flag, ratio } from '../fields.js';
import type { OutputSettings, TraceLevel } from '../types.js';

export const TRACE_LEVELS = ['off', 'sample', 'full'] as const satisfies readonly TraceLevel[];

export const outputSection = z
  .strictObject({
    trace: choice(TRACE_LEVELS).prefault('sample'),
    traceSample: ratio().prefault(0.01),
    sampleInterval: duration('positive').prefault('10s'),
    pcap: flag().prefault(false),
  })
  .prefault({})
  .transform(
    (o): OutputSettings => ({ trace: o.trace, traceSampleRatio: o.traceSample, sampleIntervalMs: o.sampleInterval, pcap: o.pcap }),
  );
