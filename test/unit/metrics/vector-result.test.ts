import { describe, expect, it } from 'vitest';
import { readVector } from '../../../src/metrics/query-result.js';

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
