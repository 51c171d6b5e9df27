import { describe, expect, it } from 'vitest';
import { ROUTE_KIND_API_VERSIONS, type RouteKind } from '../../../src/api/strategy-rules.js';
import { ApiServer, type KubeObject, type RequestOptions } from '../../../src/kube/api-server.js';
import {
  ownerReferenceTo,
  ResourceClient,
  type ResourceType,
} from '../../../src/kube/resources.js';
import { createRouter, type RouteTarget, supportedRouting } from '../../../src/routing/index.js';
import { useApiServer } from '../../support/apiserver.js';

const cluster = useApiServer([
  'trafficSplit',
  'gatewayHttpRoute',
  'linkerdHttpRoute',
  'gatewayGrpcRoute',
]);

const cases = [
  ...supportedRouting.smi.map((apiVersion) => ({
    provider: 'smi',
    kind: 'TrafficSplit',
    apiVersion,
  })),
  ...(Object.keys(ROUTE_KIND_API_VERSIONS) as RouteKind[]).flatMap((kind) =>
    ROUTE_KIND_API_VERSIONS[kind].map((apiVersion) => ({
      provider: 'gateway-api',
      kind,
      apiVersion,
    })),
  ),
];

const plurals: Record<string, string> = {
  TrafficSplit: 'trafficsplits',
  HTTPRoute: 'httproutes',
  GRPCRoute: 'grpcroutes',
};

function typeOf(apiVersion: string, kind: string): ResourceType {
  const [group = '', version = ''] = apiVersion.split('/');
  return { group, version, plural: plurals[kind] ?? '', kind, namespaced: true };
}

const at = (canaryWeight: number) => ({ canaryWeight, pinned: false });

async function targetIn(namespace: string): Promise<RouteTarget> {
  const owner = await new ResourceClient(cluster().api, {
    group: '',
    version: 'v1',
    plural: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
  }).create({ metadata: { namespace, name: 'owner' } });
  return {
    namespace,
    name: 'api-service',
    apexService: 'api-service',
    port: 8080,
    stableService: 'api-service-primary',
    canaryService: 'api-service-canary',
    owner: ownerReferenceTo(owner),
    labels: { app: 'api-service' },
  };
}

/** What someone else (a person with kubectl, a GitOps tool) writing weights would do. */
function tamper(object: KubeObject, provider: string): unknown {
  const spec = structuredClone(object.spec) as Record<string, unknown>;
  if (provider === 'smi') {
    const backends = spec.backends as { weight: unknown }[];
    backends[0] = { ...backends[0], weight: 50 };
    backends[1] = { ...backends[1], weight: 50 };
    return { spec: { backends } };
  }
  const rules = spec.rules as { backendRefs: { weight: number }[] }[];
  const refs = rules[0]?.backendRefs ?? [];
  refs.forEach((ref) => {
    ref.weight = 50;
  });
  return { spec: { rules } };
}

