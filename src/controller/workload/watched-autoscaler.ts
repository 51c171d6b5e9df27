import type { KubeObject } from '../../kube/api-server.js';
import { jsonEqual } from '../../kube/patch.js';
import type { ProjectedMetadata } from '../world.js';
import { type AutoscalerSpec, DROPPED_ANNOTATIONS } from './autoscaler.js';

/**
 * What the controller keeps of a HorizontalPodAutoscaler: what the primary's copy is made from
 * and compared on (spec, labels, annotations) and its resourceVersion, for a conditional write.
 * Not its status, which the HPA controller rewrites every sync period.
 */
export interface WatchedAutoscaler extends KubeObject {
  metadata: ProjectedMetadata;
  spec?: AutoscalerSpec;
}

/**
 * The projection the watch caches. The annotations fledge never copies keep their key with an
 * empty value: kubectl's last-applied-configuration repeats the whole object, and only its
 * presence matters (on the primary's copy, it is removed).
 */
export function watchedAutoscaler(object: KubeObject): WatchedAutoscaler {
  const { name, namespace, resourceVersion, labels, annotations } = object.metadata ?? {};
  const spec = (object as { spec?: AutoscalerSpec }).spec;
  const kept = annotations
    ? Object.fromEntries(
        Object.entries(annotations).map(([key, value]) => [
          key,
          DROPPED_ANNOTATIONS.includes(key) ? '' : value,
        ]),
      )
    : undefined;
  return {
    metadata: {
      name,
      namespace,
      resourceVersion,
      ...(labels ? { labels } : {}),
      ...(kept ? { annotations: kept } : {}),
    },
    ...(spec ? { spec } : {}),
  };
}

/**
 * Whether what the primary's autoscaler is made of or compared on changed between two copies:
 * its spec, labels or annotations. A new status alone is no news to a Rollout.
 */
export function autoscalerChanged(before: WatchedAutoscaler, after: WatchedAutoscaler): boolean {
  return (
    !jsonEqual(before.spec, after.spec) ||
    !jsonEqual(before.metadata.labels ?? {}, after.metadata.labels ?? {}) ||
    !jsonEqual(before.metadata.annotations ?? {}, after.metadata.annotations ?? {})
  );
}
