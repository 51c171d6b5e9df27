import { describe, expect, it } from 'vitest';
import { deploymentReadiness } from '../../../src/controller/workload/readiness.js';
import { apiDeployment, rolledOutStatus } from '../../support/deployments.js';

// apiDeployment wants 2 replicas at generation 2: each status below is judged against that.
describe('deploymentReadiness', () => {
  it.each([
    [
      'the controller has not seen the new generation',
      { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      'waiting for the deployment controller',
    ],
    [
      'not every replica runs the new template',
      { observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 2 },
      '1 of 2 replicas updated',
    ],
    [
      'old replicas are still there',
      { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 },
      '1 old replicas are pending termination',
    ],
    [
      'a new replica is not available yet',
      { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 },
      '1 of 2 replicas available',
    ],
  ])('is not ready when %s', (_, status, reason) => {
    const readiness = deploymentReadiness(apiDeployment(status));
    expect(readiness.ready).toBe(false);
    expect(readiness.reason).toContain(reason);
  });

  it('is ready when every replica is updated and available', () => {
    const status = rolledOutStatus({ generation: 2, replicas: 2, available: 2 });
    expect(deploymentReadiness(apiDeployment(status)).ready).toBe(true);
  });

  it('is ready at zero replicas once observed', () => {
    expect(
      deploymentReadiness(apiDeployment({ observedGeneration: 2 }, { replicas: 0 })).ready,
    ).toBe(true);
  });

  it('reports an exceeded progress deadline', () => {
    const status = {
      observedGeneration: 2,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    };
    expect(deploymentReadiness(apiDeployment(status)).reason).toContain('progress deadline');
  });
});