describe.each(cases)(
  '$provider $kind $apiVersion router on a real API server',
  ({ provider, kind, apiVersion }) => {
    const objects = () => new ResourceClient(cluster().api, typeOf(apiVersion, kind));

    it('creates the routing object at 100% stable, owned and labelled', async () => {
      const target = await targetIn(await cluster().createNamespace());
      const router = createRouter(cluster().api, { provider, kind, apiVersion });
      await router.reconcile(target);
      expect(await router.getWeights(target)).toEqual({ stable: 100, canary: 0 });
      const object = await objects().get(target.namespace, target.name);
      expect(object.apiVersion).toBe(apiVersion);
      expect(object.metadata?.ownerReferences).toEqual([target.owner]);
      expect(object.metadata?.labels).toMatchObject({
        app: 'api-service',
        'app.kubernetes.io/managed-by': 'fledge',
      });
    });

    it('sets 70/30 and reads it back; setting it again writes nothing', async () => {
      const target = await targetIn(await cluster().createNamespace());
      const router = createRouter(cluster().api, { provider, kind, apiVersion });
      await router.reconcile(target);
      expect(await router.setTraffic(target, at(30))).toEqual({
        weights: { stable: 70, canary: 30 },
        drifted: false,
      });
      expect(await router.getWeights(target)).toEqual({ stable: 70, canary: 30 });
      const version = (await objects().get(target.namespace, target.name)).metadata
        ?.resourceVersion;
      await router.reconcile(target);
      await router.setTraffic(target, at(30));
      expect((await objects().get(target.namespace, target.name)).metadata?.resourceVersion).toBe(
        version,
      );
    });

    it('corrects weights someone else changed and reports what it found', async () => {
      const target = await targetIn(await cluster().createNamespace());
      const router = createRouter(cluster().api, { provider, kind, apiVersion });
      await router.reconcile(target);
      await router.setTraffic(target, at(20));
      const object = await objects().get(target.namespace, target.name);
      await objects().mergePatch(target.namespace, target.name, tamper(object, provider));
      // A new process (restart, other replica) must see the drift too: the router keeps no memory.
      const fresh = createRouter(cluster().api, { provider, kind, apiVersion });
      expect(await fresh.setTraffic(target, at(20))).toEqual({
        weights: { stable: 80, canary: 20 },
        drifted: true,
        found: { stable: 50, canary: 50 },
      });
      expect(await fresh.getWeights(target)).toEqual({ stable: 80, canary: 20 });
    });

    it('recreates a routing object someone deleted and reports it', async () => {
      const target = await targetIn(await cluster().createNamespace());
      const router = createRouter(cluster().api, { provider, kind, apiVersion });
      await router.reconcile(target);
      await objects().delete(target.namespace, target.name);
      expect(await router.setTraffic(target, at(10))).toMatchObject({ drifted: true, found: null });
      expect(await router.getWeights(target)).toEqual({ stable: 90, canary: 10 });
    });

    it('adopts an existing object of its shape, keeping its weights and adding the owner', async () => {
      const target = await targetIn(await cluster().createNamespace());
      const first = createRouter(cluster().api, { provider, kind, apiVersion });
      await first.reconcile({ ...target, owner: undefined, labels: undefined });
      await first.setTraffic({ ...target, owner: undefined }, at(40));
      await createRouter(cluster().api, { provider, kind, apiVersion }).reconcile(target);
      const object = await objects().get(target.namespace, target.name);
      expect(object.metadata?.ownerReferences).toEqual([target.owner]);
      expect(await first.getWeights(target)).toEqual({ stable: 60, canary: 40 });
    });

    it('finalize routes everything to stable, then removes the object', async () => {
      const target = await targetIn(await cluster().createNamespace());
      const router = createRouter(cluster().api, { provider, kind, apiVersion });
      await router.reconcile(target);
      await router.setTraffic(target, at(50));
      expect(await router.finalize(target)).toBe('deleted');
      expect(await objects().find(target.namespace, target.name)).toBeNull();
      expect(await router.getWeights(target)).toBeNull();
      expect(await router.finalize(target)).toBe('absent');
    });

    it('writes a rollback on the urgent lane and the steps before it on the routine one', async () => {
      const target = await targetIn(await cluster().createNamespace());
      const writes: string[] = [];
      class Lanes extends ApiServer {
        override request<T>(method: string, path: string, options: RequestOptions = {}) {
          if (method !== 'GET') writes.push(`${method} ${options.urgent ? 'urgent' : 'routine'}`);
          return super.request<T>(method, path, options);
        }
      }
      const router = createRouter(new Lanes(cluster().api.kc, 'fledge-test'), {
        provider,
        kind,
        apiVersion,
      });
      await router.reconcile(target);
      await router.setTraffic(target, at(20));
      writes.length = 0;
      await router.setTraffic(target, { ...at(0), urgent: true });
      expect(writes).toEqual(['PATCH urgent']);
      expect(await router.getWeights(target)).toEqual({ stable: 100, canary: 0 });
      writes.length = 0;
      await router.setTraffic(target, at(10));
      expect(writes).toEqual(['PATCH routine']);
    });

    describe('with the watch cache', () => {
      /** A cache holding the object as it was when `snapshot` was called, and an API that counts. */
      async function cached(target: RouteTarget) {
        const copies = new Map<string, KubeObject>();
        const requests: string[] = [];
        const api = new ApiServer(cluster().api.kc, 'fledge-test', (method) =>
          requests.push(method),
        );
        const router = createRouter(api, { provider, kind, apiVersion }, () => ({
          get: (namespace, name) => copies.get(`${namespace}/${name}`),
        }));
        const snapshot = async () =>
          copies.set(
            `${target.namespace}/${target.name}`,
            await objects().get(target.namespace, target.name),
          );
        return { router, requests, snapshot };
      }

      it('at rest asks the API server nothing', async () => {
        const target = await targetIn(await cluster().createNamespace());
        const { router, requests, snapshot } = await cached(target);
        await router.reconcile(target);
        await router.setTraffic(target, at(0));
        await snapshot();
        requests.length = 0;
        await router.reconcile(target);
        expect(await router.setTraffic(target, at(0))).toEqual({
          weights: { stable: 100, canary: 0 },
          drifted: false,
        });
        expect(requests).toEqual([]);
      });

      it('takes a step with one request: the write, whose answer says what the server stored', async () => {
        const target = await targetIn(await cluster().createNamespace());
        const { router, requests, snapshot } = await cached(target);
        await router.reconcile(target);
        await snapshot();
        requests.length = 0;
        expect(await router.setTraffic(target, at(10))).toEqual({
          weights: { stable: 90, canary: 10 },
          drifted: false,
        });
        expect(requests).toEqual(['PATCH']);
        expect(await router.getWeights(target)).toEqual({ stable: 90, canary: 10 });
      });

      it('writes a step over a stale copy: the conflict sends it to a fresh read', async () => {
        const target = await targetIn(await cluster().createNamespace());
        const { router, snapshot } = await cached(target);
        await router.reconcile(target);
        await snapshot();
        await router.setTraffic(target, at(10));
        await router.setTraffic(target, at(20));
        expect(await router.setTraffic(target, at(30))).toEqual({
          weights: { stable: 70, canary: 30 },
          drifted: false,
        });
        expect(await router.getWeights(target)).toEqual({ stable: 70, canary: 30 });
      });

      it('corrects a drift the cache has seen', async () => {
        const target = await targetIn(await cluster().createNamespace());
        const { router, snapshot } = await cached(target);
        await router.reconcile(target);
        await router.setTraffic(target, at(20));
        const object = await objects().get(target.namespace, target.name);
        await objects().mergePatch(target.namespace, target.name, tamper(object, provider));
        await snapshot();
        expect(await router.setTraffic(target, at(20))).toEqual({
          weights: { stable: 80, canary: 20 },
          drifted: true,
          found: { stable: 50, canary: 50 },
        });
      });
    });
  },
);
