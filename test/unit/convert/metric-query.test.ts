import { describe, expect, it } from 'vitest';
import { convertQuery, findTemplate } from '../../../src/convert/metric-query.js';

describe('convertQuery', () => {
  it('keeps the placeholders fledge renders and writes in templateVariables and the name', () => {
    const result = convertQuery(
      'rate(x{ns="{{namespace}}",d="{{ target }}",dir="{{ variables.direction }}",c="{{ name }}"}[{{ interval }}])',
      'podinfo',
      { direction: 'inbound' },
    );
    expect(result).toEqual({
      ok: true,
      query:
        'rate(x{ns="{{ namespace }}",d="{{ target }}",dir="inbound",c="podinfo"}[{{ interval }}])',
    });
  });

  it('refuses a variable the Canary does not define', () => {
    expect(convertQuery('{{ variables.missing }}', 'c', {})).toEqual({
      ok: false,
      reason: 'it uses {{ variables.missing }} but templateVariables has no missing',
    });
  });

  it('refuses a placeholder fledge has no value for', () => {
    const result = convertQuery('x{i="{{ ingress }}"}', 'c', {});
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/\{\{ ingress \}\}, which fledge has no value for/);
  });
});

describe('findTemplate', () => {
  const templates = [
    { metadata: { name: 'latency', namespace: 'test' }, spec: { query: 'a' } },
    { metadata: { name: 'latency', namespace: 'other' }, spec: { query: 'b' } },
  ];

  it('matches by name and namespace', () => {
    expect(findTemplate(templates, 'latency', 'other')?.spec?.query).toBe('b');
    expect(findTemplate(templates, 'latency', 'prod')).toBeUndefined();
  });
});
