import type { V1Deployment } from '@kubernetes/client-node';

export interface Readiness {
  ready: boolean;
  /** Why it is not ready, in the words of `kubectl rollout status`. */
  reason: string;
}

/**
 * Whether a Deployment has finished rolling out its current template, by the same rules as
 * `kubectl rollout status`: the controller saw the latest generation, every replica runs the
 * new template, no old replica is left and all are available; with a `readyThreshold` below
 * 100, at least that percent of them (rounded up, as Flagger's ready thresholds mean it).
 */
export function deploymentReadiness(deployment: V1Deployment, readyThreshold = 100): Readiness {
  const name = `Deployment ${deployment.metadata?.namespace}/${deployment.metadata?.name}`;
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  const wanted = deployment.spec?.replicas ?? 1;
  if ((status.observedGeneration ?? 0) < generation) {
    return { ready: false, reason: `${name}: waiting for the deployment controller to see it` };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { ready: false, reason: `${name} exceeded its progress deadline` };
  }
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < wanted) {
    return { ready: false, reason: `${name}: ${updated} of ${wanted} replicas updated` };
  }
  if (replicas > updated) {
    return {
      ready: false,
      reason: `${name}: ${replicas - updated} old replicas are pending termination`,
    };
  }
  const needed = Math.ceil((updated * readyThreshold) / 100);
  if (available < needed) {
    const threshold =
      readyThreshold < 100 ? ` (ready threshold ${readyThreshold}%: ${needed} needed)` : '';
    return {
      ready: false,
      reason: `${name}: ${available} of ${updated} replicas available${threshold}`,
    };
  }
  return { ready: true, reason: `${name} is ready` };
}

/** The Deployment's available pods, of any of its revisions: those that serve callers now. */
export function availablePods(deployment: { status?: Record<string, unknown> }): number {
  const available = Number(deployment.status?.availableReplicas ?? 0);
  return Number.isFinite(available) ? available : 0;
}
