import { describe, expect, it } from 'vitest';
import { readMatrix, readVector } from '../../../src/metrics/grouped-result.js';

const vector = (result: unknown) => ({
  status: 'success',
  data: { resultType: 'vector', result },
});
const series = (deployment: string, value: string) => ({
  metric: { namespace: 'prod', deployment },
  value: [1700000000, value],
});

describe('readVector', () => {
  it('reads every series with its labels; NaN and Inf are no data', () => {
    expect(
      readVector(vector([series('api', '99.5'), series('web', 'NaN'), series('db', '+Inf')])),
    ).toEqual({
      value: [
        { labels: { namespace: 'prod', deployment: 'api' }, sample: { value: 99.5 } },
        { labels: { namespace: 'prod', deployment: 'web' }, sample: { value: null } },
        { labels: { namespace: 'prod', deployment: 'db' }, sample: { value: null } },
      ],
    });
  });

  it('reads an empty vector as no series', () => {
    expect(readVector(vector([]))).toEqual({ value: [] });
  });

  it('keeps a series whose value cannot be read with its problem, the others readable', () => {
    const read = readVector(vector([series('api', '12abc'), series('web', '97')]));
    expect('value' in read && read.value[0]?.sample).toMatchObject({
      problem: expect.stringContaining('which is not a number Prometheus writes'),
    });
    expect('value' in read && read.value[1]?.sample).toEqual({ value: 97 });
  });

  it.each([
    ['not the Prometheus API', { hello: 'world' }, 'its answer is not the Prometheus HTTP API'],
    [
      'an error answer',
      { status: 'error', errorType: 'bad_data', error: 'parse error' },
      'it answered an error (bad_data: parse error)',
    ],
    [
      'a scalar',
      { status: 'success', data: { resultType: 'scalar', result: [1, '1'] } },
      'it did not return an instant vector to a grouped query',
    ],
    [
      'a vector that is not a list',
      { status: 'success', data: { resultType: 'vector', result: {} } },
      'it did not return an instant vector to a grouped query',
    ],
  ])('fails the whole answer when it is %s', (_, answer, problem) => {
    expect(readVector(answer)).toMatchObject({ problem });
  });

  it('bounds what it repeats of foreign labels', () => {
    const long = 'x'.repeat(500);
    const read = readVector(vector([{ metric: { deployment: long }, value: [1, 'nope'] }]));
    const problem = 'value' in read && read.value[0]?.sample;
    expect(problem && 'problem' in problem && problem.problem.length).toBeLessThan(200);
  });
});

describe('readMatrix', () => {
  const range = { startMs: 10_000, endMs: 12_000, stepMs: 1000 };
  const matrix = (result: unknown) => ({
    status: 'success',
    data: { resultType: 'matrix', result },
  });

  it('reads each series onto the grid, null where it has no point or a NaN', () => {
    expect(
      readMatrix(
        matrix([
          {
            metric: { deployment: 'api' },
            values: [
              [10, '1'],
              [12, '3'],
            ],
          },
          { metric: { deployment: 'web' }, values: [[11, 'NaN']] },
        ]),
        range,
      ),
    ).toEqual({
      value: [
        { labels: { deployment: 'api' }, sample: { value: [1, null, 3] } },
        { labels: { deployment: 'web' }, sample: { value: [null, null, null] } },
      ],
    });
  });

  it('fails only the series with a point off the grid', () => {
    const read = readMatrix(
      matrix([
        { metric: { deployment: 'api' }, values: [[99, '1']] },
        { metric: { deployment: 'web' }, values: [[10, '2']] },
      ]),
      range,
    );
    expect('value' in read && read.value.map((s) => 'problem' in s.sample)).toEqual([true, false]);
  });

  it('refuses an instant vector to a range query', () => {
    expect(
      readMatrix({ status: 'success', data: { resultType: 'vector', result: [] } }, range),
    ).toMatchObject({
      problem: 'it did not return a range vector (matrix) to a grouped query',
    });
  });
});
