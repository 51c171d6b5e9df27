import { describe, expect, it } from 'vitest';
import type { StoredRollout } from '../../../src/controller/status-writer.js';
import { KubeApiError } from '../../../src/kube/api-server.js';
import { memoryWriter, steeredTerm } from './memory-rollouts.js';

const rollout = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'api', namespace: 'prod', generation: 1, uid: 'u1' },
  spec: {},
} as unknown as StoredRollout;

const stamped = { identity: 'test-controller', term: 7 };

describe('StatusWriter', () => {
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
});
