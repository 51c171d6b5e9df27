import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from '../../../src/judge/normal.js';

/** Relative difference, the measure of precision that holds in the far tails too. */
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

// R 4.x: sprintf("%.16g", pnorm(x)) and sprintf("%.16g", qnorm(p)).
describe('normalCdf', () => {
  it.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [-1, 0.1586552539314571],
    [-1.959963984540054, 0.025],
    [2.5, 0.9937903346742238],
    [-3, 0.001349898031630095],
    [-3.5, 0.000232629079035525],
    [-5, 2.866515718791939e-7],
    [-10, 7.619853024160527e-24],
    [-20, 2.753624118606233e-89],
    [6, 0.9999999990134123],
  ])('Φ(%d) is R’s %d', (x, expected) => {
    expect(relative(normalCdf(x), expected)).toBeLessThan(1e-13);
  });

  it('is 0 and 1 at the infinities and NaN on NaN', () => {
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });
});

describe('normalQuantile', () => {
  it.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.99, 2.326347874040841],
    [0.995, 2.575829303548901],
    [0.01, -2.326347874040841],
    [0.1, -1.281551565544601],
    [1e-10, -6.361340902404056],
    [0.8, 0.8416212335729143],
  ])('Φ⁻¹(%d) is R’s %d', (p, expected) => {
    const x = normalQuantile(p);
    if (expected === 0) expect(Math.abs(x)).toBeLessThan(1e-15);
    else expect(relative(x, expected)).toBeLessThan(1e-13);
  });

  it('inverts the CDF across the range', () => {
    for (let p = 0.0005; p < 1; p += 0.0137) {
      expect(relative(normalCdf(normalQuantile(p)), p)).toBeLessThan(1e-13);
    }
  });

  it('is -∞ at 0, ∞ at 1 and NaN outside [0, 1]', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(-0.1)).toBeNaN();
    expect(normalQuantile(1.1)).toBeNaN();
  });
});
