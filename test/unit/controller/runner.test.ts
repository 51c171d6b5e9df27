import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RolloutPlan } from '../../../machines/plan.js';
import type { Effects } from '../../../machines/provide.js';
import type { AlertNotice } from '../../../src/alerts/message.js';
import type { ConditionUpdate } from '../../../src/api/conditions.js';
import type { Rollout } from '../../../src/api/types.js';
import type { Decision } from '../../../src/controller/decisions.js';
import type { EffectContext } from '../../../src/controller/effects/context.js';
import { RolloutRunner, type RunnerHost, type RunnerView } from '../../../src/controller/runner.js';
import type { StoredRollout } from '../../../src/controller/status-writer.js';
import { KubeApiError } from '../../../src/kube/api-server.js';
import { memoryWriter, steeredTerm } from './memory-rollouts.js';

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
      return { routed: true };
    },
    awaitPrimary: done,
  };
}

function fakeHost(
  effects: Effects,
  stored: Rollout = rollout,
  writer = memoryWriter(stored as StoredRollout),
) {
  const decisions: Decision[] = [];
  const finished: string[] = [];
  const alerts: AlertNotice[] = [];
  const host: RunnerHost = {
    log: pino({ level: 'silent' }),
    status: writer.writer,
    recordEvent: (_r, decision) => decisions.push(decision),
    alert: async (_r, notice) => {
      alerts.push(notice);
      return alerting;
    },
    observe: () => {},
    finished: (_r, result) => finished.push(result),
    effectContext: () => ({}) as EffectContext,
    effects: () => effects,
    webhooks: { proxy: '' },
  };
  return { host, statuses: writer.statuses, writer, decisions, finished, effects, alerts };
}

const alerting: ConditionUpdate = {
  type: 'Alerting',
  status: 'False',
  reason: 'AlertProviderNotFound',
  message: 'alert team: AlertProvider prod/slack does not exist',
};

async function started(effects: Effects, stored: Rollout = rollout, runPlan = plan) {
  const world = fakeHost(effects, stored);
  const runner = new RolloutRunner(stored, runPlan, 'rev1', world.host);
  await vi.advanceTimersByTimeAsync(10);
  return { ...world, runner };
}

