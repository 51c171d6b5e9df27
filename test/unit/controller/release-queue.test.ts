import { describe, expect, it } from 'vitest';
import {
  allocateSlots,
  type QueueEntry,
  queuedCondition,
  slotCounts,
  slotOf,
  withRecentGrants,
} from '../../../src/controller/release-queue.js';
import { machineDocument } from '../../support/machine-documents.js';

describe('slotOf', () => {
  it.each([
    ['no machine yet', null, 'none'],
    ['Initialized', machineDocument({ state: 'Initialized', phase: 'Initialized' }), 'none'],
    ['an analysis, even one begun before the queue', machineDocument({}), 'holding'],
    [
      'WaitingPromotion',
      machineDocument({ state: 'WaitingPromotion', phase: 'WaitingPromotion' }),
      'holding',
    ],
    [
      'starting its canary after the grant',
      machineDocument({ state: 'Waiting', phase: 'Waiting', slotGrantedAt: 5 }),
      'holding',
    ],
    [
      'at the confirm-rollout gate before the queue',
      machineDocument({ state: 'Waiting', phase: 'Waiting' }),
      'none',
    ],
    [
      'paused mid-analysis',
      machineDocument({ state: 'Paused', phase: 'Paused', slotGrantedAt: 5 }),
      'holding',
    ],
    [
      'paused while queued',
      machineDocument({ state: 'Paused', phase: 'Paused', queuedAt: 3 }),
      'none',
    ],
    [
      'promoting after the analysis',
      machineDocument({ state: 'Promoting', phase: 'Promoting', slotGrantedAt: 5 }),
      'holding',
    ],
    [
      'promoting with skipAnalysis',
      machineDocument({ state: 'Promoting', phase: 'Promoting' }),
      'none',
    ],
    [
      'Succeeded',
      machineDocument({ state: 'Succeeded', phase: 'Succeeded', slotGrantedAt: 5 }),
      'none',
    ],
    [
      'rolling back',
      machineDocument({ state: 'RollingBack', phase: 'Failed', slotGrantedAt: 5 }),
      'none',
    ],
    [
      'rolling back while the canary keeps callers until the primary can take them',
      machineDocument({ state: 'RestoringPrimary', phase: 'Failed' }),
      'holding',
    ],
  ])('%s: %s', (_, document, kind) => {
    expect(slotOf(document).kind).toBe(kind);
  });

  it('reads a queued release with its place in line', () => {
    expect(slotOf(machineDocument({ state: 'Queued', phase: 'Waiting', queuedAt: 42 }))).toEqual({
      kind: 'waiting',
      queuedAt: 42,
    });
  });
});

const holding = (key: string): QueueEntry => ({
  key,
  namespace: key.split('/')[0] ?? '',
  slot: { kind: 'holding' },
});
const waiting = (key: string, queuedAt: number, maxInNamespace?: number): QueueEntry => ({
  key,
  namespace: key.split('/')[0] ?? '',
  slot: { kind: 'waiting', queuedAt },
  ...(maxInNamespace === undefined ? {} : { maxInNamespace }),
});
const granted = (verdicts: ReturnType<typeof allocateSlots>) =>
  verdicts.filter((v) => v.granted).map((v) => v.key);

