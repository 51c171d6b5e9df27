import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../src/api/types.js';
import { validateRollout } from '../../../src/api/validate.js';
import type { EffectContext } from '../../../src/controller/effects/context.js';
import { syncPrimaryAutoscaler } from '../../../src/controller/effects/primary-autoscaler.js';
import { workloadEffects } from '../../../src/controller/effects/workload.js';
import { RELEASED_FROM_LABEL, releaseRollout } from '../../../src/controller/release.js';
import type { Autoscaler } from '../../../src/controller/workload/autoscaler.js';
import { Autoscalers, autoscalerType } from '../../../src/controller/workload/autoscalers.js';
import {
  type WatchedAutoscaler,
  watchedAutoscaler,
} from '../../../src/controller/workload/watched-autoscaler.js';
import { ApiServer, type KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ownerReferenceTo, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer, waitFor } from '../../support/apiserver.js';

/**
 * The autoscaler handling against a real kube-apiserver 1.20, which serves
 * autoscaling/v2beta2 and not v2: fledge falls back to what is served.
 */
const cluster = useApiServer(['rollout']);
const log = pino({ level: 'silent' });
const hpas = () => new ResourceClient<Autoscaler>(cluster().api, autoscalerType('v2beta2'));
const deployments = () => new ResourceClient(cluster().api, knownTypes.deployments);

async function givenRollout(
  namespace: string,
  autoscalerRef: Record<string, unknown> = { name: 'api' },
): Promise<Rollout> {
  const created = await new ResourceClient(cluster().api, knownTypes.rollouts).create({
    metadata: { namespace, name: 'api' },
    spec: {
      targetRef: { name: 'api' },
      autoscalerRef,
      service: { port: 8080 },
      analysis: { interval: '1m', stepWeight: 10, canaryReadyThreshold: 50 },
    },
  });
  const validation = validateRollout(created);
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  return validation.rollout;
}

function targetAutoscaler(namespace: string, changes: Record<string, unknown> = {}) {
  return {
    metadata: { namespace, name: 'api', labels: { team: 'payments' } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 10 } },
      ...changes,
    },
  };
}

function deployment(namespace: string, name: string, replicas: number, owner?: KubeObject) {
  return {
    metadata: {
      namespace,
      name,
      ...(owner ? { ownerReferences: [ownerReferenceTo(owner)] } : {}),
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'fledge/demo:1.0.0' }] },
      },
    },
  };
}

function context(rollout: Rollout): EffectContext {
  return {
    api: cluster().api,
    rollout: () => rollout,
    log,
    pollMs: 50,
  } as unknown as EffectContext;
}

