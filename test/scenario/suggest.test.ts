// "Did you mean": offered for near misses, never for unrelated words.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../sim/scenario/suggest.js';

describe('did you mean', () => {
  const keys = ['name', 'count', 'region', 'nat', 'firewall', 'link', 'machine', 'supernodeOptOut'];

  it.each([
    ['cout', 'count'],
    ['regoin', 'region'],
    ['Firewall', 'firewall'],
    ['machines', 'machine'],
    ['supernodeOptout', 'supernodeOptOut'],
    ['nta', 'nat'],
  ])('%s -> %s', (typed, expected) => {
    expect(closest(typed, keys)).toBe(expected);
  });

  it.each([['colour'], ['x'], ['bandwidth'], ['zzzz']])('nothing for %s', (typed) => {
    expect(didYouMean(typed, keys)).toBe('');
  });

  it('takes a word that starts the same when no spelling is near', () => {
    expect(closest('crypto', ['probeTimeoutMs', 'cryptoMode'])).toBe('cryptoMode');
    expect(closest('cry', ['cryptoMode'])).toBeUndefined();
  });

  it('breaks ties by the order of the list', () => {
    expect(closest('cat', ['bat', 'cap'])).toBe('bat');
    expect(closest('cat', ['cap', 'bat'])).toBe('cap');
  });

  it('words the hint', () => {
    expect(didYouMean('cout', keys)).toBe(' (did you mean "count"?)');
  });

  it.each([
    ['kitten', 'sitting', 3],
    ['nat', 'nta', 1],
    ['ca', 'abc', 3],
    ['', 'abc', 3],
  ])('counts %s -> %s as %d edits', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it('counts one edit for one typo of any kind, and is symmetric', () => {
    const word = fc.string({ minLength: 2, maxLength: 8 });
    fc.assert(
      fc.property(word, fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (a, at, letter) => {
        const i = at % (a.length - 1);
        const swapped = a.slice(0, i) + a[i + 1] + a[i] + a.slice(i + 2);
        const typos = [a.slice(0, i) + a.slice(i + 1), a.slice(0, i) + letter + a.slice(i), a.slice(0, i) + letter + a.slice(i + 1), swapped];
        for (const typo of typos) {
          expect(editDistance(a, typo)).toBeLessThanOrEqual(1);
          expect(editDistance(typo, a)).toBe(editDistance(a, typo));
        }
        expect(editDistance(a, a)).toBe(0);
      }),
    );
  });
});
