import { describe, expect, it } from 'vitest';
import { ApiServer, type KubeObject, type RequestOptions } from '../../../src/kube/api-server.js';
import { knownTypes, ownerReferenceTo, ResourceClient } from '../../../src/kube/resources.js';
import { createRouter, type RouteTarget } from '../../../src/routing/index.js';
import { useApiServer } from '../../support/apiserver.js';

/**
 * Routes the user owns, on a real API server whose HTTPRoute CRD defaults matches and weights
 * as upstream's does: fledge changes only backendRefs and its own rules, through a whole
 * release, a drift correction and the Rollout's deletion.
 */

const cluster = useApiServer(['gatewayHttpRoute', 'gatewayGrpcRoute']);

const httpRoutes = () =>
  new ResourceClient(cluster().api, {
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    plural: 'httproutes',
    kind: 'HTTPRoute',
    namespaced: true,
  });

type Json = Record<string, unknown>;

const extraRule = {
  matches: [{ path: { type: 'PathPrefix', value: '/legacy' } }],
  backendRefs: [{ name: 'legacy-api', port: 8080, weight: 1 }],
};
const headerModifier = {
  type: 'RequestHeaderModifier',
  requestHeaderModifier: { set: [{ name: 'x-team', value: 'payments' }] },
};

/** What a user applies before fledge comes: an extra rule, a header modifier and a timeout. */
function usersRoute(namespace: string): KubeObject {
  return {
    metadata: { name: 'api-service', namespace },
    spec: {
      parentRefs: [{ group: 'core', kind: 'Service', name: 'api-service', port: 8080 }],
      rules: [
        extraRule,
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          filters: [headerModifier],
          timeouts: { request: '5s' },
          backendRefs: [{ name: 'api-service', port: 8080 }],
        },
      ],
    },
  };
}

async function targetIn(
  namespace: string,
  strategy?: RouteTarget['strategy'],
): Promise<RouteTarget> {
  const owner = await new ResourceClient(cluster().api, knownTypes.configMaps).create({
    metadata: { namespace, name: 'owner' },
  });
  return {
    namespace,
    name: 'api-service',
    apexService: 'api-service',
    port: 8080,
    stableService: 'api-service-primary',
    canaryService: 'api-service-canary',
    owner: ownerReferenceTo(owner),
    ...(strategy ? { strategy } : {}),
  };
}

const abTest: RouteTarget['strategy'] = {
  matches: [[{ name: 'x-canary', type: 'Exact', value: 'insider' }]],
};

/** The user's rules as the server holds them: every rule without a canary-only backend. */
async function userRules(namespace: string): Promise<Json[]> {
  const route = await httpRoutes().get(namespace, 'api-service');
  return ((route.spec as Json).rules as Json[]).filter(
    (rule) =>
      (rule.backendRefs as Json[]).length !== 1 ||
      (rule.backendRefs as Json[])[0]?.name !== 'api-service-canary',
  );
}

