import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../../../src/controller/controller.js';
import type { StoredRollout } from '../../../src/controller/status-writer.js';
import { ControllerWatches } from '../../../src/controller/watches.js';
import type { Autoscaler } from '../../../src/controller/workload/autoscaler.js';
import { autoscalerType } from '../../../src/controller/workload/autoscalers.js';
import type { KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';

/**
 * A Rollout with spec.autoscalerRef at rest, under a whole controller on kube-apiserver 1.20
 * (autoscaling/v2beta2 only, no controller manager: the test plays the deployment controller).
 */
const cluster = useApiServer(['rollout', 'trafficSplit']);
const log = pino({ level: process.env.LOGLEVEL ?? 'silent' });
const hpas = () => new ResourceClient<Autoscaler>(cluster().api, autoscalerType('v2beta2'));
const deployments = () => new ResourceClient(cluster().api, knownTypes.deployments);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The target Deployment `api`, its autoscaler (2 to 5 replicas) and a Rollout that copies it. */
async function givenAutoscaledRollout(namespace: string): Promise<void> {
  await deployments().create({
    metadata: { namespace, name: 'api' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: { containers: [{ name: 'app', image: 'fledge/demo:1.0.0' }] },
      },
    },
  } as never);
  await hpas().create({
    metadata: { namespace, name: 'api', labels: { team: 'payments' } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      minReplicas: 2,
      maxReplicas: 5,
    },
  });
  await new ResourceClient(cluster().api, knownTypes.rollouts).create({
    metadata: { namespace, name: 'api' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      autoscalerRef: { name: 'api' },
      service: { port: 8080 },
      analysis: { interval: '1m', stepWeight: 10 },
    },
  } as never);
}

/**
 * A controller of `namespace` alone, and the requests it has sent so far but its watches' (a
 * watch of a routing type this API server does not serve lists again every 10 s).
 */
async function startController(namespace: string, resyncMs: number) {
  const controller = new Controller({
    kc: cluster().kc,
    log,
    namespaces: [namespace],
    prometheusUrl: 'http://127.0.0.1:9',
    httpHost: '127.0.0.1',
    httpPort: 0,
    leaderElection: { enabled: false, namespace, name: 'fledge', leaseDurationMs: 3000 },
    resyncMs,
    pollMs: 200,
    proxy: undefined,
    concurrency: 2,
  });
  cleanups.push(() => controller.stop());
  await controller.start();
  const requests = async () => {
    const counter = controller.registry.getSingleMetric('fledge_kube_requests_total') as Counter;
    const counts: Record<string, number> = {};
    for (const { labels, value } of (await counter.get()).values) {
      if (labels.verb !== 'watch' && labels.verb !== 'list')
        counts[`${labels.verb} ${labels.resource}`] = value;
    }
    return counts;
  };
  return { requests };
}

/** Plays the deployment controller for the primary fledge made; waits for the Rollout to settle. */
async function untilInitialized(namespace: string): Promise<void> {
  const primary = await waitFor('the primary Deployment', () =>
    deployments().find(namespace, 'api-primary'),
  );
  const replicas = (primary.spec as { replicas?: number }).replicas ?? 1;
  await deployments().mergePatch(
    namespace,
    'api-primary',
    {
      status: {
        observedGeneration: primary.metadata?.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      },
    },
    'status',
  );
  const rollouts = new ResourceClient<StoredRollout>(cluster().api, knownTypes.rollouts);
  await waitFor('the Rollout initialized', async () => {
    const stored = await rollouts.get(namespace, 'api');
    return stored.status?.phase === 'Initialized';
  });
}

/** What changed between two counts of requests, without the kinds that did not. */
function delta(before: Record<string, number>, after: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([kind, value]) => [kind, value - (before[kind] ?? 0)] as const)
      .filter(([, value]) => value > 0),
  );
}

describe('a Rollout with an autoscaler at rest', () => {
  it('costs no request across resyncs, a replay of every Rollout included', async () => {
    const namespace = await cluster().createNamespace('hpa-rest');
    await givenAutoscaledRollout(namespace);
    const { requests } = await startController(namespace, 1000);
    await untilInitialized(namespace);
    await waitFor('the primary autoscaler', () => hpas().find(namespace, 'api-primary'));
    // Its settled machine is let go at the next reconcile after its last status write.
    await sleep(2000);

    const before = await requests();
    // Eleven rounds: one of them replays every Rollout, let go or not.
    await sleep(11_000);
    expect(delta(before, await requests())).toEqual({});
  }, 60_000);

  it("brings the primary's autoscaler in step with the target's at once, not at the next resync", async () => {
    const namespace = await cluster().createNamespace('hpa-event');
    await givenAutoscaledRollout(namespace);
    await startController(namespace, 600_000);
    await untilInitialized(namespace);
    await waitFor('the primary autoscaler', () => hpas().find(namespace, 'api-primary'));

    await hpas().mergePatch(namespace, 'api', { spec: { maxReplicas: 7 } });
    await waitFor(
      "the target's maxReplicas on the primary's autoscaler",
      async () => (await hpas().get(namespace, 'api-primary')).spec?.maxReplicas === 7,
      { timeoutMs: 5000 },
    );

    // Someone else's change to the primary's copy is written back, as drift.
    await hpas().mergePatch(namespace, 'api-primary', { spec: { minReplicas: 1 } });
    await waitFor(
      "the primary's autoscaler put back",
      async () => (await hpas().get(namespace, 'api-primary')).spec?.minReplicas === 2,
      { timeoutMs: 5000 },
    );
  }, 60_000);
});

describe('the autoscaler watch', () => {
  it('queues the Rollouts of a changed autoscaler, and none for a change of its status alone', async () => {
    const namespace = await cluster().createNamespace('hpa-watch');
    await givenAutoscaledRollout(namespace);
    await hpas().create({
      metadata: { namespace, name: 'api-primary' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-primary' },
        minReplicas: 2,
        maxReplicas: 5,
      },
    });
    const queued: string[] = [];
    const watches = new ControllerWatches(
      cluster().api,
      { namespaces: [namespace], log },
      { enqueue: (key) => queued.push(key), accepting: () => true },
    );
    cleanups.push(() => watches.stop());
    watches.start();
    const cache = () => watches.autoscalerCache();
    await waitFor('the autoscaler watch listed', async () => cache() !== undefined);
    const cachedVersion = (name: string) =>
      cache()?.get(namespace, name)?.metadata?.resourceVersion;
    expect(JSON.stringify(cache()?.get(namespace, 'api'))).not.toContain('status');

    for (const name of ['api', 'api-primary']) {
      queued.length = 0;
      const written = (await hpas().mergePatch(
        namespace,
        name,
        { status: { currentReplicas: 3, desiredReplicas: 4, conditions: [] } },
        'status',
      )) as KubeObject;
      await waitFor(`the status of ${name} seen`, async () => {
        return cachedVersion(name) === written.metadata?.resourceVersion;
      });
      expect(queued).toEqual([]);

      await hpas().mergePatch(namespace, name, { spec: { maxReplicas: 6 } });
      await waitFor(`the Rollout queued for ${name}`, async () =>
        queued.includes(`${namespace}/api`),
      );
    }
  });
});
