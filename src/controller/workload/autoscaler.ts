import type { V1OwnerReference } from '@kubernetes/client-node';
import type { AutoscalerRef } from '../../api/rollout.generated.js';
import type { KubeObject } from '../../kube/api-server.js';
import { mergePatchBetween } from '../../kube/patch.js';

/**
 * What fledge does with a HorizontalPodAutoscaler (autoscaling/v2 and v2beta2 share this
 * shape): the primary's copy of the target's, and the replica counts it decides. Pure.
 */
export interface AutoscalerSpec {
  scaleTargetRef: { apiVersion?: string; kind: string; name: string };
  minReplicas?: number;
  maxReplicas: number;
  metrics?: unknown[];
  behavior?: unknown;
}

export type Autoscaler = KubeObject & {
  spec?: AutoscalerSpec;
  status?: { currentReplicas?: number; desiredReplicas?: number; conditions?: unknown[] };
};

/** The primary's autoscaler is named after the target's, as Flagger names it. */
export const primaryAutoscalerName = (targetAutoscaler: string): string =>
  `${targetAutoscaler}-primary`;

/** Annotations of the target's autoscaler that its copy for the primary leaves out. */
export const DROPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

/**
 * The primary's autoscaler: the target's spec aimed at the primary Deployment, with
 * `primaryScalerReplicas` in place of its bounds. Throws when the bounds cross, and for a
 * target autoscaler with minReplicas 0 (HPAScaleToZero): that one would scale the target up
 * from the 0 fledge keeps it at between releases.
 */
export function primaryAutoscaler(
  target: Autoscaler,
  ref: Pick<AutoscalerRef, 'name' | 'primaryScalerReplicas'>,
  primaryDeployment: string,
  owner: V1OwnerReference,
): Autoscaler {
  const spec = target.spec;
  const namespace = target.metadata?.namespace;
  if (!spec) {
    throw new Error(
      `HorizontalPodAutoscaler ${namespace}/${ref.name} (spec.autoscalerRef) has no spec`,
    );
  }
  if (spec.minReplicas === 0) {
    throw new Error(
      `HorizontalPodAutoscaler ${namespace}/${ref.name} (spec.autoscalerRef) has minReplicas 0: it would scale the target up between releases, when fledge keeps it at 0; set minReplicas to 1 or more`,
    );
  }
  const minReplicas = ref.primaryScalerReplicas?.minReplicas ?? spec.minReplicas;
  const maxReplicas = ref.primaryScalerReplicas?.maxReplicas ?? spec.maxReplicas;
  if (minReplicas !== undefined && minReplicas > maxReplicas) {
    throw new Error(
      `the primary's autoscaler would have minReplicas ${minReplicas} above maxReplicas ${maxReplicas} (HorizontalPodAutoscaler ${namespace}/${ref.name} and spec.autoscalerRef.primaryScalerReplicas); set primaryScalerReplicas so that min <= max`,
    );
  }
  const annotations = Object.fromEntries(
    Object.entries(target.metadata?.annotations ?? {}).filter(
      ([key]) => !DROPPED_ANNOTATIONS.includes(key),
    ),
  );
  return {
    metadata: {
      name: primaryAutoscalerName(ref.name),
      namespace,
      labels: { ...(target.metadata?.labels ?? {}) },
      annotations,
      ownerReferences: [owner],
    },
    spec: {
      ...structuredClone(spec),
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: primaryDeployment },
      ...(minReplicas === undefined ? {} : { minReplicas }),
      maxReplicas,
    },
  };
}

/**
 * The merge patch that brings an existing primary autoscaler in step with the desired one
 * (spec, labels, annotations), or undefined when it already is.
 */
export function autoscalerChange(existing: Autoscaler, desired: Autoscaler): unknown {
  const spec = mergePatchBetween(existing.spec ?? {}, desired.spec ?? {});
  const labels = mergePatchBetween(existing.metadata?.labels ?? {}, desired.metadata?.labels ?? {});
  const annotations = mergePatchBetween(
    existing.metadata?.annotations ?? {},
    desired.metadata?.annotations ?? {},
  );
  if (spec === undefined && labels === undefined && annotations === undefined) return undefined;
  return {
    metadata: {
      resourceVersion: existing.metadata?.resourceVersion,
      ...(labels === undefined ? {} : { labels }),
      ...(annotations === undefined ? {} : { annotations }),
    },
    ...(spec === undefined ? {} : { spec }),
  };
}

/** `replicas` within an autoscaler's bounds (minReplicas defaults to 1, as in Kubernetes). */
export function withinBounds(replicas: number, spec: AutoscalerSpec | undefined): number {
  if (!spec) return replicas;
  return Math.min(spec.maxReplicas, Math.max(spec.minReplicas ?? 1, replicas));
}

/**
 * The canary starts where the primary is, not at 1: it will take its share of the same load.
 * The target's autoscaler would move it into its own bounds at once, so it starts there.
 */
export function canaryStartReplicas(
  primaryReplicas: number | undefined,
  targetAutoscaler: AutoscalerSpec | undefined,
): number {
  return withinBounds(Math.max(1, primaryReplicas ?? 1), targetAutoscaler);
}
