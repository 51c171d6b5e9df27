import { describe, expect, it } from 'vitest';
import { ageOf, formatAge } from '../../../src/cli/age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('formatAge, as kubectl prints AGE', () => {
  it.each([
    [0, '0s'],
    [59 * s, '59s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 20 * s, '3m20s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h + 10 * m, '5h10m'],
    [47 * h, '47h'],
    [2 * d + 3 * h, '2d3h'],
    [30 * d, '30d'],
    [3 * 365 * d + 5 * d, '3y5d'],
    [9 * 365 * d, '9y'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });

  it('shows a clock skew of more than a second as <invalid>', () => {
    expect(formatAge(-5 * s)).toBe('<invalid>');
  });
});

describe('ageOf', () => {
  it('measures from the creation timestamp', () => {
    expect(ageOf('2025-01-01T00:00:00Z', new Date('2025-01-01T00:04:05Z'))).toBe('4m5s');
  });

  it('shows - without a usable timestamp', () => {
    expect(ageOf(undefined, new Date())).toBe('-');
    expect(ageOf('yesterday', new Date())).toBe('-');
  });
});
