import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  kthDifference,
  medianDifference,
  sorted,
} from '../../../src/judge/pairwise-differences.js';

function allDifferences(x: number[], y: number[]): number[] {
  return x.flatMap((a) => y.map((b) => a - b)).sort((a, b) => a - b);
}

describe('order statistics of the pairwise differences', () => {
  const sample = fc.array(
    fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
    { minLength: 1, maxLength: 25 },
  );

  it('equal the sorted list of all differences, ties and all', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const all = allDifferences(x, y);
        const xs = sorted(x);
        const ys = sorted(y);
        for (const k of new Set([1, Math.ceil(all.length / 3), all.length])) {
          expect(kthDifference(xs, ys, k)).toBe(all[k - 1]);
        }
      }),
      { numRuns: 300, seed: 16 },
    );
  });

  it('give the median of the differences', () => {
    expect(medianDifference(sorted([1, 2, 3]), sorted([0]))).toBe(2);
    expect(medianDifference(sorted([1, 2, 3, 4]), sorted([0]))).toBe(2.5);
  });

  it('refuse a rank outside 1..mn', () => {
    expect(() => kthDifference(sorted([1]), sorted([2]), 2)).toThrow(RangeError);
  });

  it('handle 10,000 values per side without building the 10^8 differences', () => {
    const x = sorted(Array.from({ length: 10_000 }, (_, i) => i));
    const y = sorted(Array.from({ length: 10_000 }, (_, i) => i + 0.5));
    // Differences i - j - 0.5: the 50,005,000 with i <= j are -0.5 or less, more than half of
    // the 10^8, and none lies between -0.5 and 0.5, so both middle differences are -0.5.
    expect(medianDifference(x, y)).toBe(-0.5);
  });
});
