import { describe, expect, it } from 'vitest';
import { LIMITS, parseJudgeRequest } from '../../../src/judge/judge-input.js';

const metric = { name: 'latency', canary: [1, 2], baseline: [1, 2] };

function problems(document: unknown): string[] {
  const parsed = parseJudgeRequest(document);
  return parsed.ok ? [] : parsed.problems.map((p) => `${p.field}: ${p.message}`);
}

describe('parseJudgeRequest', () => {
  it("fills in Kayenta's defaults", () => {
    const parsed = parseJudgeRequest({ metrics: [metric] });
    expect(parsed).toEqual({
      ok: true,
      request: {
        scoring: { pass: 95, marginal: 75, groupWeights: {} },
        metrics: [
          {
            rule: {
              name: 'latency',
              direction: 'either',
              critical: false,
              effectSize: [1, 1],
              criticalEffectSize: [1, 1],
              confidence: 0.98,
              tolerance: 0.25,
              nanStrategy: 'remove',
              outlierFactor: undefined,
            },
            groups: ['default'],
            canary: [1, 2],
            baseline: [1, 2],
          },
        ],
      },
    });
  });

  it('lets a metric override the top-level confidence and tolerance', () => {
    const parsed = parseJudgeRequest({
      confidence: 0.9,
      tolerance: 0.1,
      metrics: [
        metric,
        { ...metric, name: 'errors', confidence: 0.99, outliers: { strategy: 'remove' } },
      ],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(
      parsed.request.metrics.map((m) => [
        m.rule.confidence,
        m.rule.tolerance,
        m.rule.outlierFactor,
      ]),
    ).toEqual([
      [0.9, 0.1, undefined],
      [0.99, 0.1, 3],
    ]);
  });

  it('names the field of every problem, all at once', () => {
    expect(
      problems({
        confidence: 1.5,
        pass: 70,
        marginal: 80,
        metrics: [
          { name: 'latency', direction: 'up', efectSize: [1, 2], canary: [1, 'x'], baseline: 3 },
          { name: 'latency', critical: 'yes', effectSize: [1.2, 0.8], canary: [], baseline: [] },
          { canary: [] },
        ],
        groupWeights: { latncy: 50 },
      }),
    ).toEqual([
      'confidence: must be a number between 0 and 1 (exclusive), as 0.98; got 1.5',
      'marginal: is 80, above pass 70; it must be at most pass',
      'metrics[0].efectSize: is not a field of a metric; the fields are name, direction, critical, effectSize, criticalEffectSize, confidence, tolerance, nanStrategy, outliers, groups, canary, baseline',
      'metrics[0].direction: must be one of increase, decrease, either; got "up"',
      'metrics[0].canary[1]: must be a number within ±1000000000000000 or null (a missing point); got "x"',
      'metrics[0].baseline: must be a list of numbers (null for a missing point); got 3',
      'metrics[1].critical: must be true or false; got "yes"',
      "metrics[1].effectSize: must be [low, high], ratios of the canary's mean to the baseline's with 0 <= low <= 1 <= high (as [0.9, 1.2]); got [1.2,0.8]",
      'metrics[1].name: repeats "latency" of metrics[0]; names must be unique',
      'metrics[2].name: must be a name of 1 to 100 characters; got nothing',
      "metrics[2].baseline: is required: the baseline's (primary's) samples",
      'groupWeights.latncy: names no group of any metric; the groups are default',
    ]);
  });

  it('suggests the right spelling of a field in the wrong case', () => {
    expect(problems({ metrics: [{ ...metric, NanStrategy: 'replace' }] })).toEqual([
      'metrics[0].NanStrategy: is not a field of a metric; did you mean nanStrategy?',
    ]);
  });

  it('bounds the number of metrics and of points', () => {
    expect(problems({ metrics: [] })).toEqual([
      'metrics: must be a list of 1 to 100 metrics; got []',
    ]);
    const many = Array.from({ length: LIMITS.metrics + 1 }, (_, i) => ({
      ...metric,
      name: `m${i}`,
    }));
    expect(problems({ metrics: many })[0]).toMatch(/^metrics: must be a list of 1 to 100 metrics/);
    const long = Array(LIMITS.samplesPerSide + 1).fill(1);
    expect(problems({ metrics: [{ ...metric, canary: long }] })).toEqual([
      'metrics[0].canary: has 10001 points; at most 10000 are judged',
    ]);
  });

  it('checks the group weights add up', () => {
    const grouped = [
      { ...metric, groups: ['latency'] },
      { ...metric, name: 'errors', groups: ['errors'] },
    ];
    expect(problems({ metrics: grouped, groupWeights: { latency: 60, errors: 60 } })).toEqual([
      'groupWeights: add up to 120; at most 100',
    ]);
    expect(problems({ metrics: grouped, groupWeights: { latency: 60, errors: 30 } })).toEqual([
      'groupWeights: add up to 90; with a weight for every group they must add up to 100',
    ]);
    expect(problems({ metrics: grouped, groupWeights: { latency: 60 } })).toEqual([]);
  });

  it('refuses a document that is not an object', () => {
    expect(problems([1])).toEqual(['(document): must be a JSON object with "metrics"; got [1]']);
  });
});
