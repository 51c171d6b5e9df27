import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../../machines/analysis.js';
import {
  blind,
  everyStep,
  failing,
  intervalMs,
  makePlan,
  nan,
  never,
  newRevision,
  noData,
  passing,
  run,
} from './harness.js';

describe('a healthy rollout', () => {
  it.each([
    { weights: [10, 20, 30, 40, 50], intervals: 6 },
    { weights: [5, 10, 25, 50], intervals: 5 },
    { weights: [100], intervals: 2 },
  ])(
    'promotes after exactly $intervals passing intervals with weights $weights',
    async ({ weights, intervals }) => {
      const rollout = await newRevision({ plan: makePlan({ weights }) });
      const started = await rollout.until(() => rollout.state() === 'Progressing');
      await rollout.until(() => rollout.state() === 'Succeeded');
      expect(rollout.reachedAt('Promoting')).toBe(started + intervals * intervalMs);
      expect(rollout.weightsSet()).toEqual(weights);
      expect(rollout.doc()).toMatchObject({
        phase: 'Succeeded',
        canaryWeight: 0,
        lastPromotedRevision: 'r2',
        reason: 'Promoted',
        iterations: intervals,
      });
    },
  );

  it('initializes with the current revision as the promoted one and waits', async () => {
    const rollout = run();
    await rollout.advance(5 * intervalMs);
    expect(rollout.doc()).toMatchObject({ phase: 'Initialized', lastPromotedRevision: 'r1' });
    expect(rollout.calls.map((call) => call.effect)).toEqual(['initialize']);
  });

  it('ignores a NEW_REVISION of the revision it already has', async () => {
    const rollout = run();
    await rollout.until(() => rollout.state() === 'Initialized');
    await rollout.send({ type: 'NEW_REVISION', revision: 'r1' });
    expect(rollout.state()).toBe('Initialized');
  });

  it('ends at canary weight 100 in backend mode', async () => {
    const rollout = await newRevision({ plan: makePlan({ mode: 'backend' }) });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.doc().canaryWeight).toBe(100);
    expect(rollout.calls.find((call) => call.effect === 'finalise')?.input).toEqual({
      canaryWeight: 100,
    });
  });

  it('promotes a new revision at once with skipAnalysis', async () => {
    const rollout = await newRevision({ plan: makePlan({ skipAnalysis: true }) });
    await rollout.flush();
    expect(rollout.state()).toBe('Succeeded');
    expect(rollout.calls.map((call) => call.effect)).toEqual(['initialize', 'promote', 'finalise']);
  });

  it('runs the webhooks and gates it declares, in order', async () => {
    const rollout = await newRevision({
      plan: makePlan({
        weights: [50],
        webhookTypes: everyStep,
      }),
      script: { gate: (type) => type !== 'rollback' },
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    const steps = rollout.calls.map((call) =>
      call.effect === 'checkGate' || call.effect === 'runWebhooks'
        ? (call.input as { type: string }).type
        : call.effect,
    );
    expect(steps).toEqual([
      'initialize',
      'confirm-rollout',
      'pre-rollout',
      'startCanary',
      'rollback',
      'rollout',
      'analyse',
      'confirm-traffic-increase',
      'setWeight',
      'rollback',
      'rollout',
      'analyse',
      'confirm-promotion',
      'promote',
      'finalise',
      'post-rollout',
    ]);
  });
});

describe('failed checks', () => {
  it('rolls back on the threshold-th failed check', async () => {
    const rollout = await newRevision({ script: { analyse: () => failing } });
    await rollout.until(() => rollout.doc().failedChecks === 2);
    expect(rollout.state()).toBe('Progressing');
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc()).toMatchObject({
      phase: 'Failed',
      canaryWeight: 0,
      failedChecks: 3,
      reason: 'ThresholdReached',
    });
    expect(rollout.doc().message).toBe(
      'rolled back revision r2: failed checks reached the threshold; traffic is on the primary; last: failed check 3 of 3: request-success-rate: 80 out of range (min 99)',
    );
    const rollingBack = rollout.documents.find((entry) => entry.document.state === 'RollingBack');
    expect(rollingBack?.document.message).toContain(
      'last: failed check 3 of 3: request-success-rate: 80 out of range (min 99)',
    );
    expect(rollout.calls.filter((call) => call.effect === 'rollback')).toHaveLength(1);
  });

  it('never resets failed checks within a revision', async () => {
    const rollout = await newRevision({
      script: { analyse: (iteration) => (iteration % 2 === 1 ? failing : passing) },
    });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc()).toMatchObject({ failedChecks: 3, iterations: 5 });
    expect(rollout.weightsSet()).toEqual([10, 20]);
  });

  it('counts one failed check per interval when webhooks and metrics both fail', async () => {
    const rollout = await newRevision({
      plan: makePlan({ webhookTypes: ['rollout'], threshold: 10 }),
      script: { webhooks: () => false, analyse: () => failing },
    });
    const started = await rollout.until(() => rollout.state() === 'Progressing');
    await rollout.advance(4 * intervalMs);
    expect(rollout.doc().failedChecks).toBe(4);
    expect(rollout.clock.now() - started).toBe(4 * intervalMs);
    expect(rollout.doc().message).toContain('rollout webhooks failed: rollout hook answered 500');
  });

  it('counts an effect error as a failed check with its message, even a plain object', async () => {
    const rollout = await newRevision({
      script: {
        analyse: () => Promise.reject({ status: 503, error: 'prometheus unavailable' }),
      },
    });
    await rollout.until(() => rollout.doc().failedChecks === 1);
    expect(rollout.doc().message).toBe(
      'failed check 1 of 3: analysis failed: prometheus unavailable',
    );
  });

  it('pauses at the threshold with onFailure pause, and resuming continues the analysis', async () => {
    let healthy = false;
    const rollout = await newRevision({
      plan: makePlan({ onFailure: 'pause', weights: [50] }),
      script: { analyse: () => (healthy ? passing : failing) },
    });
    await rollout.until(() => rollout.state() === 'Paused');
    expect(rollout.doc()).toMatchObject({ failedChecks: 3, reason: 'ThresholdReached' });
    await rollout.advance(5 * intervalMs);
    expect(rollout.doc()).toMatchObject({ phase: 'Paused', failedChecks: 3, canaryWeight: 0 });
    healthy = true;
    await rollout.send({ type: 'RESUME' });
    await rollout.until(() => rollout.doc().canaryWeight === 50);
    await rollout.advance(3 * intervalMs);
    // A person has seen the threshold reached: promotion now waits for a person too.
    expect(rollout.state()).toBe('WaitingPromotion');
    expect(rollout.calls.some((call) => call.effect === 'promote')).toBe(false);
  });
});