describe('RolloutRunner', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drives a healthy revision to Succeeded, writing status, history and Events on the way', async () => {
    const weights: number[] = [];
    const { runner, statuses, decisions, finished } = await started(
      fakeEffects(weights, () => true),
    );
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
      controller: { identity: 'test-controller' },
    });
    expect(last?.conditions?.find((c) => c.type === 'Promoted')?.status).toBe('True');
    expect(decisions.map((d) => d.reason)).toContain('Succeeded');
    const history = last?.history ?? [];
    expect(
      history.filter((entry) => entry.reason === 'WeightChanged').map((e) => e.canaryWeight),
    ).toEqual([50, 100, 0]);
    const analyses = history.filter((entry) => entry.reason === 'Analysis');
    expect(analyses.length).toBe(3);
    expect(analyses[0]?.analysis).toEqual([
      { metric: 'request-success-rate', value: 100, min: 99, passed: true },
    ]);
    await runner.stop();
  });

  it("writes the next release's history without the last release's passing analyses", async () => {
    const { runner, statuses } = await started(fakeEffects([], () => true));
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(10_000);
    await runner.flushed();
    const first = statuses.at(-1)?.history ?? [];
    runner.revisionSeen('rev3');
    await vi.advanceTimersByTimeAsync(10_000);
    await runner.flushed();
    expect(runner.phase).toBe('Succeeded');
    const history = statuses.at(-1)?.history ?? [];
    const kept = history.filter((entry) => entry.revision !== 'rev3');
    expect(kept).toEqual(first.filter((entry) => entry.reason !== 'Analysis'));
    expect(kept.map((entry) => entry.reason)).toContain('Succeeded');
    expect(history.filter((entry) => entry.reason === 'Analysis')).toHaveLength(3);
    await runner.stop();
  });

  it('refuses a promote in a phase that does not allow it, with an Event and a history entry', async () => {
    const { runner, decisions, statuses } = await started(fakeEffects([], () => true));
    expect(runner.act('promote')).toBe(false);
    expect(decisions.at(-1)).toMatchObject({ type: 'Warning', reason: 'ActionRefused' });
    expect(decisions.at(-1)?.message).toContain('promote is not possible in phase Initialized');
    await runner.flushed();
    expect(statuses.at(-1)?.history?.at(-1)).toMatchObject({ reason: 'ActionRefused' });
    await runner.stop();
  });

  it('refuses a retry while its rollback waits for the primary, instead of taking it as done', async () => {
    const effects: Effects = {
      ...fakeEffects([], () => true),
      rollback: async () => ({ routed: false, canaryWeight: 50 }),
      // The primary never becomes ready: the wait ends only when the runner stops.
      awaitPrimary: (_input, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', reject)),
    };
    const { runner, decisions } = await started(effects);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(10);
    expect(runner.act('abort')).toBe(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(runner.phase).toBe('Failed');

    expect(runner.act('retry')).toBe(false);
    expect(decisions.at(-1)).toMatchObject({ type: 'Warning', reason: 'ActionRefused' });
    expect(decisions.at(-1)?.message).toBe(
      'retry is not possible in phase Failed (RestoringPrimary); allowed: none',
    );
    expect(decisions.map((d) => d.reason)).not.toContain('ManualRetry');
    await runner.stop();
  });

  it('resumes from its status after a restart and reaches the same outcome', async () => {
    const weights: number[] = [];
    const first = await started(fakeEffects(weights, () => false));
    first.runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(1500);
    await first.runner.flushed();
    expect(first.runner.phase).toBe('Progressing');
    const saved = first.statuses.at(-1);
    expect(saved?.failedChecks).toBe(1);
    await first.runner.stop();

    const second = await started(
      fakeEffects(weights, () => false),
      {
        ...rollout,
        status: saved,
      } as Rollout,
    );
    await vi.advanceTimersByTimeAsync(5000);
    await second.runner.flushed();
    expect(second.runner.phase).toBe('Failed');
    expect(second.statuses.at(-1)).toMatchObject({
      phase: 'Failed',
      failedChecks: 2,
      canaryWeight: 0,
    });
    expect(weights.at(-1)).toBe(0);
    await second.runner.stop();
  });

  it('may be let go once settled and its status is what the cache holds, not before', async () => {
    const weights: number[] = [];
    const { runner, statuses } = await started(fakeEffects(weights, () => true));
    await runner.flushed();
    const initialized = statuses.at(-1);
    expect(runner.phase).toBe('Initialized');
    expect(runner.releasable(initialized)).toBe(true);
    // The cache has not seen the last write yet.
    expect(
      runner.releasable({ ...initialized, machine: { ...initialized?.machine, state: 'x' } }),
    ).toBe(false);
    expect(runner.releasable(undefined)).toBe(false);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(10);
    await runner.flushed();
    expect(runner.phase).toBe('Progressing');
    expect(runner.releasable(statuses.at(-1))).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    await runner.flushed();
    expect(runner.phase).toBe('Succeeded');
    expect(runner.releasable(statuses.at(-1))).toBe(true);
    await runner.stop();
  });

  it('resumed after being let go, announces nothing it announced already, and goes on from there', async () => {
    const weights: number[] = [];
    const first = await started(fakeEffects(weights, () => true));
    await first.runner.flushed();
    const saved = { ...rollout, status: first.statuses.at(-1) } as Rollout;
    await first.runner.stop();

    const restarted = fakeHost(
      fakeEffects(weights, () => true),
      saved,
    );
    const afterRestart = new RolloutRunner(saved, plan, 'rev1', restarted.host);
    await vi.advanceTimersByTimeAsync(10);
    // A restart may follow a crash before the announcement: it announces its state again.
    expect(restarted.decisions.map((d) => d.reason)).toEqual(['Initialized']);
    await afterRestart.stop();

    const resumed = fakeHost(
      fakeEffects(weights, () => true),
      saved,
    );
    resumed.host.resumed = true;
    const runner = new RolloutRunner(saved, plan, 'rev1', resumed.host);
    await vi.advanceTimersByTimeAsync(10);
    expect(resumed.decisions).toEqual([]);
    expect(runner.phase).toBe('Initialized');
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(10_000);
    await runner.flushed();
    expect(runner.phase).toBe('Succeeded');
    expect(resumed.decisions.map((d) => d.reason)).toContain('Succeeded');
    expect(resumed.statuses.at(-1)?.history?.length).toBeGreaterThan(
      saved.status?.history?.length ?? 0,
    );
    await runner.stop();
  });

  it('retries a status write the server failed, with backoff, until it lands', async () => {
    const world = fakeHost(fakeEffects([], () => true));
    const unavailable = () => new KubeApiError('PATCH', '/r', 503, 'ServiceUnavailable', 'busy');
    world.writer.failNext(unavailable(), unavailable(), unavailable());
    const runner = new RolloutRunner(rollout, plan, 'rev1', world.host);
    await vi.advanceTimersByTimeAsync(2000);
    await runner.flushed();
    expect(world.statuses.at(-1)?.phase).toBe('Initialized');
    await runner.stop();
  });

  it('reports a status the server rejects (422) once and does not retry it', async () => {
    const world = fakeHost(fakeEffects([], () => true));
    world.writer.failNext(new KubeApiError('PATCH', '/r', 422, 'Invalid', 'status.phase: bad'));
    const runner = new RolloutRunner(rollout, plan, 'rev1', world.host);
    await vi.advanceTimersByTimeAsync(5000);
    await runner.flushed();
    expect(world.writer.refusals).toEqual([
      { kind: 'rejected', statusCode: 422, message: expect.stringContaining('status.phase: bad') },
    ]);
    // The next status (Initialized) still lands.
    expect(world.statuses.at(-1)?.phase).toBe('Initialized');
    await runner.stop();
  });

  it('waits on stop for an effect on the wire, so no write lands after it', async () => {
    let landed = false;
    let release = () => {};
    const effects = fakeEffects([], () => true);
    effects.setWeight = () =>
      new Promise<void>((resolve) => {
        release = () => {
          landed = true;
          resolve();
        };
      });
    const { runner } = await started(effects);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(1500);
    let stopped = false;
    const stopping = runner.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(landed).toBe(true);
  });

  it('starts an effect only after the one before it settled', async () => {
    const order: string[] = [];
    let finishWeight = () => {};
    const effects = fakeEffects([], () => true);
    effects.setWeight = async ({ canaryWeight }) => {
      order.push(`weight ${canaryWeight} sent`);
      await new Promise<void>((resolve) => {
        finishWeight = resolve;
      });
      order.push(`weight ${canaryWeight} landed`);
    };
    effects.rollback = async () => {
      order.push('rollback');
      return { routed: true };
    };
    const { runner } = await started(effects);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(1500);
    expect(order).toEqual(['weight 50 sent']);
    runner.act('abort');
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['weight 50 sent']);
    finishWeight();
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual(['weight 50 sent', 'weight 50 landed', 'rollback']);
    await runner.stop();
  });

  it('writes the decision to status before the effect it leads to', async () => {
    const effects = fakeEffects([], () => true);
    const world = fakeHost(effects);
    const storedWhen: string[] = [];
    const stored = () =>
      (world.writer.current().status?.machine as { state?: string })?.state ?? '';
    effects.setWeight = async ({ canaryWeight }) => {
      storedWhen.push(`setWeight ${canaryWeight}: ${stored()}`);
    };
    effects.finalise = async () => {
      storedWhen.push(`finalise: ${stored()}`);
    };
    const runner = new RolloutRunner(rollout, { ...plan, mode: 'backend' }, 'rev1', world.host);
    await vi.advanceTimersByTimeAsync(10);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(storedWhen).toEqual([
      'setWeight 50: IncreasingWeight',
      'setWeight 100: IncreasingWeight',
      'finalise: Finalising',
    ]);
    await runner.stop();
  });

  it('writes the status that decides a rollback on the urgent lane, and no other', async () => {
    const world = fakeHost(fakeEffects([], () => false));
    const writer = world.writer.writer;
    const lanes: string[] = [];
    const write = writer.write.bind(writer);
    writer.write = (update, options) => {
      const { phase } = update(writer.current);
      lanes.push(`${phase} ${options?.urgent ? 'urgent' : 'routine'}`);
      return write(update, options);
    };
    const runner = new RolloutRunner(rollout, plan, 'rev1', world.host);
    await vi.advanceTimersByTimeAsync(10);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runner.phase).toBe('Failed');
    expect(lanes.filter((lane) => lane.endsWith('urgent'))).toEqual(['Failed urgent']);
    expect(lanes.indexOf('Failed urgent')).toBe(lanes.findIndex((l) => l.startsWith('Failed')));
    await runner.stop();
  });

  it('routes a rollback beside the status that decides it, and scales the canary down only once that status is written', async () => {
    const term = steeredTerm();
    const order: string[] = [];
    let failing = false;
    const effects = fakeEffects([], () => !failing);
    const world = fakeHost(effects, rollout, memoryWriter(rollout as StoredRollout, term.fence));
    let view: RunnerView | undefined;
    world.host.effectContext = (given) => {
      view = given;
      return given as unknown as EffectContext;
    };
    const storedPhase = () => world.writer.current().status?.phase;
    effects.rollback = async () => {
      order.push(`routed (status ${storedPhase()})`);
      await view?.decisionRecorded();
      order.push(`scaled down (status ${storedPhase()})`);
      return { routed: true };
    };
    const runner = new RolloutRunner(rollout, plan, 'rev1', world.host);
    await vi.advanceTimersByTimeAsync(10);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(1500);
    expect(storedPhase()).toBe('Progressing');

    // Given status writes held (the API server slow), when two checks fail (threshold 2)
    failing = true;
    term.nearEnd(true);
    await vi.advanceTimersByTimeAsync(3000);
    // Then the rollback routed without waiting for its status, and waits to scale down
    expect(order).toEqual(['routed (status Progressing)']);
    term.nearEnd(false);
    await vi.advanceTimersByTimeAsync(3000);
    expect(order).toEqual(['routed (status Progressing)', 'scaled down (status Failed)']);
    await runner.stop();
  });

  it('holds an effect while the term is too short to write its status, and takes it once the term is renewed', async () => {
    const term = steeredTerm();
    const weights: number[] = [];
    const writer = memoryWriter(rollout as StoredRollout, term.fence);
    const world = fakeHost(
      fakeEffects(weights, () => true),
      rollout,
      writer,
    );
    const runner = new RolloutRunner(rollout, plan, 'rev1', world.host);
    await vi.advanceTimersByTimeAsync(10);
    term.nearEnd(true);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(3000);
    expect(weights).toEqual([]);
    expect(world.statuses.at(-1)?.phase).toBe('Initialized');
    term.nearEnd(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(weights).toEqual([50, 100, 0]);
    expect(world.statuses.at(-1)?.phase).toBe('Succeeded');
    await runner.stop();
  });

  // An analysis held behind a slow status write runs late; the next weight still waits for it.
  it('runs the analyses while the status before them is still unwritten, and holds the next weight', async () => {
    const term = steeredTerm();
    const weights: number[] = [];
    const analysed: number[] = [];
    let failing = false;
    const effects = fakeEffects(weights, () => !failing);
    const analyse = effects.analyse;
    effects.analyse = async (input, signal) => {
      analysed.push(input.iteration);
      return analyse(input, signal);
    };
    const world = fakeHost(effects, rollout, memoryWriter(rollout as StoredRollout, term.fence));
    const runner = new RolloutRunner(rollout, plan, 'rev1', world.host);
    await vi.advanceTimersByTimeAsync(10);
    runner.revisionSeen('rev2');
    for (let waited = 0; weights.length === 0 && waited < 5000; waited += 10) {
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(weights).toEqual([50]);
    const before = analysed.length;
    // One failed check (threshold 2): its status is held, and the next analysis is due.
    failing = true;
    term.nearEnd(true);
    await vi.advanceTimersByTimeAsync(1000);
    failing = false;
    await vi.advanceTimersByTimeAsync(1500);
    expect(analysed.length).toBeGreaterThanOrEqual(before + 2);
    expect(weights).toEqual([50]);
    term.nearEnd(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(weights).toEqual([50, 100, 0]);
    expect(world.statuses.at(-1)?.phase).toBe('Succeeded');
    await runner.stop();
  });

  it('takes no effect once the term ended before the status that decided it was written', async () => {
    const term = steeredTerm();
    const weights: number[] = [];
    const writer = memoryWriter(rollout as StoredRollout, term.fence);
    const world = fakeHost(
      fakeEffects(weights, () => true),
      rollout,
      writer,
    );
    const runner = new RolloutRunner(rollout, plan, 'rev1', world.host);
    await vi.advanceTimersByTimeAsync(10);
    term.end();
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(weights).toEqual([]);
    expect(world.statuses.at(-1)?.phase).toBe('Initialized');
    await runner.stop();
  });

  it('honours an interval past 24.8 days instead of firing at once', async () => {
    const analysed: number[] = [];
    const effects = fakeEffects([], () => true);
    const analyse = effects.analyse;
    effects.analyse = async (input, signal) => {
      analysed.push(Date.now());
      return analyse(input, signal);
    };
    const days30 = 30 * 24 * 3600_000;
    const { runner } = await started(effects, rollout, { ...plan, intervalMs: days30 });
    runner.revisionSeen('rev2');
    const start = Date.now();
    // Past 2^31-1 ms (24.8 days), where a plain Node timer would have fired at once.
    await vi.advanceTimersByTimeAsync(26 * 24 * 3600_000);
    expect(analysed).toEqual([]);
    await vi.advanceTimersByTimeAsync(4 * 24 * 3600_000 + 1000);
    expect(analysed).toHaveLength(1);
    expect((analysed[0] ?? 0) - start).toBeGreaterThanOrEqual(days30);
    await runner.stop();
  });

  it('sends canary traffic back when the target is lost, naming it in a condition', async () => {
    const weights: number[] = [];
    const { runner, statuses } = await started(fakeEffects(weights, () => true));
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(1500);
    expect(weights).toEqual([50]);
    runner.targetLost('target Deployment prod/api (spec.targetRef.name) does not exist');
    await vi.advanceTimersByTimeAsync(10);
    await runner.flushed();
    expect(weights).toEqual([50, 0]);
    const last = statuses.at(-1);
    expect(last).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(last?.conditions?.find((c) => c.type === 'TargetFound')).toMatchObject({
      status: 'False',
      message: expect.stringContaining('prod/api'),
    });
    await runner.stop();
  });

  it('says the target is found again when restored from a status that said it was lost', async () => {
    const weights: number[] = [];
    const first = await started(fakeEffects(weights, () => true));
    first.runner.targetLost('target Deployment prod/api (spec.targetRef.name) does not exist');
    await vi.advanceTimersByTimeAsync(10);
    await first.runner.flushed();
    const saved = { ...rollout, status: first.statuses.at(-1) } as Rollout;
    await first.runner.stop();

    const second = await started(
      fakeEffects(weights, () => true),
      saved,
    );
    second.runner.targetFound();
    await second.runner.flushed();
    expect(second.statuses.at(-1)?.conditions?.find((c) => c.type === 'TargetFound')).toMatchObject(
      { status: 'True', reason: 'TargetFound' },
    );
    await second.runner.stop();
  });

  it('announces a promotion that keeps failing once per cause: an Event, a history entry and an alert', async () => {
    const weights: number[] = [];
    const effects = fakeEffects(weights, () => true);
    effects.promote = async () => {
      throw new Error('primary prod/api-primary has 0 of 2 replicas ready');
    };
    const { runner, decisions, alerts, statuses } = await started(effects);
    runner.revisionSeen('rev2');
    await vi.advanceTimersByTimeAsync(8000);
    await runner.flushed();
    expect(runner.phase).toBe('Promoting');
    const retries = decisions.filter((decision) => decision.reason === 'Retrying');
    expect(retries).toEqual([
      {
        type: 'Warning',
        reason: 'Retrying',
        message:
          'promoting the primary failed: primary prod/api-primary has 0 of 2 replicas ready; retrying in 1s',
      },
    ]);
    expect(alerts.filter((notice) => notice.decision.reason === 'Retrying')).toMatchObject([
      { phase: 'Promoting', revision: 'rev2', progress: { canaryWeight: 100, failedChecks: 0 } },
    ]);
    const history = statuses.at(-1)?.history ?? [];
    expect(history.filter((entry) => entry.reason === 'Retrying')).toHaveLength(1);
    await runner.stop();
  });

  it('puts the condition the alerts report in status', async () => {
    const { runner, statuses } = await started(fakeEffects([], () => true));
    await runner.flushed();
    expect(statuses.at(-1)?.conditions?.find((c) => c.type === 'Alerting')).toMatchObject(alerting);
    await runner.stop();
  });
});
