/** Plain summaries of a sample, as Kayenta reports them beside a classification. */

/** The p-quantile (0..1) of an ascending sample, by R's default rule (type 7). */
export function quantileSorted(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const h = (values.length - 1) * p;
  const below = Math.floor(h);
  const lower = values[below] as number;
  const upper = values[Math.min(below + 1, values.length - 1)] as number;
  return lower + (h - below) * (upper - lower);
}

export function median(values: readonly number[]): number {
  return quantileSorted(Float64Array.from(values).sort(), 0.5);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
