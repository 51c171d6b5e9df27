import type { Effects } from '../../machines/provide.js';
import type { Traffic } from '../../machines/weights.js';
import type { Rollout } from '../api/types.js';
import type { ApiServer } from '../kube/api-server.js';
import { ownerReferenceTo } from '../kube/resources.js';
import { createRouter, type RouteCacheOf } from '../routing/index.js';
import type { Router, RouteTarget } from '../routing/router.js';
import { routeStrategyOf } from '../routing/strategy.js';
import { backendEffects, backendServices } from './effects/backend.js';
import { type EffectContext, routeTo } from './effects/context.js';
import { syncPrimaryAutoscaler } from './effects/primary-autoscaler.js';
import { keepPrimary, workloadEffects } from './effects/workload.js';
import { syncServicesAtRest, syncServicesFromTarget } from './effects/workload-services.js';
import { namesOf } from './workload/objects.js';

/** Where a Rollout's traffic is split: its routing object, apex Service and two backends. */
export function routeTargetOf(rollout: Rollout): RouteTarget {
  const namespace = rollout.metadata.namespace ?? 'default';
  const apexService = rollout.spec.service.name ?? rollout.metadata.name ?? '';
  const strategy = routeStrategyOf(rollout.spec.analysis);
  const common = {
    namespace,
    name: rollout.metadata.name ?? '',
    apexService,
    port: rollout.spec.service.port,
    owner: ownerReferenceTo(rollout),
    ...(strategy ? { strategy } : {}),
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
  cacheOf?: RouteCacheOf,
): Pick<EffectContext, 'router' | 'route'> {
  let made: { key: string; router: Router } | undefined;
  return {
    router: () => {
      const routing = rollout().spec.routing;
      const key = `${routing.provider}/${routing.kind}/${routing.apiVersion}`;
      if (made?.key !== key) made = { key, router: createRouter(api, routing, cacheOf) };
      return made.router;
    },
    route: () => routeTargetOf(rollout()),
  };
}

export function effectsFor(ctx: EffectContext): Effects {
  return ctx.rollout().spec.targetRef ? workloadEffects(ctx) : backendEffects(ctx);
}

/**
 * Puts the routing object back to what the resting machine holds when someone else changed it
 * (weights, or the rules fledge added); routeTo writes only a difference and reports the drift
 * as an Event.
 */
export async function checkRouting(ctx: EffectContext, traffic: Traffic): Promise<void> {
  await routeTo(ctx, traffic);
}

/**
 * While the machine rests, the cluster is put back where it should be: the routing object at
 * the machine's weight, the primary's autoscaler in step with the target's, the Services as
 * spec.service says (its labels, annotations and ports may have changed since they were written).
 * The context's `servicesInSync` says from the watch caches whether the Services are as wanted
 * (undefined: the caches cannot tell): then nothing is read for them, and a Service someone
 * changed is written back, whatever was written before. A primary an older fledge owned (the
 * cache says so) is marked for the Rollout instead (kept.ts).
 */
export async function correctDrift(ctx: EffectContext, traffic: Traffic): Promise<void> {
  await checkRouting(ctx, traffic);
  const { spec } = ctx.rollout();
  if (spec.targetRef) {
    const inSync = ctx.servicesInSync?.();
    if (inSync === undefined) await syncServicesAtRest(ctx);
    else if (!inSync) await syncServicesFromTarget(ctx);
    const { namespace, primary } = namesOf(ctx.rollout());
    if (ctx.deployments?.get(namespace, primary)?.rolloutOwned) await keepPrimary(ctx);
  }
  if (spec.targetRef && spec.autoscalerRef) await syncPrimaryAutoscaler(ctx);
}
