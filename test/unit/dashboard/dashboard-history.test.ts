import { describe, expect, it } from 'vitest';
import { historyOf, MAX_HISTORY } from '../../../src/dashboard/history.js';

const valid = (at: string, extra: Record<string, unknown> = {}) => ({
  at,
  revision: 'abc',
  phase: 'Progressing',
  canaryWeight: 10,
  failedChecks: 0,
  type: 'Normal',
  reason: 'WeightChanged',
  message: 'canary weight 0% -> 10%',
  ...extra,
});

describe('historyOf', () => {
  it('reads the entries, oldest first, times as epoch ms', () => {
    const history = historyOf({
      history: [valid('2025-01-01T00:01:00Z'), valid('2025-01-01T00:00:00Z')],
    });
    expect(history.map((e) => e.at)).toEqual([
      Date.parse('2025-01-01T00:00:00Z'),
      Date.parse('2025-01-01T00:01:00Z'),
    ]);
    expect(history[0]).toMatchObject({ phase: 'Progressing', canaryWeight: 10, type: 'Normal' });
  });

  it('is empty without status or history', () => {
    expect(historyOf(undefined)).toEqual([]);
    expect(historyOf({})).toEqual([]);
    expect(historyOf({ history: 'not a list' })).toEqual([]);
  });

  it('leaves out entries without a valid time or phase, and metrics without a name', () => {
    const history = historyOf({
      history: [
        valid('yesterday'),
        { ...valid('2025-01-01T00:00:00Z'), phase: undefined },
        valid('2025-01-01T00:02:00Z', {
          type: 'Surprise',
          analysis: [
            { metric: 'request-success-rate', value: 99.5, min: 99, passed: true },
            { value: 3, passed: false },
            { metric: 'request-duration', value: 'NaN', max: 500, passed: 'yes' },
          ],
        }),
      ],
    });
    expect(history).toHaveLength(1);
    expect(history[0]?.type).toBe('Normal');
    expect(history[0]?.analysis).toEqual([
      { metric: 'request-success-rate', value: 99.5, min: 99, passed: true },
      { metric: 'request-duration', max: 500, passed: false },
    ]);
  });

  it(`keeps the newest ${MAX_HISTORY} entries of a longer list`, () => {
    const entries = Array.from({ length: 100 }, (_, i) =>
      valid(new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString()),
    );
    const history = historyOf({ history: entries });
    expect(history).toHaveLength(MAX_HISTORY);
    expect(history[0]?.at).toBe(Date.UTC(2025, 0, 1, 0, 0, 100 - MAX_HISTORY));
  });
});
