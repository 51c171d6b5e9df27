/**
 * The two-sample Mann-Whitney U test (Wilcoxon rank-sum test), two-sided, as R's
 * `wilcox.test(x, y)` computes it: the exact null distribution when both samples have fewer
 * than 50 values and no value is tied, else the normal approximation with the tie correction
 * of the variance and a continuity correction of 1/2.
 */
import { normalCdf } from './normal.js';
import { EXACT_LIMIT, rankSumLowerTail } from './rank-sum-distribution.js';
import { rankSumSigma, rankWithTies, tieCorrection } from './ranks.js';

export type TestMethod = 'exact' | 'normal';

export interface RankSumTest {
  /** R's W: the pairs (x[i], y[j]) with x[i] > y[j], a tie counting one half. */
  u: number;
  /** Two-sided p-value of "x and y differ by a location shift". */
  pValue: number;
  method: TestMethod;
}

/** Runs the test; both samples must hold at least one value and no NaN. */
export function rankSumTest(x: readonly number[], y: readonly number[]): RankSumTest {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) {
    throw new RangeError(`rankSumTest: each sample needs a value; got ${m} and ${n}`);
  }
  const { ranks, tieSizes } = rankWithTies([...x, ...y]);
  let rankSum = 0;
  for (let i = 0; i < m; i += 1) rankSum += ranks[i] as number;
  const u = rankSum - (m * (m + 1)) / 2;
  const tied = tieSizes.length < m + n;
  if (!tied && m < EXACT_LIMIT && n < EXACT_LIMIT) {
    // The distribution is symmetric about mn/2: the tail on the side of u, doubled.
    const tail = u > (m * n) / 2 ? rankSumLowerTail(m * n - u, m, n) : rankSumLowerTail(u, m, n);
    return { u, pValue: Math.min(2 * tail, 1), method: 'exact' };
  }
  const sigma = rankSumSigma(m, n, tieCorrection(tieSizes));
  // Every value tied (sigma 0): no evidence of a shift at all. R answers NaN here.
  if (sigma === 0) return { u, pValue: 1, method: 'normal' };
  const centred = u - (m * n) / 2;
  const z = (centred - Math.sign(centred) * 0.5) / sigma;
  return { u, pValue: Math.min(2 * normalCdf(-Math.abs(z)), 1), method: 'normal' };
}
