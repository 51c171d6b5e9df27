import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Rollout } from '../../api/types.js';
import { keptFor, type RolloutIdentity } from './kept.js';

/** The names of what fledge creates for a Rollout in workload mode. */
export interface WorkloadNames {
  namespace: string;
  target: string;
  primary: string;
  apexService: string;
  primaryService: string;
  canaryService: string;
}

export function workloadNames(
  namespace: string,
  targetName: string,
  serviceName: string,
): WorkloadNames {
  return {
    namespace,
    target: targetName,
    primary: `${targetName}-primary`,
    apexService: serviceName,
    primaryService: `${serviceName}-primary`,
    canaryService: `${serviceName}-canary`,
  };
}

/** The names of a workload-mode Rollout's objects, from its spec. */
export function namesOf(rollout: Rollout): WorkloadNames {
  const rolloutName = rollout.metadata.name ?? '';
  const targetName = rollout.spec.targetRef?.name ?? rolloutName;
  const serviceName = rollout.spec.service.name ?? rolloutName;
  return workloadNames(rollout.metadata.namespace ?? 'default', targetName, serviceName);
}

const PRIMARY_SUFFIX = '-primary';

/** Labels are rewritten so that primary pods never match the target's selector. */
export function primaryLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, `${v}${PRIMARY_SUFFIX}`]));
}

const DROPPED_ANNOTATION_PREFIXES = [
  'deployment.kubernetes.io/',
  'kubectl.kubernetes.io/last-applied-configuration',
];

/** A Deployment's annotations less those the API server and kubectl keep on it. */
export function userAnnotations(
  annotations: Record<string, string> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(annotations ?? {}).filter(
      ([key]) => !DROPPED_ANNOTATION_PREFIXES.some((prefix) => key.startsWith(prefix)),
    ),
  );
}

/**
 * The primary's pod template: the target's template with the selector labels rewritten, so
 * that the primary and the target (the canary) select disjoint pods.
 */
export function primaryTemplate(target: V1Deployment): V1PodTemplateSpec {
  const selector = target.spec?.selector.matchLabels ?? {};
  const template = structuredClone(target.spec?.template ?? {});
  const labels = { ...(template.metadata?.labels ?? {}), ...primaryLabels(selector) };
  template.metadata = { ...(template.metadata ?? {}), labels };
  return template;
}

/** A copy of the target Deployment that serves stable traffic, kept for `rollout`. */
export function primaryDeployment(
  target: V1Deployment,
  names: WorkloadNames,
  rollout: RolloutIdentity,
  replicas: number,
): V1Deployment {
  const selector = target.spec?.selector.matchLabels ?? {};
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: names.primary,
      namespace: names.namespace,
      labels: primaryLabels(target.metadata?.labels ?? {}),
      annotations: { ...userAnnotations(target.metadata?.annotations), ...keptFor(rollout) },
    },
    spec: {
      replicas,
      selector: { matchLabels: primaryLabels(selector) },
      template: primaryTemplate(target),
      ...(target.spec?.strategy ? { strategy: target.spec.strategy } : {}),
      ...(target.spec?.minReadySeconds !== undefined
        ? { minReadySeconds: target.spec.minReadySeconds }
        : {}),
    },
  };
}
