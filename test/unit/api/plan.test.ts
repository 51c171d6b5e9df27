import { describe, expect, it } from 'vitest';
import { canaryWeights, planFromSpec } from '../../../src/api/plan.js';
import { backendRollout, validated, workloadRollout } from './fixtures.js';

const specOf = (rollout: unknown) => validated(rollout).spec;

describe('canaryWeights', () => {
  it.each([
    [20, 50, [20, 40, 50]],
    [10, 50, [10, 20, 30, 40, 50]],
    [25, 100, [25, 50, 75, 100]],
    [50, 50, [50]],
    [30, 100, [30, 60, 90, 100]],
    [1, 3, [1, 2, 3]],
    [100, 100, [100]],
  ])('steps by %d up to %d: %j', (stepWeight, maxWeight, weights) => {
    expect(canaryWeights({ stepWeight, maxWeight })).toEqual(weights);
  });

  it('takes stepWeights as given', () => {
    expect(canaryWeights({ stepWeights: [1, 2, 10, 80], maxWeight: 80 })).toEqual([1, 2, 10, 80]);
  });

  it('refuses an analysis with no step', () => {
    expect(() => canaryWeights({ maxWeight: 50 })).toThrow(/stepWeight or stepWeights/);
  });
});

describe('planFromSpec', () => {
  it('plans the contract §1 workload example', () => {
    expect(planFromSpec(specOf(workloadRollout()))).toEqual({
      mode: 'workload',
      strategy: 'canary',
      weights: [10, 20, 30, 40, 50],
      iterations: 0,
      pinsRequests: false,
      threshold: 5,
      intervalMs: 60_000,
      onFailure: 'rollback',
      onNoData: 'fail',
      promotion: 'auto',
      skipAnalysis: false,
      progressDeadlineMs: 600_000,
      webhookTypes: ['rollout'],
    });
  });

  it('plans backend mode with stepWeights, defaults and every declared webhook type once', () => {
    const plan = planFromSpec(
      specOf(
        backendRollout({
          'spec.analysis.stepWeight': undefined,
          'spec.analysis.stepWeights': [5, 25],
          'spec.analysis.interval': '1m30s',
          'spec.analysis.onNoData': 'pause',
          'spec.promotion': 'manual',
          'spec.progressDeadlineSeconds': 30,
          'spec.skipAnalysis': true,
          'spec.analysis.webhooks': [
            { name: 'b', type: 'post-rollout', url: 'http://hooks/b' },
            { name: 'a', type: 'confirm-rollout', url: 'http://hooks/a' },
            { name: 'c', url: 'http://hooks/c' },
            { name: 'd', type: 'post-rollout', url: 'http://hooks/d' },
          ],
        }),
      ),
    );
    expect(plan).toEqual({
      mode: 'backend',
      strategy: 'canary',
      weights: [5, 25],
      iterations: 0,
      pinsRequests: false,
      threshold: 5,
      intervalMs: 90_000,
      onFailure: 'rollback',
      onNoData: 'pause',
      promotion: 'manual',
      skipAnalysis: true,
      progressDeadlineMs: 30_000,
      webhookTypes: ['confirm-rollout', 'rollout', 'post-rollout'],
    });
  });

  it('steps to 100 when stepWeight comes without maxWeight', () => {
    const plan = planFromSpec(specOf(backendRollout({ 'spec.analysis.stepWeight': 40 })));
    expect(plan.weights).toEqual([40, 80, 100]);
  });

  it('keeps second-scale intervals for fast tests', () => {
    const plan = planFromSpec(specOf(backendRollout({ 'spec.analysis.interval': '1500ms' })));
    expect(plan.intervalMs).toBe(1500);
  });
});
