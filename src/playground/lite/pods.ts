import { behaviourFromEnv } from '../kubelet/app-behaviour.js';
import type { SimContainer } from '../kubelet/pod-status.js';
import { deploymentOf, type PodObject } from '../mesh/pod-identity.js';
import type { LitePod } from './series.js';

export interface LitePodObject extends PodObject {
  metadata?: PodObject['metadata'] & { annotations?: Record<string, string> };
  spec?: { containers?: SimContainer[] };
  status?: { phase?: string; podIP?: string; startTime?: string | Date };
}

/**
 * Lite mode only: a pod annotated with this error rate (0..1) answers with it from then on,
 * overriding its ERROR_RATE, so a scale run can make a canary fail while it already takes
 * traffic (a pod's environment cannot change without a new pod, and so a new revision).
 */
export const ERROR_RATE_ANNOTATION = 'playground.fledge.dev/error-rate';

/**
 * The series facts of a pod that answers requests (Running, with an address, not deleting),
 * read from its spec as the kubelet simulator reads them: the first container that sets
 * ERROR_RATE or LATENCY_MS speaks for the pod. Undefined for a pod that answers nothing.
 */
export function litePodOf(pod: LitePodObject, nowMs: number): LitePod | undefined {
  const { name, namespace, deletionTimestamp, annotations } = pod.metadata ?? {};
  if (!name || !namespace || deletionTimestamp) return undefined;
  if (pod.status?.phase !== 'Running' || !pod.status.podIP) return undefined;
  const behaviours = (pod.spec?.containers ?? []).map((c) => behaviourFromEnv(c.env).behaviour);
  const behaviour = behaviours.find((b) => b.errorRate > 0 || b.latencyMs > 0);
  const annotated = behaviourFromEnv([
    { name: 'ERROR_RATE', value: annotations?.[ERROR_RATE_ANNOTATION] ?? '' },
  ]).behaviour.errorRate;
  const started = pod.status.startTime ? new Date(pod.status.startTime).getTime() : Number.NaN;
  return {
    namespace,
    deployment: deploymentOf(pod),
    pod: name,
    errorRate: annotations?.[ERROR_RATE_ANNOTATION] ? annotated : (behaviour?.errorRate ?? 0),
    latencyMs: behaviour?.latencyMs ?? 0,
    sinceMs: Number.isFinite(started) ? Math.min(started, nowMs) : nowMs,
    before: { total: 0, failed: 0 },
  };
}
