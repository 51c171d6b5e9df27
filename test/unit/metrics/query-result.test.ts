import type { QueryResult } from 'prometheus-query';
import { describe, expect, it } from 'vitest';
import { readSingleValue } from '../../../src/metrics/query-result.js';

const vector = (...values: string[]) =>
  ({
    resultType: 'vector',
    result: values.map((value, i) => ({
      metric: { name: '', labels: { pod: `p${i}` } },
      value: { time: new Date(), value: Number.parseFloat(value) },
    })),
  }) as unknown as QueryResult;

describe('readSingleValue', () => {
  it('reads the value of a single series', () => {
    expect(readSingleValue(vector('99.5'))).toEqual({ value: 99.5 });
  });

  it('reads an empty vector as no data', () => {
    expect(readSingleValue(vector())).toEqual({ value: null });
  });

  it('reads NaN as no data', () => {
    expect(readSingleValue(vector('NaN'))).toEqual({ value: null });
  });

  it('reads a scalar answer', () => {
    expect(
      readSingleValue({ resultType: 'scalar', result: [1, '3.5'] } as unknown as QueryResult),
    ).toEqual({ value: 3.5 });
    expect(
      readSingleValue({ resultType: 'scalar', result: [1, '+Inf'] } as unknown as QueryResult),
    ).toEqual({ value: null });
  });

  it('refuses several series instead of guessing, naming the first and the fix', () => {
    const read = readSingleValue(vector('1', '2'));
    expect(read).toEqual({
      problem: 'it returned 2 series (first {pod="p0"}) where one is needed',
      fix: 'aggregate the query to one series, for example wrap it in sum(...)',
    });
  });

  it('refuses a range vector', () => {
    const read = readSingleValue({ resultType: 'matrix', result: [] } as unknown as QueryResult);
    expect(read).toMatchObject({
      problem: 'it returned a matrix where an instant vector or scalar is needed',
    });
  });
});
