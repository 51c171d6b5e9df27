import { describe, expect, it } from 'vitest';
import { validateRollout } from '../../../src/api/validate.js';
import { backendRollout, problemsOf, workloadRollout } from './fixtures.js';

describe('autoscalerRef, ready thresholds and the release queue in a spec', () => {
  it('defaults the autoscaler to autoscaling/v2 HorizontalPodAutoscaler and the thresholds to 100', () => {
    const result = validateRollout(workloadRollout({ 'spec.autoscalerRef': { name: 'api' } }));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.rollout.spec.autoscalerRef).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      name: 'api',
    });
    expect(result.rollout.spec.analysis.primaryReadyThreshold).toBe(100);
    expect(result.rollout.spec.analysis.canaryReadyThreshold).toBe(100);
  });

  it('refuses an autoscaler in backend mode, naming the field', () => {
    expect(problemsOf(backendRollout({ 'spec.autoscalerRef': { name: 'api' } }))).toEqual([
      expect.objectContaining({
        path: 'spec.autoscalerRef',
        message: expect.stringMatching(/targetRef/),
      }),
    ]);
  });

  it('refuses primaryScalerReplicas whose minimum is above its maximum', () => {
    const rollout = workloadRollout({
      'spec.autoscalerRef': {
        name: 'api',
        primaryScalerReplicas: { minReplicas: 5, maxReplicas: 2 },
      },
    });
    expect(problemsOf(rollout)).toEqual([
      expect.objectContaining({
        path: 'spec.autoscalerRef.primaryScalerReplicas',
        message: 'minReplicas 5 is greater than maxReplicas 2',
      }),
    ]);
  });

  it('refuses a KEDA ScaledObject: only HorizontalPodAutoscalers are supported', () => {
    const rollout = workloadRollout({
      'spec.autoscalerRef': { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'api' },
    });
    expect(
      problemsOf(rollout)
        .map((p) => p.path)
        .sort(),
    ).toEqual(['spec.autoscalerRef.apiVersion', 'spec.autoscalerRef.kind']);
  });

  it('refuses a ready threshold above 100 percent and a release queue limit of 0', () => {
    const rollout = workloadRollout({
      'spec.analysis.canaryReadyThreshold': 101,
      'spec.releaseQueue': { maxInNamespace: 0 },
    });
    expect(
      problemsOf(rollout)
        .map((p) => p.path)
        .sort(),
    ).toEqual(['spec.analysis.canaryReadyThreshold', 'spec.releaseQueue.maxInNamespace']);
  });
});
