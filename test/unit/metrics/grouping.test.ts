import { describe, expect, it } from 'vitest';
import { prepareQuery } from '../../../src/metrics/analysis.js';
import type { VectorSeries } from '../../../src/metrics/grouped-result.js';
import {
  fanOut,
  type GroupDefinition,
  groupable,
  splitMembers,
} from '../../../src/metrics/grouping.js';

const workload = {
  mode: 'workload',
  namespace: 'prod',
  target: 'api',
  service: 'api-canary',
} as const;
const backend = { ...workload, mode: 'backend' } as const;
const compact = (s: string) => s.replace(/\s+/g, '');

function definitionOf(
  metric: Parameters<typeof groupable>[0],
  where: Parameters<typeof groupable>[1] = workload,
): GroupDefinition {
  const group = groupable(metric, where, '10s');
  if (!group) throw new Error('expected a groupable metric');
  return group.definition;
}

describe('groupable', () => {
  it.each([
    ['a built-in in workload mode', { name: 'request-success-rate' }, workload, 'prod/api'],
    [
      'a built-in in backend mode, by its Service',
      { name: 'request-duration' },
      backend,
      'prod/api-canary',
    ],
  ] as const)('groups %s', (_, metric, where, identity) => {
    const group = groupable(metric, where, '10s');
    expect(group && `${group.identity.namespace}/${group.identity.name}`).toBe(identity);
  });

  it.each([
    ['a query of its own', { name: 'request-success-rate', query: 'up' }, workload],
    [
      'a metric that cannot be asked',
      { name: 'request-success-rate', unavailable: 'no template' },
      workload,
    ],
    ['a metric that is not built in', { name: 'error-ratio' }, workload],
    [
      'a remote canary (an authority pattern)',
      { name: 'request-success-rate' },
      { ...workload, mode: 'remote' },
    ],
    [
      'a Deployment name with a dot (a pattern to =~ today)',
      { name: 'request-success-rate' },
      { ...workload, target: 'api.v2' },
    ],
    [
      'a Service name with regex characters',
      { name: 'request-duration' },
      { ...backend, service: 'a|b' },
    ],
  ] as const)('asks %s alone', (_, metric, where) => {
    expect(groupable(metric, where, '10s')).toBeUndefined();
  });

  it('gives the same key to the same definition of different rollouts, another to another window or quantile', () => {
    const key = (
      metric: Parameters<typeof groupable>[0],
      where: Parameters<typeof groupable>[1] = workload,
      interval = '10s',
    ) => groupable(metric, where, interval)?.definition.key;
    const rate = { name: 'request-success-rate' };
    expect(key(rate)).toBe(key(rate, { ...workload, namespace: 'dev', target: 'web' }));
    expect(key(rate)).not.toBe(key(rate, workload, '30s'));
    expect(key(rate)).not.toBe(key(rate, backend));
    expect(key({ name: 'request-duration' })).not.toBe(
      key({ name: 'request-duration', quantile: 0.95 }),
    );
  });
});

describe('grouped queries', () => {
  it('widens the identity matchers and keeps the sums apart by them (success rate)', () => {
    const query = definitionOf({ name: 'request-success-rate' }).render([
      { namespace: 'prod', name: 'web' },
      { namespace: 'dev', name: 'api' },
      { namespace: 'prod', name: 'api' },
    ]);
    expect(compact(query)).toBe(
      compact(
        'sum by (namespace, deployment) (rate(response_total{namespace=~"dev|prod", deployment=~"api|web", direction="inbound", classification!="failure"}[10s]))' +
          ' / sum by (namespace, deployment) (rate(response_total{namespace=~"dev|prod", deployment=~"api|web", direction="inbound"}[10s])) * 100',
      ),
    );
  });

  it('keeps the histogram buckets apart per workload (duration, backend mode)', () => {
    const query = definitionOf({ name: 'request-duration', quantile: 0.95 }, backend).render([
      { namespace: 'prod', name: 'api-canary' },
    ]);
    expect(compact(query)).toBe(
      compact(
        'histogram_quantile(0.95, sum(rate(response_latency_ms_bucket{dst_namespace=~"prod", dst_service=~"api-canary", direction="outbound"}[10s])) by (le, dst_namespace, dst_service))',
      ),
    );
  });

  it('differs from the rollout’s own query only in the matchers and the grouping', () => {
    const alone = prepareQuery(
      { name: 'request-success-rate', interval: '10s' },
      { ...workload, defaultIntervalMs: 60_000 },
    );
    const grouped = definitionOf({ name: 'request-success-rate' }).render([
      { namespace: 'prod', name: 'api' },
    ]);
    expect('query' in alone && alone.query.replaceAll('deployment=~', 'deployment=')).toBe(
      grouped
        .replaceAll('namespace=~', 'namespace=')
        .replaceAll('deployment=~', 'deployment=')
        .replaceAll('sum by (namespace, deployment) (', 'sum('),
    );
  });
});

