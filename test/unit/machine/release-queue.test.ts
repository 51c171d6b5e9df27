import { describe, expect, it } from 'vitest';
import { intervalMs, makePlan, newRevision, run } from './harness.js';

const queued = makePlan({ waitsForSlot: true });
const effectsOf = (rollout: Awaited<ReturnType<typeof newRevision>>) =>
  rollout.calls.map((call) => call.effect);

describe('a release that waits for a slot', () => {
  it('waits at weight 0 in Queued, starting nothing, until its slot is granted', async () => {
    const rollout = await newRevision({ plan: queued });
    await rollout.advance(10 * intervalMs);
    expect(rollout.doc()).toMatchObject({
      phase: 'Waiting',
      state: 'Queued',
      canaryWeight: 0,
      queuedAt: 0,
      slotGrantedAt: null,
    });
    expect(rollout.doc().message).toMatch(/waits for a release slot/);
    expect(effectsOf(rollout)).toEqual(['initialize']);
    await rollout.send({ type: 'SLOT_GRANTED' });
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.doc()).toMatchObject({ queuedAt: 0, slotGrantedAt: 10 * intervalMs });
    expect(rollout.calls.find((call) => call.effect === 'startCanary')?.at).toBe(10 * intervalMs);
  });

  it('takes its slot at once and never waits without a queue', async () => {
    const rollout = await newRevision();
    await rollout.until(() => rollout.state() === 'Progressing');
    expect(rollout.reachedAt('Queued')).toBeUndefined();
    expect(rollout.doc()).toMatchObject({ queuedAt: null, slotGrantedAt: 0 });
  });

  it('keeps its place in the queue through a pause and a resume', async () => {
    const rollout = await newRevision({ plan: queued });
    await rollout.advance(2 * intervalMs);
    await rollout.send({ type: 'PAUSE' });
    await rollout.advance(2 * intervalMs);
    await rollout.send({ type: 'RESUME' });
    expect(rollout.doc()).toMatchObject({ state: 'Queued', queuedAt: 0 });
  });

  it('joins the end of the queue with a newer revision', async () => {
    const rollout = await newRevision({ plan: queued });
    await rollout.advance(3 * intervalMs);
    await rollout.send({ type: 'NEW_REVISION', revision: 'r3' });
    expect(rollout.doc()).toMatchObject({
      state: 'Queued',
      revision: 'r3',
      queuedAt: 3 * intervalMs,
    });
  });

  it('queues again after a new revision mid-analysis: a release never keeps a slot for the next', async () => {
    const rollout = await newRevision({ plan: queued });
    await rollout.send({ type: 'SLOT_GRANTED' });
    await rollout.until(
      () => rollout.state() === 'IncreasingWeight' || rollout.doc().canaryWeight > 0,
    );
    await rollout.send({ type: 'NEW_REVISION', revision: 'r3' });
    expect(rollout.doc()).toMatchObject({ state: 'Queued', canaryWeight: 0, slotGrantedAt: null });
  });

  it('ignores a slot granted outside the queue', async () => {
    const rollout = run({ plan: queued });
    await rollout.until(() => rollout.state() === 'Initialized');
    await rollout.send({ type: 'SLOT_GRANTED' });
    expect(rollout.doc()).toMatchObject({ state: 'Initialized', slotGrantedAt: null });
  });

  it('lets a person promote or abort a queued release', async () => {
    const promoted = await newRevision({ plan: queued });
    await promoted.send({ type: 'PROMOTE' });
    await promoted.until(() => promoted.state() === 'Succeeded');
    const aborted = await newRevision({ plan: queued });
    await aborted.send({ type: 'ABORT' });
    await aborted.until(() => aborted.state() === 'Failed');
    expect(aborted.doc().reason).toBe('Aborted');
  });

  it('keeps a granted slot when restored before its canary is ready', async () => {
    const rollout = await newRevision({
      plan: queued,
      script: { startCanary: () => new Promise(() => {}) },
    });
    await rollout.send({ type: 'SLOT_GRANTED' });
    const stored = rollout.doc();
    expect(stored).toMatchObject({ state: 'Waiting', slotGrantedAt: 0 });
    const restored = run({ plan: queued, document: stored, startAt: intervalMs });
    await restored.flush();
    expect(restored.reachedAt('Queued')).toBeUndefined();
    expect(restored.calls.map((call) => call.effect)).toContain('startCanary');
    expect(restored.doc()).toMatchObject({ state: 'Progressing', slotGrantedAt: 0, queuedAt: 0 });
  });
});
