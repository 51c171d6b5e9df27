import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../../../src/kube/quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['900m', 0.9],
    ['100m', 0.1],
    ['1', 1],
    ['90', 90],
    ['0.5', 0.5],
    ['1k', 1000],
    ['1.5k', 1500],
    ['1e2', 100],
    ['2e3', 2000],
    ['1Ki', 1024],
    [70, 70],
    [7, 7],
  ])('reads %s as %s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value as number, 9);
  });

  it.each(['', 'ten', '5x', '1e2m', null, undefined, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %s',
    (text) => {
      expect(parseQuantity(text)).toBeNull();
    },
  );
});
