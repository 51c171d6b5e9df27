/**
 * The Hodges-Lehmann shift and its interval against published values, and the normal-
 * approximation interval against a literal transcription of R's own algorithm (wdiff solved
 * by bisection, as R's uniroot does with tol = 1e-4).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateShift } from '../../../src/judge/hodges-lehmann.js';
import { rankSumTest } from '../../../src/judge/mann-whitney.js';
import { rIntervalByUniroot } from './r-wilcox-reference.js';
import { airqualityOzone } from './reference-data.js';

const round = (value: number, digits: number) => Number(value.toFixed(digits));

describe('estimateShift: exact interval', () => {
  it('matches Hollander & Wolfe (1999), pp. 111 and 126, as checked by R: estimate -0.305, 95% interval (-0.76, 0.15)', () => {
    // R's tests/reg-tests-1a.R (PR 1150):
    //   we <- wilcox.test(y, x, conf.int = TRUE)
    //   round(we$conf.int, 3) == c(-0.76, 0.15); round(we$estimate, 3) == -0.305
    // SAS PROC NPAR1WAY reports the same location shift, -0.3050 (its output for these data
    // is archived in the CRAN package DescrTab2).
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const result = estimateShift(y, x, 0.95, 'exact');
    expect(round(result.shift, 3)).toBe(-0.305);
    expect(result.interval.map((v) => round(v, 3))).toEqual([-0.76, 0.15]);
    expect(result.bounded).toBe(true);
    expect(result.intervalConfidence).toBeGreaterThanOrEqual(0.95);
  });

  it('reports the confidence it reaches when the samples are too small (R: "Requested conf.level not achievable")', () => {
    // 3 against 3 values: 20 equally likely arrangements, so the widest interval, from the
    // smallest to the largest difference, excludes only U = 0 and U = 9: 1 - 2/20 = 90%.
    const result = estimateShift([10, 11, 12], [1, 2, 3], 0.98, 'exact');
    expect(result.interval).toEqual([7, 11]);
    expect(result.shift).toBe(9);
    expect(result.bounded).toBe(false);
    expect(result.intervalConfidence).toBeCloseTo(0.9, 12);
  });

  it('gives a one-value sample against a one-value sample its difference as the shift', () => {
    const result = estimateShift([5], [3], 0.95, 'exact');
    expect(result.shift).toBe(2);
    expect(result.interval).toEqual([2, 2]);
    expect(result.bounded).toBe(false);
  });

  it('gives equal samples a shift of 0 inside the interval', () => {
    const sample = [3.1, 4.7, 2.2, 9.5, 6.1, 5.3, 7.7];
    const result = estimateShift(sample, [...sample], 0.95, 'exact');
    expect(result.shift).toBe(0);
    expect(result.interval[0]).toBeLessThan(0);
    expect(result.interval[1]).toBeGreaterThan(0);
  });

  it('refuses an empty sample and a confidence outside (0, 1)', () => {
    expect(() => estimateShift([], [1], 0.95, 'exact')).toThrow(RangeError);
    expect(() => estimateShift([1], [2], 1, 'normal')).toThrow(/confidence/);
  });
});

describe('estimateShift: normal approximation', () => {
  it("agrees with R's algorithm on airquality (May vs August), ties and all", () => {
    const method = rankSumTest(airqualityOzone.may, airqualityOzone.august).method;
    expect(method).toBe('normal');
    const result = estimateShift(airqualityOzone.may, airqualityOzone.august, 0.95, method);
    const reference = rIntervalByUniroot(airqualityOzone.may, airqualityOzone.august, 0.95);
    expect(result.interval[0]).toBeCloseTo(reference.interval[0], 3);
    expect(result.interval[1]).toBeCloseTo(reference.interval[1], 3);
    // The median of the 676 differences, as numpy computes it:
    // np.median(np.subtract.outer(may, august)) == -32.0
    expect(result.shift).toBe(-32);
    expect(result.bounded).toBe(true);
  });

  it("returns the range of the differences when R's roots fall outside it (R's reg-tests-1b: wilcox.test(1, 2:60, conf.int = TRUE, exact = FALSE))", () => {
    // R returns mumin and mumax when wdiff has no sign change: the interval is every
    // difference, 1 - 60 to 1 - 2, and it cannot reach 95% with one value on a side.
    const y = Array.from({ length: 59 }, (_, i) => i + 2);
    const result = estimateShift([1], y, 0.95, 'normal');
    expect(result.interval).toEqual([-59, -1]);
    expect(result.shift).toBe(-30);
    expect(result.bounded).toBe(false);
    expect(result.intervalConfidence).toBeLessThan(0.95);
    expect(rIntervalByUniroot([1], y, 0.95).interval).toEqual([-59, -1]);
  });

  it("matches R's root-finding on any tied sample, to R's tolerance", () => {
    const sample = fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 2, maxLength: 40 });
    fc.assert(
      fc.property(sample, sample, fc.constantFrom(0.8, 0.9, 0.95, 0.98), (x, y, confidence) => {
        const reference = rIntervalByUniroot(x, y, confidence);
        const result = estimateShift(x, y, confidence, 'normal');
        expect(Math.abs(result.interval[0] - reference.interval[0])).toBeLessThan(2e-4);
        expect(Math.abs(result.interval[1] - reference.interval[1])).toBeLessThan(2e-4);
      }),
      { numRuns: 300, seed: 16 },
    );
  });
});
