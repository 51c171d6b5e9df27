import { describe, expect, it } from 'vitest';
import { restingTraffic } from '../../../machines/weights.js';
import {
  everyStep,
  failing,
  intervalMs,
  makePlan,
  newRevision,
  passing,
  type Run,
  run,
} from './harness.js';

const abTesting = (overrides = {}) =>
  makePlan({
    strategy: 'abTesting',
    weights: [],
    iterations: 3,
    pinsRequests: true,
    ...overrides,
  });

const blueGreen = (overrides = {}) =>
  makePlan({ strategy: 'blueGreen', weights: [100], iterations: 2, ...overrides });

/** Every write to the route, as the router receives it. */
const routeWrites = (rollout: Run) =>
  rollout.calls
    .filter(
      (call) =>
        call.effect === 'setWeight' || call.effect === 'finalise' || call.effect === 'rollback',
    )
    .map((call) => ({ effect: call.effect, ...(call.input as object) }));

describe('A/B testing', () => {
  it('pins matching requests once the canary is ready, analyses iterations intervals at weight 0, then promotes', async () => {
    const rollout = await newRevision({ plan: abTesting() });
    const started = await rollout.until(() => rollout.state() === 'Progressing');
    expect(rollout.doc().message).toBe(
      'canary ready; requests that match analysis.match go to it; first analysis in 1s',
    );
    await rollout.until(() => rollout.doc().iterations === 2);
    expect(rollout.doc().message).toBe(
      'analysis 2 of 3 passed; requests that match analysis.match go to it',
    );
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.reachedAt('Promoting')).toBe(started + 3 * intervalMs);
    expect(routeWrites(rollout)).toEqual([
      { effect: 'setWeight', canaryWeight: 0, pinned: false },
      { effect: 'setWeight', canaryWeight: 0, pinned: true },
      { effect: 'finalise', canaryWeight: 0 },
    ]);
    expect(rollout.documents.every(({ document }) => document.canaryWeight === 0)).toBe(true);
  });

  it('rolls back a failing canary and unpins with the rollback', async () => {
    const rollout = await newRevision({
      plan: abTesting({ threshold: 2 }),
      script: { analyse: () => failing },
    });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc()).toMatchObject({ failedChecks: 2, reason: 'ThresholdReached' });
    expect(routeWrites(rollout)).toEqual([
      { effect: 'setWeight', canaryWeight: 0, pinned: false },
      { effect: 'setWeight', canaryWeight: 0, pinned: true },
      { effect: 'rollback', reason: 'ThresholdReached' },
    ]);
  });

  it('unpins the earlier revision before starting a new one, even at weight 0', async () => {
    const rollout = await newRevision({ plan: abTesting() });
    await rollout.until(() => rollout.doc().iterations === 1);
    await rollout.send({ type: 'NEW_REVISION', revision: 'r3' });
    await rollout.until(() => rollout.state() === 'Progressing' && rollout.doc().revision === 'r3');
    expect(routeWrites(rollout)).toEqual([
      { effect: 'setWeight', canaryWeight: 0, pinned: false },
      { effect: 'setWeight', canaryWeight: 0, pinned: true },
      { effect: 'setWeight', canaryWeight: 0, pinned: false },
      { effect: 'setWeight', canaryWeight: 0, pinned: true },
    ]);
  });

  it('retries pinning that fails without counting a failed check', async () => {
    let attempts = 0;
    const rollout = await newRevision({
      plan: abTesting(),
      script: {
        setWeight: async (_weight, pinned) => {
          if (!pinned) return;
          attempts++;
          if (attempts === 1) throw new Error('conflict');
        },
      },
    });
    await rollout.until(() => rollout.state() === 'Progressing');
    expect(attempts).toBe(2);
    expect(rollout.doc().failedChecks).toBe(0);
  });

  it('waits at weight 0 for a person with manual promotion, still pinned', async () => {
    const rollout = await newRevision({ plan: abTesting({ promotion: 'manual' }) });
    await rollout.until(() => rollout.state() === 'WaitingPromotion');
    expect(restingTraffic(rollout.actor.getSnapshot().context)).toEqual({
      canaryWeight: 0,
      pinned: true,
    });
  });
});

