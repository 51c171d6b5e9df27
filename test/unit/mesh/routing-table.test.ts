import { describe, expect, it } from 'vitest';
import {
  buildRoutingTable,
  type RoutingObject,
  selectRule,
} from '../../../src/playground/mesh/routing-table.js';

const get = { path: '/', method: 'GET', headers: {} };

function trafficSplit(apiVersion: string, weights: [unknown, unknown]): RoutingObject {
  return {
    apiVersion,
    kind: 'TrafficSplit',
    metadata: { name: 'api', namespace: 'prod', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      service: 'api',
      backends: [
        { service: 'api-primary', weight: weights[0] },
        { service: 'api-canary', weight: weights[1] },
      ],
    },
  };
}

function httpRoute(
  apiVersion: string,
  parentGroup: string,
  weights: [number, number],
): RoutingObject {
  return {
    apiVersion,
    kind: 'HTTPRoute',
    metadata: { name: 'api', namespace: 'prod' },
    spec: {
      parentRefs: [{ group: parentGroup, kind: 'Service', name: 'api', port: 8080 }],
      rules: [
        {
          backendRefs: [
            { name: 'api-primary', port: 8080, weight: weights[0] },
            { name: 'api-canary', port: 8080, weight: weights[1] },
          ],
        },
      ],
    },
  };
}

function weightsOf(objects: RoutingObject[], port = 8080) {
  const selected = selectRule(buildRoutingTable(objects), 'prod', 'api', port, get);
  return selected?.rule.backends.map((b) => [b.service, b.weight]);
}

describe('buildRoutingTable', () => {
  it('reads SMI v1alpha1 TrafficSplit weights given as quantity strings', () => {
    expect(weightsOf([trafficSplit('split.smi-spec.io/v1alpha1', ['900m', '100m'])])).toEqual([
      ['api-primary', 0.9],
      ['api-canary', 0.1],
    ]);
  });

  it('reads SMI v1alpha2 TrafficSplit weights given as numbers', () => {
    expect(weightsOf([trafficSplit('split.smi-spec.io/v1alpha2', [70, 30])])).toEqual([
      ['api-primary', 70],
      ['api-canary', 30],
    ]);
  });

  it.each([
    ['gateway.networking.k8s.io/v1', ''],
    ['gateway.networking.k8s.io/v1beta1', 'core'],
    ['policy.linkerd.io/v1beta3', 'core'],
  ])('reads %s HTTPRoute backendRefs under a Service parent (group "%s")', (apiVersion, group) => {
    expect(weightsOf([httpRoute(apiVersion, group, [80, 20])])).toEqual([
      ['api-primary', 80],
      ['api-canary', 20],
    ]);
  });

  it('applies an HTTPRoute with a parentRef port only to that port', () => {
    const route = httpRoute('gateway.networking.k8s.io/v1', '', [0, 100]);
    expect(weightsOf([route], 9090)).toBeUndefined();
  });

  it('gives backendRefs without a weight the Gateway API default of 1', () => {
    const route = httpRoute('gateway.networking.k8s.io/v1', '', [1, 1]);
    for (const ref of route.spec.rules[0].backendRefs) delete ref.weight;
    expect(weightsOf([route])).toEqual([
      ['api-primary', 1],
      ['api-canary', 1],
    ]);
  });

  it('ignores HTTPRoutes whose parent is a Gateway, not a Service', () => {
    const route = httpRoute('gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io', [1, 1]);
    route.spec.parentRefs[0].kind = 'Gateway';
    expect(buildRoutingTable([route]).routes.size).toBe(0);
  });

  it('counts the same object watched at two API versions once', () => {
    const table = buildRoutingTable([
      trafficSplit('split.smi-spec.io/v1alpha1', [70, 30]),
      trafficSplit('split.smi-spec.io/v1alpha2', [70, 30]),
    ]);
    expect(table.routes.get('prod/api')).toHaveLength(1);
  });

  it('prefers an HTTPRoute over a TrafficSplit for the same Service', () => {
    expect(
      weightsOf([
        trafficSplit('split.smi-spec.io/v1alpha2', [100, 0]),
        httpRoute('policy.linkerd.io/v1beta3', 'core', [50, 50]),
      ]),
    ).toEqual([
      ['api-primary', 50],
      ['api-canary', 50],
    ]);
  });

  it('reports a backend with an unreadable weight, naming the object and field', () => {
    const table = buildRoutingTable([trafficSplit('split.smi-spec.io/v1alpha1', ['lots', 10])]);
    expect(table.problems).toEqual([
      expect.stringContaining('TrafficSplit prod/api: spec.backends[0]'),
    ]);
    expect(table.routes.get('prod/api')?.[0]?.rules[0]?.backends).toHaveLength(1);
  });

  it('reports a TrafficSplit without spec.service', () => {
    const split = trafficSplit('split.smi-spec.io/v1alpha2', [1, 1]);
    delete split.spec.service;
    expect(buildRoutingTable([split]).problems[0]).toMatch(/spec.service is missing/);
  });
});

describe('selectRule', () => {
  const route: RoutingObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'api', namespace: 'prod' },
    spec: {
      parentRefs: [{ kind: 'Service', name: 'api' }],
      rules: [
        {
          matches: [{ headers: [{ name: 'X-Canary', value: 'insider' }] }],
          backendRefs: [{ name: 'api-canary', port: 80 }],
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/v2' } }],
          backendRefs: [{ name: 'api-v2', port: 80 }],
        },
        { backendRefs: [{ name: 'api-primary', port: 80 }] },
      ],
    },
  };
  const table = buildRoutingTable([route]);
  const pick = (path: string, headers: Record<string, string> = {}) =>
    selectRule(table, 'prod', 'api', 80, { path, method: 'GET', headers })?.rule.backends[0]
      ?.service;

  it('takes the first rule whose header match holds', () => {
    expect(pick('/', { 'x-canary': 'insider' })).toBe('api-canary');
  });

  it('matches path prefixes on segment boundaries', () => {
    expect(pick('/v2/items?x=1')).toBe('api-v2');
    expect(pick('/v2')).toBe('api-v2');
    expect(pick('/v20')).toBe('api-primary');
  });

  it('returns null for a Service without a route', () => {
    expect(selectRule(table, 'prod', 'other', 80, get)).toBeNull();
  });
});