describe("a user's HTTPRoute through a release", () => {
  it('keeps the extra rule, the header modifier and the timeout at every step, and after', async () => {
    const namespace = await cluster().createNamespace();
    await httpRoutes().create(usersRoute(namespace));
    const target = await targetIn(namespace, abTest);
    const router = createRouter(cluster().api, { provider: 'gateway-api' });
    const expectUsersParts = async () => {
      const [extra, main] = await userRules(namespace);
      expect(extra).toMatchObject(extraRule);
      expect(main?.filters).toEqual([headerModifier]);
      expect(main?.timeouts).toEqual({ request: '5s' });
    };

    await router.reconcile(target);
    await expectUsersParts();
    expect(await router.setTraffic(target, { canaryWeight: 0, pinned: true })).toEqual({
      weights: { stable: 100, canary: 0 },
      drifted: false,
    });
    const pinned = await httpRoutes().get(namespace, 'api-service');
    const [ab] = (pinned.spec as Json).rules as Json[];
    expect(ab).toMatchObject({
      matches: [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }],
        },
      ],
      filters: [headerModifier],
      timeouts: { request: '5s' },
      backendRefs: [{ name: 'api-service-canary', weight: 1 }],
    });
    await expectUsersParts();

    // The same traffic again writes nothing, defaults and all: no loop through watches.
    await router.setTraffic(target, { canaryWeight: 0, pinned: true });
    expect((await httpRoutes().get(namespace, 'api-service')).metadata?.resourceVersion).toBe(
      pinned.metadata?.resourceVersion,
    );

    await router.setTraffic(target, { canaryWeight: 30, pinned: true });
    await expectUsersParts();
    expect(await router.setTraffic(target, { canaryWeight: 0, pinned: false })).toMatchObject({
      drifted: false,
    });
    await expectUsersParts();
    expect(((await httpRoutes().get(namespace, 'api-service')).spec as Json).rules).toHaveLength(2);

    expect(await router.finalize(target)).toBe('kept');
    const released = await httpRoutes().get(namespace, 'api-service');
    const [extra, main] = (released.spec as Json).rules as Json[];
    expect(extra).toMatchObject(extraRule);
    expect(main).toMatchObject({
      filters: [headerModifier],
      timeouts: { request: '5s' },
      backendRefs: [{ kind: 'Service', name: 'api-service', port: 8080, weight: 1 }],
    });
    expect(released.metadata?.annotations?.['fledge.dev/canary-weight']).toBeUndefined();
  });

  it('corrects drift without deleting what the user wrote, and reports it', async () => {
    const namespace = await cluster().createNamespace();
    await httpRoutes().create(usersRoute(namespace));
    const target = await targetIn(namespace, abTest);
    const router = createRouter(cluster().api, { provider: 'gateway-api' });
    await router.reconcile(target);
    await router.setTraffic(target, { canaryWeight: 20, pinned: true });
    // A GitOps tool applies the user's route again: fledge's rule and weights are gone.
    const current = await httpRoutes().get(namespace, 'api-service');
    await httpRoutes().mergePatch(namespace, 'api-service', { spec: usersRoute(namespace).spec });
    const result = await router.setTraffic(target, { canaryWeight: 20, pinned: true });
    expect(result).toMatchObject({
      drifted: true,
      weights: { stable: 80, canary: 20 },
      found: null,
    });
    const corrected = await httpRoutes().get(namespace, 'api-service');
    expect((corrected.spec as Json).rules).toEqual((current.spec as Json).rules);
  });

  it("follows the user's change of a timeout without calling it drift", async () => {
    const namespace = await cluster().createNamespace();
    await httpRoutes().create(usersRoute(namespace));
    const target = await targetIn(namespace, abTest);
    const router = createRouter(cluster().api, { provider: 'gateway-api' });
    await router.reconcile(target);
    await router.setTraffic(target, { canaryWeight: 10, pinned: true });
    const route = await httpRoutes().get(namespace, 'api-service');
    const rules = structuredClone((route.spec as Json).rules as Json[]);
    const main = rules[2] as Json;
    main.timeouts = { request: '9s' };
    await httpRoutes().mergePatch(namespace, 'api-service', { spec: { rules } });
    expect(await router.setTraffic(target, { canaryWeight: 10, pinned: true })).toMatchObject({
      drifted: false,
    });
    const [ab, , followed] = ((await httpRoutes().get(namespace, 'api-service')).spec as Json)
      .rules as Json[];
    expect(ab?.timeouts).toEqual({ request: '9s' });
    expect(followed?.timeouts).toEqual({ request: '9s' });
  });

  it("re-reads and merges when the user's edit lands between its read and its write", async () => {
    const namespace = await cluster().createNamespace();
    await httpRoutes().create(usersRoute(namespace));
    const target = await targetIn(namespace, abTest);
    await createRouter(cluster().api, { provider: 'gateway-api' }).reconcile(target);
    const added = { ...extraRule, matches: [{ path: { type: 'PathPrefix', value: '/new' } }] };
    let edited = false;
    /** The API server, with a user's edit applied just before fledge's first route write. */
    class RacingApi extends ApiServer {
      override async request<T>(method: string, path: string, options: RequestOptions = {}) {
        if (method === 'PATCH' && path.includes('/httproutes/') && !edited) {
          edited = true;
          const route = await httpRoutes().get(namespace, 'api-service');
          const rules = (route.spec as Json).rules as Json[];
          await httpRoutes().mergePatch(namespace, 'api-service', {
            spec: { rules: [...rules, added] },
          });
        }
        return super.request<T>(method, path, options);
      }
    }
    const router = createRouter(new RacingApi(cluster().kc), { provider: 'gateway-api' });
    await router.setTraffic(target, { canaryWeight: 10, pinned: true });
    expect(edited).toBe(true);
    const rules = ((await httpRoutes().get(namespace, 'api-service')).spec as Json).rules as Json[];
    expect(rules.at(-1)).toMatchObject(added);
    expect(await router.getWeights(target)).toEqual({ stable: 90, canary: 10 });
  });

  it('deletes a route it created and nobody changed', async () => {
    const namespace = await cluster().createNamespace();
    const target = await targetIn(namespace, abTest);
    const router = createRouter(cluster().api, { provider: 'gateway-api' });
    await router.reconcile(target);
    await router.setTraffic(target, { canaryWeight: 40, pinned: true });
    expect(await router.finalize(target)).toBe('deleted');
  });
});

