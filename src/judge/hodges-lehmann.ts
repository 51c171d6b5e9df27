/**
 * The Hodges-Lehmann estimate of the shift between two samples (the median of the differences
 * x[i] - y[j]) and its confidence interval, as R's `wilcox.test(x, y, conf.int = TRUE)` has
 * them. The interval is the set of shifts the two-sided rank-sum test does not reject, whose
 * ends are order statistics of the differences: exact quantiles of U without ties and under
 * 50 values per side, else the normal approximation with the tie and continuity corrections.
 */
import type { TestMethod } from './mann-whitney.js';
import { normalCdf, normalQuantile } from './normal.js';
import { kthDifference, medianDifference, sorted } from './pairwise-differences.js';
import { rankSumLowerTail, rankSumQuantile } from './rank-sum-distribution.js';
import { rankSumSigma, tieCorrection } from './ranks.js';

export interface ShiftEstimate {
  /** Median of x[i] - y[j]: how far x lies above y. */
  shift: number;
  /** [lower, upper] of the shift at `intervalConfidence`. */
  interval: [number, number];
  /**
   * The confidence the interval reaches: with the exact distribution at least the one asked
   * for, with the normal approximation the one asked for. Below it when `bounded` is false.
   */
  intervalConfidence: number;
  /**
   * False when the samples are too small to bound the shift at the confidence asked for: the
   * interval is then every shift the data span, and it holds only at `intervalConfidence`.
   */
  bounded: boolean;
}

/** Sizes of the runs of equal values in an ascending array. */
function runLengths(values: Float64Array): number[] {
  const runs: number[] = [];
  let start = 0;
  for (let i = 1; i <= values.length; i += 1) {
    if (i === values.length || values[i] !== values[start]) {
      runs.push(i - start);
      start = i;
    }
  }
  return runs;
}

/**
 * The estimate and interval of x - y. `method` is the rank-sum test's: R computes the interval
 * the same way as the p-value.
 */
export function estimateShift(
  x: readonly number[],
  y: readonly number[],
  confidence: number,
  method: TestMethod,
): ShiftEstimate {
  if (x.length === 0 || y.length === 0) {
    throw new RangeError(
      `estimateShift: each sample needs a value; got ${x.length} and ${y.length}`,
    );
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`estimateShift: confidence must be in (0, 1); got ${confidence}`);
  }
  const xs = sorted(x);
  const ys = sorted(y);
  const m = xs.length;
  const n = ys.length;
  const pairs = m * n;
  const alpha = 1 - confidence;
  const shift = medianDifference(xs, ys);
  if (method === 'exact') {
    // R: qu = qwilcox(alpha/2, m, n), at least 1; the interval is [D(qu), D(mn - qu + 1)].
    const quantile = rankSumQuantile(alpha / 2, m, n);
    const qu = Math.max(quantile, 1);
    return {
      shift,
      interval: [kthDifference(xs, ys, qu), kthDifference(xs, ys, pairs - qu + 1)],
      intervalConfidence: 1 - 2 * rankSumLowerTail(qu - 1, m, n),
      bounded: quantile >= 1,
    };
  }
  // R finds each end as the root of (U(d) - mn/2 - correction) / sigma - z over the shift d,
  // where U(d) counts the differences above d: a step function that jumps at the differences.
  // Between two differences only the ties within each sample remain, so sigma is constant
  // there, and the root is the k-th difference for the k computed below (R's uniroot returns
  // a point within 1e-4 of it).
  const sigma = rankSumSigma(m, n, tieCorrection([...runLengths(xs), ...runLengths(ys)]));
  const z = normalQuantile(1 - alpha / 2);
  const lowerBound = pairs / 2 + 0.5 + z * sigma;
  const upperBound = pairs / 2 - 0.5 - z * sigma;
  const rank = (bound: number) => Math.min(Math.max(Math.ceil(pairs - bound), 1), pairs);
  const bounded = pairs > lowerBound;
  return {
    shift,
    interval: [kthDifference(xs, ys, rank(lowerBound)), kthDifference(xs, ys, rank(upperBound))],
    intervalConfidence: bounded ? confidence : 1 - 2 * normalCdf(-(pairs / 2 - 0.5) / sigma),
    bounded,
  };
}
