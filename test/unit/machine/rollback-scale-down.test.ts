import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../../machines/context.js';
import type { Effects } from '../../../machines/provide.js';
import { intervalMs, newRevision, type Run, run, type Script } from './harness.js';

/** A release at weight 10 aborted by a person, its rollback scripted. */
async function abortedRelease(script: Script) {
  const rollout = await newRevision({ script });
  await rollout.until(() => rollout.state() === 'Progressing');
  await rollout.send({ type: 'ABORT' });
  return rollout;
}

const refused = () => Promise.reject(new Error('the API server refused the scale'));

const callsOf = (rollout: Run, effect: keyof Effects) =>
  rollout.calls.filter((call) => call.effect === effect);

const retry: RolloutEvent = { type: 'RETRY' };
const newerRevision: RolloutEvent = { type: 'NEW_REVISION', revision: 'r3' };

describe('a rollback that routed callers to the primary but cannot scale the canary down', () => {
  it('retries the scale-down alone each interval, then ends rolled back', async () => {
    let refusing = true;
    const rollout = await abortedRelease({
      scaleDownCanary: () => (refusing ? refused() : Promise.resolve()),
    });
    expect(rollout.state()).toBe('ScalingDown');
    expect(rollout.doc()).toMatchObject({ phase: 'Failed', reason: 'Aborted', canaryWeight: 0 });
    expect(rollout.doc().message).toBe(
      'scaling the canary down failed: the API server refused the scale; retrying in 1s',
    );

    await rollout.advance(3 * intervalMs);
    expect(rollout.state()).toBe('ScalingDown');
    expect(callsOf(rollout, 'scaleDownCanary')).toHaveLength(4);
    expect(callsOf(rollout, 'rollback')).toHaveLength(1);

    refusing = false;
    await rollout.advance(intervalMs);
    expect(rollout.state()).toBe('Failed');
    expect(callsOf(rollout, 'scaleDownCanary')).toHaveLength(5);
    expect(rollout.doc()).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(rollout.doc().message).toBe(
      'rolled back revision r2: aborted by request; traffic is on the primary',
    );
  });

  it.each([
    ['a retry', retry, { revision: 'r2', reason: 'Retried' }],
    ['a new revision', newerRevision, { revision: 'r3', reason: 'NewRevision' }],
  ])('acts on %s while the scale-down is retried', async (_, event, expected) => {
    const rollout = await abortedRelease({ scaleDownCanary: refused });
    await rollout.advance(intervalMs);
    expect(rollout.state()).toBe('ScalingDown');

    await rollout.send(event);
    expect(rollout.doc().phase).not.toBe('Failed');
    expect(rollout.doc()).toMatchObject(expected);
  });

  it('stops a scale-down in flight when a retry takes the release on', async () => {
    const signals: AbortSignal[] = [];
    const rollout = await abortedRelease({
      scaleDownCanary: (signal) => {
        signals.push(signal);
        return new Promise(() => {});
      },
    });
    expect(rollout.state()).toBe('ScalingDown');
    expect(signals.map((signal) => signal.aborted)).toEqual([false]);

    await rollout.send(retry);
    expect(signals.map((signal) => signal.aborted)).toEqual([true]);
  });

  it('resumes at the scale-down after a restart, without routing again', async () => {
    const rollout = await abortedRelease({ scaleDownCanary: refused });
    expect(rollout.state()).toBe('ScalingDown');

    const restored = run({ document: rollout.doc(), startAt: rollout.clock.now() });
    await restored.until(() => restored.state() === 'Failed');
    expect(restored.calls.map((call) => call.effect)).toEqual(['scaleDownCanary']);
    expect(restored.doc()).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
  });
});

describe('a rollback that has not routed callers to the primary yet', () => {
  it.each([
    ['a retry', retry],
    ['a new revision', newerRevision],
  ])('takes %s without acting on it, and scales the canary down once routed', async (_, event) => {
    let routing = false;
    const rollout = await abortedRelease({
      rollback: () => (routing ? Promise.resolve() : Promise.reject(new Error('conflict'))),
    });
    expect(rollout.state()).toBe('RollingBack');

    await rollout.send(event);
    expect(rollout.state()).toBe('RollingBack');
    expect(rollout.doc()).toMatchObject({ phase: 'Failed', revision: 'r2', reason: 'Aborted' });

    routing = true;
    await rollout.until(() => rollout.state() === 'Failed');
    expect(callsOf(rollout, 'scaleDownCanary')).toHaveLength(1);
    expect(rollout.doc().revision).toBe('r2');
  });
});
