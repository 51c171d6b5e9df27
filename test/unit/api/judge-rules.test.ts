import { describe, expect, it } from 'vitest';
import { minimumSamples } from '../../../src/api/judge-rules.js';
import { problemsOf, validated, workloadRollout } from './fixtures.js';

const judge = (changes: Record<string, unknown> = {}, metric: Record<string, unknown> = {}) =>
  workloadRollout({
    'spec.analysis.interval': '1m',
    'spec.analysis.judge': {
      step: '10s',
      metrics: [{ name: 'request-duration', ...metric }],
      ...changes,
    },
  });

describe('spec.analysis.judge', () => {
  it('accepts a judge with Kayenta defaults filled in', () => {
    const rollout = validated(judge());
    expect(rollout.spec.analysis.judge).toEqual({
      step: '10s',
      confidence: 0.98,
      tolerance: 0.25,
      pass: 95,
      marginal: 75,
      metrics: [
        {
          name: 'request-duration',
          quantile: 0.99,
          critical: false,
          effectSize: [1, 1],
          nanStrategy: 'remove',
        },
      ],
    });
  });

  it('refuses a confidence of 1, which no sample can reach', () => {
    expect(problemsOf(judge({ confidence: 1 }))).toEqual([
      expect.objectContaining({
        path: 'spec.analysis.judge.confidence',
        message: 'must be below 1; got 1',
      }),
    ]);
  });

  it('refuses a window too short for the confidence, saying which step or window would do', () => {
    expect(problemsOf(judge({ step: '20s' }))).toEqual([
      {
        path: 'spec.analysis.judge.step',
        message:
          '20s gives 3 samples per side in the window of 1m (spec.analysis.interval); at confidence 0.98 the judge needs at least 5, or it never answers but Nodata',
        fix: 'shorten the step to 12s or less, or set spec.analysis.judge.window to 100s or more',
      },
    ]);
  });

  it('counts a metric confidence above the judge one', () => {
    const problems = problemsOf(judge({ window: '50s' }, { confidence: 0.999 }));
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('at confidence 0.999 the judge needs at least 7'),
    ]);
  });

  it('refuses more samples than the judge takes on the controller', () => {
    expect(problemsOf(judge({ window: '1h', step: '3s' }))).toEqual([
      {
        path: 'spec.analysis.judge.step',
        message: '3s gives 1200 samples per side in the window of 1h; the judge takes at most 1000',
        fix: 'lengthen the step to 3600ms or more',
      },
    ]);
  });

  it('refuses marginal above pass', () => {
    expect(problemsOf(judge({ pass: 80, marginal: 90 }))).toEqual([
      {
        path: 'spec.analysis.judge.marginal',
        message: '90 is above pass 80',
        fix: 'lower marginal to 80 or less (equal to pass: no marginal band)',
      },
    ]);
  });

  it('needs a query for a metric that is not built in, and one it can render', () => {
    expect(problemsOf(judge({}, { name: 'cpu' })).map((p) => p.path)).toEqual([
      'spec.analysis.judge.metrics[0].query',
    ]);
    expect(problemsOf(judge({}, { name: 'cpu', query: 'x{a="{{ pod }}"}' }))[0]?.message).toMatch(
      /uses \{\{ pod \}\}, which fledge does not fill in/,
    );
  });

  it('refuses an effect size that does not hold 1', () => {
    expect(problemsOf(judge({}, { effectSize: [1.1, 1.5] }))).toEqual([
      expect.objectContaining({ path: 'spec.analysis.judge.metrics[0].effectSize' }),
    ]);
  });

  it('refuses a threshold metric named like the judge result', () => {
    const rollout = judge();
    (rollout.spec as { analysis: { metrics: unknown[] } }).analysis.metrics = [
      { name: 'judge', query: 'up', thresholdRange: { min: 1 } },
    ];
    expect(problemsOf(rollout).map((p) => p.path)).toEqual(['spec.analysis.metrics[0].name']);
  });
});

describe('minimumSamples', () => {
  // The two-sided exact rank-sum test of n against n has smallest p-value 2 / C(2n, n):
  // n = 4: 2/70 = 0.0286; n = 5: 2/252 = 0.0079; n = 3: 2/20 = 0.1; n = 7: 2/3432 = 0.00058.
  it.each([
    [0.9, 3],
    [0.95, 4],
    [0.98, 5],
    [0.99, 5],
    [0.999, 7],
  ])('at confidence %s needs %i samples per side', (confidence, samples) => {
    expect(minimumSamples(confidence)).toBe(samples);
  });
});
