import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  allocateSlots,
  type QueueEntry,
  type ReleaseLimits,
} from '../../../src/controller/release-queue.js';
import { grantsAnnotation, SlotLedger } from '../../../src/controller/slot-ledger.js';
import type { KubeObject } from '../../../src/kube/api-server.js';
import { knownTypes, ResourceClient } from '../../../src/kube/resources.js';
import { useApiServer } from '../../support/apiserver.js';

const cluster = useApiServer();
const log = pino({ level: 'silent' });
const NAME = 'fledge-controller-release-grants';

/** One replica's view: its own release waits; the others' (stored as Queued) are not counted. */
const waiting = (key: string, queuedAt = 1): QueueEntry => ({
  key,
  namespace: key.split('/')[0] ?? '',
  slot: { kind: 'waiting', queuedAt },
  grantedAt: null,
});

function replica(namespace: string, ttlMs?: number): SlotLedger {
  return new SlotLedger({
    api: cluster().api,
    namespace,
    name: NAME,
    log,
    ...(ttlMs === undefined ? {} : { ttlMs }),
  });
}

/** A pass over `view`, whose live machines (the replica's own releases) are `mine`, or all of it. */
const passOver = (
  ledger: SlotLedger,
  view: QueueEntry[],
  limits: ReleaseLimits,
  mine: string[] = view.map((entry) => entry.key),
) =>
  ledger.pass(
    () => view,
    limits,
    (key) => mine.includes(key),
  );

const grantedKeys = (pass: Awaited<ReturnType<SlotLedger['pass']>>) =>
  pass.verdicts.filter((verdict) => verdict.granted).map((verdict) => verdict.key);

async function storedGrants(namespace: string): Promise<string[]> {
  const lease = await new ResourceClient<KubeObject>(cluster().api, knownTypes.leases).get(
    namespace,
    NAME,
  );
  return Object.keys(JSON.parse(lease.metadata?.annotations?.[grantsAnnotation] ?? '{}')).sort();
}

describe('the release ledger on a real API server', () => {
  const cap: ReleaseLimits = { cluster: 1 };

  it('lets one of three replicas racing for the last slot take it, and the others wait', async () => {
    const namespace = await cluster().createNamespace();
    const views = ['team-a/web', 'team-b/api', 'team-c/jobs'].map((key) => [waiting(key)]);
    // Without the ledger each replica, counting only what status shows, takes the slot.
    for (const view of views)
      expect(allocateSlots(view, cap).filter((v) => v.granted)).toHaveLength(1);

    const replicas = views.map(() => replica(namespace));
    const passes = await Promise.all(
      replicas.map((ledger, i) => passOver(ledger, views[i] ?? [], cap)),
    );
    const granted = passes.flatMap(grantedKeys);
    expect(granted).toHaveLength(1);
    expect(await storedGrants(namespace)).toEqual(granted);
    // The others counted the winner's grant and say why they wait.
    for (const pass of passes.filter((p) => grantedKeys(p).length === 0)) {
      expect(pass.verdicts).toHaveLength(1);
      expect(pass.verdicts[0]?.message).toContain('1 release in analysis in the cluster');
    }
  });

  it('grants again once a grant expires without the status that records it', async () => {
    const namespace = await cluster().createNamespace();
    const first = replica(namespace, 1_500);
    const second = replica(namespace, 1_500);
    expect(grantedKeys(await passOver(first, [waiting('a/x')], { cluster: 2 }))).toEqual(['a/x']);
    expect(grantedKeys(await passOver(second, [waiting('b/y')], cap))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    // a/x's machine never took its slot (its replica died first): the slot is free again.
    expect(grantedKeys(await passOver(second, [waiting('b/y')], cap))).toEqual(['b/y']);
    expect(await storedGrants(namespace)).toEqual(['b/y']);
  });

  it('starts a release another replica granted before its shard moved, without a second grant', async () => {
    const namespace = await cluster().createNamespace();
    await passOver(replica(namespace), [waiting('a/x')], cap);
    // The shard of a/x moved to a replica that restored it, still Queued in its status.
    const pass = await passOver(replica(namespace), [waiting('a/x'), waiting('a/y', 2)], cap);
    expect(pass.verdicts.filter((v) => v.granted).map((v) => v.key)).toEqual(['a/x']);
    expect(pass.verdicts.find((v) => v.key === 'a/y')?.granted).toBe(false);
    expect(await storedGrants(namespace)).toEqual(['a/x']);
  });

  it('leaves the slot to the release queued first, though another replica drives it', async () => {
    const namespace = await cluster().createNamespace();
    // Both replicas see both releases waiting: a/x (queued first, A's) and b/y (B's).
    const line = [waiting('a/x', 1), waiting('b/y', 2)];
    const b = await passOver(replica(namespace), line, cap, ['b/y']);
    expect(grantedKeys(b)).toEqual([]);
    expect(b.verdicts.map((v) => v.key)).toEqual(['b/y']);
    expect(b.verdicts[0]?.message).toContain('position 2 of 2');
    const a = await passOver(replica(namespace), line, cap, ['a/x']);
    expect(grantedKeys(a)).toEqual(['a/x']);
    expect(await storedGrants(namespace)).toEqual(['a/x']);
  });
});
