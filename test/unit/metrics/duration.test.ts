import { describe, expect, it } from 'vitest';
import { formatPromQLDuration, parseDuration } from '../../../src/metrics/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1m30s', 90_000],
    [' 5s ', 5000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 's', '1.5s', '1d', '-1s', '1m 30s'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('formatPromQLDuration', () => {
  it.each([
    [60_000, '60s'],
    [1000, '1s'],
    [1500, '1500ms'],
    [0, '1ms'],
  ])('writes %d ms as %j', (ms, text) => {
    expect(formatPromQLDuration(ms)).toBe(text);
  });
});
