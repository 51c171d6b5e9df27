import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import type { Rollout } from '../../api/types.js';
import type { KubeObject } from '../../kube/api-server.js';
import { knownTypes, ResourceClient } from '../../kube/resources.js';
import { namesOf } from '../workload/objects.js';
import {
  overriddenKeys,
  serviceChange,
  serviceSettingsOf,
  workloadServices,
} from '../workload/services.js';
import type { Deployment, EffectContext } from './context.js';

/**
 * What each Rollout's Services were last written from, by the Rollout's uid. Between revisions
 * only the spec can change them (a new target template is a new revision, whose start writes
 * them), so a resting reconcile with the same spec reads nothing: at rest, the controller's
 * resync costs no GETs, even for a settled machine let go and restored (a new effect context).
 * Bounded past the 10,000 Rollouts one controller is sized for; one that falls out is read and
 * checked again at its next resync, nothing worse.
 */
const syncedFrom = new LRUCache<string, string>({ max: 20_000 });
const syncedKey = (rollout: Rollout) =>
  rollout.metadata.uid ?? `${rollout.metadata.namespace}/${rollout.metadata.name}`;
const servicesKey = (rollout: Rollout) =>
  JSON.stringify([rollout.spec.targetRef?.name, rollout.spec.service]);

/**
 * Writes the three Services of workload mode as the Rollout and the target (`source`, for its
 * selector and, with portDiscovery, its ports) say: created when missing, else changed only
 * where they differ. The one writer of those Services.
 */
export async function syncServices(ctx: EffectContext, source: Deployment): Promise<void> {
  const rollout = ctx.rollout();
  const from = servicesKey(rollout);
  const names = namesOf(rollout);
  const services = new ResourceClient(ctx.api, knownTypes.services);
  const settings = serviceSettingsOf(rollout.spec.service);
  const desired = workloadServices(source as unknown as V1Deployment, names, settings, rollout);
  let wrote = false;
  for (const service of desired.services) {
    const name = service.metadata?.name ?? '';
    const existing = await services.find(names.namespace, name);
    if (!existing) {
      await services.create(service as unknown as KubeObject);
      wrote = true;
      continue;
    }
    const change = serviceChange(existing as unknown as V1Service, service);
    if (change === undefined) continue;
    await services.mergePatch(names.namespace, name, change);
    wrote = true;
  }
  syncedFrom.set(syncedKey(rollout), from);
  // Said when the Services are written, not at every reconcile that finds them right.
  if (!wrote) return;
  const overridden = overriddenKeys(settings);
  if (overridden.length > 0) {
    ctx.log.warn({ fields: overridden }, "fledge's own label or annotation wins over these");
  }
  if (desired.skipped.length > 0) {
    ctx.log.warn(
      { ports: desired.skipped },
      'spec.service.portDiscovery: these ports are not exposed',
    );
  }
}

/** The Services written from the target as the API server holds it (none while it is missing). */
export async function syncServicesFromTarget(ctx: EffectContext): Promise<void> {
  const { namespace, target } = namesOf(ctx.rollout());
  const deployments = new ResourceClient<Deployment>(ctx.api, knownTypes.deployments);
  const source = await deployments.find(namespace, target);
  if (source) await syncServices(ctx, source);
}

/** The Services while the machine rests, once after each change of spec.service. */
export async function syncServicesAtRest(ctx: EffectContext): Promise<void> {
  const rollout = ctx.rollout();
  if (syncedFrom.get(syncedKey(rollout)) === servicesKey(rollout)) return;
  await syncServicesFromTarget(ctx);
}