describe('allocateSlots', () => {
  it('grants every waiting release without limits', () => {
    expect(granted(allocateSlots([waiting('a/x', 2), waiting('b/y', 1)], {}))).toEqual([
      'b/y',
      'a/x',
    ]);
  });

  it('grants the earliest releases up to the cluster limit, counting those in analysis', () => {
    const verdicts = allocateSlots(
      [holding('a/busy'), waiting('a/3', 30), waiting('b/1', 10), waiting('c/2', 20)],
      { cluster: 3 },
    );
    expect(granted(verdicts)).toEqual(['b/1', 'c/2']);
    expect(verdicts.find((v) => v.key === 'a/3')).toMatchObject({
      granted: false,
      position: 3,
      message: expect.stringMatching(/3 releases in analysis in the cluster \(--max-releases 3\)/),
    });
  });

  it('breaks ties of queue time by key, so every replica orders alike', () => {
    expect(granted(allocateSlots([waiting('b/x', 5), waiting('a/x', 5)], { cluster: 1 }))).toEqual([
      'a/x',
    ]);
  });

  it('caps each namespace and lets other namespaces go by', () => {
    const verdicts = allocateSlots(
      [holding('a/busy'), waiting('a/1', 1), waiting('b/2', 2), waiting('a/3', 3)],
      { namespace: 1 },
    );
    expect(granted(verdicts)).toEqual(['b/2']);
    expect(verdicts.find((v) => v.key === 'a/3')?.message).toMatch(
      /behind a\/1, which waits for a slot in namespace a/,
    );
  });

  it('takes the tighter of the flag and the Rollout field for the namespace', () => {
    const entries = [holding('a/busy'), waiting('a/1', 1, 1), waiting('b/1', 2, 1)];
    expect(granted(allocateSlots(entries, { namespace: 5 }))).toEqual(['b/1']);
    expect(
      granted(allocateSlots([holding('a/busy'), waiting('a/1', 1, 3)], { namespace: 1 })),
    ).toEqual([]);
  });

  it('never lets a later release of the namespace overtake one held back by its own field', () => {
    const entries = [holding('a/busy'), waiting('a/strict', 1, 1), waiting('a/loose', 2)];
    expect(granted(allocateSlots(entries, {}))).toEqual([]);
  });

  it('holds every later release back while the cluster is full, whatever its namespace', () => {
    const verdicts = allocateSlots([holding('a/x'), waiting('b/1', 1), waiting('c/2', 2)], {
      cluster: 1,
    });
    expect(granted(verdicts)).toEqual([]);
    expect(verdicts.find((v) => v.key === 'c/2')?.message).toMatch(/behind b\/1/);
  });

  it('serves a queue of five with two slots in order as releases end', () => {
    const keys = ['n/a', 'n/b', 'n/c', 'n/d', 'n/e'];
    const state = new Map<string, QueueEntry>(
      keys.map((key, i) => [key, waiting(key, i)] as const),
    );
    const order: string[] = [];
    for (let round = 0; round < 10 && order.length < keys.length; round++) {
      for (const verdict of allocateSlots([...state.values()], { cluster: 2 })) {
        if (!verdict.granted) continue;
        order.push(verdict.key);
        state.set(verdict.key, holding(verdict.key));
      }
      const inAnalysis = [...state.values()].filter((e) => e.slot.kind === 'holding');
      expect(inAnalysis.length).toBeLessThanOrEqual(2);
      const finished = inAnalysis[0];
      if (finished) state.delete(finished.key);
    }
    expect(order).toEqual(keys);
  });

  it('says why in the Queued condition', () => {
    const [wait] = allocateSlots([holding('a/x'), waiting('a/y', 1)], { cluster: 1 });
    expect(wait && queuedCondition(wait)).toMatchObject({
      type: 'Queued',
      status: 'True',
      reason: 'WaitingForSlot',
    });
    const [go] = allocateSlots([waiting('a/y', 1)], { cluster: 1 });
    expect(go && queuedCondition(go)).toMatchObject({ status: 'False', reason: 'SlotGranted' });
  });

  it('counts one release in the singular', () => {
    const [wait] = allocateSlots([holding('a/x'), waiting('b/y', 1)], { cluster: 1 });
    expect(wait?.message).toMatch(/: 1 release in analysis in the cluster \(--max-releases 1\)$/);
    const [go] = allocateSlots([waiting('b/y', 1)], { cluster: 1 });
    expect(go?.message).toBe(
      'slot granted: 1 release in analysis in namespace b, 1 in the cluster',
    );
  });
});

