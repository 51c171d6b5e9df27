import { describe, expect, it } from 'vitest';
import { appTimingMs, formatAppTiming } from '../../../src/playground/server-timing.js';

describe('Server-Timing between a simulated app and the mesh', () => {
  it('reads back what the app wrote', () => {
    expect(appTimingMs(formatAppTiming(0.0123))).toBe(0.012);
    expect(appTimingMs(formatAppTiming(600.5))).toBe(600.5);
  });

  it.each([
    ['app;dur=12.5', 12.5],
    ['db;dur=3, app;dur=47.2;desc="render"', 47.2],
    ['app;desc="x";dur=4', 4],
    [['cache;dur=1', 'app;dur=9'], 9],
    ['APP;dur=3', undefined],
    ['app', undefined],
    ['app;dur=', undefined],
    ['app;dur=-1', undefined],
    ['app;dur=soon', undefined],
    ['total;dur=5', undefined],
    [undefined, undefined],
  ])('%j gives %s', (header, expected) => {
    expect(appTimingMs(header)).toBe(expected);
  });
});
