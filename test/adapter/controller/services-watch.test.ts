import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { validateRollout } from '../../../src/api/validate.js';
import type { EffectContext } from '../../../src/controller/effects/context.js';
import { ControllerWatches } from '../../../src/controller/watches.js';
import { correctDrift } from '../../../src/controller/wiring.js';
import {
  ROLLOUT_ANNOTATION,
  ROLLOUT_UID_ANNOTATION,
} from '../../../src/controller/workload/kept.js';
import { serviceSettingsOf, workloadServices } from '../../../src/controller/workload/services.js';
import { servicesInSync } from '../../../src/controller/world.js';
import { ApiServer, type KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ownerReferenceTo, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';

/** The Services a resting Rollout checks, from the controller's watch, on kube-apiserver 1.20. */
const cluster = useApiServer(['rollout', 'trafficSplit']);
const log = pino({ level: 'silent' });

const podinfo = {
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'podinfo' } },
    template: {
      metadata: { labels: { app: 'podinfo' } },
      spec: {
        containers: [
          {
            name: 'podinfod',
            image: 'podinfo:6',
            ports: [
              { name: 'http', containerPort: 9898, protocol: 'TCP' },
              { name: 'grpc', containerPort: 9999, protocol: 'TCP' },
            ],
          },
        ],
      },
    },
  },
};

/**
 * A Rollout, its target and the three Services as a controller before this one wrote them:
 * nothing in this process knows they were written.
 */
async function givenRolloutWithServices(
  api: ApiServer,
  namespace: string,
  { olderFledge = false } = {},
): Promise<Rollout> {
  const target = await new ResourceClient(api, knownTypes.deployments).create({
    metadata: { namespace, name: 'podinfo' },
    ...podinfo,
  } as never);
  const created = await new ResourceClient(api, knownTypes.rollouts).create({
    metadata: { namespace, name: 'podinfo' },
    spec: {
      targetRef: { name: 'podinfo' },
      service: { port: 9898, portDiscovery: true, apex: { labels: { tier: 'edge' } } },
      analysis: { interval: '1m', stepWeight: 10 },
    },
  } as never);
  const validation = validateRollout(created);
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  const rollout = validation.rollout;
  const { services } = workloadServices(
    target as unknown as V1Deployment,
    {
      namespace,
      target: 'podinfo',
      primary: 'podinfo-primary',
      apexService: 'podinfo',
      primaryService: 'podinfo-primary',
      canaryService: 'podinfo-canary',
    },
    serviceSettingsOf(rollout.spec.service),
    rollout,
  );
  const client = new ResourceClient(api, knownTypes.services);
  for (const service of services) {
    await client.create(olderFledge ? owned(service, rollout) : (service as KubeObject));
  }
  if (olderFledge) {
    const template = podinfo.spec.template;
    const labels = { app: 'podinfo-primary' };
    await new ResourceClient(api, knownTypes.deployments).create(
      owned(
        {
          metadata: { namespace, name: 'podinfo-primary' },
          spec: {
            replicas: 0,
            selector: { matchLabels: labels },
            template: { ...template, metadata: { labels } },
          },
        },
        rollout,
      ),
    );
  }
  return rollout;
}

/** `object` as fledge wrote it before kept.ts: owned by the Rollout, not marked. */
function owned(object: KubeObject | V1Service, rollout: Rollout): KubeObject {
  const { metadata } = object as KubeObject;
  const annotations: Record<string, string> = { ...metadata?.annotations };
  delete annotations[ROLLOUT_ANNOTATION];
  delete annotations[ROLLOUT_UID_ANNOTATION];
  return {
    ...(object as KubeObject),
    metadata: { ...metadata, annotations, ownerReferences: [ownerReferenceTo(rollout)] },
  };
}

/** A resting machine's drift check with a routing object that never drifts. */
function restingContext(api: ApiServer, rollout: Rollout): EffectContext {
  return {
    api,
    rollout: () => rollout,
    log,
    router: () => ({ setTraffic: async () => ({ drifted: false }) }),
    route: () => ({}),
    revision: () => 'r1',
    report: () => {},
  } as unknown as EffectContext;
}