describe('missing data', () => {
  const empty: AnalysisResult = { results: [], noData: true };

  it.each([
    ['a null value', noData],
    ['a NaN value the adapter passed', nan],
    ['an empty result', empty],
  ])('counts %s as a failed check with onNoData fail and never promotes', async (_, analysis) => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [50] }),
      script: { analyse: () => analysis },
    });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc().failedChecks).toBe(3);
    expect(rollout.calls.some((call) => call.effect === 'promote')).toBe(false);
  });

  it('pauses without counting a failure with onNoData pause', async () => {
    const rollout = await newRevision({
      plan: makePlan({ onNoData: 'pause' }),
      script: { analyse: () => noData },
    });
    await rollout.until(() => rollout.state() === 'Paused');
    expect(rollout.doc()).toMatchObject({
      failedChecks: 0,
      reason: 'NoData',
      resumeTo: 'Progressing',
    });
    expect(rollout.doc().message).toContain('request-success-rate: no data');
  });

  it('steps from weight 0 as after a pass when no data came before any traffic (Flagger)', async () => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [10, 20] }),
      script: { analyse: (iteration) => (iteration === 1 ? noData : passing) },
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.weightsSet()).toEqual([10, 20]);
    expect(rollout.doc().failedChecks).toBe(0);
  });

  it('judges data that is there at weight 0: a failing canary never gets user traffic', async () => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [10, 20], threshold: 2 }),
      script: { analyse: () => failing },
    });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.weightsSet()).toEqual([]);
    expect(rollout.doc().failedChecks).toBe(2);
  });

  it('counts no data at weight 0 once the first interval of the revision has passed', async () => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [10, 20], threshold: 2 }),
      script: { analyse: (iteration) => (iteration === 1 ? failing : noData) },
    });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.weightsSet()).toEqual([]);
  });

  it('does not pause on no data before any traffic with onNoData pause', async () => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [10, 20], onNoData: 'pause' }),
      script: { analyse: (iteration) => (iteration === 1 ? noData : passing) },
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.documents.some(({ document }) => document.phase === 'Paused')).toBe(false);
  });

  describe('while the metric source is blind (Prometheus younger than the window)', () => {
    it('counts no failed check, holds the weight and judges the next interval', async () => {
      const rollout = await newRevision({
        plan: makePlan({ weights: [10, 20], threshold: 2 }),
        script: {
          analyse: (iteration) => (iteration === 1 ? passing : iteration <= 4 ? blind : passing),
        },
      });
      await rollout.until(() => rollout.doc().iterations === 4);
      expect(rollout.doc()).toMatchObject({ failedChecks: 0, canaryWeight: 10 });
      expect(rollout.doc().message).toContain('no verdict');
      expect(rollout.doc().message).toContain('Prometheus started 3s ago');
      await rollout.until(() => rollout.state() === 'Succeeded');
      expect(rollout.weightsSet()).toEqual([10, 20]);
      expect(rollout.doc().failedChecks).toBe(0);
    });

    it('does not pause with onNoData pause', async () => {
      const rollout = await newRevision({
        plan: makePlan({ weights: [10], onNoData: 'pause' }),
        script: { analyse: (iteration) => (iteration === 2 ? blind : passing) },
      });
      await rollout.until(() => rollout.state() === 'Succeeded');
      expect(rollout.documents.some(({ document }) => document.phase === 'Paused')).toBe(false);
    });

    it('still counts a metric that has data and is out of range', async () => {
      const mixed: AnalysisResult = {
        results: [...failing.results, ...blind.results],
        noData: true,
        blind: blind.blind,
      };
      const rollout = await newRevision({
        plan: makePlan({ weights: [10], threshold: 2 }),
        script: { analyse: (iteration) => (iteration === 1 ? passing : mixed) },
      });
      await rollout.until(() => rollout.state() === 'Failed');
      expect(rollout.doc().failedChecks).toBe(2);
    });
  });

  it('passes an analysis with no metrics at all', async () => {
    const rollout = await newRevision({
      script: { analyse: () => ({ results: [], noData: false }) },
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
  });
});

