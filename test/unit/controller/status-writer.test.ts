import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../src/api/types.js';
import type { StoredRollout } from '../../../src/controller/status-writer.js';
import { type CallOptions, KubeApiError } from '../../../src/kube/api-server.js';
import type { ResourceClient } from '../../../src/kube/resources.js';
import { leading, memoryWriter, steeredTerm } from './memory-rollouts.js';

const rollout = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'api', namespace: 'prod', generation: 1, uid: 'u1' },
  spec: {},
} as unknown as StoredRollout;

const stamped = { identity: 'test-controller', term: 7 };

describe('StatusWriter', () => {
  it("keeps the Rollout it bases its writes on without the server's managedFields", async () => {
    const managedFields = [
      { manager: 'fledge', operation: 'Update', fieldsV1: { 'f:status': {} } },
    ];
    const withFields = {
      ...rollout,
      metadata: { ...rollout.metadata, managedFields },
    } as unknown as StoredRollout;
    const { writer } = memoryWriter(withFields);
    expect(writer.current.metadata).not.toHaveProperty('managedFields');
    await writer.write(() => ({ phase: 'Progressing', canaryWeight: 10 }));
    expect(writer.current.status?.canaryWeight).toBe(10);
    // The server answers a write with managedFields too (the memory server keeps them).
    expect(writer.current.metadata).not.toHaveProperty('managedFields');
    expect(withFields.metadata?.managedFields).toBe(managedFields);
  });

  it('holds the history it wrote once: the answer shares the entries and the spec it was sent', async () => {
    const withSpec = { ...rollout, spec: { service: { port: 80 } } } as unknown as StoredRollout;
    const { writer } = memoryWriter(withSpec);
    const spec = writer.current.spec;
    const first: HistoryEntry = {
      at: '2026-12-05T00:00:00Z',
      revision: 'r1',
      phase: 'Progressing',
      canaryWeight: 10,
      failedChecks: 0,
      type: 'Normal',
      reason: 'WeightChanged',
      message: 'canary weight 0% -> 10%',
    };
    const history = [first];
    await writer.write(() => ({ phase: 'Progressing', canaryWeight: 10, history }));
    expect(writer.current.status?.history?.[0]).toBe(history[0]);
    expect(writer.current.spec).toBe(spec);
    const next = [...history, { ...first, canaryWeight: 20, message: 'canary weight 10% -> 20%' }];
    await writer.write(() => ({ phase: 'Progressing', canaryWeight: 20, history: next }));
    expect(writer.current.status?.history).toEqual(next);
    expect(writer.current.status?.history?.[0]).toBe(history[0]);
    expect(writer.current.status?.history?.[1]).toBe(next[1]);
  });

  it("keeps the watch's copy of its write when the watch brought it before the answer came", async () => {
    let watched: StoredRollout | undefined;
    let watchFirst = true;
    const { writer } = memoryWriter(rollout, leading, {
      client: (memory) =>
        ({
          ...memory,
          mergePatch: async (...args: Parameters<ResourceClient<StoredRollout>['mergePatch']>) => {
            const answer = await memory.mergePatch(...args);
            if (watchFirst) watched = structuredClone(answer);
            return answer;
          },
        }) as unknown as ResourceClient<StoredRollout>,
      cached: () => watched,
    });
    await writer.write(() => ({ phase: 'Progressing', canaryWeight: 10 }));
    expect(writer.current).toBe(watched);
    // A watch that lags holds an older version: it is not taken for the answer.
    const older = watched;
    watchFirst = false;
    await writer.write(() => ({ phase: 'Progressing', canaryWeight: 20 }));
    expect(writer.current).not.toBe(older);
    expect(writer.current.status?.canaryWeight).toBe(20);
    expect(writer.current.spec).toBe(older?.spec);
  });

  it('retries a status refused for too little term left, and writes it once the term is renewed', async () => {
    const term = steeredTerm();
    const { writer, statuses } = memoryWriter(rollout, term.fence);
    term.nearEnd(true);
    void writer.write(() => ({ phase: 'Promoting', canaryWeight: 50 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statuses).toEqual([]);
    term.nearEnd(false);
    expect(await writer.flushed()).toBe(true);
    expect(statuses).toEqual([{ phase: 'Promoting', canaryWeight: 50, controller: stamped }]);
  });

  it('gives up once its term ends, says so to whoever waits, and writes nothing after', async () => {
    const term = steeredTerm();
    const { writer, statuses } = memoryWriter(rollout, term.fence);
    term.nearEnd(true);
    void writer.write(() => ({ phase: 'Promoting', canaryWeight: 50 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    term.end();
    expect(await writer.flushed()).toBe(false);
    term.nearEnd(false);
    await writer.write(() => ({ phase: 'Succeeded', canaryWeight: 0 }));
    expect(await writer.flushed()).toBe(false);
    expect(statuses).toEqual([]);
  });

  it('writes nothing when only the writer changed within a term (a restart without leader election), but stamps a new term', async () => {
    const written = { phase: 'Initialized' as const, canaryWeight: 0 };
    const storedWith = (controller: object) =>
      ({ ...rollout, status: { ...written, controller } }) as StoredRollout;
    const restarted = memoryWriter(storedWith({ identity: 'pod-a1b2c3' }));
    await restarted.writer.write(() => written);
    expect(restarted.statuses).toEqual([]);
    const changed = memoryWriter(storedWith({ identity: 'pod-a1b2c3' }));
    await changed.writer.write(() => ({ ...written, message: 'x' }));
    expect(changed.statuses.at(-1)?.controller).toEqual({ identity: 'test-controller' });
    const newTerm = memoryWriter(
      storedWith({ identity: 'pod-a1b2c3', term: 6 }),
      steeredTerm().fence,
    );
    await newTerm.writer.write(() => written);
    expect(newTerm.statuses).toEqual([{ ...written, controller: stamped }]);
  });

  it('says a status the server rejected is not on record, until the next one is written', async () => {
    const { writer, statuses, failNext } = memoryWriter(rollout, steeredTerm().fence);
    failNext(new KubeApiError('PATCH', '/r', 422, 'Invalid', 'status.phase: bad'));
    await writer.write(() => ({ phase: 'Progressing', canaryWeight: 10 }));
    expect(await writer.flushed()).toBe(false);
    await writer.write(() => ({ phase: 'Progressing', canaryWeight: 20 }));
    expect(await writer.flushed()).toBe(true);
    expect(statuses.at(-1)).toMatchObject({ canaryWeight: 20 });
  });

  it('lets a routine write still waiting for the server give way to an urgent one, sent on the urgent lane', async () => {
    const lanes: string[] = [];
    // The routine lane is saturated: a routine write waits until it is given up.
    const { writer, ...store } = memoryWriter(rollout, leading, {
      client: (memory) =>
        ({
          get: memory.get,
          mergePatch: (
            ns: string,
            name: string,
            patch: unknown,
            sub: string,
            call: CallOptions = {},
          ) => {
            lanes.push(call.urgent ? 'urgent' : 'routine');
            if (call.urgent) return memory.mergePatch(ns, name, patch, sub);
            return new Promise((_, reject) =>
              call.signal?.addEventListener('abort', () => reject(call.signal?.reason), {
                once: true,
              }),
            );
          },
        }) as unknown as ResourceClient<StoredRollout>,
    });
    void writer.write(() => ({ phase: 'Progressing', canaryWeight: 20, failedChecks: 1 }));
    await expect.poll(() => lanes).toEqual(['routine']);

    void writer.write(() => ({ phase: 'Failed', canaryWeight: 20, failedChecks: 2 }), {
      urgent: true,
    });
    expect(await writer.flushed()).toBe(true);
    expect(lanes).toEqual(['routine', 'urgent']);
    expect(store.statuses).toEqual([
      {
        phase: 'Failed',
        canaryWeight: 20,
        failedChecks: 2,
        controller: { identity: 'test-controller' },
      },
    ]);
  });
});
