import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Deployment } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { toStatusDocument } from '../../../machines/persistence.js';
import { provideEffects } from '../../../machines/provide.js';
import { rolloutMachine } from '../../../machines/rollout.js';
import { planFromSpec } from '../../../src/api/plan.js';
import type { Decision } from '../../../src/controller/decisions.js';
import type { EffectContext } from '../../../src/controller/effects/context.js';
import {
  controllerRevisions,
  recordStable,
} from '../../../src/controller/effects/stable-primary.js';
import { workloadEffects } from '../../../src/controller/effects/workload.js';
import { routingFor } from '../../../src/controller/wiring.js';
import {
  type StablePrimary,
  stableRecord,
} from '../../../src/controller/workload/stable-template.js';
import { ApiServer, type KubeObject, type RequestOptions } from '../../../src/kube/api-server.js';
import { knownTypes, ownerReferenceTo, ResourceClient } from '../../../src/kube/resources.js';
import { createValidRollout, useApiServer, waitFor } from '../../support/apiserver.js';

const cluster = useApiServer(['rollout', 'trafficSplit']);
const log = pino({ level: 'silent' });
const deployments = () => new ResourceClient(cluster().api, knownTypes.deployments);
const records = () => new ResourceClient(cluster().api, controllerRevisions);
const trafficSplits = () =>
  new ResourceClient(cluster().api, {
    group: 'split.smi-spec.io',
    version: 'v1alpha2',
    plural: 'trafficsplits',
    kind: 'TrafficSplit',
    namespaced: true,
  });

interface DeploymentShape extends KubeObject {
  metadata?: KubeObject['metadata'] & { generation?: number };
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: { image?: string }[] } };
  };
  status?: { observedGeneration?: number };
}

const imageOf = (deployment: DeploymentShape | null) =>
  deployment?.spec?.template?.spec?.containers?.[0]?.image;

/**
 * kube-controller-manager's part, which the test API server lacks: every Deployment of the
 * namespace is made ready at its generation, except those `held` (pods that are not ready yet).
 */
function readyPods(namespace: string) {
  const held = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const { items } = await deployments().list(namespace);
      for (const deployment of items as DeploymentShape[]) {
        const name = deployment.metadata?.name ?? '';
        const generation = deployment.metadata?.generation;
        if (held.has(name) || deployment.status?.observedGeneration === generation) continue;
        const replicas = deployment.spec?.replicas ?? 0;
        await deployments()
          .mergePatch(
            namespace,
            name,
            {
              status: {
                observedGeneration: generation,
                replicas,
                updatedReplicas: replicas,
                readyReplicas: replicas,
                availableReplicas: replicas,
              },
            },
            'status',
          )
          .catch(() => {});
      }
      await sleep(50);
    }
  })();
  return {
    held,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** A release at 30% on the canary, run by fledge's workload effects; their Events in `reported`. */
async function releaseAt30(prefix: string, decisionRecorded = async () => {}) {
  const namespace = await cluster().createNamespace(prefix);
  const rollout = await createValidRollout(cluster().api, namespace);
  const routing = routingFor(cluster().api, () => rollout);
  await routing.router().reconcile(routing.route());
  const reported: Decision[] = [];
  const context = {
    api: cluster().api,
    rollout: () => rollout,
    ...routing,
    revision: () => 'r2',
    log,
    report: (decision: Decision) => reported.push(decision),
    decisionRecorded,
  } as unknown as EffectContext;
  const effects = workloadEffects(context);
  await effects.setWeight({ canaryWeight: 30, pinned: false }, new AbortController().signal);
  const splitWeight = async () =>
    ((await trafficSplits().get(namespace, 'api')).spec as { backends: { weight: number }[] })
      .backends[1]?.weight;
  return { namespace, effects, reported, splitWeight };
}

/**
 * Deployments of two replicas each, by name, with the available pods given written to their
 * status (no kubelet runs here).
 */
async function deploymentsWithPods(namespace: string, available: Record<string, number>) {
  for (const [name, pods] of Object.entries(available)) {
    const status = { replicas: 2, readyReplicas: pods, availableReplicas: pods };
    await deployments().create({
      metadata: { namespace, name, labels: { app: name } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image: 'fledge/demo:1.0.0' }] },
        },
      },
    });
    await deployments().mergePatch(namespace, name, { status }, 'status');
  }
}

/** Counts what is asked of the API server. */
class CountingApi extends ApiServer {
  requests = 0;
  override request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    this.requests += 1;
    return super.request<T>(method, path, options);
  }
}

let stopPods: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopPods?.();
  stopPods = undefined;
});

