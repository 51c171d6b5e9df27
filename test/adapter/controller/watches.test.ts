import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { ControllerWatches } from '../../../src/controller/watches.js';
import { currentRevision } from '../../../src/controller/world.js';
import { ApiServer } from '../../../src/kube/api-server.js';
import { requestKind } from '../../../src/kube/request-kind.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';

const cluster = useApiServer(['rollout']);

/** A target that reads ConfigMap `settings` and Secret `token`, and its Rollout. */
async function givenRolloutReadingConfig(api: ApiServer, namespace: string) {
  const client = (type: (typeof knownTypes)[keyof typeof knownTypes]) =>
    new ResourceClient(api, type);
  await client(knownTypes.configMaps).create({
    metadata: { namespace, name: 'settings' },
    data: { mode: 'one' },
  } as never);
  await client(knownTypes.secrets).create({
    metadata: { namespace, name: 'token' },
    stringData: { value: 'hunter2' },
  } as never);
  await client(knownTypes.secrets).create({
    metadata: { namespace, name: 'unrelated' },
    stringData: { value: 'not read' },
  } as never);
  await client(knownTypes.deployments).create({
    metadata: { namespace, name: 'api' },
    spec: {
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'api:1',
              envFrom: [{ configMapRef: { name: 'settings' } }, { secretRef: { name: 'token' } }],
            },
          ],
        },
      },
    },
  } as never);
  await client(knownTypes.rollouts).create({
    metadata: { namespace, name: 'api' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      service: { port: 8080 },
      analysis: { interval: '10s', threshold: 2, stepWeight: 10, maxWeight: 50 },
    },
  } as never);
}

describe('ControllerWatches on a real API server', () => {
  it('reads only the ConfigMaps and Secrets a target references, keeps their digests, and queues the Rollout when one changes', async () => {
    const { kc, api, createNamespace } = cluster();
    const namespace = await createNamespace();
    await givenRolloutReadingConfig(api, namespace);
    const gets: string[] = [];
    const counted = new ApiServer(kc, 'test', (method, path, watch) => {
      const kind = requestKind(method, path, watch);
      // Objects only: the autoscaler watch asks discovery for its version once.
      if (kind.verb === 'get' && kind.resource !== 'other') {
        gets.push(path.split('/').slice(-2).join('/'));
      }
    });
    const queued: string[] = [];
    const watches = new ControllerWatches(
      counted,
      { namespaces: [namespace], log: pino({ level: 'silent' }) },
      { enqueue: (key) => queued.push(key), accepting: () => true },
    );
    watches.start();
    try {
      const rollout = () =>
        watches.caches.rollouts.get(namespace, 'api') as unknown as Rollout | undefined;
      const revision = async () => {
        const found = rollout();
        if (!found) return undefined;
        const lookup = currentRevision(found, watches.caches);
        return 'revision' in lookup ? lookup.revision : undefined;
      };
      const first = await waitFor('the first revision', revision);
      expect(gets.sort()).toEqual(['configmaps/settings', 'secrets/token']);
      const cachedDeployment = JSON.stringify(watches.caches.deployments.get(namespace, 'api'));
      expect(cachedDeployment).not.toContain('api:1');

      queued.length = 0;
      await new ResourceClient(api, knownTypes.configMaps).mergePatch(namespace, 'settings', {
        data: { mode: 'two' },
      });
      await waitFor('the Rollout queued again', async () => queued.includes(`${namespace}/api`));
      const second = await waitFor('a new revision', async () => {
        const now = await revision();
        return now !== first ? now : undefined;
      });
      expect(second).not.toBe(first);

      await new ResourceClient(api, knownTypes.secrets).mergePatch(namespace, 'unrelated', {
        stringData: { value: 'still not read' },
      });
      await new ResourceClient(api, knownTypes.secrets).delete(namespace, 'token');
      await waitFor('the deleted Secret known as absent', async () => {
        const now = await revision();
        return now !== second ? now : undefined;
      });
      expect(gets.filter((path) => path.includes('unrelated'))).toEqual([]);
    } finally {
      await watches.stop();
      counted.close();
    }
  });

  // At rest the kubelet's status updates queued every Rollout of a changed Deployment.
  it("queues a Rollout when its target's template changes, not when only its replicas or status do", async () => {
    const { api, createNamespace } = cluster();
    const namespace = await createNamespace();
    await givenRolloutReadingConfig(api, namespace);
    const queued: string[] = [];
    const watches = new ControllerWatches(
      api,
      { namespaces: [namespace], log: pino({ level: 'silent' }) },
      { enqueue: (key) => queued.push(key), accepting: () => true },
    );
    watches.start();
    const deployments = new ResourceClient(api, knownTypes.deployments);
    const cached = () => watches.caches.deployments.get(namespace, 'api');
    try {
      await waitFor('the watch caches listed', async () => watches.synced);
      // The referenced ConfigMap's and Secret's hashes are read after the lists, and each one
      // read queues the Rollout: a loaded machine once read one after the queue was cleared.
      await waitFor('the referenced hashes read', async () =>
        (['ConfigMap', 'Secret'] as const).every(
          (kind) =>
            watches.caches.configHash({
              kind,
              namespace,
              name: kind === 'Secret' ? 'token' : 'settings',
            }) !== undefined,
        ),
      );
      queued.length = 0;
      await deployments.mergePatch(namespace, 'api', { spec: { replicas: 3 } });
      await waitFor('the new replicas cached', async () => cached()?.spec.replicas === 3);
      await deployments.mergePatch(
        namespace,
        'api',
        { status: { replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 2 } },
        'status',
      );
      await waitFor('the new status cached', async () => cached()?.status.availableReplicas === 3);
      expect(queued).toEqual([]);

      await deployments.mergePatch(namespace, 'api', {
        spec: { template: { spec: { containers: [{ name: 'app', image: 'api:2' }] } } },
      });
      await waitFor('the Rollout queued', async () => queued.includes(`${namespace}/api`));
    } finally {
      await watches.stop();
    }
  });
});