describe('slotCounts', () => {
  it('counts the releases holding a slot and those waiting, not the others', () => {
    const idle: QueueEntry = { key: 'c/idle', namespace: 'c', slot: { kind: 'none' } };
    expect(slotCounts([])).toEqual({ holding: 0, waiting: 0 });
    expect(
      slotCounts([holding('a/x'), waiting('a/y', 1), idle, holding('b/z'), waiting('b/w', 2)]),
    ).toEqual({ holding: 2, waiting: 2 });
    expect(slotCounts([idle])).toEqual({ holding: 0, waiting: 0 });
  });
});

describe('withRecentGrants', () => {
  /** Grants by key: when each was made and, third, when its release was queued (1). */
  const grants = (entries: [string, number, number?][]) =>
    new Map(entries.map(([key, at, queuedAt = 1]) => [key, { at, queuedAt }]));
  const idle = (key: string, grantedAt: number | null): QueueEntry => ({
    key,
    namespace: key.split('/')[0] ?? '',
    slot: { kind: 'none' },
    grantedAt,
  });

  it("counts another replica's grant that its Rollout's status does not show yet", () => {
    // Replica B's own release waits; A granted a/x the last slot a moment ago.
    const { entries, reserved } = withRecentGrants([waiting('b/y', 1)], grants([['a/x', 1_000]]));
    expect(slotCounts(entries)).toEqual({ holding: 1, waiting: 1 });
    expect(reserved).toEqual([]);
    expect(granted(allocateSlots(entries, { cluster: 1 }))).toEqual([]);
    // Without the grant, B takes a second slot under a cap of one.
    expect(granted(allocateSlots([waiting('b/y', 1)], { cluster: 1 }))).toEqual(['b/y']);
  });

  it('counts a grant in the namespace it names', () => {
    const { entries } = withRecentGrants([waiting('a/y', 1)], grants([['a/x', 1_000]]));
    expect(granted(allocateSlots(entries, { namespace: 1 }))).toEqual([]);
    expect(granted(allocateSlots(entries, { namespace: 2 }))).toEqual(['a/y']);
  });

  it('counts a grant once its status records it, and not twice', () => {
    const recorded: QueueEntry = { ...holding('a/x'), grantedAt: 1_200 };
    const { entries } = withRecentGrants([recorded], grants([['a/x', 1_000]]));
    expect(slotCounts(entries)).toEqual({ holding: 1, waiting: 0 });
  });

  it('lets the slot go once the status says the granted release is over', () => {
    const { entries } = withRecentGrants([idle('a/x', 1_000)], grants([['a/x', 1_000]]));
    expect(slotCounts(entries)).toEqual({ holding: 0, waiting: 0 });
  });

  it('tolerates clocks a few seconds apart, but not an earlier release', () => {
    const skewed = withRecentGrants([idle('a/x', 97_000)], grants([['a/x', 100_000]]));
    expect(slotCounts(skewed.entries).holding).toBe(0);
    // The status still shows the release before: the grant is not recorded yet.
    const earlier = withRecentGrants([idle('a/x', 40_000)], grants([['a/x', 100_000]]));
    expect(slotCounts(earlier.entries).holding).toBe(1);
  });

  it('reserves the slot for a waiting release here that another replica granted before', () => {
    const { entries, reserved } = withRecentGrants(
      [waiting('a/x', 1), waiting('a/y', 2)],
      grants([['a/x', 1_000]]),
    );
    expect(reserved).toEqual(['a/x']);
    // Counted as holding: it is not granted a second slot, and a/y waits behind it.
    expect(granted(allocateSlots(entries, { cluster: 1 }))).toEqual([]);
  });

  it('counts a grant for an earlier release of a Rollout that queues again for nothing', () => {
    // a/x was granted when queued at 1; a new revision replaced that release, queued at 5.
    const { entries, reserved } = withRecentGrants(
      [waiting('a/x', 5), waiting('b/y', 6)],
      grants([['a/x', 1_000, 1]]),
    );
    expect(reserved).toEqual([]);
    expect(granted(allocateSlots(entries, { cluster: 1 }))).toEqual(['a/x']);
  });
});