describe('rollback on a real API server (Kubernetes 1.20)', () => {
  it('creates a deleted primary again from the stable template and routes callers to it only once it is ready', async () => {
    // Given api at 1.0.0, initialized by the rollout machine with fledge's effects
    const namespace = await cluster().createNamespace('rollback');
    const rollout = await createValidRollout(cluster().api, namespace, {
      progressDeadlineSeconds: 60,
    });
    const target = (image: string) => ({
      metadata: { namespace, name: 'api', labels: { app: 'api' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: { containers: [{ name: 'app', image }] },
        },
      },
    });
    await deployments().create(target('fledge/demo:1.0.0'));
    const pods = readyPods(namespace);
    stopPods = pods.stop;
    const reported: Decision[] = [];
    let revision = 'r1';
    const context = {
      api: cluster().api,
      rollout: () => rollout,
      ...routingFor(cluster().api, () => rollout),
      revision: () => revision,
      phase: () => 'Progressing',
      log,
      pollMs: 50,
      report: (decision: Decision) => reported.push(decision),
      decisionRecorded: async () => {},
    } as unknown as EffectContext;
    const effects = workloadEffects(context);
    const actor = createActor(provideEffects(rolloutMachine, effects), {
      input: { plan: planFromSpec(rollout.spec), revision, now: Date.now },
    });
    const status = () => toStatusDocument(actor.getSnapshot());
    const state = () => status().state;
    actor.start();
    try {
      await waitFor('initialization', async () => state() === 'Initialized');

      // And a release of 2.0.0 that got 30% of the traffic
      await deployments().mergePatch(namespace, 'api', {
        spec: { template: target('fledge/demo:2.0.0').spec.template },
      });
      revision = 'r2';
      actor.send({ type: 'NEW_REVISION', revision });
      await waitFor('the canary to start', async () => state() === 'Progressing');
      await effects.setWeight({ canaryWeight: 30, pinned: true }, new AbortController().signal);
      const canaryWeight = async () =>
        ((await trafficSplits().get(namespace, 'api')).spec as { backends: { weight: number }[] })
          .backends[1]?.weight;
      expect(await canaryWeight()).toBe(30);

      // When someone deletes the primary and the release is aborted
      pods.held.add('api-primary');
      await deployments().delete(namespace, 'api-primary');
      actor.send({ type: 'ABORT' });

      // Then callers stay on the canary, and the primary is created again from the stable
      // template (1.0.0, not the canary's), kept for the Rollout, and an Event says so
      await waitFor(
        'the rollback to act',
        async () =>
          (await canaryWeight()) !== 30 || (await deployments().find(namespace, 'api-primary')),
      );
      expect(await canaryWeight()).toBe(30);
      const primary = (await waitFor('the primary to be created again', () =>
        deployments().find(namespace, 'api-primary'),
      )) as DeploymentShape;
      expect(imageOf(primary)).toBe('fledge/demo:1.0.0');
      expect(primary.metadata?.annotations?.['fledge.dev/rollout']).toBe('api');
      expect(reported).toContainEqual(
        expect.objectContaining({ type: 'Warning', reason: 'PrimaryMissing' }),
      );
      const event = reported.find((decision) => decision.reason === 'PrimaryMissing');
      expect(event?.message).toContain(`${namespace}/api-primary`);
      expect(event?.message).toContain('stable template');

      // And they stay there while the new primary has no ready pods
      await sleep(1_000);
      expect(await canaryWeight()).toBe(30);
      expect(state()).toBe('RestoringPrimary');
      // And the status says where they are, not the 0 the rollback aims at
      expect(status().canaryWeight).toBe(30);

      // And go back to the primary once it is ready
      pods.held.delete('api-primary');
      await waitFor('the traffic back on the primary', async () => (await canaryWeight()) === 0);
      await waitFor('the rollback to end', async () => state() === 'Failed');
      expect(status().canaryWeight).toBe(0);
      expect(imageOf(await deployments().get(namespace, 'api-primary'))).toBe('fledge/demo:1.0.0');
      expect(reported.map((decision) => decision.reason)).not.toContain(
        'StableTemplateNotRecorded',
      );
    } finally {
      actor.stop();
    }
  }, 60_000);

  it('keeps one record of the stable template, owned by the Rollout, whose data the API server does not let change', async () => {
    // Given a Rollout, and a record of 3.0.0 left by a leader deposed before it deleted it
    const namespace = await cluster().createNamespace('record');
    const rollout = await createValidRollout(cluster().api, namespace);
    const api = new CountingApi(cluster().kc);
    const context = {
      api,
      rollout: () => rollout,
      log,
      report: () => {},
    } as unknown as EffectContext;
    const primary = (image: string) => ({
      metadata: { namespace, name: 'api-primary', labels: { app: 'api-primary' } },
      spec: {
        selector: { matchLabels: { app: 'api-primary' } },
        template: {
          metadata: { labels: { app: 'api-primary' } },
          spec: { containers: [{ name: 'app', image }] },
        },
      },
    });
    const leftover = stableRecord(
      primary('fledge/demo:3.0.0') as unknown as V1Deployment,
      rollout,
      ownerReferenceTo(rollout),
      Date.now() + 60_000,
    );
    await records().create(leftover);
    const images = async () =>
      ((await records().list(namespace)).items as (KubeObject & { data: StablePrimary })[]).map(
        (record) => record.data.spec.template?.spec?.containers[0]?.image,
      );

    // When 1.0.0 is recorded by a process that does not know the Rollout's records, then the
    // leftover, which would outrank it as the newer, is gone
    await recordStable(context, primary('fledge/demo:1.0.0'));
    expect(await images()).toEqual(['fledge/demo:1.0.0']);

    // When 2.0.0 is recorded, then it replaces 1.0.0; and recording it again costs no request
    await recordStable(context, primary('fledge/demo:2.0.0'));
    expect(await images()).toEqual(['fledge/demo:2.0.0']);
    const before = api.requests;
    await recordStable(context, primary('fledge/demo:2.0.0'));
    expect(api.requests).toBe(before);

    // And the record is owned by the Rollout
    const [record] = (await records().list(namespace)).items;
    expect(record?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Rollout', name: 'api', uid: rollout.metadata.uid }),
    ]);

    // And its data cannot change (Kubernetes 1.20 too): a new revision is a new record
    await expect(
      records().mergePatch(namespace, record?.metadata?.name ?? '', {
        data: { labels: { changed: 'yes' } },
      }),
    ).rejects.toThrow(/field is immutable/);
  });

  it('routes callers to the primary before the status that decides the rollback is written, and scales the canary down only after it', async () => {
    // Given a release at 30% whose primary and canary both serve
    let recordStatus: (recorded: boolean) => void = () => {};
    let waits = 0;
    const statusWritten = () =>
      new Promise<void>((resolve, reject) => {
        waits += 1;
        recordStatus = (recorded) =>
          recorded ? resolve() : reject(new Error('the deciding status was given up'));
      });
    const { namespace, effects, splitWeight } = await releaseAt30('ahead', statusWritten);
    await deploymentsWithPods(namespace, { api: 2, 'api-primary': 2 });
    const canaryReplicas = async () =>
      ((await deployments().get(namespace, 'api')) as V1Deployment).spec?.replicas;

    // When the rollback runs while its deciding status is still on the wire
    const rolledBack = effects.rollback({ reason: 'Aborted' }, new AbortController().signal);
    await waitFor('the rollback to wait for its status', async () => waits === 1);
    // Then callers are on the primary at once, and the canary keeps its pods until it is written
    expect(await splitWeight()).toBe(0);
    expect(await canaryReplicas()).toBe(2);
    recordStatus(true);
    await expect(rolledBack).resolves.toEqual({ routed: true });
    expect(await canaryReplicas()).toBe(0);

    // And a rollback whose deciding status was given up leaves the canary's pods alone
    await deployments().mergePatch(namespace, 'api', { spec: { replicas: 2 } });
    const givenUp = effects.rollback({ reason: 'Aborted' }, new AbortController().signal);
    await waitFor('the rollback to wait for its status again', async () => waits === 2);
    recordStatus(false);
    await expect(givenUp).rejects.toThrow(/given up/);
    expect(await canaryReplicas()).toBe(2);
  });

  it('keeps callers on the canary while the primary has no available pod (created a moment ago, then a restart)', async () => {
    // Given a release at 30% whose primary exists with no available pod, and a canary that serves
    const { namespace, effects, reported, splitWeight } = await releaseAt30('unavailable');
    await deploymentsWithPods(namespace, { api: 2, 'api-primary': 0 });
    // When the rollback runs, then callers stay on the canary, and an Event says why
    await expect(
      effects.rollback({ reason: 'Aborted' }, new AbortController().signal),
    ).resolves.toEqual({ routed: false, canaryWeight: 30 });
    expect(await splitWeight()).toBe(30);
    expect(reported).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: 'PrimaryUnavailable' }),
    );

    // And once the primary has an available pod, the rollback routes callers to it
    await deployments().mergePatch(
      namespace,
      'api-primary',
      { status: { readyReplicas: 1, availableReplicas: 1 } },
      'status',
    );
    await expect(
      effects.rollback({ reason: 'Aborted' }, new AbortController().signal),
    ).resolves.toEqual({ routed: true });
    expect(await splitWeight()).toBe(0);
  });

  it('keeps callers on the canary when there is no stable template to create the primary from, and says what to do', async () => {
    // Given a release at 30% whose primary is gone, and no record (an older fledge began it)
    const { namespace, effects, splitWeight } = await releaseAt30('norecord');

    // When the rollback runs, then it fails naming the primary, the cause and the fix
    await expect(
      effects.rollback({ reason: 'Aborted' }, new AbortController().signal),
    ).rejects.toThrow(
      `primary Deployment ${namespace}/api-primary is missing and fledge holds no stable template`,
    );
    // And the canary keeps its traffic
    expect(await splitWeight()).toBe(30);
  });
});
