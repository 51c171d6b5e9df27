import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/api-server.js';
import { EventRecorder, involvedObjectOf } from '../../../src/kube/events.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { writeStatus } from '../../../src/kube/status.js';
import { useApiServer } from '../../support/apiserver.js';

const cluster = useApiServer(['rollout']);

async function createRollout(namespace: string): Promise<KubeObject> {
  const rollouts = new ResourceClient(cluster().api, knownTypes.rollouts);
  return rollouts.create({
    metadata: { namespace, name: 'api-service' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-service' },
      service: { port: 8080 },
      analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10 },
    },
  });
}

describe('writeStatus on a real API server', () => {
  it('writes through the status subresource and leaves spec and generation alone', async () => {
    const namespace = await cluster().createNamespace();
    const rollouts = new ResourceClient(cluster().api, knownTypes.rollouts);
    const rollout = await createRollout(namespace);
    const result = await writeStatus(rollouts, rollout, { phase: 'Initialized', canaryWeight: 0 });
    expect(result.written).toBe(true);
    const stored = await rollouts.get(namespace, 'api-service');
    expect(stored.status).toMatchObject({ phase: 'Initialized', canaryWeight: 0 });
    expect(stored.metadata?.generation).toBe(rollout.metadata?.generation);
  });

  it('skips the write when the status is already the desired one', async () => {
    const namespace = await cluster().createNamespace();
    const rollouts = new ResourceClient(cluster().api, knownTypes.rollouts);
    const first = await writeStatus(rollouts, await createRollout(namespace), { phase: 'Waiting' });
    const again = await writeStatus(rollouts, first.object, { phase: 'Waiting' });
    expect(again.written).toBe(false);
    const stored = await rollouts.get(namespace, 'api-service');
    expect(stored.metadata?.resourceVersion).toBe(first.object.metadata?.resourceVersion);
  });

  it('recomputes against a fresh read when someone else wrote in between (409)', async () => {
    const namespace = await cluster().createNamespace();
    const rollouts = new ResourceClient(cluster().api, knownTypes.rollouts);
    const stale = await createRollout(namespace);
    await rollouts.mergePatch(
      namespace,
      'api-service',
      { status: { message: 'from someone else' } },
      'status',
    );
    const result = await writeStatus(rollouts, stale, { phase: 'Progressing', canaryWeight: 10 });
    expect(result.written).toBe(true);
    const stored = await rollouts.get(namespace, 'api-service');
    // The full desired status wins: the other writer's field is removed, not merged in.
    expect(stored.status).toEqual({ phase: 'Progressing', canaryWeight: 10 });
  });
});

describe('EventRecorder on a real API server', () => {
  it('records Events on the Rollout and counts repeats in one Event', async () => {
    const namespace = await cluster().createNamespace();
    const rollout = await createRollout(namespace);
    const involved = involvedObjectOf(rollout);
    const recorder = new EventRecorder(cluster().api, { instance: 'fledge-0' });
    expect(await recorder.record(involved, 'Normal', 'Progressing', 'weight 10')).toBe(true);
    await recorder.record(involved, 'Warning', 'CheckFailed', 'success rate 80 < 99');
    await recorder.record(involved, 'Warning', 'CheckFailed', 'success rate 80 < 99');
    await recorder.record(involved, 'Warning', 'CheckFailed', 'success rate 80 < 99');
    const { items } = await new ResourceClient(cluster().api, knownTypes.events).list(namespace, {
      fieldSelector: `involvedObject.uid=${involved.uid}`,
    });
    const summary = items.map((e) => `${e.type} ${e.reason} ${e.message} x${e.count}`).sort();
    expect(summary).toEqual([
      'Normal Progressing weight 10 x1',
      'Warning CheckFailed success rate 80 < 99 x3',
    ]);
    expect(items[0]?.involvedObject).toMatchObject({ kind: 'Rollout', name: 'api-service' });
  });

  it('resolves false instead of throwing when the API server refuses the Event', async () => {
    const recorder = new EventRecorder(cluster().api);
    const ok = await recorder.record(
      { apiVersion: 'v1', kind: 'Rollout', namespace: 'no-such-namespace', name: 'x', uid: 'u' },
      'Normal',
      'Test',
      'nowhere to go',
    );
    expect(ok).toBe(false);
  });
});
