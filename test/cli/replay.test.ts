// The replay command is a line a shell runs as the same arguments.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replayCommand, shellQuote } from '../../sim/cli/replay.js';

/** The words /bin/sh makes of `line`, NUL-separated by printf. */
function shellWords(line: string): string[] {
  return execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' }).split('\0').slice(0, -1);
}

describe('replay command', () => {
  it('repeats the seed, the replication and every option', () => {
    expect(replayCommand({ file: 'scenarios/churn.yaml', seed: 7, run: 2, set: ['hosts[0].count=5', "name=it's"], trace: 'full', pcap: false, out: '/tmp/x y', maxEvents: 5e6 })).toBe(
      "sim run scenarios/churn.yaml --seed 7 --run 2 --out '/tmp/x y' --set 'hosts[0].count=5' --set 'name=it'\\''s' --trace full --no-pcap --max-events 5000000",
    );
  });

  it('quotes any words so that a shell reads them back unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1 }).filter((w) => !w.includes('\0')), { minLength: 1, maxLength: 5 }), (words) => {
        expect(shellWords(words.map(shellQuote).join(' '))).toEqual(words);
      }),
      { numRuns: 50 },
    );
  });
});
