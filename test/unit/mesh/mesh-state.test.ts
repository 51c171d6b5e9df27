import { describe, expect, it, vi } from 'vitest';
import type { EndpointSliceObject, ServiceObject } from '../../../src/playground/mesh/endpoints.js';
import {
  FAILFAST_MS,
  MeshState,
  type RouteDecision,
} from '../../../src/playground/mesh/mesh-state.js';
import type { PodObject } from '../../../src/playground/mesh/pod-identity.js';
import type { RoutingObject } from '../../../src/playground/mesh/routing-table.js';

function service(name: string, portName = 'http'): ServiceObject {
  return {
    metadata: { name, namespace: 'prod' },
    spec: { ports: [{ name: portName, port: 8080 }] },
  };
}

function slice(
  name: string,
  pods: Array<[string, string]>,
  portName = 'http',
  ready = true,
): EndpointSliceObject {
  return {
    metadata: {
      name: `${name}-x1`,
      namespace: 'prod',
      labels: { 'kubernetes.io/service-name': name },
    },
    addressType: 'IPv4',
    endpoints: pods.map(([pod, ip]) => ({
      addresses: [ip],
      conditions: { ready },
      targetRef: { kind: 'Pod', name: pod, namespace: 'prod' },
    })),
    ports: [{ name: portName, port: 9000 }],
  };
}

function pod(name: string, replicaSet: string, hash: string, deleting = false): PodObject {
  return {
    metadata: {
      name,
      namespace: 'prod',
      labels: { 'pod-template-hash': hash },
      ownerReferences: [{ kind: 'ReplicaSet', name: replicaSet, controller: true }],
      deletionTimestamp: deleting ? '2024-01-01T00:00:00Z' : undefined,
    },
  };
}

function cluster(routing: RoutingObject[] = []) {
  const services = new Map([
    ['prod/api', service('api')],
    ['prod/api-primary', service('api-primary')],
    ['prod/api-canary', service('api-canary')],
    ['prod/empty', service('empty')],
  ]);
  const slices = new Map([
    ['prod/api', slice('api', [['api-primary-5f6-a', '127.1.0.1']])],
    [
      'prod/api-primary',
      slice('api-primary', [
        ['api-primary-5f6-a', '127.1.0.1'],
        ['api-primary-5f6-b', '127.1.0.2'],
      ]),
    ],
    ['prod/api-canary', slice('api-canary', [['api-7c8-c', '127.1.0.3']])],
  ]);
  const pods = new Map([
    ['prod/api-primary-5f6-a', pod('api-primary-5f6-a', 'api-primary-5f6', '5f6')],
    ['prod/api-primary-5f6-b', pod('api-primary-5f6-b', 'api-primary-5f6', '5f6')],
    ['prod/api-7c8-c', pod('api-7c8-c', 'api-7c8', '7c8')],
  ]);
  const view = {
    service: (namespace: string, name: string) => services.get(`${namespace}/${name}`),
    pod: (namespace: string, name: string) => pods.get(`${namespace}/${name}`),
    endpointSlices: (namespace: string, service: string) => {
      const found = slices.get(`${namespace}/${service}`);
      return found ? [found] : [];
    },
    routingObjects: () => routing,
  };
  return { view, pods, state: new MeshState(view) };
}

const address = (service: string, port = 8080) => ({ service, namespace: 'prod', port });
const request = { path: '/', method: 'GET', headers: {} };

function split(primary: number, canary: number): RoutingObject {
  return {
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    metadata: { name: 'api', namespace: 'prod' },
    spec: {
      service: 'api',
      backends: [
        { service: 'api-primary', weight: primary },
        { service: 'api-canary', weight: canary },
      ],
    },
  };
}

function forwarded(decision: RouteDecision) {
  if (decision.kind !== 'forward')
    throw new Error(`expected a forward, got ${JSON.stringify(decision)}`);
  return decision;
}

