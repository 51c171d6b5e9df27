import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  type Autoscaler,
  autoscalerChange,
  canaryStartReplicas,
  primaryAutoscaler,
  withinBounds,
} from '../../../src/controller/workload/autoscaler.js';
import { deploymentReadiness } from '../../../src/controller/workload/readiness.js';

const owner = { apiVersion: 'fledge.dev/v1alpha1', kind: 'Rollout', name: 'api', uid: 'u1' };
const target: Autoscaler = {
  metadata: {
    name: 'api',
    namespace: 'prod',
    labels: { team: 'payments' },
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'example.com/owner': 'payments',
    },
    resourceVersion: '7',
  },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
    minReplicas: 2,
    maxReplicas: 6,
    metrics: [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
      },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 30 } },
  },
};

describe('primaryAutoscaler', () => {
  it('copies the target autoscaler for the primary Deployment, named <name>-primary', () => {
    expect(primaryAutoscaler(target, { name: 'api' }, 'api-primary', owner)).toEqual({
      metadata: {
        name: 'api-primary',
        namespace: 'prod',
        labels: { team: 'payments' },
        annotations: { 'example.com/owner': 'payments' },
        ownerReferences: [owner],
      },
      spec: {
        ...target.spec,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-primary' },
      },
    });
  });

  it('takes primaryScalerReplicas in place of the bounds, one or both', () => {
    const both = primaryAutoscaler(
      target,
      { name: 'api', primaryScalerReplicas: { minReplicas: 3, maxReplicas: 10 } },
      'api-primary',
      owner,
    );
    expect(both.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    const max = primaryAutoscaler(
      target,
      { name: 'api', primaryScalerReplicas: { maxReplicas: 4 } },
      'api-primary',
      owner,
    );
    expect(max.spec).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
  });

  it('refuses bounds that cross once the overrides apply, naming both sources', () => {
    expect(() =>
      primaryAutoscaler(
        target,
        { name: 'api', primaryScalerReplicas: { minReplicas: 8 } },
        'api-primary',
        owner,
      ),
    ).toThrow(/minReplicas 8 above maxReplicas 6 .*primaryScalerReplicas/);
  });

  it('refuses a target autoscaler with minReplicas 0, which would scale the target up from 0', () => {
    const toZero = { ...target, spec: { ...target.spec, minReplicas: 0 } } as Autoscaler;
    expect(() => primaryAutoscaler(toZero, { name: 'api' }, 'api-primary', owner)).toThrow(
      /minReplicas 0: it would scale the target up between releases/,
    );
  });

  it('does not share objects with the target it copies', () => {
    const copy = primaryAutoscaler(target, { name: 'api' }, 'api-primary', owner);
    const metricOf = (autoscaler: Autoscaler) =>
      (autoscaler.spec?.metrics ?? [])[0] as { type: string };
    metricOf(copy).type = 'Pods';
    expect(metricOf(target).type).toBe('Resource');
  });
});

describe('autoscalerChange', () => {
  const desired = primaryAutoscaler(target, { name: 'api' }, 'api-primary', owner);
  const existing = {
    ...structuredClone(desired),
    metadata: { ...desired.metadata, resourceVersion: '3' },
  };

  it('is nothing when the primary autoscaler is in step', () => {
    expect(autoscalerChange(existing, desired)).toBeUndefined();
  });

  it('carries only what changed, conditional on the version read', () => {
    const wanted = { ...desired, spec: { ...desired.spec, maxReplicas: 9 } } as Autoscaler;
    expect(autoscalerChange(existing, wanted)).toEqual({
      metadata: { resourceVersion: '3' },
      spec: { maxReplicas: 9 },
    });
  });

  it('removes what the target autoscaler no longer has', () => {
    const { behavior: _dropped, ...spec } = desired.spec ?? {
      scaleTargetRef: { kind: '', name: '' },
      maxReplicas: 1,
    };
    expect(autoscalerChange(existing, { ...desired, spec } as Autoscaler)).toEqual({
      metadata: { resourceVersion: '3' },
      spec: { behavior: null },
    });
  });
});

describe('replica counts', () => {
  it.each([
    [4, 4],
    [1, 2],
    [9, 6],
    [undefined, 2],
    [0, 2],
  ])(
    'starts the canary of a primary at %s replicas at %s, within the target autoscaler',
    (primary, canary) => {
      expect(canaryStartReplicas(primary, target.spec)).toBe(canary);
    },
  );

  it('starts the canary at the primary replicas without an autoscaler, and at least 1', () => {
    expect(canaryStartReplicas(5, undefined)).toBe(5);
    expect(canaryStartReplicas(0, undefined)).toBe(1);
  });

  it('reads an absent minReplicas as 1, as Kubernetes does', () => {
    expect(
      withinBounds(0, { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 3 }),
    ).toBe(1);
  });
});

describe('ready thresholds', () => {
  const deployment = (available: number): V1Deployment => ({
    metadata: { name: 'api', namespace: 'prod', generation: 1 },
    spec: { replicas: 4, selector: {}, template: {} },
    status: {
      observedGeneration: 1,
      replicas: 4,
      updatedReplicas: 4,
      availableReplicas: available,
    },
  });

  it.each([
    [100, 3, false],
    [100, 4, true],
    [75, 3, true],
    [75, 2, false],
    [50, 2, true],
    [60, 2, false],
    [0, 0, true],
  ])('at %s%% with %s of 4 available: ready %s', (threshold, available, ready) => {
    expect(deploymentReadiness(deployment(available), threshold).ready).toBe(ready);
  });

  it('names the threshold and what it needs when it is below 100', () => {
    expect(deploymentReadiness(deployment(2), 75).reason).toBe(
      'Deployment prod/api: 2 of 4 replicas available (ready threshold 75%: 3 needed)',
    );
  });

  it('still waits for every replica to run the new template', () => {
    const rolling = deployment(4);
    rolling.status = { ...rolling.status, updatedReplicas: 2 };
    expect(deploymentReadiness(rolling, 50).ready).toBe(false);
  });
});
