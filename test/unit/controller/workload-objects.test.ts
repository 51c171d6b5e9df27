import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { primaryDeployment } from '../../../src/controller/workload/objects.js';
import { apiNames, apiRollout } from '../../support/workload-fixtures.js';

const target: V1Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'api',
    namespace: 'prod',
    labels: { app: 'api' },
    annotations: {
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      team: 'payments',
    },
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'api' } },
    template: {
      metadata: { labels: { app: 'api', tier: 'web' } },
      spec: { containers: [{ name: 'api', image: 'api:2' }] },
    },
  },
};

describe('primaryDeployment', () => {
  const primary = primaryDeployment(target, apiNames, apiRollout, 3);

  it('is named after the target and kept for the Rollout, not owned by it', () => {
    expect(primary.metadata?.name).toBe('api-primary');
    expect(primary.metadata?.ownerReferences).toBeUndefined();
    expect(primary.metadata?.annotations).toMatchObject({
      'fledge.dev/rollout': 'api',
      'fledge.dev/rollout-uid': 'uid-1',
    });
  });

  it('selects only primary pods, keeping the other template labels', () => {
    expect(primary.spec?.selector.matchLabels).toEqual({ app: 'api-primary' });
    expect(primary.spec?.template.metadata?.labels).toEqual({ app: 'api-primary', tier: 'web' });
  });

  it('runs the target template and drops annotations Kubernetes and kubectl own', () => {
    expect(primary.spec?.template.spec?.containers[0]?.image).toBe('api:2');
    expect(primary.metadata?.annotations).toEqual({
      team: 'payments',
      'fledge.dev/rollout': 'api',
      'fledge.dev/rollout-uid': 'uid-1',
    });
  });

  it('does not change the target it copies', () => {
    expect(target.spec?.template.metadata?.labels).toEqual({ app: 'api', tier: 'web' });
  });
});
