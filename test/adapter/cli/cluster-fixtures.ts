import type { RolloutStatus } from '../../../src/api/types.js';
import type { RolloutObject } from '../../../src/cli/rollout-object.js';
import { expectedRevision } from '../../../src/cli/target-revision.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import type { TestApiServer } from '../../support/apiserver.js';

/**
 * Objects for the CLI tests on a test API server. No controller runs there, so the tests
 * write the Rollout's status themselves, as the controller would.
 */
export function clusterFixtures(cluster: () => TestApiServer) {
  const rollouts = () => new ResourceClient<RolloutObject>(cluster().api, knownTypes.rollouts);
  const deployments = () => new ResourceClient(cluster().api, knownTypes.deployments);

  async function setStatus(namespace: string, name: string, status: RolloutStatus): Promise<void> {
    await rollouts().mergePatch(namespace, name, { status }, 'status');
  }

  return {
    rollouts,
    deployments,
    setStatus,
    env: () => ({ KUBECONFIG: cluster().kubeconfigPath }),

    async createRollout(namespace: string, name: string, status?: RolloutStatus): Promise<void> {
      await rollouts().create({
        metadata: { name, namespace },
        spec: {
          targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          service: { port: 8080 },
          analysis: { interval: '1s', threshold: 3, maxWeight: 50, stepWeight: 10 },
        },
      });
      if (status) await setStatus(namespace, name, status);
    },

    async createDeployment(namespace: string, name: string, image: string): Promise<void> {
      await deployments().create({
        metadata: { name, namespace },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image }] },
          },
        },
      });
    },

    async setImage(namespace: string, name: string, image: string): Promise<void> {
      await deployments().mergePatch(namespace, name, {
        spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
      });
    },

    /** The revision `fledge wait` will wait for, computed as the CLI does. */
    async targetRevision(namespace: string, name: string): Promise<string> {
      const expected = await expectedRevision(cluster().api, await rollouts().get(namespace, name));
      if (!('revision' in expected)) throw new Error(expected.unknown);
      return expected.revision;
    },
  };
}
