import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankSumLowerTail, rankSumQuantile } from '../../../src/judge/rank-sum-distribution.js';

describe('the exact distribution of U', () => {
  // Published critical values of U, two-tailed alpha = 0.05 (for example Zar, Biostatistical
  // Analysis, table "Critical values of the Mann-Whitney U distribution"): the largest u with
  // P(U <= u) <= 0.025. R's qwilcox(0.025, m, n) is that value plus one.
  it.each([
    [5, 5, 2],
    [8, 10, 17],
    [10, 10, 23],
    [20, 20, 127],
  ])('has the published critical value for m = %i, n = %i: U = %i', (m, n, critical) => {
    expect(rankSumLowerTail(critical, m, n)).toBeLessThanOrEqual(0.025);
    expect(rankSumLowerTail(critical + 1, m, n)).toBeGreaterThan(0.025);
    expect(rankSumQuantile(0.025, m, n)).toBe(critical + 1);
  });

  it('has the probability of the single most extreme arrangement, 1 / C(m+n, m)', () => {
    expect(rankSumLowerTail(0, 4, 6)).toBeCloseTo(1 / 210, 15);
    // 1 / C(98, 49) = 3.925014596481662e-29: the exact count, not a rounded sum.
    expect(rankSumLowerTail(0, 49, 49) / 3.925014596481662e-29).toBeCloseTo(1, 12);
  });

  it('is symmetric about mn/2 and whole', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), (m, n) => {
        expect(rankSumLowerTail(m * n, m, n)).toBe(1);
        expect(rankSumLowerTail(-1, m, n)).toBe(0);
        for (const u of [0, 1, Math.floor((m * n) / 3)]) {
          const lower = rankSumLowerTail(u, m, n);
          const upper = 1 - rankSumLowerTail(m * n - u - 1, m, n);
          expect(lower).toBeCloseTo(upper, 12);
          expect(rankSumLowerTail(u, n, m)).toBe(lower);
        }
      }),
      { numRuns: 60, seed: 16 },
    );
    // m·n odd: exactly half the arrangements lie below the centre.
    expect(rankSumLowerTail(1200, 49, 49)).toBe(0.5);
  });

  it('refuses a quantile outside (0, 0.5]', () => {
    expect(() => rankSumQuantile(0.6, 3, 3)).toThrow(RangeError);
  });
});
