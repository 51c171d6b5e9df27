/**
 * The standard normal distribution's CDF and quantile in double precision, for the rank-sum
 * test's normal approximation and the Hodges-Lehmann interval. Near the centre the CDF is
 * Marsaglia's series (2004), in the tails Laplace's continued fraction (evaluated by Lentz's
 * method), so that small tail probabilities keep their relative precision; the quantile is
 * Acklam's rational approximation (relative error 1.15e-9) polished by one Halley step on
 * that CDF. Checked against R's pnorm and qnorm in test/unit/judge/normal.test.ts.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI);

function density(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** Where the series gives way to the continued fraction. */
const TAIL = 3;

/** Φ(x) - 1/2 = φ(x) (x + x³/3 + x⁵/(3·5) + ...), for |x| <= TAIL. */
function centralSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let k = 3; Math.abs(term) > Math.abs(sum) * 1e-17; k += 2) {
    term *= x2 / k;
    sum += term;
  }
  return 0.5 + density(x) * sum;
}

/** Q(z) = φ(z) / (z + 1/(z + 2/(z + 3/(z + ...)))), the upper tail for z > TAIL. */
function upperTail(z: number): number {
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    d = z + k * d;
    d = d === 0 ? tiny : 1 / d;
    c = z + k / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return density(z) / f;
}

/** P(Z <= x) for a standard normal Z. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x < -TAIL) return upperTail(-x);
  if (x > TAIL) return 1 - upperTail(x);
  return centralSeries(x);
}

const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
];
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function polynomial(coefficients: readonly number[], x: number): number {
  return coefficients.reduce((sum, c) => sum * x + c, 0);
}

function acklam(p: number): number {
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return polynomial(C, q) / (polynomial(D, q) * q + 1);
  }
  if (p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -polynomial(C, q) / (polynomial(D, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(A, r) * q) / (polynomial(B, r) * r + 1);
}

/** The x with P(Z <= x) = p; -Infinity at 0, Infinity at 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  // 1 - p is exact above 1/2, where the lower tail keeps the precision p itself has lost.
  if (p > 0.5) return -normalQuantile(1 - p);
  const x = acklam(p);
  // One Halley step: e / φ(x) is the Newton step, the factor corrects for curvature.
  const e = normalCdf(x) - p;
  const u = e * SQRT_2PI * Math.exp(0.5 * x * x);
  return x - u / (1 + (x * u) / 2);
}
