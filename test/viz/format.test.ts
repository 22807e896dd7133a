// How the views write a node event's detail: one line, fractions cut to three decimals,
// integers as they are.
import { describe, expect, it } from 'vitest';
import { detailText } from '../../viz/src/data/format.js';

describe('detailText', () => {
  it('cuts fractions to three decimals and leaves integers, strings and lists as they are', () => {
    expect(detailText({ superNode: '1.0.0.8:33033', ms: 3666.7106740002055, port: 33033, big: 123456789, ok: true, list: [1, 2] })).toBe(
      'superNode=1.0.0.8:33033, ms=3666.711, port=33033, big=123456789, ok=true, list=[1,2]',
    );
    expect(detailText({ a: 0.0001, b: -2.5, c: NaN, d: null })).toBe('a=0, b=-2.5, c=NaN, d=');
  });
});
