/**
 * The exact null distribution of the Mann-Whitney U statistic for samples of m and n values
 * without ties: R's dwilcox/pwilcox/qwilcox. The counts are the coefficients of the Gaussian
 * binomial [m+n choose m]_q, computed exactly with BigInt; R uses the same distribution for
 * its exact test when both samples have fewer than 50 values.
 */

/** Above this many values per side R (and this module) use the normal approximation. */
export const EXACT_LIMIT = 50;

interface Distribution {
  /** cumulative[u] = number of arrangements with U <= u. */
  cumulative: bigint[];
  total: bigint;
}

/** A few recent distributions: a judge compares the same sample sizes again and again. */
const CACHE_SIZE = 32;
const cache = new Map<string, Distribution>();

function distribution(m: number, n: number): Distribution {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  const key = `${small}x${large}`;
  const cached = cache.get(key);
  if (cached) return cached;
  // prod_{i=1..small} (1 - q^(large+i)) / (1 - q^i), one factor at a time; after step i the
  // coefficients are those of [large+i choose i]_q, so every division is exact.
  let counts: bigint[] = [1n];
  for (let i = 1; i <= small; i += 1) {
    const shift = large + i;
    const multiplied: bigint[] = new Array(counts.length + shift).fill(0n);
    for (let k = 0; k < counts.length; k += 1) {
      multiplied[k] = (multiplied[k] as bigint) + (counts[k] as bigint);
      multiplied[k + shift] = (multiplied[k + shift] as bigint) - (counts[k] as bigint);
    }
    const divided: bigint[] = new Array(counts.length + large).fill(0n);
    for (let k = 0; k < divided.length; k += 1) {
      divided[k] = (multiplied[k] as bigint) + (k >= i ? (divided[k - i] as bigint) : 0n);
    }
    counts = divided;
  }
  const cumulative: bigint[] = [];
  let sum = 0n;
  for (const count of counts) {
    sum += count;
    cumulative.push(sum);
  }
  const result = { cumulative, total: sum };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, result);
  return result;
}

function ratio(count: bigint, total: bigint): number {
  return Number(count) / Number(total);
}

/** P(U <= u) for samples of m and n values without ties (R's `pwilcox(u, m, n)`). */
export function rankSumLowerTail(u: number, m: number, n: number): number {
  const q = Math.floor(u + 1e-7);
  if (q < 0) return 0;
  if (q >= m * n) return 1;
  const { cumulative, total } = distribution(m, n);
  return ratio(cumulative[q] as bigint, total);
}

/**
 * The smallest u with P(U <= u) >= p, for p <= 0.5 (R's `qwilcox(p, m, n)`, with R's
 * allowance of 10 machine epsilons for p that is a sum of the probabilities itself).
 */
export function rankSumQuantile(p: number, m: number, n: number): number {
  if (!(p > 0 && p <= 0.5))
    throw new RangeError(`rankSumQuantile: p must be in (0, 0.5]; got ${p}`);
  const { cumulative, total } = distribution(m, n);
  const target = p - 10 * Number.EPSILON;
  let u = 0;
  while (ratio(cumulative[u] as bigint, total) < target) u += 1;
  return u;
}