describe('autoscalers on a real API server (Kubernetes 1.20)', () => {
  it('falls back to autoscaling/v2beta2 when v2 is asked for and not served', async () => {
    const autoscalers = new Autoscalers(cluster().api);
    expect(await autoscalers.version('autoscaling/v2')).toBe('v2beta2');
    expect(await autoscalers.version('autoscaling/v2beta2')).toBe('v2beta2');
  });

  it("creates <name>-primary for the primary from the target's, owned by the Rollout, and keeps it in step", async () => {
    const namespace = await cluster().createNamespace('hpa');
    const rollout = await givenRollout(namespace, {
      name: 'api',
      primaryScalerReplicas: { maxReplicas: 8 },
    });
    await hpas().create(targetAutoscaler(namespace));

    await syncPrimaryAutoscaler(context(rollout));
    const primary = await hpas().get(namespace, 'api-primary');
    expect(primary.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-primary' },
      minReplicas: 2,
      maxReplicas: 8,
      behavior: { scaleDown: { stabilizationWindowSeconds: 10 } },
    });
    expect(primary.metadata?.labels).toEqual({ team: 'payments' });
    expect(primary.metadata?.ownerReferences?.[0]?.uid).toBe(rollout.metadata.uid);

    const target = await hpas().get(namespace, 'api');
    await hpas().replace({
      ...target,
      spec: { ...(target.spec as object), minReplicas: 3, behavior: undefined },
    } as Autoscaler);
    await syncPrimaryAutoscaler(context(rollout));
    const followed = await hpas().get(namespace, 'api-primary');
    expect(followed.spec?.minReplicas).toBe(3);
    expect(followed.spec?.behavior).toBeUndefined();
    expect(followed.spec?.maxReplicas).toBe(8);

    const version = followed.metadata?.resourceVersion;
    await syncPrimaryAutoscaler(context(rollout));
    expect((await hpas().get(namespace, 'api-primary')).metadata?.resourceVersion).toBe(version);
  });

  it("compares the primary's autoscaler with the watch's copies: in step, no request; a stale copy, written again from a GET", async () => {
    const { kc } = cluster();
    const namespace = await cluster().createNamespace('hpa');
    const rollout = await givenRollout(namespace);
    await hpas().create(targetAutoscaler(namespace));
    await syncPrimaryAutoscaler(context(rollout));
    const cached = new Map<string, WatchedAutoscaler | undefined>();
    const cache = async (name: string) =>
      cached.set(name, watchedAutoscaler((await hpas().get(namespace, name)) as KubeObject));
    await cache('api');
    await cache('api-primary');
    const requests: string[] = [];
    const counted = new ApiServer(kc, 'test', (method, path) => requests.push(`${method} ${path}`));
    const watched: EffectContext = {
      ...context(rollout),
      api: counted,
      autoscalerCache: () => ({ get: (_namespace, name) => cached.get(name), list: () => [] }),
    };
    try {
      await syncPrimaryAutoscaler(watched);
      expect(requests).toEqual([]);

      // The target's changed, and someone else wrote the primary's since the watch's copy.
      await hpas().mergePatch(namespace, 'api', { spec: { maxReplicas: 7 } });
      await cache('api');
      await hpas().mergePatch(namespace, 'api-primary', { metadata: { labels: { x: 'y' } } });
      await syncPrimaryAutoscaler(watched);
      // Refused (its resourceVersion is the copy's), then read and made again.
      const primaryPath = `/apis/autoscaling/v2beta2/namespaces/${namespace}/horizontalpodautoscalers/api-primary`;
      expect(requests).toEqual([
        'GET /apis/autoscaling',
        `PATCH ${primaryPath}`,
        `GET ${primaryPath}`,
        `PATCH ${primaryPath}`,
      ]);
      const primary = await hpas().get(namespace, 'api-primary');
      expect(primary.spec?.maxReplicas).toBe(7);
      expect(primary.metadata?.labels).toEqual({ team: 'payments' });

      // A copy that missed its creation: the create's conflict reads it.
      cached.set('api-primary', undefined);
      await hpas().mergePatch(namespace, 'api', { spec: { maxReplicas: 6 } });
      await cache('api');
      await syncPrimaryAutoscaler(watched);
      expect((await hpas().get(namespace, 'api-primary')).spec?.maxReplicas).toBe(6);
    } finally {
      counted.close();
    }
  });

  it('leaves the primary autoscaler alone when the target autoscaler is gone', async () => {
    const namespace = await cluster().createNamespace('hpa');
    const rollout = await givenRollout(namespace);
    expect(await syncPrimaryAutoscaler(context(rollout))).toBeUndefined();
    expect(await hpas().find(namespace, 'api-primary')).toBeNull();
  });

  it("starts the canary at the primary's replicas within the target autoscaler's bounds, ready at its threshold", async () => {
    const namespace = await cluster().createNamespace('hpa');
    const rollout = await givenRollout(namespace);
    const owner = rollout as unknown as KubeObject;
    await hpas().create(targetAutoscaler(namespace, { maxReplicas: 4 }));
    await deployments().create(deployment(namespace, 'api', 0));
    await deployments().create(deployment(namespace, 'api-primary', 6, owner));

    const started = workloadEffects(context(rollout)).startCanary(
      { deadline: Date.now() + 20_000 },
      new AbortController().signal,
    );
    const scaled = await waitFor('the canary to be scaled up', async () => {
      const target = await deployments().get(namespace, 'api');
      return (target.spec as { replicas?: number }).replicas || undefined;
    });
    expect(scaled).toBe(4);
    // Two of four available meets canaryReadyThreshold 50.
    await deployments().mergePatch(
      namespace,
      'api',
      {
        status: {
          observedGeneration: 2,
          replicas: 4,
          updatedReplicas: 4,
          readyReplicas: 2,
          availableReplicas: 2,
        },
      },
      'status',
    );
    await started;
    expect((await deployments().get(namespace, 'api-primary')).spec).toMatchObject({ replicas: 6 });
    expect(await hpas().find(namespace, 'api-primary')).not.toBeNull();
  });

  it("keeps the primary's autoscaler, unowned, when the Rollout is released", async () => {
    const namespace = await cluster().createNamespace('hpa');
    const rollout = await givenRollout(namespace);
    const owner = rollout as unknown as KubeObject;
    await hpas().create(targetAutoscaler(namespace));
    await syncPrimaryAutoscaler(context(rollout));
    await deployments().create(deployment(namespace, 'api', 0));
    await deployments().create(deployment(namespace, 'api-primary', 3, owner));
    await deployments().mergePatch(
      namespace,
      'api-primary',
      {
        status: {
          observedGeneration: 1,
          replicas: 3,
          updatedReplicas: 3,
          readyReplicas: 3,
          availableReplicas: 3,
        },
      },
      'status',
    );

    await releaseRollout(cluster().api, rollout, { log, pollMs: 50, readyTimeoutMs: 1000 });

    const kept = await hpas().get(namespace, 'api-primary');
    expect(kept.metadata?.ownerReferences).toBeUndefined();
    expect(kept.metadata?.labels?.[RELEASED_FROM_LABEL]).toBe('api');
    expect((await deployments().get(namespace, 'api-primary')).spec).toMatchObject({ replicas: 3 });
  });
});
