import { describe, expect, it } from 'vitest';
import { templateGrouping } from '../../../src/metrics/template-grouping.js';

const alternations = { namespaces: 'dev|prod', names: 'api|web' };
const grouped = (template: string) => templateGrouping(template, '1m')?.render(alternations);

describe('templateGrouping', () => {
  it.each([
    [
      'the contract’s failure count',
      'sum(rate(response_total{namespace="{{ namespace }}",deployment="{{ target }}",classification="failure"}[{{ interval }}]))',
      'sum(rate(response_total{namespace=~"dev|prod",deployment=~"api|web",classification="failure"}[1m])) by (namespace, deployment)',
    ],
    [
      'a ratio of sums, with a number',
      'sum(rate(a{ns="{{ namespace }}", app=~"{{ target }}"}[{{ interval }}])) / sum(rate(b{app=~"{{ target }}", ns="{{ namespace }}"}[5m])) * 100',
      'sum(rate(a{ns=~"dev|prod",app=~"api|web"}[1m])) by (ns, app) / sum(rate(b{app=~"api|web",ns=~"dev|prod"}[5m])) by (ns, app) * 100',
    ],
    [
      'a quantile whose sum already keeps le apart (suffix by)',
      'histogram_quantile(0.95, sum(rate(x_bucket{namespace="{{ namespace }}",svc="{{ service }}"}[{{ interval }}])) by (le))',
      'histogram_quantile(0.95,sum(rate(x_bucket{namespace=~"dev|prod",svc=~"api|web"}[1m])) by(le, namespace, svc))',
    ],
    [
      'a number with a signed exponent, kept whole',
      'sum(x{namespace="{{ namespace }}",d="{{ target }}"}) * 1e+2',
      'sum(x{namespace=~"dev|prod",d=~"api|web"}) by (namespace, d) * 1e+2',
    ],
    [
      'a prefix by that names an identity label already',
      'max by (namespace) (irate(x{namespace="{{ namespace }}",d="{{ target }}"}[{{ interval }}]))',
      'max by(namespace, d)(irate(x{namespace=~"dev|prod",d=~"api|web"}[1m]))',
    ],
  ])('groups %s', (_, template, expected) => {
    expect(grouped(template)).toBe(expected);
  });

  it('names the identity labels the template matches, namespace first', () => {
    const grouping = templateGrouping('sum(x{app="{{ service }}",ns="{{ namespace }}"})', '1m');
    expect(grouping?.labels).toEqual(['ns', 'app']);
    expect(grouping?.nameVariable).toBe('service');
  });

  it.each([
    ['no namespace', 'sum(rate(x{deployment="{{ target }}"}[1m]))'],
    [
      'the rollout’s name',
      'sum(x{namespace="{{ namespace }}",deployment="{{ target }}",r="{{ name }}"})',
    ],
    [
      'a template variable',
      'sum(x{namespace="{{ namespace }}",deployment="{{ target }}",r="{{ variables.route }}"})',
    ],
    [
      'both target and service',
      'sum(x{namespace="{{ namespace }}",deployment="{{ target }}",s="{{ service }}"})',
    ],
    [
      'a selector without the identity',
      'sum(x{namespace="{{ namespace }}",deployment="{{ target }}"}) / sum(y{namespace="{{ namespace }}"})',
    ],
    [
      'the identity under other labels in another selector',
      'sum(x{namespace="{{ namespace }}",deployment="{{ target }}"}) / sum(y{namespace="{{ namespace }}",app="{{ target }}"})',
    ],
    [
      'the identity in a pattern',
      'sum(x{namespace="{{ namespace }}",deployment=~"{{ target }}-.*"})',
    ],
    [
      'both parts of the identity under one label',
      'sum(x{namespace="{{ namespace }}",namespace=~"{{ target }}"})',
    ],
    [
      'a negative identity matcher',
      'sum(x{namespace="{{ namespace }}",deployment!="{{ target }}"})',
    ],
    ['offset', 'sum(rate(x{namespace="{{ namespace }}",deployment="{{ target }}"}[1m] offset 5m))'],
    [
      'on()',
      'sum(x{namespace="{{ namespace }}",deployment="{{ target }}"}) / on() sum(y{namespace="{{ namespace }}",deployment="{{ target }}"})',
    ],
    ['without', 'sum without (pod) (x{namespace="{{ namespace }}",deployment="{{ target }}"})'],
    ['a comparison', 'sum(x{namespace="{{ namespace }}",deployment="{{ target }}"}) > 0'],
    [
      'a subquery',
      'max(rate(x{namespace="{{ namespace }}",deployment="{{ target }}"}[1m])[5m:30s])',
    ],
    ['another function', 'topk(1, x{namespace="{{ namespace }}",deployment="{{ target }}"})'],
    [
      'a string outside a selector',
      'label_replace(x{namespace="{{ namespace }}",deployment="{{ target }}"}, "a", "b", "c", "d")',
    ],
    [
      'a selector by __name__ only',
      '{__name__="x",namespace="{{ namespace }}",deployment="{{ target }}"}',
    ],
    [
      'a character PromQL has and this reader does not',
      'sum(x{namespace="{{ namespace }}",deployment="{{ target }}"}) @ 100',
    ],
  ])('asks alone a template with %s', (_, template) => {
    expect(templateGrouping(template, '1m')).toBeUndefined();
  });
});
