import type { Effects } from '../../machines/provide.js';
import type { Rollout } from '../api/types.js';
import { type ApiServer, isNotFound, type KubeObject } from '../kube/api-server.js';
import { knownTypes, ownerReferenceTo, ResourceClient } from '../kube/resources.js';
import { createRouter } from '../routing/index.js';
import type { Router, RouteTarget } from '../routing/router.js';
import { backendEffects, backendServices } from './effects/backend.js';
import { type Deployment, type EffectContext, routeTo } from './effects/context.js';
import { namesOf, workloadEffects } from './effects/workload.js';
import type { RolloutRunner } from './runner.js';

/** Where a Rollout's traffic is split: its routing object, apex Service and two backends. */
export function routeTargetOf(rollout: Rollout): RouteTarget {
  const namespace = rollout.metadata.namespace ?? 'default';
  const apexService = rollout.spec.service.name ?? rollout.metadata.name ?? '';
  const common = {
    namespace,
    name: rollout.metadata.name ?? '',
    apexService,
    port: rollout.spec.service.port,
    owner: ownerReferenceTo(rollout),
  };
  if (rollout.spec.targetRef) {
    const names = namesOf(rollout);
    return { ...common, stableService: names.primaryService, canaryService: names.canaryService };
  }
  const backends = backendServices(rollout);
  return { ...common, stableService: backends.stable, canaryService: backends.canary };
}

/** The router of the Rollout's spec.routing as it is now, made once per provider and version. */
export function routingFor(
  api: ApiServer,
  rollout: () => Rollout,
): Pick<EffectContext, 'router' | 'route'> {
  let made: { key: string; router: Router } | undefined;
  return {
    router: () => {
      const routing = rollout().spec.routing;
      const key = `${routing.provider}/${routing.apiVersion}`;
      if (made?.key !== key) made = { key, router: createRouter(api, routing) };
      return made.router;
    },
    route: () => routeTargetOf(rollout()),
  };
}

export function effectsFor(ctx: EffectContext): Effects {
  return ctx.rollout().spec.targetRef ? workloadEffects(ctx) : backendEffects(ctx);
}

/**
 * Puts the routing object back to the machine's weight when someone else changed it while the
 * machine was resting; routeTo reports the drift as an Event.
 */
export async function checkRouting(ctx: EffectContext, canaryWeight: number): Promise<void> {
  const weights = await ctx.router().getWeights(ctx.route());
  if (weights === null || weights.canary !== canaryWeight) await routeTo(ctx, canaryWeight);
}

/**
 * Before a Rollout is deleted: traffic must keep reaching a version that serves (contract §2).
 * Workload mode: the primary and the apex Service are released from the Rollout (garbage
 * collection would delete them) and the apex keeps sending callers to the primary; without a
 * primary, the apex is pointed at the target, scaled up. Backend mode: the routing object stays
 * where the last decision put it (100% canary after a promotion, else 100% stable), unowned.
 */
export async function releaseRollout(
  api: ApiServer,
  rollout: Rollout,
  runner: RolloutRunner | undefined,
  ctx: EffectContext | undefined,
): Promise<void> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const phase = runner?.phase ?? rollout.status?.phase;
  const route = routeTargetOf(rollout);
  const unowned = {
    metadata: { ownerReferences: null, labels: { 'fledge.dev/released-from': route.name } },
  };
  if (!rollout.spec.targetRef) {
    const router = createRouter(api, rollout.spec.routing);
    const weight = phase === 'Succeeded' ? 100 : 0;
    if (ctx) await routeTo(ctx, weight);
    else await router.setWeights(route, weight);
    await patchIfPresent(new ResourceClient(api, router.type), namespace, route.name, unowned);
    return;
  }
  const deployments = new ResourceClient<Deployment>(api, knownTypes.deployments);
  const services = new ResourceClient(api, knownTypes.services);
  const names = namesOf(rollout);
  const primary = await deployments.find(namespace, names.primary);
  if (primary) {
    await patchIfPresent(deployments, namespace, names.primary, unowned);
    await patchIfPresent(services, namespace, names.apexService, unowned);
    return;
  }
  const target = await deployments.find(namespace, names.target);
  if (!target) return;
  if ((target.spec?.replicas ?? 0) === 0) {
    await deployments.mergePatch(namespace, names.target, { spec: { replicas: 1 } });
  }
  await patchIfPresent(services, namespace, names.apexService, {
    ...unowned,
    spec: { selector: target.spec?.selector?.matchLabels ?? {} },
  });
}

async function patchIfPresent(
  client: ResourceClient<KubeObject> | ResourceClient<Deployment>,
  namespace: string,
  name: string,
  patch: unknown,
): Promise<void> {
  try {
    await client.mergePatch(namespace, name, patch);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