describe('splitMembers', () => {
  const definition = definitionOf({ name: 'request-success-rate' });
  const members = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ namespace: 'prod', name: `app-${i}` }));

  it.each([
    ['none', 0, 3, 10_000, []],
    ['fewer than the bound in one query', 3, 3, 10_000, [3]],
    ['past the member bound into several', 7, 3, 10_000, [3, 3, 1]],
  ] as const)('splits %s', (_, n, maxMembers, maxQueryChars, sizes) => {
    const chunks = splitMembers(definition, members(n), { maxMembers, maxQueryChars });
    expect(chunks.map((c) => c.length)).toEqual(sizes);
    expect(chunks.flat()).toEqual(members(n));
  });

  it('keeps each query within the character bound', () => {
    const oneLength = definition.render(members(1)).length;
    const maxQueryChars = oneLength + 3 * '|app-0'.length;
    const chunks = splitMembers(definition, members(10), { maxMembers: 100, maxQueryChars });
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks)
      expect(definition.render(chunk).length).toBeLessThanOrEqual(maxQueryChars);
    expect(chunks.flat()).toEqual(members(10));
  });

  it('asks a single workload even when its query alone is past the bound', () => {
    expect(splitMembers(definition, members(2), { maxMembers: 100, maxQueryChars: 10 })).toEqual([
      [members(2)[0]],
      [members(2)[1]],
    ]);
  });

  it('names a repeated workload once', () => {
    const twice = [...members(2), ...members(2)];
    expect(splitMembers(definition, twice, { maxMembers: 100, maxQueryChars: 10_000 })).toEqual([
      members(2),
    ]);
  });
});

describe('fanOut', () => {
  const labels = ['namespace', 'deployment'] as const;
  const series = (namespace: string, deployment: string, value: number | null): VectorSeries => ({
    labels: { namespace, deployment },
    sample: { value },
  });
  const prodApi = { namespace: 'prod', name: 'api' };
  const prodWeb = { namespace: 'prod', name: 'web' };
  const devApi = { namespace: 'dev', name: 'api' };

  it.each([
    [
      'each its own value',
      [series('prod', 'api', 99.5), series('prod', 'web', 97)],
      [prodApi, prodWeb],
      [{ value: 99.5 }, { value: 97 }],
    ],
    [
      'no series: no data, the others unharmed',
      [series('prod', 'web', 97)],
      [prodApi, prodWeb],
      [{ value: null }, { value: 97 }],
    ],
    [
      'a NaN or Inf (read as null): no data',
      [series('prod', 'api', null)],
      [prodApi],
      [{ value: null }],
    ],
    [
      'the same name in another namespace is not its series',
      [series('dev', 'api', 50)],
      [prodApi, devApi],
      [{ value: null }, { value: 50 }],
    ],
    [
      'a series of a workload not asked for is ignored',
      [series('prod', 'other', 1)],
      [prodApi],
      [{ value: null }],
    ],
    [
      'a repeated workload: the same value for each',
      [series('prod', 'api', 99)],
      [prodApi, prodApi],
      [{ value: 99 }, { value: 99 }],
    ],
    [
      'a series without the identity labels matches nothing',
      [{ labels: { namespace: 'prod' }, sample: { value: 1 } }],
      [prodApi],
      [{ value: null }],
    ],
  ] as const)('gives %s', (_, answer, members, expected) => {
    expect(fanOut(answer, labels, members)).toEqual(expected);
  });

  it('fails only the workload whose series cannot be read', () => {
    const broken: VectorSeries = {
      labels: { namespace: 'prod', deployment: 'api' },
      sample: { problem: 'its series 0 has the value "x"', fix: 'check' },
    };
    expect(fanOut([broken, series('prod', 'web', 97)], labels, [prodApi, prodWeb])).toEqual([
      { problem: 'its series 0 has the value "x"', fix: 'check' },
      { value: 97 },
    ]);
  });

  it('refuses several series for one workload, as its own query would, and only for it', () => {
    const [api, web] = fanOut(
      [series('prod', 'api', 1), series('prod', 'api', 2), series('prod', 'web', 97)],
      labels,
      [prodApi, prodWeb],
    );
    expect(api).toMatchObject({ problem: expect.stringContaining('2 series for prod/api') });
    expect(web).toEqual({ value: 97 });
  });
});
