import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RolloutPlan } from '../../../machines/plan.js';
import type { Effects } from '../../../machines/provide.js';
import type { Rollout } from '../../../src/api/types.js';
import type { Decision } from '../../../src/controller/decisions.js';
import { RolloutRunner, type RunnerHost } from '../../../src/controller/runner.js';

const plan: RolloutPlan = {
  mode: 'workload',
  weights: [50, 100],
  threshold: 2,
  intervalMs: 1000,
  onFailure: 'rollback',
  onNoData: 'fail',
  promotion: 'auto',
  skipAnalysis: false,
  progressDeadlineMs: 60_000,
  webhookTypes: [],
};

const rollout = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'api', namespace: 'prod', generation: 1, uid: 'u1' },
  spec: { analysis: { webhooks: [] } },
} as unknown as Rollout;

function fakeEffects(weights: number[], passing: () => boolean): Effects {
  const done = async () => {};
  return {
    initialize: done,
    checkGate: async () => ({ open: true }),
    runWebhooks: async () => ({ ok: true }),
    startCanary: done,
    setWeight: async ({ canaryWeight }) => {
      weights.push(canaryWeight);
    },
    analyse: async () => ({
      noData: false,
      results: [
        { metric: 'request-success-rate', value: passing() ? 100 : 50, min: 99, passed: passing() },
      ],
    }),
    promote: done,
    finalise: async ({ canaryWeight }) => {
      weights.push(canaryWeight);
    },
    rollback: async () => {
      weights.push(0);
    },
  };
}

function fakeHost() {
  const statuses: NonNullable<Rollout['status']>[] = [];
  const decisions: Decision[] = [];
  const finished: string[] = [];
  const host: RunnerHost = {
    log: pino({ level: 'silent' }),
    writeStatus: async (r, status) => {
      statuses.push(status);
      return { ...r, status };
    },
    recordEvent: (_r, decision) => decisions.push(decision),
    observe: () => {},
    finished: (_r, result) => finished.push(result),
    proxy: undefined,
  };
  return { host, statuses, decisions, finished };
}

describe('RolloutRunner', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drives a healthy revision to Succeeded, writing status and Events on the way', async () => {
    vi.useFakeTimers();
    const weights: number[] = [];
    const { host, statuses, decisions, finished } = fakeHost();
    const runner = new RolloutRunner(
      rollout,
      plan,
      'rev1',
      () => fakeEffects(weights, () => true),
      host,
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(runner.phase).toBe('Initialized');
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(10_000);
    await runner.flushed();
    expect(runner.phase).toBe('Succeeded');
    expect(weights).toEqual([50, 100, 0]);
    expect(finished).toEqual(['succeeded']);
    const last = statuses.at(-1);
    expect(last).toMatchObject({
      phase: 'Succeeded',
      currentRevision: 'rev2',
      lastPromotedRevision: 'rev2',
    });
    expect(last?.conditions?.find((c) => c.type === 'Promoted')?.status).toBe('True');
    expect(decisions.map((d) => d.reason)).toContain('Succeeded');
    await runner.stop();
  });

  it('refuses a promote in a phase that does not allow it, with an Event', async () => {
    vi.useFakeTimers();
    const { host, decisions } = fakeHost();
    const runner = new RolloutRunner(
      rollout,
      plan,
      'rev1',
      () => fakeEffects([], () => true),
      host,
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(runner.act('promote')).toBe(false);
    expect(decisions.at(-1)).toMatchObject({ type: 'Warning', reason: 'ActionRefused' });
    expect(decisions.at(-1)?.message).toContain('promote is not possible in phase Initialized');
    await runner.stop();
  });

  it('resumes from its status after a restart and reaches the same outcome', async () => {
    vi.useFakeTimers();
    const weights: number[] = [];
    const first = fakeHost();
    const runner = new RolloutRunner(
      rollout,
      plan,
      'rev1',
      () => fakeEffects(weights, () => false),
      first.host,
    );
    await vi.advanceTimersByTimeAsync(10);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(1500);
    await runner.flushed();
    expect(runner.phase).toBe('Progressing');
    const saved = first.statuses.at(-1);
    expect(saved?.failedChecks).toBe(1);
    await runner.stop();

    const second = fakeHost();
    const restored = new RolloutRunner(
      { ...rollout, status: saved } as Rollout,
      plan,
      'rev2',
      () => fakeEffects(weights, () => false),
      second.host,
    );
    await vi.advanceTimersByTimeAsync(5000);
    await restored.flushed();
    expect(restored.phase).toBe('Failed');
    expect(second.statuses.at(-1)).toMatchObject({
      phase: 'Failed',
      failedChecks: 2,
      canaryWeight: 0,
    });
    expect(weights.at(-1)).toBe(0);
    await restored.stop();
  });

  it('keeps one retry of a refused status write at a time, however many changes come', async () => {
    vi.useFakeTimers();
    const { host } = fakeHost();
    let attempts = 0;
    host.writeStatus = async () => {
      attempts++;
      throw new Error('422 Invalid');
    };
    const runner = new RolloutRunner(
      rollout,
      plan,
      'rev1',
      () => fakeEffects([], () => true),
      host,
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(runner.phase).toBe('Initialized');
    const afterChanges = attempts;
    expect(afterChanges).toBeGreaterThan(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(attempts - afterChanges).toBeLessThanOrEqual(6);
    await runner.stop();
  });

  it('retries a failed status write', async () => {
    vi.useFakeTimers();
    const { host, statuses } = fakeHost();
    let failures = 1;
    const writeStatus = host.writeStatus;
    host.writeStatus = async (r, status) => {
      if (failures-- > 0) throw new Error('409 conflict');
      return writeStatus(r, status);
    };
    const runner = new RolloutRunner(
      rollout,
      plan,
      'rev1',
      () => fakeEffects([], () => true),
      host,
    );
    await vi.advanceTimersByTimeAsync(2000);
    await runner.flushed();
    expect(statuses.at(-1)?.phase).toBe('Initialized');
    await runner.stop();
  });
});
