import { describe, expect, it } from 'vitest';
import { restingTraffic } from '../../../machines/weights.js';
import type { Run } from './harness.js';
import { everyStep, intervalMs, makePlan, never, newRevision, run } from './harness.js';

/** The effects the machine asked for from the promotion on, with when and what. */
function fromPromotion(rollout: Run) {
  const promoted = rollout.calls.findIndex((call) => call.effect === 'promote');
  return rollout.calls.slice(promoted);
}

describe('a promotion in steps (stepWeightPromotion)', () => {
  it('moves traffic back to the primary by the step each interval, then finalises at 0', async () => {
    const rollout = await newRevision({ plan: makePlan({ promotionStep: 20 }) });
    const promotedAt = await rollout.until(() => rollout.state() === 'ShiftingTraffic');
    expect(rollout.doc()).toMatchObject({
      phase: 'Promoting',
      canaryWeight: 30,
      nextPromotionStepAt: promotedAt + intervalMs,
      message:
        'promoting revision r2: the primary is ready and takes back 20% every 1s (stepWeightPromotion); canary weight 30%',
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(fromPromotion(rollout).map(({ effect, at, input }) => ({ effect, at, input }))).toEqual([
      { effect: 'promote', at: promotedAt, input: expect.anything() },
      { effect: 'setWeight', at: promotedAt, input: { canaryWeight: 30, pinned: false } },
      {
        effect: 'setWeight',
        at: promotedAt + intervalMs,
        input: { canaryWeight: 10, pinned: false },
      },
      { effect: 'finalise', at: promotedAt + 2 * intervalMs, input: { canaryWeight: 0 } },
    ]);
    expect(rollout.doc()).toMatchObject({
      phase: 'Succeeded',
      canaryWeight: 0,
      nextPromotionStepAt: null,
      lastPromotedRevision: 'r2',
    });
  });

  it.each([
    ['without stepWeightPromotion', undefined],
    ['with a step as large as the weight', 50],
    ['with a step of 100, as Flagger defaults it', 100],
  ])('routes all traffic to the primary at once %s', async (_, promotionStep) => {
    const rollout = await newRevision({
      plan: makePlan(promotionStep === undefined ? {} : { promotionStep }),
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(fromPromotion(rollout).map((call) => call.effect)).toEqual(['promote', 'finalise']);
    expect(rollout.documents.some(({ document }) => document.state === 'ShiftingTraffic')).toBe(
      false,
    );
  });

  it('runs no analysis, gate or webhook between the promotion and the end, as Flagger', async () => {
    // The rollback gate opens once promotion begins: it is no longer asked.
    let promoted = false;
    const rollout = await newRevision({
      plan: makePlan({ weights: [50], promotionStep: 10, webhookTypes: everyStep }),
      script: {
        gate: (type) => (type === 'rollback' ? promoted : true),
        promote: async () => {
          promoted = true;
        },
      },
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    const steps = fromPromotion(rollout).map((call) =>
      call.effect === 'setWeight'
        ? (call.input as { canaryWeight: number }).canaryWeight
        : call.effect,
    );
    expect(steps).toEqual(['promote', 40, 30, 20, 10, 'finalise', 'runWebhooks']);
    expect(rollout.doc()).toMatchObject({ phase: 'Succeeded', failedChecks: 0 });
  });

  it('unpins requests and holds the stepped weight while it waits', async () => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [50], pinsRequests: true, promotionStep: 30 }),
    });
    await rollout.until(() => rollout.state() === 'ShiftingTraffic');
    expect(rollout.actor.getSnapshot().hasTag('resting')).toBe(true);
    expect(restingTraffic(rollout.actor.getSnapshot().context)).toEqual({
      canaryWeight: 20,
      pinned: false,
    });
  });

  it('steps a manual promotion down from the weight it was asked at', async () => {
    const rollout = await newRevision({ plan: makePlan({ promotionStep: 15 }) });
    await rollout.until(() => rollout.doc().canaryWeight === 20);
    await rollout.send({ type: 'PROMOTE' });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.weightsSet()).toEqual([10, 20, 5]);
  });

  it('steps blue/green back from the switch to 100', async () => {
    const rollout = await newRevision({
      plan: makePlan({ strategy: 'blueGreen', weights: [100], iterations: 1, promotionStep: 40 }),
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.weightsSet()).toEqual([100, 60, 20]);
  });

  it('steps up to the canary backend in backend mode, then finalises at 100', async () => {
    const rollout = await newRevision({
      plan: makePlan({ mode: 'backend', weights: [20, 40], promotionStep: 25 }),
    });
    await rollout.until(() => rollout.doc().canaryWeight === 65);
    expect(rollout.doc().message).toContain('the canary backend takes 25% every 1s');
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.weightsSet()).toEqual([20, 40, 65, 90]);
    expect(rollout.calls.at(-1)).toMatchObject({
      effect: 'finalise',
      input: { canaryWeight: 100 },
    });
  });

  it('retries a failed step each interval at the same weight, no failed check', async () => {
    let broken = true;
    const rollout = await newRevision({
      plan: makePlan({ weights: [50], promotionStep: 20 }),
      script: {
        setWeight: (weight) =>
          broken && weight === 10
            ? Promise.reject(new Error('apiserver timeout'))
            : Promise.resolve(),
      },
    });
    await rollout.until(() => rollout.doc().message.includes('apiserver timeout'));
    await rollout.advance(2 * intervalMs);
    expect(rollout.doc()).toMatchObject({
      phase: 'Promoting',
      canaryWeight: 30,
      failedChecks: 0,
      message: 'a promotion step failed: apiserver timeout; retrying in 1s',
    });
    broken = false;
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.weightsSet().filter((weight) => weight === 10).length).toBeGreaterThan(2);
  });

  it('rolls back at once when the target is lost between steps', async () => {
    const rollout = await newRevision({ plan: makePlan({ promotionStep: 20 }) });
    await rollout.until(() => rollout.state() === 'ShiftingTraffic');
    const lostAt = rollout.clock.now();
    await rollout.send({ type: 'TARGET_LOST' });
    expect(rollout.doc()).toMatchObject({
      phase: 'Failed',
      reason: 'TargetLost',
      canaryWeight: 0,
      nextPromotionStepAt: null,
    });
    expect(rollout.calls.find((call) => call.effect === 'rollback')?.at).toBe(lostAt);
  });

  it('ignores a person between steps: the primary already runs the new revision', async () => {
    const rollout = await newRevision({ plan: makePlan({ promotionStep: 20 }) });
    await rollout.until(() => rollout.state() === 'ShiftingTraffic');
    const before = rollout.doc();
    for (const type of ['PROMOTE', 'ABORT', 'PAUSE', 'RESUME', 'RETRY'] as const) {
      await rollout.send({ type });
    }
    expect(rollout.doc()).toEqual(before);
  });

  it('restarts the analysis from weight 0 on a new revision between steps', async () => {
    const rollout = await newRevision({ plan: makePlan({ promotionStep: 20 }) });
    await rollout.until(() => rollout.state() === 'ShiftingTraffic');
    await rollout.send({ type: 'NEW_REVISION', revision: 'r3' });
    expect(rollout.doc()).toMatchObject({
      phase: 'Progressing',
      revision: 'r3',
      canaryWeight: 0,
      nextPromotionStepAt: null,
    });
    expect(rollout.weightsSet().at(-1)).toBe(0);
  });

  it('does not roll back for the progress deadline once the primary is ready', async () => {
    const rollout = await newRevision({
      plan: makePlan({ weights: [50], promotionStep: 1, progressDeadlineMs: 3 * intervalMs }),
    });
    await rollout.until(() => rollout.state() === 'Succeeded', 200 * intervalMs);
    expect(rollout.weightsSet().slice(-3)).toEqual([3, 2, 1]);
  });
});

