import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/controller/decisions.js';
import type { EffectContext } from '../../../src/controller/effects/context.js';
import { workloadEffects } from '../../../src/controller/effects/workload.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { createValidRollout, useApiServer, waitFor } from '../../support/apiserver.js';

const cluster = useApiServer(['rollout']);
const log = pino({ level: 'silent' });
const deployments = () => new ResourceClient(cluster().api, knownTypes.deployments);

interface DeploymentShape {
  metadata?: {
    generation?: number;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
  };
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: { image?: string }[] } };
  };
}

describe('promotion on a real API server (Kubernetes 1.20)', () => {
  it('creates the primary again from the target when someone deleted it during the release, and says so', async () => {
    // Given a release of api at 2.0.0 whose primary was deleted by hand before the promotion
    const namespace = await cluster().createNamespace('promote');
    const rollout = await createValidRollout(cluster().api, namespace);
    await deployments().create({
      metadata: { namespace, name: 'api', labels: { app: 'api' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: { containers: [{ name: 'app', image: 'fledge/demo:2.0.0' }] },
        },
      },
    });
    const reported: Decision[] = [];
    const context = {
      api: cluster().api,
      rollout: () => rollout,
      log,
      pollMs: 50,
      report: (decision: Decision) => reported.push(decision),
    } as unknown as EffectContext;

    // When the promotion runs, and the new primary's pods become ready
    const promoted = workloadEffects(context).promote(
      { deadline: Date.now() + 20_000 },
      new AbortController().signal,
    );
    const primary = (await waitFor('the primary to be created', () =>
      deployments().find(namespace, 'api-primary'),
    )) as DeploymentShape;
    await deployments().mergePatch(
      namespace,
      'api-primary',
      {
        status: {
          observedGeneration: primary.metadata?.generation,
          replicas: 3,
          updatedReplicas: 3,
          readyReplicas: 3,
          availableReplicas: 3,
        },
      },
      'status',
    );
    await promoted;

    // Then the primary runs the analysed revision at the target's replicas, kept (not owned)
    // for the Rollout, and an Event says what happened
    expect(primary.spec?.template?.spec?.containers?.[0]?.image).toBe('fledge/demo:2.0.0');
    expect(primary.spec?.replicas).toBe(3);
    expect(primary.metadata?.annotations?.['fledge.dev/rollout']).toBe('api');
    expect(primary.metadata?.ownerReferences).toBeUndefined();
    expect(reported).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'PrimaryMissing' }),
    ]);
    expect(reported[0]?.message).toContain(`${namespace}/api-primary was deleted`);

    // And a second promotion (a retry) finds it and writes nothing
    const version = (await deployments().get(namespace, 'api-primary')).metadata?.resourceVersion;
    await workloadEffects(context).promote(
      { deadline: Date.now() + 20_000 },
      new AbortController().signal,
    );
    expect((await deployments().get(namespace, 'api-primary')).metadata?.resourceVersion).toBe(
      version,
    );
    expect(reported).toHaveLength(1);
  });
});
