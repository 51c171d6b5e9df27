import { describe, expect, it } from 'vitest';
import { SmoothWeightedRoundRobin } from '../../../src/playground/mesh/weighted-choice.js';

function shares<T>(chooser: SmoothWeightedRoundRobin<T>, picks: number) {
  const counts = new Map<T | undefined, number>();
  for (let i = 0; i < picks; i++) {
    const value = chooser.next();
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

describe('SmoothWeightedRoundRobin', () => {
  it('splits 2,000 picks exactly 70/30', () => {
    const counts = shares(
      new SmoothWeightedRoundRobin([
        { value: 'primary', weight: 70 },
        { value: 'canary', weight: 30 },
      ]),
      2000,
    );
    expect(counts.get('primary')).toBe(1400);
    expect(counts.get('canary')).toBe(600);
  });

  it('interleaves picks instead of sending runs to one backend', () => {
    const chooser = new SmoothWeightedRoundRobin([
      { value: 'a', weight: 1 },
      { value: 'b', weight: 1 },
    ]);
    expect([chooser.next(), chooser.next(), chooser.next(), chooser.next()]).toEqual([
      'a',
      'b',
      'a',
      'b',
    ]);
  });

  it('never picks a backend of weight 0', () => {
    const counts = shares(
      new SmoothWeightedRoundRobin([
        { value: 'primary', weight: 100 },
        { value: 'canary', weight: 0 },
      ]),
      500,
    );
    expect(counts.get('primary')).toBe(500);
    expect(counts.has('canary')).toBe(false);
  });

  it('handles fractional weights from quantities such as 900m/100m', () => {
    const counts = shares(
      new SmoothWeightedRoundRobin([
        { value: 'primary', weight: 0.9 },
        { value: 'canary', weight: 0.1 },
      ]),
      1000,
    );
    expect(counts.get('canary')).toBe(100);
  });

  it('returns undefined when no backend has a positive weight', () => {
    expect(new SmoothWeightedRoundRobin([{ value: 'a', weight: 0 }]).next()).toBeUndefined();
    expect(new SmoothWeightedRoundRobin([]).next()).toBeUndefined();
  });
});