describe('blue/green', () => {
  it('analyses at weight 0, switches all traffic at once, analyses it, then promotes', async () => {
    const rollout = await newRevision({ plan: blueGreen() });
    const started = await rollout.until(() => rollout.state() === 'Progressing');
    expect(rollout.doc().message).toBe(
      'canary ready; only test traffic reaches it; first analysis in 1s',
    );
    const switched = await rollout.until(() => rollout.doc().canaryWeight === 100);
    expect(switched).toBe(started + 2 * intervalMs);
    expect(rollout.doc().message).toBe(
      'switched 100% of traffic to the canary; analysing it before promotion',
    );
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.reachedAt('Promoting')).toBe(started + 3 * intervalMs);
    expect(routeWrites(rollout)).toEqual([
      { effect: 'setWeight', canaryWeight: 100, pinned: true },
      { effect: 'finalise', canaryWeight: 0 },
    ]);
    expect(rollout.doc()).toMatchObject({ canaryWeight: 0, iterations: 3 });
  });

  it('asks the confirm-promotion gate before the switch and again before promotion', async () => {
    const rollout = await newRevision({
      plan: blueGreen({ webhookTypes: everyStep }),
      script: { gate: (type) => type !== 'rollback' },
    });
    await rollout.until(() => rollout.state() === 'Succeeded');
    const steps = rollout.calls
      .filter((call) => call.effect !== 'runWebhooks')
      .map((call) =>
        call.effect === 'checkGate' ? (call.input as { type: string }).type : call.effect,
      )
      .filter((step) => step !== 'rollback');
    expect(steps).toEqual([
      'initialize',
      'confirm-rollout',
      'startCanary',
      'analyse',
      'analyse',
      'confirm-promotion',
      'setWeight',
      'analyse',
      'confirm-promotion',
      'promote',
      'finalise',
    ]);
  });

  it('holds at weight 0 while the promotion gate is closed, analysing on', async () => {
    let open = false;
    const rollout = await newRevision({
      plan: blueGreen({ webhookTypes: ['confirm-promotion'] }),
      script: { gate: () => open },
    });
    await rollout.until(() => rollout.doc().iterations === 5);
    expect(rollout.doc()).toMatchObject({ phase: 'Progressing', canaryWeight: 0, failedChecks: 0 });
    expect(rollout.doc().message).toMatch(/^confirm-promotion gate is closed/);
    open = true;
    await rollout.until(() => rollout.doc().canaryWeight === 100);
  });

  it('rolls back at once when the switched traffic fails', async () => {
    const rollout = await newRevision({
      plan: blueGreen({ threshold: 1 }),
      script: { analyse: (iteration) => (iteration <= 2 ? passing : failing) },
    });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc()).toMatchObject({ canaryWeight: 0, reason: 'ThresholdReached' });
    expect(routeWrites(rollout).map((write) => write.effect)).toEqual(['setWeight', 'rollback']);
  });

  it('ends at 100 in backend mode', async () => {
    const rollout = await newRevision({ plan: blueGreen({ mode: 'backend' }) });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.doc().canaryWeight).toBe(100);
  });

  it('resumes a stored switch at its gate', async () => {
    const plan = blueGreen({ webhookTypes: ['confirm-promotion'] });
    const first = await newRevision({ plan, script: { gate: () => false } });
    await first.until(() => first.documents.some(({ document }) => document.state === 'Switching'));
    const stored = first.documents.find(({ document }) => document.state === 'Switching');
    const restored = run({ plan, document: stored?.document, startAt: stored?.at });
    await restored.until(() => restored.state() === 'Succeeded');
    expect(restored.calls.map((call) => call.effect).slice(0, 2)).toEqual([
      'checkGate',
      'setWeight',
    ]);
  });
});

describe('session affinity on a weighted canary', () => {
  it('pins once the canary is ready and keeps the pins through every step', async () => {
    const rollout = await newRevision({ plan: makePlan({ weights: [50], pinsRequests: true }) });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(routeWrites(rollout)).toEqual([
      { effect: 'setWeight', canaryWeight: 0, pinned: false },
      { effect: 'setWeight', canaryWeight: 0, pinned: true },
      { effect: 'setWeight', canaryWeight: 50, pinned: true },
      { effect: 'finalise', canaryWeight: 0 },
    ]);
  });

  it('is unpinned at rest: before the analysis and after it, pinned while it runs', async () => {
    let ready = () => {};
    const rollout = await newRevision({
      plan: makePlan({ weights: [50], pinsRequests: true }),
      script: {
        startCanary: () =>
          new Promise<void>((resolve) => {
            ready = resolve;
          }),
      },
    });
    const traffic = () => restingTraffic(rollout.actor.getSnapshot().context);
    expect(traffic()).toEqual({ canaryWeight: 0, pinned: false });
    ready();
    await rollout.until(() => rollout.state() === 'Progressing');
    expect(traffic()).toEqual({ canaryWeight: 0, pinned: true });
    await rollout.send({ type: 'PAUSE' });
    expect(traffic()).toEqual({ canaryWeight: 0, pinned: true });
    await rollout.send({ type: 'ABORT' });
    await rollout.until(() => rollout.doc().message.startsWith('rolled back'));
    expect(traffic()).toEqual({ canaryWeight: 0, pinned: false });
  });
});

describe('a weighted canary without affinity', () => {
  it('has no pinning step and unpinned writes never', async () => {
    const rollout = await newRevision({ plan: makePlan({ weights: [50] }) });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(routeWrites(rollout)).toEqual([
      { effect: 'setWeight', canaryWeight: 50, pinned: true },
      { effect: 'finalise', canaryWeight: 0 },
    ]);
  });
});