describe('manual control', () => {
  it('aborts while waiting for promotion: weight 0, Failed, reason Aborted', async () => {
    const rollout = await newRevision({ plan: makePlan({ promotion: 'manual' }) });
    await rollout.until(() => rollout.state() === 'WaitingPromotion');
    await rollout.advance(3 * intervalMs);
    expect(rollout.doc()).toMatchObject({ phase: 'WaitingPromotion', canaryWeight: 50 });
    await rollout.send({ type: 'ABORT' });
    expect(rollout.doc()).toMatchObject({ phase: 'Failed', canaryWeight: 0, reason: 'Aborted' });
    expect(rollout.calls.at(-1)?.effect).toBe('rollback');
  });

  it('keeps analysing while waiting for promotion, and still rolls back on failures', async () => {
    let healthy = true;
    const rollout = await newRevision({
      plan: makePlan({ promotion: 'manual' }),
      script: { analyse: () => (healthy ? passing : failing) },
    });
    await rollout.until(() => rollout.state() === 'WaitingPromotion');
    healthy = false;
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc().reason).toBe('ThresholdReached');
  });

  it('promotes when asked while waiting for promotion', async () => {
    const rollout = await newRevision({ plan: makePlan({ promotion: 'manual' }) });
    await rollout.until(() => rollout.state() === 'WaitingPromotion');
    await rollout.send({ type: 'PROMOTE' });
    expect(rollout.doc()).toMatchObject({ phase: 'Succeeded', lastPromotedRevision: 'r2' });
  });

  it('promotes while progressing, skipping the remaining steps and gates', async () => {
    const rollout = await newRevision({
      plan: makePlan({ webhookTypes: ['confirm-promotion'] }),
      script: { gate: () => false },
    });
    await rollout.until(() => rollout.doc().canaryWeight === 20);
    await rollout.send({ type: 'PROMOTE' });
    expect(rollout.state()).toBe('Succeeded');
    expect(rollout.weightsSet()).toEqual([10, 20]);
    expect(rollout.calls.some((call) => call.effect === 'checkGate')).toBe(false);
  });

  it('pauses and resumes keeping the analysis deadline', async () => {
    const rollout = await newRevision();
    const started = await rollout.until(() => rollout.state() === 'Progressing');
    const deadline = rollout.doc().nextAnalysisAt;
    expect(deadline).toBe(started + intervalMs);
    await rollout.advance(300);
    await rollout.send({ type: 'PAUSE' });
    await rollout.advance(200);
    await rollout.send({ type: 'RESUME' });
    expect(rollout.doc()).toMatchObject({ phase: 'Progressing', nextAnalysisAt: deadline });
    const analysed = await rollout.until(() => rollout.doc().iterations === 1);
    expect(analysed).toBe(deadline);
  });

  it('analyses at once on resume when the deadline passed during the pause', async () => {
    const rollout = await newRevision();
    await rollout.until(() => rollout.state() === 'Progressing');
    await rollout.send({ type: 'PAUSE' });
    await rollout.advance(5 * intervalMs);
    expect(rollout.doc().iterations).toBe(0);
    await rollout.send({ type: 'RESUME' });
    expect(rollout.doc()).toMatchObject({ iterations: 1, canaryWeight: 10 });
  });

  it('holds the weight while paused', async () => {
    const rollout = await newRevision();
    await rollout.until(() => rollout.doc().canaryWeight === 20);
    await rollout.send({ type: 'PAUSE' });
    await rollout.advance(10 * intervalMs);
    expect(rollout.doc()).toMatchObject({
      phase: 'Paused',
      canaryWeight: 20,
      resumeTo: 'Progressing',
    });
  });

  it('retries after a failure from weight 0 with no failed checks', async () => {
    let healthy = false;
    const rollout = await newRevision({ script: { analyse: () => (healthy ? passing : failing) } });
    await rollout.until(() => rollout.state() === 'Failed');
    healthy = true;
    await rollout.send({ type: 'RETRY' });
    expect(rollout.doc()).toMatchObject({ failedChecks: 0, canaryWeight: 0, reason: 'Retried' });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.doc()).toMatchObject({ lastPromotedRevision: 'r2', failedChecks: 0 });
  });

  it('ignores events the phase does not allow', async () => {
    const rollout = await newRevision();
    await rollout.until(() => rollout.state() === 'Succeeded');
    const before = rollout.doc();
    for (const type of ['PROMOTE', 'ABORT', 'RETRY', 'PAUSE', 'RESUME'] as const) {
      await rollout.send({ type });
    }
    expect(rollout.doc()).toEqual(before);
  });
});

