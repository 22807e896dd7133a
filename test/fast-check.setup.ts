/**
 * fast-check's settings for the whole suite, from the environment, so that neither a soak nor a
 * replay needs an edit to a test:
 *
 *   FC_NUM_RUNS=N  every property that does not fix its own numRuns runs N times;
 *   FC_SEED=S      every property runs from seed S: the seed a failure reported ("{ seed: S,
 *                  path: ... }") gives the same failure again, shrunk again. Pick the test with
 *                  vitest's -t. A property that fixes its own seed keeps it.
 */
import fc from 'fast-check';

const settings: fc.GlobalParameters = {};
const numRuns = process.env.FC_NUM_RUNS;
const seed = process.env.FC_SEED;
if (numRuns !== undefined) settings.numRuns = integerFrom('FC_NUM_RUNS', numRuns, 1);
if (seed !== undefined) settings.seed = integerFrom('FC_SEED', seed, -(2 ** 31));
fc.configureGlobal(settings);

function integerFrom(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${name} must be an integer >= ${min}, got "${text}"`);
  return n;
}