describe('session affinity on a real API server', () => {
  it('writes the cookie filter and the sticky rule, then the expiry rule at rest', async () => {
    const namespace = await cluster().createNamespace();
    const target = await targetIn(namespace, {
      matches: [],
      sessionAffinity: { cookieName: 'canary', maxAge: 600 },
    });
    const router = createRouter(cluster().api, { provider: 'gateway-api' });
    await router.reconcile(target);
    await router.setTraffic(target, { canaryWeight: 10, pinned: true, revision: 'r2' });
    const pinned = (await httpRoutes().get(namespace, 'api-service')).spec as Json;
    const [sticky, weighted] = pinned.rules as [Json, Json];
    const headers = ((sticky.matches as Json[])[0] as Json).headers as Json[];
    expect(headers[0]?.value).toMatch(/^\^\(\?:\.\*;\[ \\t\]\*\)\?canary=[0-9a-f]{16}/);
    expect(((weighted.backendRefs as Json[])[1] as Json).filters).toEqual([
      {
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: {
          add: [{ name: 'Set-Cookie', value: expect.stringMatching(/; Max-Age=600; Path=\/$/) }],
        },
      },
    ]);
    await router.setTraffic(target, { canaryWeight: 0, pinned: false, revision: 'r2' });
    const rest = (await httpRoutes().get(namespace, 'api-service')).spec as Json;
    const [expiry] = rest.rules as Json[];
    expect(JSON.stringify(expiry?.filters)).toMatch(/Max-Age=0; Path=\//);
  });
});

describe('a GRPCRoute', () => {
  it('routes a gRPC canary with A/B rules at v1alpha2', async () => {
    const namespace = await cluster().createNamespace();
    const target = await targetIn(namespace, abTest);
    const router = createRouter(cluster().api, {
      provider: 'gateway-api',
      kind: 'GRPCRoute',
      apiVersion: 'gateway.networking.k8s.io/v1alpha2',
    });
    await router.reconcile(target);
    expect(await router.setTraffic(target, { canaryWeight: 0, pinned: true })).toMatchObject({
      weights: { stable: 100, canary: 0 },
    });
    const grpcRoutes = new ResourceClient(cluster().api, {
      group: 'gateway.networking.k8s.io',
      version: 'v1alpha2',
      plural: 'grpcroutes',
      kind: 'GRPCRoute',
      namespaced: true,
    });
    const route = await grpcRoutes.get(namespace, 'api-service');
    expect(((route.spec as Json).rules as Json[])[0]).toEqual({
      matches: [{ headers: [{ name: 'x-canary', type: 'Exact', value: 'insider' }] }],
      backendRefs: [{ kind: 'Service', name: 'api-service-canary', port: 8080, weight: 1 }],
    });
    expect(await router.finalize(target)).toBe('deleted');
  });
});
