import { describe, expect, it } from 'vitest';
import { evaluateMetric, summarise } from '../../../src/metrics/evaluate.js';

describe('evaluateMetric', () => {
  it.each([
    ['inside both bounds', { min: 1, max: 10 }, 5, true],
    ['exactly at the minimum', { min: 99 }, 99, true],
    ['exactly at the maximum', { max: 500 }, 500, true],
    ['just below the minimum', { min: 99 }, 98.999, false],
    ['just above the maximum', { max: 500 }, 500.001, false],
    ['below with both bounds', { min: 1, max: 10 }, 0, false],
    ['above with both bounds', { min: 1, max: 10 }, 11, false],
    ['zero against a zero maximum', { max: 0 }, 0, true],
    ['negative value against a zero minimum', { min: 0 }, -1, false],
  ])('%s', (_case, range, value, passed) => {
    const result = evaluateMetric('m', range, { value });
    expect(result.passed).toBe(passed);
    expect(result.value).toBe(value);
  });

  it.each([
    ['null', null],
    ['NaN', Number.NaN],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
  ])('fails a %s value as no data, whatever the range', (_case, value) => {
    const result = evaluateMetric('request-success-rate', { max: Number.MAX_VALUE }, { value });
    expect(result).toMatchObject({ metric: 'request-success-rate', value: null, passed: false });
    expect(result.message).toMatch(/request-success-rate has no data/);
  });

  it('says the value and the broken bound', () => {
    expect(evaluateMetric('request-duration', { max: 500 }, { value: 612.34567 }).message).toBe(
      'metric request-duration is 612.3, above its maximum 500',
    );
    expect(evaluateMetric('request-success-rate', { min: 99 }, { value: 95 }).message).toBe(
      'metric request-success-rate is 95, below its minimum 99',
    );
  });

  it('fails with the provider’s message on a query error', () => {
    const result = evaluateMetric('m', { min: 0 }, { error: 'Prometheus at x refused' });
    expect(result).toEqual({
      metric: 'm',
      value: null,
      min: 0,
      passed: false,
      message: 'Prometheus at x refused',
    });
  });

  it('reports the range it judged against, without undefined bounds', () => {
    expect(evaluateMetric('m', { max: 3 }, { value: 1 })).toEqual({
      metric: 'm',
      value: 1,
      max: 3,
      passed: true,
    });
  });
});

describe('summarise', () => {
  it('flags no data only for empty answers, not for errors or bad values', () => {
    const judged = (outcome: { value: number | null } | { error: string }) => ({
      result: evaluateMetric('m', { min: 1 }, outcome),
      outcome,
    });
    expect(summarise([judged({ value: 0 }), judged({ error: 'boom' })]).noData).toBe(false);
    expect(summarise([judged({ value: 5 }), judged({ value: null })]).noData).toBe(true);
    expect(summarise([judged({ value: Number.NaN })]).noData).toBe(true);
    expect(summarise([]).results).toEqual([]);
  });
});
