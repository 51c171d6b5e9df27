import { describe, expect, it } from 'vitest';
import type { ApiServer } from '../../../src/kube/api-server.js';
import { gatewayRouteFormat } from '../../../src/routing/gateway-api.js';
import { createRouter } from '../../../src/routing/index.js';
import {
  appliedWeight,
  buildRouteObject,
  type RouteFormat,
} from '../../../src/routing/route-object.js';
import { percentages, type RouteTarget } from '../../../src/routing/router.js';
import { smiFormat } from '../../../src/routing/smi.js';

const target: RouteTarget = {
  namespace: 'production',
  name: 'api-service',
  apexService: 'api-service',
  port: 8080,
  stableService: 'api-service-primary',
  canaryService: 'api-service-canary',
  owner: { apiVersion: 'fledge.dev/v1alpha1', kind: 'Rollout', name: 'api-service', uid: 'u-1' },
  labels: { app: 'api-service' },
};

const readBack = (format: RouteFormat, spec: unknown) =>
  format.readWeights(target, { spec } as never);

const traffic = (canaryWeight: number) => ({ canaryWeight, pinned: false });

describe('SMI TrafficSplit', () => {
  it('writes v1alpha2 weights as integers and v1alpha1 weights as quantity strings', () => {
    expect(smiFormat('v1alpha2').desiredSpec(target, traffic(30), null).spec).toEqual({
      service: 'api-service',
      backends: [
        { service: 'api-service-primary', weight: 70 },
        { service: 'api-service-canary', weight: 30 },
      ],
    });
    expect(smiFormat('v1alpha1').desiredSpec(target, traffic(30), null).spec).toMatchObject({
      backends: [{ weight: '70' }, { weight: '30' }],
    });
  });

  it('reads milli-quantity weights as percentages of the total', () => {
    const spec = {
      service: 'api-service',
      backends: [
        { service: 'api-service-primary', weight: '900m' },
        { service: 'api-service-canary', weight: '100m' },
      ],
    };
    expect(readBack(smiFormat('v1alpha1'), spec)).toEqual({ stable: 90, canary: 10 });
  });

  it('counts a backend someone else added in the total', () => {
    const spec = {
      service: 'api-service',
      backends: [
        { service: 'api-service-primary', weight: 50 },
        { service: 'api-service-canary', weight: 25 },
        { service: 'intruder', weight: 25 },
      ],
    };
    expect(readBack(smiFormat('v1alpha2'), spec)).toEqual({ stable: 50, canary: 25 });
  });

  it('does not recognise a split of another apex or with a missing backend', () => {
    const format = smiFormat('v1alpha2');
    const backends = [
      { service: 'api-service-primary', weight: 100 },
      { service: 'api-service-canary', weight: 0 },
    ];
    expect(readBack(format, { service: 'other', backends })).toBeNull();
    expect(readBack(format, { service: 'api-service', backends: backends.slice(0, 1) })).toBeNull();
    expect(
      readBack(format, {
        service: 'api-service',
        backends: [{ service: 'api-service-primary', weight: 'lots' }, backends[1]],
      }),
    ).toBeNull();
  });
});

