import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { metricsSource } from '../../../src/controller/effects/analysis.js';
import { prepareQuery } from '../../../src/metrics/analysis.js';
import type { MetricsProvider } from '../../../src/metrics/prometheus.js';
import { ProxyMetrics } from '../../../src/playground/mesh/proxy-metrics.js';

const local: MetricsProvider = { query: async () => 1 };
const west: MetricsProvider = { query: async () => 2 };
const ctx = {
  metrics: local,
  clusterMetrics: (cluster: string) => (cluster === 'west' ? west : undefined),
};

function backendRollout(cluster?: string): Rollout {
  return {
    metadata: { name: 'api', namespace: 'shop' },
    spec: {
      service: { name: 'api', port: 8080 },
      backends: {
        stable: { service: 'api-stable' },
        canary: { service: 'api-v2', ...(cluster ? { cluster } : {}) },
      },
      analysis: { interval: '2s', threshold: 1 },
    },
  } as unknown as Rollout;
}

describe('metricsSource', () => {
  it('measures a canary in a cluster with a known Prometheus inbound there, by its own name', () => {
    expect(metricsSource(backendRollout('west'), 'api-v2-west', ctx)).toEqual({
      mode: 'remote',
      service: 'api-v2',
      provider: west,
    });
  });

  it('measures a remote canary by its callers here when its cluster has no Prometheus given', () => {
    expect(metricsSource(backendRollout('north'), 'api-v2-north', ctx)).toEqual({
      mode: 'backend',
      service: 'api-v2-north',
      provider: local,
    });
  });

  it('measures a local backend by its callers here', () => {
    expect(metricsSource(backendRollout(), 'api-v2', ctx).mode).toBe('backend');
  });
});

describe('the remote built-in queries', () => {
  const prepared = prepareQuery(
    { name: 'request-success-rate' },
    { mode: 'remote', namespace: 'shop', target: '', service: 'api-v2', defaultIntervalMs: 60_000 },
  );
  const query = 'query' in prepared ? prepared.query : '';
  /** The authority regex as Prometheus reads it, out of the PromQL string literal. */
  const authority = new RegExp(
    `^${(/authority=~"((?:[^"\\]|\\.)*)"/.exec(query)?.[1] ?? '').replaceAll('\\\\', '\\')}$`,
  );

  it('select inbound series of the namespace', () => {
    expect(query).toContain('namespace="shop"');
    expect(query).toContain('direction="inbound"');
  });

  it.each([
    'api-v2',
    'api-v2:8080',
    'api-v2.shop',
    'api-v2.shop:8080',
    'api-v2.shop.svc.cluster.local:8080',
  ])('count requests whose authority is %s', (value) => {
    expect(authority.test(value)).toBe(true);
  });

  it.each(['api-v2-west.shop:8080', 'api-v2.other:8080', 'api-v20.shop:8080'])(
    'leave out requests whose authority is %s',
    (value) => {
      expect(authority.test(value)).toBe(false);
    },
  );
});

describe('inbound series of the simulated mesh', () => {
  it('carry the authority the server received, as Linkerd labels them', () => {
    const metrics = new ProxyMetrics();
    metrics.record({
      direction: 'inbound',
      workload: { namespace: 'shop', deployment: 'api-v2', pod: 'api-v2-1' },
      authority: 'api-v2.shop.svc.cluster.local:8080',
      statusCode: 200,
      latencyMs: 2,
    });
    expect(metrics.expose()).toContain(
      'direction="inbound",namespace="shop",deployment="api-v2",pod="api-v2-1",authority="api-v2.shop.svc.cluster.local:8080"',
    );
  });
});
