import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import type { Deployment, EffectContext } from '../../../src/controller/effects/context.js';
import { workloadEffects } from '../../../src/controller/effects/workload.js';
import { syncServices } from '../../../src/controller/effects/workload-services.js';
import { ControllerWatches } from '../../../src/controller/watches.js';
import { servicesInSync } from '../../../src/controller/world.js';
import { ApiServer } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { createValidRollout, useApiServer, waitFor } from '../../support/apiserver.js';
import { rolledOutStatus } from '../../support/deployments.js';

/**
 * startCanary against a real kube-apiserver 1.20 (no deployment controller: the test writes the
 * canary's status as it would), counting the GETs of Deployments while it becomes ready:
 * polled every 50 ms, or woken by the controller's Deployment watch.
 */
const cluster = useApiServer(['rollout']);
const log = pino({ level: 'silent' });
const POLL_MS = 50;

async function givenWorkload(namespace: string): Promise<Rollout> {
  const deployments = new ResourceClient<Deployment>(cluster().api, knownTypes.deployments);
  for (const [name, replicas] of [
    ['api', 0],
    ['api-primary', 1],
  ] as const) {
    await deployments.create({
      metadata: { namespace, name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image: 'api:2' }] },
        },
      },
    } as unknown as Deployment);
  }
  return createValidRollout(cluster().api, namespace);
}

/**
 * What the deployment controller would do once the canary is scaled to 1: see the generation,
 * create the replica, and make it available 1.5 s later (time for polls to pile up).
 */
async function canaryBecomesReady(namespace: string): Promise<void> {
  const deployments = new ResourceClient<Deployment>(cluster().api, knownTypes.deployments);
  const scaled = await waitFor('the canary scaled to 1', async () => {
    const found = await deployments.get(namespace, 'api');
    return found.spec?.replicas === 1 ? found : null;
  });
  const status = (available: number) => ({
    status: {
      ...rolledOutStatus({ generation: scaled.metadata?.generation, replicas: 1, available }),
      readyReplicas: available,
    },
  });
  await deployments.mergePatch(namespace, 'api', status(0), 'status');
  await sleep(1500);
  await deployments.mergePatch(namespace, 'api', status(1), 'status');
}

/** Runs startCanary to its end; the GETs of Deployments (the canary's, the primary's) it sent. */
async function deploymentGets(
  namespace: string,
  rollout: Rollout,
  watched: Partial<Pick<EffectContext, 'readiness' | 'deployments' | 'servicesInSync'>> = {},
): Promise<number> {
  let gets = 0;
  const counted = new ApiServer(cluster().kc, 'test', (method, path, watch) => {
    if (method === 'GET' && !watch && path.includes(`/namespaces/${namespace}/deployments/`)) {
      gets += 1;
    }
  });
  const ctx = {
    api: counted,
    rollout: () => rollout,
    log,
    pollMs: POLL_MS,
    ...watched,
  } as unknown as EffectContext;
  const effects = workloadEffects(ctx);
  await Promise.all([
    effects.startCanary({ deadline: Date.now() + 60_000 }, new AbortController().signal),
    canaryBecomesReady(namespace),
  ]);
  return gets;
}

describe('waiting for the canary to become ready, on a real API server', () => {
  it('polls the Deployments without a watch, and reads none with the watch caches', async () => {
    const { api, createNamespace } = cluster();
    const polledIn = await createNamespace();
    const polled = await deploymentGets(polledIn, await givenWorkload(polledIn));

    const watchedIn = await createNamespace();
    const rollout = await givenWorkload(watchedIn);
    const watches = new ControllerWatches(
      api,
      { namespaces: [watchedIn], log },
      { enqueue: () => {}, accepting: () => false },
    );
    watches.start();
    try {
      await waitFor('the watch caches synced', async () => watches.synced);
      // The Services as initialize left them, so the caches show them as wanted.
      const target = await new ResourceClient<Deployment>(api, knownTypes.deployments).get(
        watchedIn,
        'api',
      );
      await syncServices({ api, rollout: () => rollout, log } as unknown as EffectContext, target);
      const inSync = () => servicesInSync(rollout, watches.caches);
      await waitFor('the Services in the cache', async () => inSync() === true);
      const watched = await deploymentGets(watchedIn, rollout, {
        readiness: watches.readiness,
        deployments: watches.caches.deployments,
        servicesInSync: inSync,
      });
      console.log(
        `GETs of Deployments while the canary started: polling (every ${POLL_MS} ms) ${polled}, watch-driven ${watched}`,
      );
      expect(polled).toBeGreaterThan(5);
      // The primary's replicas and the Services come from the caches; the wait starts from
      // the answer to the canary's scale write and wakes on the watch.
      expect(watched).toBe(0);
      expect(watches.readiness.size).toBe(0);
    } finally {
      await watches.stop();
    }
  }, 120_000);
});
