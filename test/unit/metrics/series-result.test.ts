import { describe, expect, it } from 'vitest';
import { gridLength, readSingleSeries } from '../../../src/metrics/query-result.js';

const range = { startMs: 100_000, endMs: 108_000, stepMs: 2_000 };
const matrix = (result: unknown) => ({ status: 'success', data: { resultType: 'matrix', result } });

describe('readSingleSeries', () => {
  it('places each point on the grid asked for, null where Prometheus left a step out', () => {
    const answer = matrix([
      {
        metric: {},
        values: [
          [100, '1'],
          [104, '2.5'],
          [106, 'NaN'],
          [108, '+Inf'],
        ],
      },
    ]);
    expect(readSingleSeries(answer, range)).toEqual({ value: [1, null, 2.5, null, null] });
  });

  it('reads no series as a grid without values', () => {
    expect(readSingleSeries(matrix([]), range)).toEqual({ value: [null, null, null, null, null] });
    expect(gridLength(range)).toBe(5);
  });

  it('refuses several series, naming the first', () => {
    const answer = matrix([
      { metric: { pod: 'a' }, values: [] },
      { metric: { pod: 'b' }, values: [] },
    ]);
    expect(readSingleSeries(answer, range)).toEqual({
      problem: 'it returned 2 series (first {pod="a"}) where one is needed',
      fix: 'aggregate the query to one series, for example wrap it in sum(...)',
    });
  });

  it.each([
    ['a vector', { status: 'success', data: { resultType: 'vector', result: [] } }, /matrix/],
    ['a point off the grid', matrix([{ metric: {}, values: [[200, '1']] }]), /outside the range/],
    ['a value that is no number', matrix([{ metric: {}, values: [[100, '12abc']] }]), /12abc/],
    ['an error', { status: 'error', errorType: 'bad_data', error: 'parse error' }, /parse error/],
    ['not Prometheus', '<html>', /not the Prometheus HTTP API/],
  ])('refuses %s', (_name, answer, problem) => {
    const read = readSingleSeries(answer, range);
    expect('problem' in read && read.problem).toMatch(problem);
  });
});
