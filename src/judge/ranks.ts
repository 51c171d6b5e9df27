/** Ranks of a sample with ties, as the rank tests need them. */
export interface Ranking {
  /** 1-based ranks in the order of the input; tied values share the average of their ranks. */
  ranks: Float64Array;
  /** The size of each group of tied values, groups of one included. */
  tieSizes: number[];
}

/** Ranks `values` (no NaN) the way R's `rank(ties.method = "average")` does. */
export function rankWithTies(values: ArrayLike<number>): Ranking {
  const order = Array.from({ length: values.length }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  const ranks = new Float64Array(values.length);
  const tieSizes: number[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    const value = values[order[start] as number];
    while (end < order.length && values[order[end] as number] === value) end += 1;
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k += 1) ranks[order[k] as number] = averageRank;
    tieSizes.push(end - start);
    start = end;
  }
  return { ranks, tieSizes };
}

/** Σ(t³ - t) over the tie groups: the tie correction of the rank-sum variance. */
export function tieCorrection(tieSizes: readonly number[]): number {
  return tieSizes.reduce((sum, t) => sum + (t * t * t - t), 0);
}

/**
 * The standard deviation of the Mann-Whitney U statistic under the null hypothesis, for sample
 * sizes m and n with the given tie correction: sqrt(mn/12 · (N + 1 - Σ(t³-t) / (N(N-1)))).
 */
export function rankSumSigma(m: number, n: number, ties: number): number {
  const total = m + n;
  const tieTerm = total > 1 ? ties / (total * (total - 1)) : 0;
  return Math.sqrt(((m * n) / 12) * (total + 1 - tieTerm));
}