describe('the Services of a resting Rollout, from the controller’s watch', () => {
  it('are checked without a request after a restart, and written back when someone changes one', async () => {
    const { kc, api, createNamespace } = cluster();
    const namespace = await createNamespace('svcwatch');
    const rollout = await givenRolloutWithServices(api, namespace);
    const requests: string[] = [];
    const counted = new ApiServer(kc, 'fledge-test', (method, path, watch) => {
      if (!watch && !path.includes('limit=')) requests.push(`${method} ${path}`);
    });
    const queued: string[] = [];
    const watches = new ControllerWatches(
      counted,
      { namespaces: [namespace], log },
      { enqueue: (key) => queued.push(key), accepting: () => true },
    );
    watches.start();
    try {
      await waitFor('the watch caches listed', async () => watches.synced);
      // What the resync leaves to events: TrafficSplits are watched, HTTPRoutes are not served here.
      await waitFor('the TrafficSplit watch listed', async () => watches.routingWatched(undefined));
      expect(watches.routingWatched({ provider: 'gateway-api' })).toBe(false);
      expect(
        watches.routingWatched({ provider: 'smi', apiVersion: 'split.smi-spec.io/v1alpha1' }),
      ).toBe(false);
      const check = () => servicesInSync(rollout, watches.caches);
      expect(check()).toBe(true);
      requests.length = 0;
      await correctDrift(
        { ...restingContext(counted, rollout), servicesInSync: check },
        { canaryWeight: 0, pinned: false },
      );
      expect(requests).toEqual([]);

      await new ResourceClient<V1Service & KubeObject>(api, knownTypes.services).mergePatch(
        namespace,
        'podinfo-canary',
        { spec: { selector: { app: 'someone-else' } } },
      );
      await waitFor('the owner queued', async () => queued.includes(`${namespace}/podinfo`));
      await waitFor('the change in the cache', async () => check() === false);
      await correctDrift(
        { ...restingContext(counted, rollout), servicesInSync: check },
        { canaryWeight: 0, pinned: false },
      );
      const canary = await new ResourceClient<V1Service & KubeObject>(api, knownTypes.services).get(
        namespace,
        'podinfo-canary',
      );
      expect(canary.spec?.selector).toEqual({ app: 'podinfo' });
      await waitFor('the Services as wanted again', async () => check() === true);

      queued.length = 0;
      await new ResourceClient(api, knownTypes.services).mergePatch(namespace, 'podinfo', {
        metadata: { labels: { 'fledge.dev/managed': null } },
      });
      await waitFor('the unlabelled Service gone from the cache', async () => check() === false);
      expect(queued).toContain(`${namespace}/podinfo`);
    } finally {
      await watches.stop();
      counted.close();
    }
  }, 60_000);

  it('marks what an older fledge owned while the Rollout rests: the Services and the primary, once', async () => {
    const { kc, api, createNamespace } = cluster();
    const namespace = await createNamespace('svcolder');
    const rollout = await givenRolloutWithServices(api, namespace, { olderFledge: true });
    const requests: string[] = [];
    const counted = new ApiServer(kc, 'fledge-test', (method, path, watch) => {
      if (!watch && !path.includes('limit=')) requests.push(`${method} ${path}`);
    });
    const watches = new ControllerWatches(
      counted,
      { namespaces: [namespace], log },
      { enqueue: () => {}, accepting: () => true },
    );
    watches.start();
    try {
      await waitFor('the watch caches listed', async () => watches.synced);
      const check = () => servicesInSync(rollout, watches.caches);
      const primaryOwned = () =>
        watches.caches.deployments.get(namespace, 'podinfo-primary')?.rolloutOwned === true;
      expect(check()).toBe(false);
      expect(primaryOwned()).toBe(true);
      const ctx = {
        ...restingContext(counted, rollout),
        servicesInSync: check,
        deployments: watches.caches.deployments,
      };
      await correctDrift(ctx, { canaryWeight: 0, pinned: false });

      for (const [type, name] of [
        [knownTypes.services, 'podinfo'],
        [knownTypes.services, 'podinfo-primary'],
        [knownTypes.services, 'podinfo-canary'],
        [knownTypes.deployments, 'podinfo-primary'],
      ] as const) {
        const kept = await new ResourceClient(api, type).get(namespace, name);
        expect(kept.metadata?.ownerReferences, name).toBeUndefined();
        expect(kept.metadata?.annotations?.[ROLLOUT_UID_ANNOTATION], name).toBe(
          rollout.metadata.uid,
        );
      }
      await waitFor('the caches see them marked', async () => check() && !primaryOwned());
      requests.length = 0;
      await correctDrift(ctx, { canaryWeight: 0, pinned: false });
      expect(requests).toEqual([]);
    } finally {
      await watches.stop();
      counted.close();
    }
  }, 60_000);
});