describe('a lost target', () => {
  it.each([
    ['Progressing', 'Progressing'],
    ['Waiting', 'Waiting'],
    ['Paused', 'Paused'],
    ['Promoting', 'Promoting'],
  ] as const)('rolls back from %s at once, reason TargetLost', async (_, phase) => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [30, 60] }),
      script: {
        ...(phase === 'Waiting' ? { startCanary: never } : {}),
        ...(phase === 'Promoting' ? { promote: never } : {}),
      },
    });
    if (phase === 'Paused') {
      await rollout.until(() => rollout.doc().canaryWeight === 30);
      await rollout.send({ type: 'PAUSE' });
    }
    await rollout.until(() => rollout.state() === phase);
    const lostAt = rollout.clock.now();
    await rollout.send({ type: 'TARGET_LOST' });
    expect(rollout.doc()).toMatchObject({ phase: 'Failed', reason: 'TargetLost', canaryWeight: 0 });
    expect(rollout.calls.find((call) => call.effect === 'rollback')?.at).toBe(lostAt);
    expect(rollout.doc().message).toContain('the target Deployment is gone');
  });

  it('is ignored where the canary has no traffic to lose', async () => {
    const rollout = run();
    await rollout.until(() => rollout.state() === 'Initialized');
    await rollout.send({ type: 'TARGET_LOST' });
    expect(rollout.state()).toBe('Initialized');
  });
});

