import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RolloutPlan } from '../../../machines/plan.js';
import type { Effects } from '../../../machines/provide.js';
import type { Rollout } from '../../../src/api/types.js';
import type { Decision } from '../../../src/controller/decisions.js';
import type { EffectContext } from '../../../src/controller/effects/context.js';
import { queuedCondition } from '../../../src/controller/release-queue.js';
import { RolloutRunner } from '../../../src/controller/runner.js';
import type { StoredRollout } from '../../../src/controller/status-writer.js';
import { memoryWriter } from './memory-rollouts.js';

const plan: RolloutPlan = {
  mode: 'workload',
  strategy: 'canary',
  weights: [50, 100],
  iterations: 0,
  pinsRequests: false,
  threshold: 2,
  intervalMs: 1000,
  onFailure: 'rollback',
  onNoData: 'fail',
  promotion: 'auto',
  skipAnalysis: false,
  progressDeadlineMs: 60_000,
  webhookTypes: [],
  waitsForSlot: true,
};

const rollout = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'api', namespace: 'prod', generation: 1, uid: 'u1' },
  spec: { analysis: { webhooks: [] } },
} as unknown as Rollout;

const done = async () => {};
const effects: Effects = {
  initialize: done,
  checkGate: async () => ({ open: true }),
  runWebhooks: async () => ({ ok: true }),
  startCanary: done,
  setWeight: done,
  analyse: async () => ({
    noData: false,
    results: [{ metric: 'request-success-rate', value: 100, min: 99, passed: true }],
  }),
  promote: done,
  finalise: done,
  rollback: async () => ({ routed: true }),
  awaitPrimary: done,
};

describe('a runner in the release queue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits in Queued, tells the controller it moved, and starts once the slot is granted', async () => {
    const writer = memoryWriter(rollout as StoredRollout);
    const decisions: Decision[] = [];
    let moves = 0;
    const runner = new RolloutRunner(rollout, plan, 'rev1', {
      log: pino({ level: 'silent' }),
      status: writer.writer,
      recordEvent: (_r, decision) => decisions.push(decision),
      alert: async () => undefined,
      observe: () => {},
      finished: () => {},
      moved: () => {
        moves++;
      },
      effectContext: () => ({}) as EffectContext,
      effects: () => effects,
      webhooks: { proxy: '' },
    });
    await vi.advanceTimersByTimeAsync(10);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runner.current).toMatchObject({ state: 'Queued', phase: 'Waiting' });
    const movesWhileQueued = moves;
    expect(movesWhileQueued).toBeGreaterThan(0);

    runner.queueVerdict(
      queuedCondition({ key: 'prod/api', granted: false, position: 2, message: 'position 2 of 2' }),
      false,
    );
    await runner.flushed();
    expect(writer.statuses.at(-1)?.conditions?.find((c) => c.type === 'Queued')).toMatchObject({
      status: 'True',
      reason: 'WaitingForSlot',
      message: 'position 2 of 2',
    });

    runner.queueVerdict(
      queuedCondition({ key: 'prod/api', granted: true, message: 'slot granted' }),
      true,
    );
    await vi.advanceTimersByTimeAsync(10_000);
    await runner.flushed();
    expect(runner.phase).toBe('Succeeded');
    expect(moves).toBeGreaterThan(movesWhileQueued);
    const history = writer.statuses.at(-1)?.history ?? [];
    const reasons = history.map((entry) => entry.reason);
    expect(reasons.indexOf('Queued')).toBeLessThan(reasons.indexOf('SlotGranted'));
    expect(reasons.indexOf('SlotGranted')).toBeLessThan(reasons.indexOf('Progressing'));
    expect(writer.statuses.at(-1)?.conditions?.find((c) => c.type === 'Queued')?.status).toBe(
      'False',
    );
    await runner.stop();
  });
});