describe('MeshState.decide', () => {
  it('sends a Service without a route to its own endpoints, at the target port', () => {
    const decision = forwarded(cluster().state.decide(address('api'), request));
    expect(decision.endpoint).toMatchObject({ ip: '127.1.0.1', port: 9000 });
    expect(decision.destination).toEqual({
      service: 'api',
      namespace: 'prod',
      authority: 'api.prod.svc.cluster.local:8080',
    });
  });

  it('labels the serving pod with its Deployment (the ReplicaSet name without the hash)', () => {
    const decision = forwarded(cluster().state.decide(address('api'), request));
    expect(decision.server).toEqual({
      namespace: 'prod',
      deployment: 'api-primary',
      pod: 'api-primary-5f6-a',
    });
  });

  it('round-robins over the ready endpoints of a backend', () => {
    const { state } = cluster();
    const ips = [1, 2, 3, 4].map(
      () => forwarded(state.decide(address('api-primary'), request)).endpoint.ip,
    );
    expect(ips).toEqual(['127.1.0.1', '127.1.0.2', '127.1.0.1', '127.1.0.2']);
  });

  it('skips pods that are terminating', () => {
    const { pods, state } = cluster();
    pods.set('prod/api-primary-5f6-a', pod('api-primary-5f6-a', 'api-primary-5f6', '5f6', true));
    const ips = [1, 2].map(
      () => forwarded(state.decide(address('api-primary'), request)).endpoint.ip,
    );
    expect(ips).toEqual(['127.1.0.2', '127.1.0.2']);
  });

  it('sends traffic to terminating pods while the slice lists no other, as they serve out their grace', () => {
    const { pods, state } = cluster();
    pods.set('prod/api-primary-5f6-a', pod('api-primary-5f6-a', 'api-primary-5f6', '5f6', true));
    pods.set('prod/api-primary-5f6-b', pod('api-primary-5f6-b', 'api-primary-5f6', '5f6', true));
    const ips = [1, 2].map(
      () => forwarded(state.decide(address('api-primary'), request)).endpoint.ip,
    );
    expect(ips.sort()).toEqual(['127.1.0.1', '127.1.0.2']);
  });

  it('never sends traffic to an address outside the loopback network', () => {
    const { view, state } = cluster();
    view.endpointSlices = () => [slice('api', [['api-primary-5f6-a', '10.0.0.1']])];
    expect(state.decide(address('api'), request)).toMatchObject({
      kind: 'queue',
      reason: expect.stringContaining('no ready endpoints'),
    });
  });

  it('skips endpoints whose slice condition is not ready', () => {
    const { view, state } = cluster();
    view.endpointSlices = () => [slice('api', [['api-primary-5f6-a', '127.1.0.1']], 'http', false)];
    expect(state.decide(address('api'), request)).toMatchObject({
      kind: 'queue',
      reason: expect.stringContaining('no ready endpoints'),
    });
  });

  it('moves 30% of requests to the canary under a 70/30 TrafficSplit', () => {
    const { state } = cluster([split(70, 30)]);
    let canary = 0;
    for (let i = 0; i < 2000; i++) {
      if (forwarded(state.decide(address('api'), request)).destination.service === 'api-canary')
        canary++;
    }
    expect(canary).toBe(600);
  });

  it('follows new weights once the routes are invalidated', () => {
    const routing = [split(100, 0)];
    const { view, state } = cluster(routing);
    expect(forwarded(state.decide(address('api'), request)).destination.service).toBe(
      'api-primary',
    );
    view.routingObjects = () => [split(0, 100)];
    state.invalidateRoutes();
    expect(forwarded(state.decide(address('api'), request)).destination.service).toBe('api-canary');
  });

  it('answers 502 naming the Service and namespace when the Service does not exist', () => {
    expect(cluster().state.decide(address('nope'), request)).toMatchObject({
      kind: 'reject',
      status: 502,
      reason: expect.stringContaining('no Service "nope" in namespace "prod"'),
    });
  });

  it('queues a request to a backend without endpoints, and answers 503 once it has had none for 3 s', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const { state } = cluster();
      const reason = 'Service prod/empty has no ready endpoints for port 8080';
      expect(state.decide(address('empty'), request)).toMatchObject({
        kind: 'queue',
        reason,
        destination: { service: 'empty', namespace: 'prod' },
        failFastAt: 1_000_000 + FAILFAST_MS,
      });
      vi.advanceTimersByTime(FAILFAST_MS - 1);
      // A later request joins the same queue: the backend has been empty since the first.
      expect(state.decide(address('empty'), request)).toMatchObject({
        kind: 'queue',
        failFastAt: 1_000_000 + FAILFAST_MS,
      });
      vi.advanceTimersByTime(1);
      expect(state.decide(address('empty'), request)).toMatchObject({
        kind: 'reject',
        status: 503,
        reason,
        destination: { service: 'empty', namespace: 'prod' },
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('forwards a queued request once the slice lists a ready endpoint, and forgets the wait', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const { view, state } = cluster();
      const queued = state.decide(address('empty'), request);
      if (queued.kind !== 'queue') throw new Error(`expected a queue, got ${queued.kind}`);
      vi.advanceTimersByTime(500);
      const listed = slice('empty', [['empty-1a2-a', '127.1.0.9']]);
      const endpointSlices = view.endpointSlices;
      view.endpointSlices = (namespace, name) =>
        name === 'empty' ? [listed] : endpointSlices(namespace, name);
      expect(forwarded(queued.again()).endpoint.ip).toBe('127.1.0.9');
      // Empty again later: a new wait of its own, not the old one's remainder.
      view.endpointSlices = endpointSlices;
      vi.advanceTimersByTime(10_000);
      expect(state.decide(address('empty'), request)).toMatchObject({
        kind: 'queue',
        failFastAt: 1_010_500 + FAILFAST_MS,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers 503 when the split names a backend Service that does not exist', () => {
    const routing = split(0, 100);
    routing.spec.backends[1].service = 'api-missing';
    expect(cluster([routing]).state.decide(address('api'), request)).toMatchObject({
      status: 503,
      reason: 'backend Service prod/api-missing of prod/api does not exist',
    });
  });

  it('answers 503 when every backend weight is 0', () => {
    expect(cluster([split(0, 0)]).state.decide(address('api'), request)).toMatchObject({
      status: 503,
      reason: expect.stringContaining('no backend with a positive weight'),
    });
  });

  it('answers 503 naming the ports when the Service lacks the requested port', () => {
    expect(cluster().state.decide(address('api', 80), request)).toMatchObject({
      status: 503,
      reason: 'Service prod/api has no port 80 (ports: 8080)',
    });
  });
});