describe('a new revision mid-analysis', () => {
  it('sets weight 0 first and restarts the analysis with no failed checks', async () => {
    let healthy = false;
    const rollout = await newRevision({ script: { analyse: () => (healthy ? passing : failing) } });
    await rollout.until(() => rollout.doc().failedChecks === 1);
    healthy = true;
    await rollout.until(() => rollout.doc().canaryWeight === 20);
    await rollout.send({ type: 'NEW_REVISION', revision: 'r3' });
    expect(rollout.doc()).toMatchObject({
      phase: 'Progressing',
      revision: 'r3',
      canaryWeight: 0,
      failedChecks: 0,
      iterations: 0,
    });
    expect(rollout.weightsSet()).toEqual([10, 20, 0]);
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.doc().lastPromotedRevision).toBe('r3');
  });

  it('adopts a revision seen while initializing without starting an analysis', async () => {
    const rollout = run({ script: { initialize: never } });
    await rollout.send({ type: 'NEW_REVISION', revision: 'r2' });
    expect(rollout.doc()).toMatchObject({ phase: 'Initializing', revision: 'r2' });
  });
});

describe('gates', () => {
  it('holds the weight at a closed confirm-traffic-increase gate without counting a failure', async () => {
    let open = false;
    const rollout = await newRevision({
      plan: makePlan({ webhookTypes: ['confirm-traffic-increase'] }),
      script: { gate: () => open },
    });
    await rollout.advance(5 * intervalMs);
    expect(rollout.doc()).toMatchObject({ phase: 'Progressing', canaryWeight: 0, failedChecks: 0 });
    expect(rollout.doc().message).toContain('confirm-traffic-increase gate is closed');
    open = true;
    await rollout.until(() => rollout.state() === 'Succeeded');
  });

  it('waits while the confirm-rollout gate is closed, polling each interval', async () => {
    let open = false;
    const rollout = await newRevision({
      plan: makePlan({ webhookTypes: ['confirm-rollout'] }),
      script: { gate: () => open },
    });
    await rollout.advance(3 * intervalMs);
    expect(rollout.doc()).toMatchObject({ phase: 'Waiting', failedChecks: 0 });
    expect(rollout.calls.filter((call) => call.effect === 'checkGate')).toHaveLength(4);
    open = true;
    await rollout.until(() => rollout.state() === 'Progressing');
  });

  it('keeps analysing at max weight while the confirm-promotion gate is closed', async () => {
    let open = false;
    const rollout = await newRevision({
      plan: makePlan({ weights: [50], webhookTypes: ['confirm-promotion'] }),
      script: { gate: () => open },
    });
    await rollout.advance(5 * intervalMs);
    expect(rollout.doc()).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 50,
      failedChecks: 0,
    });
    expect(rollout.doc().iterations).toBe(5);
    open = true;
    await rollout.until(() => rollout.state() === 'Succeeded');
  });

  it('rolls back at once when the rollback gate opens', async () => {
    const rollout = await newRevision({
      plan: makePlan({ webhookTypes: ['rollback'] }),
      script: { gate: () => true },
    });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc()).toMatchObject({ reason: 'RollbackGateOpen', failedChecks: 0 });
  });

  it('treats an unreachable gate as closed', async () => {
    const rollout = await newRevision({
      plan: makePlan({ webhookTypes: ['confirm-rollout'] }),
      script: {
        gate: () => {
          throw new Error('connect ECONNREFUSED');
        },
      },
    });
    await rollout.advance(3 * intervalMs);
    expect(rollout.doc()).toMatchObject({ phase: 'Waiting', failedChecks: 0 });
  });
});

