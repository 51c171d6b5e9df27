/**
 * Deployments as the readiness tests judge them: the object `prod/api`, and the status the
 * deployment controller writes once it has rolled a generation out.
 */
import type { V1Deployment, V1DeploymentStatus } from '@kubernetes/client-node';

/** The Deployment `prod/api`: `replicas` wanted (2) at `generation` (2), with `status`. */
export function apiDeployment(
  status: V1DeploymentStatus | undefined,
  {
    replicas = 2,
    generation = 2,
    resourceVersion,
  }: { replicas?: number; generation?: number; resourceVersion?: string } = {},
): V1Deployment {
  return {
    metadata: {
      name: 'api',
      namespace: 'prod',
      generation,
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
    },
    spec: { replicas, selector: {}, template: {} },
    status,
  };
}

/**
 * The deployment controller's status once it has seen `generation` and updated all `replicas`
 * to its template, `available` of them available.
 */
export function rolledOutStatus({
  generation,
  replicas,
  available,
}: {
  generation: number | undefined;
  replicas: number;
  available: number;
}): V1DeploymentStatus {
  return {
    observedGeneration: generation,
    replicas,
    updatedReplicas: replicas,
    availableReplicas: available,
  };
}
