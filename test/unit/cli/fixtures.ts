import type { RolloutObject } from '../../../src/cli/rollout-object.js';

/** A Rollout as the API server would return it, with the given status and metadata overrides. */
export function rollout(
  status: RolloutObject['status'],
  metadata: Partial<NonNullable<RolloutObject['metadata']>> = {},
): RolloutObject {
  return {
    apiVersion: 'fledge.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: 'api',
      namespace: 'prod',
      generation: 1,
      creationTimestamp: '2025-01-01T00:00:00Z',
      ...metadata,
    },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      analysis: { threshold: 5, maxWeight: 50, stepWeight: 10 },
    },
    status,
  };
}
