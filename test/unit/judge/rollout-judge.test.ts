import { describe, expect, it } from 'vitest';
import type { JudgeSpec } from '../../../src/api/types.js';
import { judge } from '../../../src/judge/judgement.js';
import {
  defaultDirection,
  judgementCheck,
  judgeRequest,
  metricRule,
  samplingGrid,
} from '../../../src/judge/rollout-judge.js';

const metric = (name: string, extra: Partial<JudgeSpec['metrics'][number]> = {}) => ({
  name,
  quantile: 0.99,
  critical: false,
  effectSize: [1, 1],
  nanStrategy: 'remove' as const,
  ...extra,
});

const spec = (metrics: JudgeSpec['metrics'], extra: Partial<JudgeSpec> = {}): JudgeSpec => ({
  step: '2s',
  confidence: 0.98,
  tolerance: 0.25,
  pass: 95,
  marginal: 75,
  metrics,
  ...extra,
});

const primary = [100, 102, 98, 101, 99, 103, 97, 100, 101, 99];
const slower = primary.map((v) => v * 2.5);

describe('the judge rules of a Rollout', () => {
  it.each([
    [{ name: 'request-success-rate' }, 'decrease'],
    [{ name: 'request-duration' }, 'increase'],
    [{ name: 'request-duration', query: 'x' }, 'either'],
    [{ name: 'errors', query: 'x' }, 'either'],
  ])('%o fails on a change in direction %s by default', (m, direction) => {
    expect(defaultDirection(m)).toBe(direction);
  });

  it('lets a metric override the direction, confidence and tolerance of the judge', () => {
    const rule = metricRule(
      spec([]),
      metric('request-duration', { direction: 'either', confidence: 0.9, tolerance: 0 }),
    );
    expect(rule).toMatchObject({ direction: 'either', confidence: 0.9, tolerance: 0 });
    expect(metricRule(spec([]), metric('request-duration'))).toMatchObject({
      direction: 'increase',
      confidence: 0.98,
      tolerance: 0.25,
      effectSize: [1, 1],
    });
  });
});

describe('samplingGrid', () => {
  it('ends at the last whole step and holds window / step points', () => {
    expect(samplingGrid(1_000_123_456, 60_000, 10_000)).toEqual({
      startMs: 1_000_070_000,
      endMs: 1_000_120_000,
      stepMs: 10_000,
    });
  });

  it('asks for one point when the window is shorter than the step', () => {
    const grid = samplingGrid(10_000, 1_000, 4_000);
    expect(grid.startMs).toBe(grid.endMs);
  });
});

describe('judgementCheck', () => {
  const latency = spec([metric('request-duration')]);

  it('fails a canary 2.5 times slower, naming the metric, both medians and the shift with its interval', () => {
    const check = judgementCheck(
      judge(judgeRequest(latency, [{ canary: slower, primary }])),
      latency,
    );
    expect(check.result).toMatchObject({ metric: 'judge', value: 0, passed: false });
    expect(check.result.message).toMatch(
      /^judgement Fail, score 0 \(pass 95, marginal 75\): request-duration is High: canary median 250 vs baseline median 100, shift \+150 \(\d+(\.\d+)?% interval \+\d+(\.\d+)? to \+\d+(\.\d+)?\)/,
    );
    expect(check.judgement).toMatchObject({
      result: 'Fail',
      metrics: [
        {
          name: 'request-duration',
          classification: 'High',
          canaryMedian: 250,
          primaryMedian: 100,
          canarySamples: 10,
          primarySamples: 10,
          shift: 150,
        },
      ],
    });
  });

  it('passes an identical canary with its score as the value', () => {
    const check = judgementCheck(
      judge(judgeRequest(latency, [{ canary: primary, primary }])),
      latency,
    );
    expect(check.result).toEqual({ metric: 'judge', value: 100, passed: true });
    expect(check.judgement?.result).toBe('Pass');
  });

  it('is marginal when the score falls between marginal and pass', () => {
    const four = spec(
      ['a', 'b', 'c', 'd'].map((name) => metric(name, { query: 'x' })),
      { pass: 100, marginal: 75 },
    );
    const samples = [slower, primary, primary, primary].map((canary) => ({ canary, primary }));
    const check = judgementCheck(judge(judgeRequest(four, samples)), four);
    expect(check.judgement?.result).toBe('Marginal');
    expect(check.result).toMatchObject({ value: 75, passed: false });
  });

  it('is no data when one metric has none, even if the score would pass', () => {
    const two = spec([metric('request-duration'), metric('errors', { query: 'x' })], {
      pass: 50,
    });
    const samples = [
      { canary: primary, primary },
      { canary: [null, null], primary },
    ];
    const check = judgementCheck(judge(judgeRequest(two, samples)), two);
    expect(check.result.value).toBeNull();
    expect(check.result.passed).toBe(false);
    expect(check.result.message).toMatch(
      /^no data for the judge: .*errors has no verdict: no canary samples/,
    );
  });

  it('keeps the message bounded however many metrics fail', () => {
    const many = spec(
      Array.from({ length: 32 }, (_, i) => metric(`m${i}`.repeat(20), { query: 'x' })),
    );
    const samples = many.metrics.map(() => ({ canary: slower, primary }));
    const check = judgementCheck(judge(judgeRequest(many, samples)), many);
    expect(check.result.message).toMatch(/; and 29 more$/);
    expect(check.result.message?.length).toBeLessThan(1100);
  });
});
