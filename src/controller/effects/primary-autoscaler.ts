import { ownerReferenceTo } from '../../kube/resources.js';
import { type Autoscaler, type AutoscalerSpec, primaryAutoscaler } from '../workload/autoscaler.js';
import { Autoscalers } from '../workload/autoscalers.js';
import { namesOf } from '../workload/objects.js';
import type { EffectContext } from './context.js';

/** An autoscaler as the watch holds it (null: absent); undefined while no watch has listed. */
function cachedAutoscaler(ctx: EffectContext, name: string): Autoscaler | null | undefined {
  const cache = ctx.autoscalerCache?.();
  if (!cache) return undefined;
  return cache.get(namesOf(ctx.rollout()).namespace, name) ?? null;
}

/**
 * The target's autoscaler (spec.autoscalerRef), from the watch when it has listed: null
 * without one; a missing one is an error only where it is `required`.
 */
export async function targetAutoscaler(
  ctx: EffectContext,
  autoscalers: Autoscalers,
  required: boolean,
): Promise<Autoscaler | null> {
  const ref = ctx.rollout().spec.autoscalerRef;
  if (!ref) return null;
  const { namespace } = namesOf(ctx.rollout());
  const cached = cachedAutoscaler(ctx, ref.name);
  const found =
    cached !== undefined
      ? cached
      : await (await autoscalers.client(ref.apiVersion)).find(namespace, ref.name);
  if (!found) {
    if (!required) return null;
    throw new Error(
      `HorizontalPodAutoscaler ${namespace}/${ref.name} (spec.autoscalerRef.name) does not exist; create it or fix spec.autoscalerRef`,
    );
  }
  return found;
}

/** The primary's autoscaler as it should be, from the target's; null without an autoscaler. */
export async function desiredPrimaryAutoscaler(
  ctx: EffectContext,
  autoscalers: Autoscalers,
  required: boolean,
): Promise<Autoscaler | null> {
  const ref = ctx.rollout().spec.autoscalerRef;
  const target = await targetAutoscaler(ctx, autoscalers, required);
  if (!ref || !target) return null;
  return primaryAutoscaler(
    target,
    ref,
    namesOf(ctx.rollout()).primary,
    ownerReferenceTo(ctx.rollout()),
  );
}

/** Creates the primary's autoscaler or brings it in step, compared with the watch's copy. */
export function applyPrimaryAutoscaler(
  ctx: EffectContext,
  autoscalers: Autoscalers,
  desired: Autoscaler,
): Promise<boolean> {
  return autoscalers.apply(
    desired,
    ctx.rollout().spec.autoscalerRef?.apiVersion,
    cachedAutoscaler(ctx, desired.metadata?.name ?? ''),
  );
}

/**
 * Keeps `<name>-primary`'s autoscaler in step with the target's (created if missing). Run at
 * initialization, at each release start and promotion, and while the machine rests (then,
 * with the watch, without a request); a target autoscaler that is gone leaves the primary's
 * as it is.
 */
export async function syncPrimaryAutoscaler(
  ctx: EffectContext,
  autoscalers = new Autoscalers(ctx.api),
): Promise<AutoscalerSpec | undefined> {
  const desired = await desiredPrimaryAutoscaler(ctx, autoscalers, false);
  if (!desired) return undefined;
  if (await applyPrimaryAutoscaler(ctx, autoscalers, desired)) {
    ctx.log.info(
      { autoscaler: desired.metadata?.name },
      "the primary's autoscaler follows the target's",
    );
  }
  return desired.spec;
}