describe('webhooks', () => {
  it('counts a failing pre-rollout webhook as a failed check and retries it next interval', async () => {
    let ok = false;
    const rollout = await newRevision({
      plan: makePlan({ webhookTypes: ['pre-rollout'] }),
      script: { webhooks: () => ok },
    });
    await rollout.advance(intervalMs);
    expect(rollout.doc()).toMatchObject({ phase: 'Waiting', failedChecks: 2 });
    ok = true;
    await rollout.until(() => rollout.state() === 'Progressing');
    expect(rollout.doc().failedChecks).toBe(2);
  });

  it('records a failing post-rollout webhook without changing the outcome', async () => {
    const rollout = await newRevision({
      plan: makePlan({ webhookTypes: ['post-rollout'] }),
      script: { webhooks: () => false },
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.doc().message).toBe(
      'promoted revision r2; post-rollout webhooks failed: post-rollout hook answered 500',
    );
  });
});

describe('effects that fail or hang', () => {
  it('rolls back when the canary is not ready by the progress deadline', async () => {
    const rollout = await newRevision({ script: { startCanary: never } });
    const deadline = rollout.doc().progressDeadlineAt;
    expect(deadline).toBe(rollout.clock.now() + 10 * intervalMs);
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.reachedAt('RollingBack')).toBe(deadline);
    expect(rollout.doc()).toMatchObject({ phase: 'Failed', reason: 'ProgressDeadlineExceeded' });
  });

  it('retries a failing canary start until the progress deadline', async () => {
    const rollout = await newRevision({
      script: { startCanary: () => Promise.reject(new Error('0/1 replicas ready')) },
    });
    await rollout.advance(2 * intervalMs);
    expect(rollout.doc()).toMatchObject({ phase: 'Waiting', failedChecks: 0 });
    expect(rollout.doc().message).toBe(
      'starting the canary failed: 0/1 replicas ready; retrying in 1s',
    );
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc().reason).toBe('ProgressDeadlineExceeded');
  });

  it('announces each retried failure of an effect outside the analysis, with its cause', async () => {
    const rollout = run({
      plan: makePlan({ weights: [50] }),
      script: { promote: () => Promise.reject(new Error('primary has 0/2 ready replicas')) },
    });
    const announced: string[] = [];
    rollout.actor.on('retrying', (event) => announced.push(event.message));
    await rollout.until(() => rollout.state() === 'Initialized');
    await rollout.send({ type: 'NEW_REVISION', revision: 'r2' });
    await rollout.until(() => rollout.state() === 'Promoting');
    await rollout.advance(2 * intervalMs);
    expect(announced.length).toBeGreaterThanOrEqual(2);
    expect(new Set(announced)).toEqual(
      new Set(['promoting the primary failed: primary has 0/2 ready replicas; retrying in 1s']),
    );
    expect(rollout.doc()).toMatchObject({ phase: 'Promoting', failedChecks: 0 });
  });

  it('rolls back when the primary is not ready by the progress deadline', async () => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [50] }),
      script: { promote: never },
    });
    const promoting = await rollout.until(() => rollout.state() === 'Promoting');
    const failed = await rollout.until(() => rollout.doc().phase === 'Failed');
    expect(failed - promoting).toBe(10 * intervalMs);
  });

  it.each([
    ['initialize', 'Initializing'],
    ['finalise', 'Finalising'],
    ['rollback', 'RollingBack'],
  ] as const)(
    'retries a failing %s each interval without changing phase',
    async (effect, state) => {
      let broken = true;
      const fails = () =>
        broken ? Promise.reject(new Error('apiserver timeout')) : Promise.resolve();
      const rollout = run({
        plan: makePlan({ weights: [50] }),
        script: { [effect]: fails, analyse: () => (effect === 'rollback' ? failing : passing) },
      });
      if (effect !== 'initialize') {
        await rollout.until(() => rollout.state() === 'Initialized');
        await rollout.send({ type: 'NEW_REVISION', revision: 'r2' });
        await rollout.until(() => rollout.state() === state);
      }
      const attempts = () => rollout.calls.filter((call) => call.effect === effect).length;
      const before = attempts();
      await rollout.advance(3 * intervalMs);
      expect(rollout.state()).toBe(state);
      expect(attempts() - before).toBe(3);
      expect(rollout.doc().message).toContain('failed: apiserver timeout; retrying in 1s');
      broken = false;
      await rollout.advance(intervalMs);
      expect(rollout.state()).not.toBe(state);
    },
  );
});