describe('restoring a promotion in steps', () => {
  it('resumes at the same weight and the same next step time, without promoting again', async () => {
    const plan = makePlan({ promotionStep: 20 });
    const first = await newRevision({ plan });
    const promotedAt = await first.until(() => first.state() === 'ShiftingTraffic');
    await first.advance(400);
    const stored = JSON.parse(JSON.stringify(first.doc()));
    first.actor.stop();

    const restored = run({ plan, revision: 'r2', document: stored, startAt: first.clock.now() });
    await restored.flush();
    expect(restored.doc()).toMatchObject({
      state: 'ShiftingTraffic',
      canaryWeight: 30,
      nextPromotionStepAt: promotedAt + intervalMs,
    });
    await restored.until(() => restored.state() === 'Succeeded');
    expect(restored.calls.map(({ effect, at, input }) => ({ effect, at, input }))).toEqual([
      {
        effect: 'setWeight',
        at: promotedAt + intervalMs,
        input: { canaryWeight: 10, pinned: false },
      },
      { effect: 'finalise', at: promotedAt + 2 * intervalMs, input: { canaryWeight: 0 } },
    ]);
  });

  it('repeats a step that was in flight at the same weight', async () => {
    const plan = makePlan({ weights: [25, 50], promotionStep: 20 });
    const first = await newRevision({
      plan,
      script: { setWeight: (w) => (w === 10 ? never() : Promise.resolve()) },
    });
    await first.until(
      () => first.calls.at(-1)?.effect === 'setWeight' && first.weightsSet().at(-1) === 10,
    );
    const stored = JSON.parse(JSON.stringify(first.doc()));
    expect(stored).toMatchObject({ state: 'ShiftingTraffic', canaryWeight: 30 });
    first.actor.stop();

    const restored = run({ plan, revision: 'r2', document: stored, startAt: first.clock.now() });
    await restored.until(() => restored.state() === 'Succeeded');
    expect(restored.weightsSet()).toEqual([10]);
    expect(restored.calls[0]?.at).toBe(first.clock.now());
  });
});
