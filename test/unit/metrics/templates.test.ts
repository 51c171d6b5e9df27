import { describe, expect, it } from 'vitest';
import { escapePromQLString, renderQuery, TemplateError } from '../../../src/metrics/templates.js';

const vars = { namespace: 'production', target: 'api', service: 'api-canary', interval: '1m' };

describe('renderQuery', () => {
  it('fills every known variable, with or without spaces inside the braces', () => {
    const out = renderQuery(
      'm',
      'x{namespace="{{namespace}}",deployment="{{ target }}",svc="{{   service }}"}[{{interval }}]',
      vars,
    );
    expect(out).toBe('x{namespace="production",deployment="api",svc="api-canary"}[1m]');
  });

  it('fills a variable used several times', () => {
    expect(renderQuery('m', '{{ target }}/{{ target }}', vars)).toBe('api/api');
  });

  it('names the metric and the variable when the variable is unknown', () => {
    expect(() => renderQuery('error-ratio', 'x{a="{{ canary }}"}', vars)).toThrow(TemplateError);
    expect(() => renderQuery('error-ratio', 'x{a="{{ canary }}"}', vars)).toThrow(
      /metric error-ratio: its query uses \{\{ canary \}\}.*\{\{ namespace \}\}/,
    );
  });

  it('refuses a placeholder left open', () => {
    expect(() => renderQuery('m', 'x{a="{{ namespace }"}', vars)).toThrow(
      /metric m: its query has a "\{\{" that is not closed/,
    );
  });

  it('escapes values so they cannot end the string literal they sit in', () => {
    const out = renderQuery('m', 'x{namespace="{{ namespace }}"}', {
      ...vars,
      namespace: 'a"} or vector(1) or x{b="\\',
    });
    expect(out).toBe('x{namespace="a\\"} or vector(1) or x{b=\\"\\\\"}');
  });

  it('leaves text without placeholders alone', () => {
    expect(renderQuery('m', 'sum(up)', vars)).toBe('sum(up)');
  });
});

describe('escapePromQLString', () => {
  it.each([
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['a\\b', 'a\\\\b'],
    ['line\nbreak', 'line\\nbreak'],
    ['tab\there', 'tab\\there'],
  ])('escapes %j as %j', (input, expected) => {
    expect(escapePromQLString(input)).toBe(expected);
  });
});