describe('HTTPRoute', () => {
  const format = gatewayRouteFormat('HTTPRoute', 'gateway.networking.k8s.io/v1');
  const built = (canaryWeight: number) =>
    format.desiredSpec(target, traffic(canaryWeight), null).spec as {
      parentRefs: unknown[];
      rules: Record<string, unknown>[];
    };

  it('parents the route on the apex Service and weights two Service backends', () => {
    expect(built(0)).toEqual({
      parentRefs: [{ group: 'core', kind: 'Service', name: 'api-service', port: 8080 }],
      rules: [
        {
          backendRefs: [
            { kind: 'Service', name: 'api-service-primary', port: 8080, weight: 100 },
            { kind: 'Service', name: 'api-service-canary', port: 8080, weight: 0 },
          ],
        },
      ],
    });
  });

  it('reads what it wrote, with server defaults such as matches added', () => {
    const spec = built(30);
    const rule = spec.rules[0] ?? {};
    rule.matches = [{ path: { type: 'PathPrefix', value: '/' } }];
    expect(readBack(format, spec)).toEqual({ stable: 70, canary: 30 });
    expect(format.sameSpec(spec, built(30))).toBe(true);
  });

  it('takes an absent weight as 1, the Gateway API default', () => {
    const spec = {
      parentRefs: [{ group: '', kind: 'Service', name: 'api-service' }],
      rules: [{ backendRefs: [{ name: 'api-service-primary' }, { name: 'api-service-canary' }] }],
    };
    expect(readBack(format, spec)).toEqual({ stable: 50, canary: 50 });
  });

  it('does not recognise a route whose parent is a Gateway or whose rules disagree', () => {
    const good = built(0);
    const other = built(50);
    expect(
      readBack(format, { ...good, parentRefs: [{ kind: 'Gateway', name: 'api-service' }] }),
    ).toBeNull();
    expect(readBack(format, { ...good, rules: [...good.rules, ...other.rules] })).toBeNull();
    expect(readBack(format, { ...good, rules: [...good.rules, ...good.rules] })).toEqual({
      stable: 100,
      canary: 0,
    });
  });

  it('uses the group, version and plural of each supported kind and apiVersion', () => {
    expect(gatewayRouteFormat('HTTPRoute', 'policy.linkerd.io/v1beta3').type).toMatchObject({
      group: 'policy.linkerd.io',
      version: 'v1beta3',
      plural: 'httproutes',
    });
    expect(
      gatewayRouteFormat('GRPCRoute', 'gateway.networking.k8s.io/v1alpha2').type,
    ).toMatchObject({ version: 'v1alpha2', plural: 'grpcroutes', kind: 'GRPCRoute' });
  });
});

describe('routing object', () => {
  it('is owned by the Rollout, labelled, and remembers the weight it was written with', () => {
    const object = buildRouteObject(smiFormat('v1alpha2'), target, traffic(30));
    expect(object.metadata).toMatchObject({
      name: 'api-service',
      namespace: 'production',
      labels: { app: 'api-service', 'app.kubernetes.io/managed-by': 'fledge' },
      ownerReferences: [target.owner],
    });
    expect(appliedWeight(object)).toBe(30);
  });

  it('rounds relative weights to whole percentages', () => {
    expect(percentages(2, 1, 3)).toEqual({ stable: 67, canary: 33 });
    expect(percentages(0, 0, 0)).toEqual({ stable: 0, canary: 0 });
  });
});

describe('createRouter', () => {
  const api = {} as ApiServer;

  it('defaults to SMI v1alpha2', () => {
    expect(createRouter(api)).toMatchObject({
      provider: 'smi',
      apiVersion: 'split.smi-spec.io/v1alpha2',
    });
  });

  it('names the field and the accepted values for an unknown provider or apiVersion', () => {
    expect(() => createRouter(api, { provider: 'istio' })).toThrow(
      /spec\.routing\.provider "istio".*"smi" or "gateway-api"/,
    );
    expect(() =>
      createRouter(api, { provider: 'gateway-api', apiVersion: 'split.smi-spec.io/v1alpha2' }),
    ).toThrow(/spec\.routing\.apiVersion .*gateway\.networking\.k8s\.io\/v1,/);
    expect(() =>
      createRouter(api, {
        provider: 'gateway-api',
        kind: 'GRPCRoute',
        apiVersion: 'policy.linkerd.io/v1beta3',
      }),
    ).toThrow(
      /for GRPCRoute; use one of gateway\.networking\.k8s\.io\/v1, gateway\.networking\.k8s\.io\/v1alpha2/,
    );
  });

  it('writes a GRPCRoute for kind GRPCRoute', () => {
    expect(createRouter(api, { provider: 'gateway-api', kind: 'GRPCRoute' }).type).toMatchObject({
      kind: 'GRPCRoute',
      version: 'v1',
    });
  });
});
