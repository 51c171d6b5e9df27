import { describe, expect, it } from 'vitest';
import {
  formatRange,
  formatValue,
  metricLines,
  progressBar,
  progressKey,
  progressLine,
  rolloutBlock,
} from '../../../src/cli/rollout-view.js';
import { redrawFrame } from '../../../src/cli/terminal-frame.js';
import { rollout } from './fixtures.js';

describe('progressBar', () => {
  it('fills in proportion to maxWeight, so a full bar means promotion is next', () => {
    expect(progressBar(25, 50, 10)).toBe('[#####.....]');
    expect(progressBar(50, 50, 10)).toBe('[##########]');
    expect(progressBar(0, 50, 10)).toBe('[..........]');
  });

  it('stays within its width for weights beyond maxWeight or below zero', () => {
    expect(progressBar(100, 50, 4)).toBe('[####]');
    expect(progressBar(-5, 50, 4)).toBe('[....]');
    expect(progressBar(10, 0, 4)).toBe('[....]');
  });
});

describe('metric lines', () => {
  it('formats values with at most two decimals and empty results as no data', () => {
    expect(formatValue(99.8765)).toBe('99.88');
    expect(formatValue(12.5)).toBe('12.5');
    expect(formatValue(500)).toBe('500');
    expect(formatValue(null)).toBe('no data');
  });

  it('shows the accepted range as a person reads it', () => {
    expect(formatRange({ min: 99 })).toBe('>= 99');
    expect(formatRange({ max: 500 })).toBe('<= 500');
    expect(formatRange({ min: 1, max: 5 })).toBe('1..5');
  });

  it('aligns name, value, range and verdict, with the reason of a failure', () => {
    const lines = metricLines([
      { metric: 'request-success-rate', value: 99.5, min: 99, passed: true },
      { metric: 'request-duration', value: 612, max: 500, passed: false, message: 'p99 too high' },
      { metric: 'errors', value: null, max: 1, passed: false },
    ]);
    expect(lines).toEqual([
      'request-success-rate     99.5  >= 99   pass',
      'request-duration          612  <= 500  FAIL  p99 too high',
      'errors                no data  <= 1    FAIL',
    ]);
  });
});

describe('the live view of a rollout', () => {
  it('shows the weight bar against maxWeight, the failed checks and the last metrics', () => {
    const block = rolloutBlock(
      rollout({
        phase: 'Progressing',
        canaryWeight: 30,
        failedChecks: 1,
        currentRevision: 'r2',
        message: 'advancing',
        lastAnalysis: [{ metric: 'request-success-rate', value: 100, min: 99, passed: true }],
      }),
    );
    expect(block).toEqual([
      'prod/api  Progressing  revision r2',
      '  weight [############........] 30% of 50%   failed checks 1/5',
      '  request-success-rate  100  >= 99  pass',
      '  advancing',
    ]);
  });
});

describe('progress lines for logs', () => {
  it('are timestamped and carry phase, weight, checks, revision and message', () => {
    const line = progressLine(
      rollout({
        phase: 'Progressing',
        canaryWeight: 10,
        failedChecks: 0,
        currentRevision: 'r2',
        message: 'advancing',
      }),
      new Date('2025-01-01T00:00:05Z'),
    );
    expect(line).toBe(
      '2025-01-01T00:00:05.000Z prod/api Progressing weight=10/50 failed=0/5 revision=r2 "advancing"',
    );
  });

  it('change with phase, weight, failed checks or revision, not with the message alone', () => {
    const base = {
      phase: 'Progressing' as const,
      canaryWeight: 10,
      failedChecks: 0,
      currentRevision: 'r2',
    };
    const key = progressKey(rollout(base));
    expect(progressKey(rollout({ ...base, message: 'other' }))).toBe(key);
    expect(progressKey(rollout({ ...base, canaryWeight: 20 }))).not.toBe(key);
    expect(progressKey(rollout({ ...base, failedChecks: 1 }))).not.toBe(key);
    expect(progressKey(rollout({ ...base, phase: 'Paused' }))).not.toBe(key);
  });
});

describe('redrawFrame', () => {
  it('draws the first frame without moving the cursor up', () => {
    expect(redrawFrame(0, ['a', 'b'], 80)).toBe('\u001b[0Ja\nb\n');
  });

  it('moves up over the previous frame and clears it before drawing', () => {
    expect(redrawFrame(3, ['x'], 80)).toBe('\u001b[3F\u001b[0Jx\n');
  });

  it('cuts lines to the terminal width so that wrapping cannot break the next redraw', () => {
    expect(redrawFrame(0, ['abcdef'], 4)).toBe('\u001b[0Jabcd\n');
  });

  it('keeps whole lines when the terminal reports no width', () => {
    expect(redrawFrame(0, ['abcdef'], 0)).toBe('\u001b[0Jabcdef\n');
  });
});
