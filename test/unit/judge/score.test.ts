/** Scoring by the rules of Kayenta's WeightedSumScorer (its ScorerSuite's cases, restated). */
import { describe, expect, it } from 'vitest';
import type { Classification } from '../../../src/judge/classify.js';
import { type ScoredMetric, scoreJudgement } from '../../../src/judge/score.js';

const metric = (
  name: string,
  classification: Classification,
  groups = ['default'],
  critical = false,
): ScoredMetric => ({
  name,
  classification,
  groups,
  critical,
  reason: `${name} is ${classification}`,
});

const bounds = { pass: 95, marginal: 75, groupWeights: {} };

describe('scoreJudgement', () => {
  it('scores the percentage of metrics that pass in one group', () => {
    expect(scoreJudgement([metric('a', 'Pass')], bounds)).toMatchObject({
      score: 100,
      result: 'Pass',
    });
    expect(scoreJudgement([metric('a', 'Pass'), metric('b', 'High')], bounds)).toMatchObject({
      score: 50,
      result: 'Fail',
      reason: 'score 50 is below marginal 75 (b High)',
    });
    expect(
      scoreJudgement([metric('a', 'Pass'), metric('b', 'Low'), metric('c', 'High')], bounds).score,
    ).toBe(33.33);
  });

  it('weighs groups, sharing what is left among groups without a weight', () => {
    const metrics = [
      metric('a', 'Pass', ['latency']),
      metric('b', 'High', ['errors']),
      metric('c', 'Pass', ['errors']),
    ];
    const weighted = scoreJudgement(metrics, {
      ...bounds,
      groupWeights: { latency: 75, errors: 25 },
    });
    expect(weighted.score).toBe(87.5);
    expect(weighted.groups).toEqual([
      { name: 'latency', score: 100, weight: 75 },
      { name: 'errors', score: 50, weight: 25 },
    ]);
    expect(weighted.result).toBe('Marginal');
    expect(weighted.reason).toBe('score 87.5 is below pass 95 but reaches marginal 75 (b High)');
    const shared = scoreJudgement(metrics, { ...bounds, groupWeights: { latency: 40 } });
    expect(shared.groups.map((g) => g.weight)).toEqual([40, 60]);
    expect(shared.score).toBe(70);
  });

  it('leaves Nodata out of a group, and a group with no data out of the score', () => {
    const result = scoreJudgement(
      [
        metric('a', 'Pass', ['pass']),
        metric('b', 'Pass', ['pass']),
        metric('c', 'Nodata', ['empty']),
      ],
      bounds,
    );
    expect(result.groups).toEqual([
      { name: 'pass', score: 100, weight: 50 },
      { name: 'empty', score: null, weight: 50 },
    ]);
    expect(result).toMatchObject({ score: 100, result: 'Pass' });
  });

  it('fails when half of the metrics or more have no data', () => {
    expect(scoreJudgement([metric('a', 'Pass'), metric('b', 'Nodata')], bounds)).toMatchObject({
      score: 0,
      result: 'Fail',
      reason: '1 of 2 metrics have no data (50% or more fails the judgement) (b Nodata)',
    });
  });

  it('fails on a critical metric whatever the score and the bounds', () => {
    const result = scoreJudgement(
      [metric('a', 'Pass'), metric('b', 'Pass'), metric('c', 'High', ['default'], true)],
      { ...bounds, pass: 0, marginal: 0 },
    );
    expect(result).toMatchObject({
      score: 0,
      result: 'Fail',
      reason: 'critical metric failed: c is High',
    });
  });

  it('passes at the pass bound and is marginal at the marginal bound', () => {
    const four = [
      metric('a', 'Pass'),
      metric('b', 'Pass'),
      metric('c', 'Pass'),
      metric('d', 'High'),
    ];
    expect(scoreJudgement(four, { ...bounds, pass: 75 }).result).toBe('Pass');
    expect(scoreJudgement(four, { ...bounds, pass: 76, marginal: 75 }).result).toBe('Marginal');
    expect(scoreJudgement(four, { ...bounds, pass: 80, marginal: 76 }).result).toBe('Fail');
  });

  it('names at most 10 metrics in its reason and counts the rest', () => {
    const many = Array.from({ length: 12 }, (_, i) => metric(`m${i}`, 'High'));
    expect(scoreJudgement(many, bounds).reason).toBe(
      'score 0 is below marginal 75 (m0 High, m1 High, m2 High, m3 High, m4 High, m5 High, m6 High, m7 High, m8 High, m9 High and 2 more)',
    );
  });
});
