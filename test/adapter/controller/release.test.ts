import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { RELEASED_FROM_LABEL, releaseRollout } from '../../../src/controller/release.js';
import { keptFor } from '../../../src/controller/workload/kept.js';
import { ApiServer, type KubeObject, type RequestOptions } from '../../../src/kube/api-server.js';
import {
  endpointSliceTypes,
  knownTypes,
  ownerReferenceTo,
  ResourceClient,
  type ResourceType,
} from '../../../src/kube/resources.js';
import { createRouter } from '../../../src/routing/index.js';
import { useApiServer } from '../../support/apiserver.js';

const cluster = useApiServer(['rollout', 'trafficSplit', 'gatewayHttpRoute']);

/** The API server as fledge sees it, with every write it sends written down in order. */
class RecordingApi extends ApiServer {
  readonly writes: string[] = [];
  override request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    if (method !== 'GET') {
      const kind = path.split('/').at(-2) ?? '';
      const name = path.split('/').at(-1) ?? '';
      this.writes.push(`${method} ${kind}/${name} ${JSON.stringify(options.body ?? {})}`);
    }
    return super.request<T>(method, path, options);
  }
}

const log = pino({ level: 'silent' });
const trafficSplits = {
  group: 'split.smi-spec.io',
  version: 'v1alpha2',
  plural: 'trafficsplits',
  kind: 'TrafficSplit',
  namespaced: true,
};

function client<T extends KubeObject = KubeObject>(type: ResourceType = knownTypes.deployments) {
  return new ResourceClient<T>(cluster().api, type);
}

/** A Rollout whose spec the controller refuses (stepWeight above maxWeight): valid for the schema only. */
async function invalidRollout(namespace: string, status: Rollout['status'] = {}): Promise<Rollout> {
  const created = await client(knownTypes.rollouts).create({
    metadata: { namespace, name: 'api' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      service: { port: 8080 },
      analysis: { interval: '1m', stepWeight: 60, maxWeight: 50 },
    },
  });
  if (Object.keys(status).length === 0) return created as unknown as Rollout;
  return (await client(knownTypes.rollouts).mergePatch(
    namespace,
    'api',
    { status },
    'status',
  )) as unknown as Rollout;
}

function deployment(
  namespace: string,
  name: string,
  app: string,
  replicas: number,
  how?: Belonging,
) {
  return {
    metadata: { namespace, name, ...belonging(how) },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: { containers: [{ name: 'app', image: 'fledge/demo:1.0.0' }] },
      },
    },
  };
}

/** Marks a Deployment's replicas ready, as kube-controller-manager would (no kubelet here). */
async function ready(namespace: string, name: string, replicas: number): Promise<void> {
  await client().mergePatch(
    namespace,
    name,
    {
      status: {
        observedGeneration: 1,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      },
    },
    'status',
  );
}

/** How a workload object belongs to its Rollout: kept for it (today), or owned (older fledge). */
type Belonging = { owner: KubeObject } | { keptFor: Rollout } | undefined;

function belonging(how: Belonging): object {
  if (!how) return {};
  return 'owner' in how
    ? { ownerReferences: [ownerReferenceTo(how.owner)] }
    : { annotations: keptFor(how.keptFor) };
}

async function service(namespace: string, name: string, app: string, how?: Belonging) {
  await client(knownTypes.services).create({
    metadata: { namespace, name, ...belonging(how) },
    spec: { selector: { app }, ports: [{ port: 8080 }] },
  });
}

async function splitAt(
  namespace: string,
  canaryWeight: number,
  owner: KubeObject,
  backends: [string, string],
) {
  await client(trafficSplits).create({
    metadata: {
      namespace,
      name: 'api',
      ownerReferences: [ownerReferenceTo(owner)],
      annotations: { 'fledge.dev/canary-weight': String(canaryWeight) },
    },
    spec: {
      service: 'api',
      backends: [
        { service: backends[0], weight: 100 - canaryWeight },
        { service: backends[1], weight: canaryWeight },
      ],
    },
  });
}

