/** Properties the test and the estimate must have whatever the data. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateShift } from '../../../src/judge/hodges-lehmann.js';
import { rankSumTest } from '../../../src/judge/mann-whitney.js';

const sample = fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 30 });
const runs = { numRuns: 200, seed: 16 };

function judge(x: number[], y: number[], confidence = 0.95) {
  const test = rankSumTest(x, y);
  return { test, estimate: estimateShift(x, y, confidence, test.method) };
}

describe('rank-sum test and shift estimate', () => {
  it('are antisymmetric: swapping the samples negates the shift and mirrors U', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const forward = judge(x, y);
        const backward = judge(y, x);
        expect(backward.test.u).toBe(x.length * y.length - forward.test.u);
        expect(backward.test.pValue).toBeCloseTo(forward.test.pValue, 12);
        // + 0 turns -0 into 0: the sign of zero is not a property of the data.
        expect(backward.estimate.shift + 0).toBe(-forward.estimate.shift + 0);
        expect(backward.estimate.interval.map((v) => v + 0)).toEqual([
          -forward.estimate.interval[1] + 0,
          -forward.estimate.interval[0] + 0,
        ]);
      }),
      runs,
    );
  });

  it('move with the data: a constant added to the canary moves the shift and interval by it', () => {
    fc.assert(
      fc.property(sample, sample, fc.integer({ min: -100, max: 100 }), (x, y, c) => {
        const before = judge(x, y);
        const after = judge(
          x.map((v) => v + c),
          y,
        );
        expect(after.estimate.shift).toBe(before.estimate.shift + c);
        // The exact/normal choice can change when the shift creates or removes ties.
        if (after.test.method === before.test.method) {
          expect(after.estimate.interval).toEqual(before.estimate.interval.map((v) => v + c));
        }
        const both = judge(
          x.map((v) => v + c),
          y.map((v) => v + c),
        );
        expect(both.test).toEqual(before.test);
        expect(both.estimate).toEqual(before.estimate);
      }),
      runs,
    );
  });

  it('keep the estimate inside the interval, and nest intervals by confidence', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const narrow = judge(x, y, 0.8).estimate;
        const wide = judge(x, y, 0.98).estimate;
        expect(narrow.interval[0]).toBeLessThanOrEqual(narrow.shift);
        expect(narrow.interval[1]).toBeGreaterThanOrEqual(narrow.shift);
        expect(wide.interval[0]).toBeLessThanOrEqual(narrow.interval[0]);
        expect(wide.interval[1]).toBeGreaterThanOrEqual(narrow.interval[1]);
      }),
      runs,
    );
  });

  it('give p-values in [0, 1] that agree with the interval: 0 outside it means p below 1 - confidence', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        const { test, estimate } = judge(x, y, 0.95);
        expect(test.pValue).toBeGreaterThanOrEqual(0);
        expect(test.pValue).toBeLessThanOrEqual(1);
        if (estimate.bounded && (estimate.interval[0] > 0 || estimate.interval[1] < 0)) {
          expect(test.pValue).toBeLessThan(0.05 + 1e-9);
        }
      }),
      runs,
    );
  });
});
