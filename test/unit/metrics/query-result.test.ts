import { describe, expect, it } from 'vitest';
import {
  parseSampleValue,
  readSingleValue,
  sanitiseForeign,
} from '../../../src/metrics/query-result.js';

/** An instant vector exactly as Prometheus writes it. */
const vector = (...values: unknown[]) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: values.map((value, i) => ({ metric: { pod: `p${i}` }, value: [1700000000.5, value] })),
  },
});

describe('parseSampleValue', () => {
  it.each([
    ['1', 1],
    ['-0', -0],
    ['99.25', 99.25],
    ['+5', 5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['NaN', Number.NaN],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['1e999', Number.POSITIVE_INFINITY],
  ])('reads %j, a format Prometheus writes', (text, value) => {
    expect(parseSampleValue(text)).toBe(value);
  });

  it.each([
    '12abc',
    '0x63',
    '0b1',
    ' 12',
    '12 ',
    '',
    'Infinity',
    'inf',
    'Inf',
    'nan',
    '1_000',
    '1,5',
    '١٢',
    '--1',
    '1e',
    '.',
    '+',
  ])('refuses %j, which parseFloat or Number would have read', (text) => {
    expect(parseSampleValue(text)).toBeUndefined();
  });
});

describe('readSingleValue', () => {
  it('reads the value of a single series', () => {
    expect(readSingleValue(vector('99.5'))).toEqual({ value: 99.5 });
  });

  it('reads an empty vector, NaN and Inf as no data', () => {
    expect(readSingleValue(vector())).toEqual({ value: null });
    expect(readSingleValue(vector('NaN'))).toEqual({ value: null });
    expect(readSingleValue(vector('-Inf'))).toEqual({ value: null });
  });

  it('reads a scalar answer', () => {
    const scalar = (value: string) => ({
      status: 'success',
      data: { resultType: 'scalar', result: [1, value] },
    });
    expect(readSingleValue(scalar('3.5'))).toEqual({ value: 3.5 });
    expect(readSingleValue(scalar('+Inf'))).toEqual({ value: null });
  });

  it('refuses junk in a sample value, which passed a threshold as the number in front of it', () => {
    expect(readSingleValue(vector('12abc'))).toMatchObject({
      problem:
        'its one sample has the value "12abc", which is not a number Prometheus writes (a decimal, NaN, +Inf or -Inf)',
    });
  });

  it('refuses several series instead of guessing, naming the first and the fix', () => {
    expect(readSingleValue(vector('1', '2'))).toEqual({
      problem: 'it returned 2 series (first {pod="p0"}) where one is needed',
      fix: 'aggregate the query to one series, for example wrap it in sum(...)',
    });
  });

  it('refuses a range vector', () => {
    expect(
      readSingleValue({ status: 'success', data: { resultType: 'matrix', result: [] } }),
    ).toMatchObject({
      problem: 'it returned a matrix where an instant vector or scalar is needed',
    });
  });

  it.each([
    ['no envelope', []],
    ['no data', { status: 'success' }],
    [
      'a vector that is no list',
      { status: 'success', data: { resultType: 'vector', result: 'x' } },
    ],
    ['a null series', { status: 'success', data: { resultType: 'vector', result: [null] } }],
    [
      'a short sample',
      { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1] }] } },
    ],
    ['a null scalar', { status: 'success', data: { resultType: 'scalar', result: null } }],
  ])('refuses %s, where reading it threw or read no data', (_case, answer) => {
    expect(readSingleValue(answer)).toHaveProperty('problem');
  });

  it('repeats an error Prometheus gave with a 2xx, cut short and on one line', () => {
    const read = readSingleValue({
      status: 'error',
      errorType: 'bad_data',
      error: `a\nb${'x'.repeat(500)}`,
    });
    expect(read).toMatchObject({
      problem: expect.stringMatching(/^it answered an error \(bad_data: a bx+\.\.\.\)$/),
    });
  });
});

describe('sanitiseForeign', () => {
  it('keeps one line without control characters, cut to its bound', () => {
    expect(sanitiseForeign('a\r\nX-Injected: 1\u0000\u001b[31m', 200)).toBe('a X-Injected: 1 [31m');
    expect(sanitiseForeign('y'.repeat(500), 10)).toBe('yyyyyyyyyy...');
  });
});
