import { describe, expect, it } from 'vitest';
import {
  escapePromQLString,
  missingVariables,
  renderQuery,
  TemplateError,
  templateProblem,
} from '../../../src/metrics/templates.js';

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

describe("renderQuery of a MetricTemplate's query", () => {
  const shared = { rollout: 'podinfo', variables: { direction: 'inbound', quantile: '0.99' } };

  it('fills {{ name }} with the Rollout and {{ variables.NAME }} with its templateVariables', () => {
    const out = renderQuery(
      'latency',
      'histogram_quantile({{ variables.quantile }}, x{app="{{ name }}",direction="{{variables.direction}}"}[{{ interval }}])',
      vars,
      shared,
    );
    expect(out).toBe('histogram_quantile(0.99, x{app="podinfo",direction="inbound"}[1m])');
  });

  it('names every variable the query uses that the metric does not give', () => {
    expect(() =>
      renderQuery(
        'm',
        '{{ variables.direction }} {{ variables.tenant }} {{ variables.zone }}',
        vars,
        shared,
      ),
    ).toThrow(
      "metric m: its MetricTemplate uses {{ variables.tenant }}, {{ variables.zone }}, which its templateVariables do not give; add tenant, zone to the metric's templateVariables",
    );
  });

  it('escapes variables like every other value', () => {
    const out = renderQuery('m', 'x{a="{{ variables.direction }}"}', vars, {
      rollout: 'r',
      variables: { direction: 'in"} or vector(1)' },
    });
    expect(out).toBe('x{a="in\\"} or vector(1)"}');
  });

  it('is the only query with {{ name }} and {{ variables.NAME }}', () => {
    expect(templateProblem('x{a="{{ variables.direction }}"}')).toMatch(/does not fill in/);
    expect(templateProblem('x{a="{{ name }}"}')).toMatch(/does not fill in/);
    expect(
      templateProblem('x{a="{{ variables.direction }}",b="{{ name }}"}', true),
    ).toBeUndefined();
    expect(templateProblem('x{a="{{ variables. }}"}', true)).toMatch(/\{\{ variables\.NAME \}\}/);
  });

  it('lists the variables a query uses that are not given, each once', () => {
    expect(
      missingVariables('{{ variables.a }}{{ variables.b }}{{ variables.a }}', { b: '1' }),
    ).toEqual(['a']);
  });
});
