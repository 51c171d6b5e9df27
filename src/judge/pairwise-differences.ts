/**
 * Order statistics of the m·n differences x[i] - y[j] without building them: the Hodges-Lehmann
 * estimate and its interval are such order statistics, and a judge may compare thousands of
 * samples per side (10,000² differences would not fit in memory). Both samples sorted ascending.
 */

/** How many differences x[i] - y[j] are <= d, in O(m + n). */
function countAtMost(x: Float64Array, y: Float64Array, d: number): number {
  // For each x[i] the differences <= d are those with the largest y values, a suffix of y that
  // only shrinks as x[i] grows: one pointer walks y once. Differences are compared as computed,
  // so the count agrees with sorting the computed differences.
  let j = 0;
  let count = 0;
  for (const xi of x) {
    while (j < y.length && xi - (y[j] as number) > d) j += 1;
    count += y.length - j;
  }
  return count;
}

/** The smallest difference x[i] - y[j] greater than d (the data must have one). */
function smallestAbove(x: Float64Array, y: Float64Array, d: number): number {
  let best = Number.POSITIVE_INFINITY;
  let j = 0;
  for (const xi of x) {
    while (j < y.length && xi - (y[j] as number) > d) j += 1;
    // y[j - 1] is the largest y whose difference with xi is still above d.
    if (j > 0) best = Math.min(best, xi - (y[j - 1] as number));
  }
  return best;
}

/** The k-th smallest (1-based) of the differences x[i] - y[j]. */
export function kthDifference(x: Float64Array, y: Float64Array, k: number): number {
  const total = x.length * y.length;
  if (!(Number.isInteger(k) && k >= 1 && k <= total)) {
    throw new RangeError(`kthDifference: k must be an integer in [1, ${total}]; got ${k}`);
  }
  let low = (x[0] as number) - (y[y.length - 1] as number);
  if (countAtMost(x, y, low) >= k) return low;
  let high = (x[x.length - 1] as number) - (y[0] as number);
  // Invariant: count(low) < k <= count(high). Halve until no double lies between them; the
  // answer is then the smallest difference above low. Bounded by the ~2,100 halvings that
  // separate the extreme doubles, about 60 in practice.
  for (;;) {
    const middle = low / 2 + high / 2;
    if (middle <= low || middle >= high) break;
    if (countAtMost(x, y, middle) >= k) high = middle;
    else low = middle;
  }
  return smallestAbove(x, y, low);
}

/** The median of the differences x[i] - y[j]: the Hodges-Lehmann estimate of the shift. */
export function medianDifference(x: Float64Array, y: Float64Array): number {
  const total = x.length * y.length;
  if (total % 2 === 1) return kthDifference(x, y, (total + 1) / 2);
  return (kthDifference(x, y, total / 2) + kthDifference(x, y, total / 2 + 1)) / 2;
}

/** A sorted copy, for the functions above. */
export function sorted(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}
