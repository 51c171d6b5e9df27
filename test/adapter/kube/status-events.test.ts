import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WriterStamp } from '../../../src/api/types.js';
import {
  type StatusRefusal,
  StatusWriter,
  type StoredRollout,
} from '../../../src/controller/status-writer.js';
import { ApiServer, type KubeObject } from '../../../src/kube/api-server.js';
import { EventRecorder, involvedObjectOf } from '../../../src/kube/events.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
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

/** A writer of this test's Rollout whose fence the test holds. */
function writerOf(rollout: KubeObject, stamp: WriterStamp) {
  const rollouts = new ResourceClient<StoredRollout>(cluster().api, knownTypes.rollouts);
  const refusals: StatusRefusal[] = [];
  const fence = { stamp: () => stamp, signal: new AbortController().signal };
  const writer = new StatusWriter(rollout as StoredRollout, {
    client: rollouts,
    fence,
    log: pino({ level: 'silent' }),
    refused: (refusal) => refusals.push(refusal),
    minDelayMs: 10,
    maxDelayMs: 50,
  });
  return { writer, rollouts, refusals };
}

const leader = { identity: 'fledge-a', term: 3 };

describe('StatusWriter on a real API server', () => {
  it('writes through the status subresource, stamped, and leaves spec and generation alone', async () => {
    const namespace = await cluster().createNamespace();
    const rollout = await createRollout(namespace);
    const { writer, rollouts } = writerOf(rollout, leader);
    await writer.write(() => ({ phase: 'Initialized', canaryWeight: 0 }));
    const stored = await rollouts.get(namespace, 'api-service');
    expect(stored.status).toEqual({ phase: 'Initialized', canaryWeight: 0, controller: leader });
    expect(stored.metadata?.generation).toBe(rollout.metadata?.generation);
  });

  it('skips the write when the status is already the desired one', async () => {
    const namespace = await cluster().createNamespace();
    const { writer, rollouts } = writerOf(await createRollout(namespace), leader);
    await writer.write(() => ({ phase: 'Waiting' }));
    const first = await rollouts.get(namespace, 'api-service');
    await writer.write(() => ({ phase: 'Waiting' }));
    const again = await rollouts.get(namespace, 'api-service');
    expect(again.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
  });

  it('recomputes against a fresh read after a harmless conflict (an annotation changed)', async () => {
    const namespace = await cluster().createNamespace();
    const stale = await createRollout(namespace);
    const { writer, rollouts, refusals } = writerOf(stale, leader);
    await rollouts.mergePatch(namespace, 'api-service', {
      metadata: { annotations: { 'fledge.dev/pause': 'true' } },
    });
    let computedFrom = '';
    await writer.write((current) => {
      computedFrom = current.metadata?.resourceVersion ?? '';
      return { phase: 'Progressing', canaryWeight: 10 };
    });
    const stored = await rollouts.get(namespace, 'api-service');
    expect(stored.status).toEqual({ phase: 'Progressing', canaryWeight: 10, controller: leader });
    expect(computedFrom).not.toBe(stale.metadata?.resourceVersion);
    expect(refusals).toEqual([]);
  });

  it("never re-applies a deposed leader's write over its successor's", async () => {
    const namespace = await cluster().createNamespace();
    const rollout = await createRollout(namespace);
    const deposed = writerOf(rollout, leader);
    const successor = writerOf(rollout, { identity: 'fledge-b', term: 4 });
    await successor.writer.write(() => ({ phase: 'Failed', canaryWeight: 0 }));
    await deposed.writer.write(() => ({ phase: 'Progressing', canaryWeight: 30 }));
    const stored = await deposed.rollouts.get(namespace, 'api-service');
    expect(stored.status).toEqual({
      phase: 'Failed',
      canaryWeight: 0,
      controller: { identity: 'fledge-b', term: 4 },
    });
    expect(deposed.refusals).toEqual([
      { kind: 'superseded', by: { identity: 'fledge-b', term: 4 } },
    ]);
    // Given up for good: later wishes of the deposed writer are not written either.
    await deposed.writer.write(() => ({ phase: 'Succeeded' }));
    expect((await deposed.rollouts.get(namespace, 'api-service')).status?.phase).toBe('Failed');
  });

  it('reports a status the API server rejects (422) once, instead of retrying it for ever', async () => {
    const namespace = await cluster().createNamespace();
    const { writer, rollouts, refusals } = writerOf(await createRollout(namespace), leader);
    await writer.write(() => ({ phase: 'NoSuchPhase' as never, canaryWeight: 0 }));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ kind: 'rejected', statusCode: 422 });
    // The writer goes on with the next status.
    await writer.write(() => ({ phase: 'Waiting', canaryWeight: 0 }));
    expect((await rollouts.get(namespace, 'api-service')).status?.phase).toBe('Waiting');
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

  it('sends at most four Events at once, and records every one of them', async () => {
    const namespace = await cluster().createNamespace();
    const involved = involvedObjectOf(await createRollout(namespace));
    let open = 0;
    let most = 0;
    const api = new ApiServer(cluster().kc, 'test', (method, path) => {
      if (method !== 'POST' || !path.endsWith('/events')) return undefined;
      open += 1;
      most = Math.max(most, open);
      return { connected: () => {}, ended: () => (open -= 1) };
    });
    const recorder = new EventRecorder(api);
    const recorded = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        recorder.record(involved, 'Normal', 'Progressing', `weight ${i}`),
      ),
    );
    expect(recorded.every(Boolean)).toBe(true);
    expect(most).toBe(4);
    const { items } = await new ResourceClient(cluster().api, knownTypes.events).list(namespace, {
      fieldSelector: `involvedObject.uid=${involved.uid}`,
    });
    expect(items).toHaveLength(24);
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
