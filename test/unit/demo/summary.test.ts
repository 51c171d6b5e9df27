import { describe, expect, it } from 'vitest';
import type { ActReport } from '../../../src/demo/act-report.js';
import { renderSummary, verdictOf } from '../../../src/demo/summary.js';

const healthy: ActReport = {
  title: 'healthy release',
  expected: 'Succeeded',
  outcome: 'Succeeded',
  revision: 'b',
  weights: [10, 20, 30, 40, 50],
  failedChecks: [],
  message: 'promoted revision b',
  durationMs: 14_400,
};
const faulty: ActReport = {
  title: 'faulty release',
  expected: 'Failed',
  outcome: 'Failed',
  revision: 'c',
  weights: [],
  failedChecks: [
    {
      count: 1,
      afterMs: 3_100,
      metrics: [{ metric: 'request-success-rate', value: 93.634, min: 99, passed: false }],
      message: 'failed check 1 of 3',
    },
    { count: 2, afterMs: 5_000, metrics: [], message: 'webhook load-canary answered 500' },
  ],
  message: 'rolling back revision c',
  durationMs: 7_300,
};

describe('verdictOf', () => {
  it('is ok when every act ended as expected', () => {
    expect(verdictOf([healthy, faulty])).toEqual({ ok: true });
  });

  it('names the act that ended otherwise, its outcome and its message', () => {
    const promoted = { ...faulty, outcome: 'Succeeded' as const, message: 'promoted revision c' };
    expect(verdictOf([healthy, promoted])).toEqual({
      ok: false,
      reason: 'faulty release: expected Failed, but it ended Succeeded (promoted revision c)',
    });
  });

  it('says when an act did not finish', () => {
    const verdict = verdictOf([{ ...healthy, outcome: undefined, message: '' }]);
    expect(verdict).toEqual({
      ok: false,
      reason: 'healthy release: expected Succeeded, but it did not finish (no message)',
    });
  });
});

describe('renderSummary', () => {
  it('tells the weights, the failed checks with their values and the reasons', () => {
    expect(renderSummary([healthy, faulty])).toEqual([
      'What happened:',
      '  healthy release: promoted after 14.4 s (revision b)',
      '    canary weight stepped 10% -> 20% -> 30% -> 40% -> 50%',
      '    why: promoted revision b',
      '  faulty release: rolled back after 7.3 s (revision c)',
      '    the canary never got a share of the apex traffic: it failed its checks at weight 0',
      '    failed check 1 at +3.1 s: request-success-rate 93.63 (wanted >= 99)',
      '    failed check 2 at +5.0 s: webhook load-canary answered 500',
      '    why: rolling back revision c',
      'The healthy release was promoted and the faulty one rolled back, as expected.',
    ]);
  });
});
