import { describe, expect, it } from 'vitest';
import { contextFromInput } from '../../../machines/context.js';
import { awaitRestoredPrimary, primaryWaitDeadline } from '../../../machines/rolling-back.js';
import { intervalMs, makePlan, newRevision, run } from './harness.js';

const progressDeadlineMs = 10 * intervalMs;

/** A release at weight 10 aborted by a person, its rollback scripted. */
async function abortedRelease(script: Parameters<typeof run>[0] = {}) {
  const rollout = await newRevision(script);
  await rollout.until(() => rollout.state() === 'Progressing');
  await rollout.send({ type: 'ABORT' });
  return rollout;
}

const awaits = (rollout: Awaited<ReturnType<typeof abortedRelease>>) =>
  rollout.calls.filter((call) => call.effect === 'awaitPrimary');

/**
 * A rollback whose first attempt finds no available pod in the primary (callers stay on the
 * canary, at 10%) and whose next routes; the wait for the primary ends once `ready()`.
 */
function primaryComesBack() {
  let primaryReady = false;
  let rollbacks = 0;
  return {
    ready: () => {
      primaryReady = true;
    },
    script: {
      rollback: async () => (rollbacks++ > 0 ? true : 10),
      awaitPrimary: async () => {
        while (!primaryReady) await new Promise((resolve) => setTimeout(resolve, 5));
      },
    },
  };
}

describe('a rollback that finds the primary missing', () => {
  it('waits for the primary it created again before it rolls back, within the progress deadline', async () => {
    const primary = primaryComesBack();
    const rollout = await abortedRelease({ script: primary.script });
    const abortedAt = rollout.clock.now();
    expect(rollout.state()).toBe('RestoringPrimary');
    expect(rollout.doc()).toMatchObject({
      phase: 'Failed',
      reason: 'Aborted',
      canaryWeight: 10,
      progressDeadlineAt: abortedAt + progressDeadlineMs,
    });
    expect(rollout.doc().message).toContain('the primary has no available pod');
    expect(awaits(rollout).map((call) => call.input)).toEqual([
      { deadline: abortedAt + progressDeadlineMs },
    ]);

    primary.ready();
    // A restored machine waits again, to the same deadline.
    const restored = run({
      document: rollout.doc(),
      startAt: abortedAt + intervalMs,
      script: { rollback: async () => true },
    });
    await restored.until(() => restored.state() === 'Failed');
    expect(restored.calls.map((call) => [call.effect, call.input])).toEqual([
      ['awaitPrimary', { deadline: abortedAt + progressDeadlineMs }],
      ['rollback', { reason: 'Aborted' }],
    ]);
    expect(restored.doc().message).toMatch(/^rolled back revision r2: aborted by request/);
    expect(restored.doc().canaryWeight).toBe(0);
  });

  it('keeps callers on the canary past the progress deadline, the rollback looking again every interval and saying why', async () => {
    const rollout = await abortedRelease({
      script: {
        rollback: async () => 10,
        awaitPrimary: () => Promise.reject(new Error('primary has 0 of 2 ready pods')),
      },
    });
    const abortedAt = rollout.clock.now();
    await rollout.advance(progressDeadlineMs + 3 * intervalMs);
    expect(rollout.state()).toBe('RestoringPrimary');
    expect(rollout.doc()).toMatchObject({
      canaryWeight: 10,
      progressDeadlineAt: abortedAt + progressDeadlineMs,
    });
    expect(rollout.doc().message).toContain('primary has 0 of 2 ready pods');
    // The rollback looks again after each failed wait: a primary deleted once more is created
    // again, and one with an available pod takes the callers.
    expect(rollout.calls.filter((call) => call.effect === 'rollback').length).toBeGreaterThan(2);
    const deadlines = awaits(rollout).map((call) => (call.input as { deadline: number }).deadline);
    expect(deadlines[0]).toBe(abortedAt + progressDeadlineMs);
    const late = awaits(rollout).filter((call) => call.at >= abortedAt + progressDeadlineMs);
    expect(late.length).toBeGreaterThan(0);
    for (const call of late) {
      expect((call.input as { deadline: number }).deadline).toBe(call.at + intervalMs);
    }
  });

  it('routes nothing for a new revision or a retry while it waits, and starts the new revision once rolled back', async () => {
    const primary = primaryComesBack();
    const rollout = await abortedRelease({ script: primary.script });
    expect(rollout.state()).toBe('RestoringPrimary');
    const before = rollout.calls.length;
    await rollout.send({ type: 'NEW_REVISION', revision: 'r3' });
    await rollout.send({ type: 'RETRY' });
    expect(rollout.state()).toBe('RestoringPrimary');
    expect(rollout.doc()).toMatchObject({ revision: 'r2', canaryWeight: 10 });
    expect(rollout.calls.slice(before).map((call) => call.effect)).toEqual([]);

    primary.ready();
    await rollout.until(() => rollout.state() === 'Failed');
    // The controller sends the target's revision at every reconcile: once rolled back, it starts.
    await rollout.send({ type: 'NEW_REVISION', revision: 'r3' });
    await rollout.until(() => rollout.doc().revision === 'r3');
    expect(rollout.doc().phase).not.toBe('Failed');
  });

  it('rolls back at once when the primary is there', async () => {
    const rollout = await abortedRelease();
    expect(rollout.state()).toBe('Failed');
    expect(awaits(rollout)).toEqual([]);
  });
});

describe('the wait for a primary created again', () => {
  const context = (now: number, progressDeadlineAt: number | null) => ({
    ...contextFromInput({ plan: makePlan(), revision: 'r2', now: () => now }),
    progressDeadlineAt,
  });

  it('lasts until the progress deadline, then an interval at a time', () => {
    expect(primaryWaitDeadline(context(1_000, 5_000))).toBe(5_000);
    expect(primaryWaitDeadline(context(5_000, 5_000))).toBe(5_000 + intervalMs);
    expect(primaryWaitDeadline(context(9_000, null))).toBe(9_000 + intervalMs);
  });

  it('arms its deadline and keeps what caused the rollback in the message', () => {
    const failed = {
      ...context(2_000, null),
      message: 'rolling back revision r2: aborted by request; last: canary weight 10%',
    };
    const update = awaitRestoredPrimary({ ...failed, reason: 'Aborted' }, 10);
    expect(update.canaryWeight).toBe(10);
    expect(update.progressDeadlineAt).toBe(2_000 + progressDeadlineMs);
    // Armed once per rollback: looking again later keeps it.
    expect(awaitRestoredPrimary({ ...context(9_000, 5_000), reason: 'Aborted' }, 10)).toMatchObject(
      { progressDeadlineAt: 5_000 },
    );
    expect(update.message).toMatch(
      /^rolling back revision r2: aborted by request; the primary has no available pod: .*; last: canary weight 10%$/,
    );
  });
});
