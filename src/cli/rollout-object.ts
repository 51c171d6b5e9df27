import type { AnalysisSpec, RolloutSpec, RolloutStatus, ServiceSpec } from '../api/types.js';
import { defaultMaxWeight } from '../api/validate.js';
import type { KubeObject } from '../kube/api-server.js';

/**
 * A Rollout as the API server returns it: raw JSON with the schema's defaults, but not the
 * derived ones (maxWeight, service.name), and a status that may not exist yet.
 */
export interface RolloutObject extends KubeObject {
  spec?: Partial<Omit<RolloutSpec, 'analysis' | 'service'>> & {
    analysis?: Partial<AnalysisSpec>;
    service?: Partial<ServiceSpec>;
  };
  status?: RolloutStatus;
}

/** `namespace/name`, the way fledge names a rollout in messages. */
export function rolloutKey(rollout: KubeObject): string {
  return `${rollout.metadata?.namespace ?? 'default'}/${rollout.metadata?.name ?? ''}`;
}

/** The highest canary weight, with the default validateRollout derives. */
export function maxWeightOf(rollout: RolloutObject): number {
  return defaultMaxWeight(rollout.spec?.analysis ?? {});
}

export function thresholdOf(rollout: RolloutObject): number | undefined {
  return rollout.spec?.analysis?.threshold;
}
