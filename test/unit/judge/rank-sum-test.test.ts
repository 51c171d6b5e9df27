/**
 * The rank-sum test against published outputs of R's wilcox.test and scipy's mannwhitneyu.
 * Each case quotes its source; R prints p-values to 4 significant digits, so they are compared
 * at that precision.
 */
import { describe, expect, it } from 'vitest';
import { rankSumTest } from '../../../src/judge/mann-whitney.js';
import { airqualityOzone } from './reference-data.js';

/** R's printed p-value (4 significant digits) matches. */
function expectPrinted(actual: number, printed: number): void {
  expect(Number(actual.toPrecision(4))).toBe(printed);
}

describe('rankSumTest: exact distribution (no ties, fewer than 50 values per side)', () => {
  it("matches R's help-page example (Hollander & Wolfe 1973, p. 69): W = 35, one-sided p = 0.1272", () => {
    // R's tests/Examples/stats-Ex.Rout.save, ?wilcox.test:
    //   wilcox.test(x, y, alternative = "g")  ->  W = 35, p-value = 0.1272 (exact)
    // The two-sided p-value R computes for the same W is twice that tail: 0.2544, which is
    // also the value R's tests/reg-tests-1a.R checks for wilcox.test(y, x), quoting Hollander
    // & Wolfe (1999), 2nd edition, p. 111.
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const result = rankSumTest(x, y);
    expect(result).toMatchObject({ u: 35, method: 'exact' });
    expectPrinted(result.pValue / 2, 0.1272);
    expectPrinted(result.pValue, 0.2544);
    const swapped = rankSumTest(y, x);
    expect(swapped.u).toBe(15);
    expectPrinted(swapped.pValue, 0.2544);
  });

  it("matches scipy's documented example (diagnosis ages): U = 17, p = 1/9", () => {
    // scipy.stats.mannwhitneyu docstring: mannwhitneyu(males, females, method="exact")
    //   -> U1 = 17.0, p = 0.1111111111111111
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    const result = rankSumTest(males, females);
    expect(result.u).toBe(17);
    expect(result.method).toBe('exact');
    expect(result.pValue).toBeCloseTo(0.1111111111111111, 15);
  });

  it('gives p = 1 for samples whose U is exactly mn/2', () => {
    // Interleaved samples: U = mn/2, the centre of the distribution; R caps 2·P at 1.
    const result = rankSumTest([1, 4, 5, 8], [2, 3, 6, 7]);
    expect(result.u).toBe(8);
    expect(result.pValue).toBe(1);
  });

  it('handles a one-value sample: U is uniform on 0..n, so p = 2·(1/(n+1))', () => {
    // With m = 1 every rank of the single value is equally likely: P(U <= 0) = 1/(n+1).
    const result = rankSumTest([0.5], [1, 2, 3, 4]);
    expect(result).toMatchObject({ u: 0, method: 'exact' });
    expect(result.pValue).toBeCloseTo(2 / 5, 15);
    expect(rankSumTest([2.5], [1, 2, 3, 4]).pValue).toBe(1);
  });
});

describe('rankSumTest: normal approximation (ties, or 50 values and more)', () => {
  it("matches R's help-page example on airquality (May vs August ozone): W = 127.5, p = 0.0001208", () => {
    // R's tests/Examples/stats-Ex.Rout.save, ?wilcox.test:
    //   wilcox.test(Ozone ~ Month, data = airquality, subset = Month %in% c(5, 8))
    //   -> "Wilcoxon rank sum test with continuity correction", W = 127.5, p-value = 0.0001208
    const result = rankSumTest(airqualityOzone.may, airqualityOzone.august);
    expect(result).toMatchObject({ u: 127.5, method: 'normal' });
    expectPrinted(result.pValue, 0.0001208);
    // scipy 1.17 agrees to full precision: mannwhitneyu(may, august).pvalue
    // == 0.00012080783076877434 (asymptotic, continuity-corrected, tie-corrected).
    expect(result.pValue).toBeCloseTo(0.00012080783076877434, 15);
  });

  it('matches the R outputs published on endmemo.com (ties): W = 51.5, p = 0.5966 and W = 0, p = 0.001364', () => {
    // https://endmemo.com/r/wilcoxon.php, R's wilcox.test with its "cannot compute exact
    // p-value with ties" warning, so with the continuity correction.
    const x = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4];
    const first = rankSumTest(x, [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5]);
    expect(first).toMatchObject({ u: 51.5, method: 'normal' });
    expectPrinted(first.pValue, 0.5966);
    const second = rankSumTest(x, [1233, 4356, 987, 39999, 1111, 200000]);
    expect(second).toMatchObject({ u: 0, method: 'normal' });
    expectPrinted(second.pValue, 0.001364);
  });

  it("matches R's manual 'An Introduction to R' (latent heat of ice): W = 89, p = 0.0075", () => {
    // R's tests/R-intro.Rout.save (printed with options(digits = 5), so 2 significant digits).
    const a = [
      79.98, 80.04, 80.02, 80.04, 80.03, 80.03, 80.04, 79.97, 80.05, 80.03, 80.02, 80, 80.02,
    ];
    const b = [80.02, 79.94, 79.98, 79.97, 79.97, 80.03, 79.95, 79.97];
    const result = rankSumTest(a, b);
    expect(result).toMatchObject({ u: 89, method: 'normal' });
    expect(Number(result.pValue.toPrecision(2))).toBe(0.0075);
  });

  it('uses the normal approximation from 50 values per side, without ties', () => {
    // x = 1..50 against y = 10.5..59.5: no ties, 50 values each, so R's exact = FALSE branch.
    // U counts pairs with x > y: for x = k that is the y values below k, max(0, k - 10).
    // U = sum_{k=11..50} (k - 10) = 820; mn/2 = 1250; sigma = sqrt(50·50·101/12) = 145.057;
    // z = (820 - 1250 + 0.5) / 145.057 = -2.96089; p = 2·pnorm(-2.96089) = 0.003067.
    const x = Array.from({ length: 50 }, (_, i) => i + 1);
    const y = Array.from({ length: 50 }, (_, i) => i + 10.5);
    const result = rankSumTest(x, y);
    expect(result).toMatchObject({ u: 820, method: 'normal' });
    expectPrinted(result.pValue, 0.003067);
  });

  it('gives p = 1 when every value is the same (R answers NaN)', () => {
    expect(rankSumTest([3, 3, 3], [3, 3])).toEqual({ u: 3, pValue: 1, method: 'normal' });
  });

  it('treats equal samples as no shift: U = mn/2 and p = 1', () => {
    const sample = [5, 1, 4, 4, 2];
    const result = rankSumTest(sample, [...sample]);
    expect(result.u).toBe(12.5);
    expect(result.pValue).toBe(1);
  });
});

describe('rankSumTest: empty samples', () => {
  it('refuses an empty sample, as R does ("not enough (non-missing) \'x\' observations")', () => {
    expect(() => rankSumTest([], [1, 2])).toThrow(RangeError);
    expect(() => rankSumTest([1], [])).toThrow(/each sample needs a value/);
  });
});
