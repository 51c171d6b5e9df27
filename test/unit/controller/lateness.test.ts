import { describe, expect, it } from 'vitest';
import { analysisLatenessSeconds } from '../../../src/controller/lateness.js';

describe('analysisLatenessSeconds', () => {
  it.each([
    { due: 10_000, started: 10_000, seconds: 0 },
    { due: 10_000, started: 10_250, seconds: 0.25 },
    { due: 10_000, started: 13_000, seconds: 3 },
    // Started before its due time (a resume, a restore): not late.
    { due: 10_000, started: 9_000, seconds: 0 },
  ])('due $due, started $started: $seconds s late', ({ due, started, seconds }) => {
    expect(analysisLatenessSeconds(due, started)).toBe(seconds);
  });

  it('is undefined when no analysis was due', () => {
    expect(analysisLatenessSeconds(null, 10_000)).toBeUndefined();
  });
});
