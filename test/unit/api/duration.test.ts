import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/api/duration.js';

describe('parseDuration', () => {
  it.each([
    ['1ms', 1],
    ['1500ms', 1500],
    ['1s', 1000],
    ['30s', 30_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1h2m3s4ms', 3_723_004],
    ['0s', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '1', 'm', '1d', '1.5s', '30s1m', '1m1m', ' 1m', '1M', '-1s', '1 m'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [60_000, '1m'],
    [1500, '1500ms'],
    [90_000, '90s'],
    [3_600_000, '1h'],
    [1000, '1s'],
    [7, '7ms'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1000, 61_000, 3_599_999, 86_400_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it.each([0, -1000, 1.5, Number.NaN])('refuses %d ms', (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });
});
