/**
 * A literal transcription of the asymptotic confidence interval of R's wilcox.test.default
 * (two-sample, two-sided, correct = TRUE), for testing only: wdiff as R defines it, solved by
 * bisection to R's uniroot tolerance of 1e-4, with R's rule of returning mumin or mumax when
 * the function has no sign change. It ranks the shifted sample afresh at every step, as R does,
 * so it shares no code or shortcut with src/judge but the normal quantile, itself checked
 * against R's qnorm in normal.test.ts.
 */
import { normalQuantile } from '../../../src/judge/normal.js';

function averageRanks(values: number[]): number[] {
  return values.map((v) => {
    const below = values.filter((w) => w < v).length;
    const equal = values.filter((w) => w === v).length;
    return below + (equal + 1) / 2;
  });
}

function wdiff(d: number, zq: number, x: number[], y: number[]): number {
  const m = x.length;
  const n = y.length;
  const dr = averageRanks([...x.map((v) => v - d), ...y]);
  const counts = new Map<number, number>();
  for (const r of dr) counts.set(r, (counts.get(r) ?? 0) + 1);
  let ties = 0;
  for (const t of counts.values()) ties += t ** 3 - t;
  const dz = dr.slice(0, m).reduce((a, b) => a + b, 0) - (m * (m + 1)) / 2 - (m * n) / 2;
  const correction = Math.sign(dz) * 0.5;
  const sigma = Math.sqrt(((m * n) / 12) * (m + n + 1 - ties / ((m + n) * (m + n - 1))));
  if (sigma === 0)
    throw new Error('cannot compute confidence interval when all observations are tied');
  return (dz - correction) / sigma - zq;
}

function root(zq: number, x: number[], y: number[]): number {
  let low = Math.min(...x) - Math.max(...y);
  let high = Math.max(...x) - Math.min(...y);
  if (wdiff(low, zq, x, y) <= 0) return low;
  if (wdiff(high, zq, x, y) >= 0) return high;
  while (high - low > 1e-5) {
    const middle = (low + high) / 2;
    if (wdiff(middle, zq, x, y) > 0) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

export function rIntervalByUniroot(
  x: number[],
  y: number[],
  confidence: number,
): { interval: [number, number] } {
  const alpha = 1 - confidence;
  return {
    interval: [root(normalQuantile(1 - alpha / 2), x, y), root(normalQuantile(alpha / 2), x, y)],
  };
}