async function readySlice(namespace: string, service: string): Promise<void> {
  const type = endpointSliceTypes.find((t) => t.version === 'v1beta1') ?? knownTypes.services;
  await client(type).create({
    metadata: {
      namespace,
      name: `${service}-slice`,
      labels: { 'kubernetes.io/service-name': service },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
    ports: [{ port: 8080 }],
  });
}

describe('releaseRollout on a real API server', () => {
  it("puts an invalid mid-analysis Rollout's traffic on the primary, read back, before anything goes", async () => {
    const namespace = await cluster().createNamespace();
    const rollout = await invalidRollout(namespace, { phase: 'Progressing', canaryWeight: 30 });
    const owner = rollout as unknown as KubeObject;
    await client().create(deployment(namespace, 'api', 'api', 2));
    await client().create(
      deployment(namespace, 'api-primary', 'api-primary', 2, { keptFor: rollout }),
    );
    await ready(namespace, 'api-primary', 2);
    await service(namespace, 'api', 'api-primary', { keptFor: rollout });
    await service(namespace, 'api-primary', 'api-primary', { keptFor: rollout });
    await service(namespace, 'api-canary', 'api', { keptFor: rollout });
    await splitAt(namespace, 30, owner, ['api-primary', 'api-canary']);

    const api = new RecordingApi(cluster().kc);
    await releaseRollout(api, rollout, { log, pollMs: 50, readyTimeoutMs: 1000 });

    const order = api.writes.map((write) => write.split(' ').slice(0, 2).join(' '));
    expect(order).toEqual([
      'PATCH trafficsplits/api',
      'PATCH deployments/api',
      'DELETE trafficsplits/api',
      'PATCH deployments/api-primary',
      'PATCH services/api',
      'DELETE services/api-primary',
      'DELETE services/api-canary',
    ]);
    expect(api.writes[0]).toContain('"weight":0');
    expect(await client(trafficSplits).find(namespace, 'api')).toBeNull();
    expect(await client(knownTypes.services).find(namespace, 'api-primary')).toBeNull();
    expect(await client(knownTypes.services).find(namespace, 'api-canary')).toBeNull();
    expect((await client().get(namespace, 'api')).spec).toMatchObject({ replicas: 0 });
    for (const [type, name] of [
      [knownTypes.deployments, 'api-primary'],
      [knownTypes.services, 'api'],
    ] as const) {
      const kept = await client(type).get(namespace, name);
      expect(kept.metadata?.ownerReferences).toBeUndefined();
      expect(kept.metadata?.annotations ?? {}).toEqual({});
      expect(kept.metadata?.labels?.[RELEASED_FROM_LABEL]).toBe('api');
    }
  });

  it('without a serving primary, scales the target up and points the apex at it (owned by an older fledge)', async () => {
    const namespace = await cluster().createNamespace();
    const rollout = await invalidRollout(namespace, { phase: 'Initializing' });
    const owner = rollout as unknown as KubeObject;
    await client().create(deployment(namespace, 'api', 'api', 0));
    await client().create(deployment(namespace, 'api-primary', 'api-primary', 1, { owner }));
    await service(namespace, 'api', 'api-primary', { owner });
    await ready(namespace, 'api', 1);

    await releaseRollout(cluster().api, rollout, { log, pollMs: 50, readyTimeoutMs: 1000 });

    expect((await client().get(namespace, 'api')).spec).toMatchObject({ replicas: 1 });
    const apex = await client(knownTypes.services).get(namespace, 'api');
    expect((apex.spec as { selector: unknown }).selector).toEqual({ app: 'api' });
    expect(apex.metadata?.ownerReferences).toBeUndefined();
  });

  it('without a serving primary mid-release (a rollback waiting for it), never routes callers to it on the way out', async () => {
    // Given a release at 30% whose primary has no ready pod, and a target that serves
    const namespace = await cluster().createNamespace();
    const rollout = await invalidRollout(namespace, { phase: 'Failed', canaryWeight: 30 });
    await client().create(deployment(namespace, 'api', 'api', 2));
    await ready(namespace, 'api', 2);
    await client().create(
      deployment(namespace, 'api-primary', 'api-primary', 2, { keptFor: rollout }),
    );
    await service(namespace, 'api', 'api-primary', { keptFor: rollout });
    await service(namespace, 'api-primary', 'api-primary', { keptFor: rollout });
    await service(namespace, 'api-canary', 'api', { keptFor: rollout });
    await splitAt(namespace, 30, rollout as unknown as KubeObject, ['api-primary', 'api-canary']);

    // When the Rollout is released
    const api = new RecordingApi(cluster().kc);
    await releaseRollout(api, rollout, { log, pollMs: 50, readyTimeoutMs: 1000 });

    // Then the apex selects the target's pods first, and the split goes without a write that
    // would send every caller to the primary's Service
    const order = api.writes.map((write) => write.split(' ').slice(0, 2).join(' '));
    expect(order.slice(0, 2)).toEqual(['PATCH services/api', 'DELETE trafficsplits/api']);
    expect(order).not.toContain('PATCH trafficsplits/api');
    const apex = await client(knownTypes.services).get(namespace, 'api');
    expect((apex.spec as { selector: unknown }).selector).toEqual({ app: 'api' });
  });

  it("keeps a user's HTTPRoute in workload mode, unowned, routing to the apex without fledge's rules", async () => {
    const namespace = await cluster().createNamespace();
    const rollout = await invalidRollout(namespace, { phase: 'Progressing', canaryWeight: 0 });
    const owner = rollout as unknown as KubeObject;
    await client().create(deployment(namespace, 'api', 'api', 1));
    await client().create(
      deployment(namespace, 'api-primary', 'api-primary', 1, { keptFor: rollout }),
    );
    await ready(namespace, 'api-primary', 1);
    await service(namespace, 'api', 'api-primary', { keptFor: rollout });
    const httpRoutes = client({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
      kind: 'HTTPRoute',
      namespaced: true,
    });
    const legacy = {
      matches: [{ path: { type: 'PathPrefix', value: '/legacy' } }],
      backendRefs: [{ name: 'legacy-api', port: 8080, weight: 1 }],
    };
    await httpRoutes.create({
      metadata: { namespace, name: 'api' },
      spec: {
        parentRefs: [{ group: 'core', kind: 'Service', name: 'api', port: 8080 }],
        rules: [legacy, { backendRefs: [{ name: 'api', port: 8080 }] }],
      },
    });
    // Mid A/B test: fledge owns the route and has added its rule.
    const target = {
      namespace,
      name: 'api',
      apexService: 'api',
      port: 8080,
      stableService: 'api-primary',
      canaryService: 'api-canary',
      owner: ownerReferenceTo(owner),
      strategy: { matches: [[{ name: 'x-canary', type: 'Exact' as const, value: 'yes' }]] },
    };
    const router = createRouter(cluster().api, { provider: 'gateway-api' });
    await router.reconcile(target);
    await router.setTraffic(target, { canaryWeight: 0, pinned: true });
    expect(
      ((await httpRoutes.get(namespace, 'api')).spec as { rules: unknown[] }).rules,
    ).toHaveLength(3);

    await releaseRollout(cluster().api, rollout, { log, pollMs: 50, readyTimeoutMs: 1000 });

    const kept = await httpRoutes.get(namespace, 'api');
    expect(kept.metadata?.ownerReferences).toBeUndefined();
    expect(kept.metadata?.labels?.[RELEASED_FROM_LABEL]).toBe('api');
    expect((kept.spec as { rules: unknown[] }).rules).toEqual([
      legacy,
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ kind: 'Service', name: 'api', port: 8080, weight: 1 }],
      },
    ]);
  });

  it('keeps a backend-mode routing object, unowned, on the backend that serves', async () => {
    const namespace = await cluster().createNamespace();
    const created = await client(knownTypes.rollouts).create({
      metadata: { namespace, name: 'api' },
      spec: {
        service: { port: 8080 },
        backends: { stable: { service: 'api-v1' }, canary: { service: 'api-v2' } },
        analysis: { interval: '1m', stepWeight: 60, maxWeight: 50 },
      },
    });
    const rollout = (await client(knownTypes.rollouts).mergePatch(
      namespace,
      'api',
      { status: { phase: 'Progressing', canaryWeight: 40 } },
      'status',
    )) as unknown as Rollout;
    await service(namespace, 'api-v1', 'v1');
    await service(namespace, 'api-v2', 'v2');
    await readySlice(namespace, 'api-v1');
    await splitAt(namespace, 40, created, ['api-v1', 'api-v2']);

    await releaseRollout(cluster().api, rollout, { log, pollMs: 50, readyTimeoutMs: 1000 });

    const split = await client(trafficSplits).get(namespace, 'api');
    expect((split.spec as { backends: unknown }).backends).toEqual([
      { service: 'api-v1', weight: 100 },
      { service: 'api-v2', weight: 0 },
    ]);
    expect(split.metadata?.ownerReferences).toBeUndefined();
  });
});
