import { describe, expect, it } from 'vitest';
import {
  findCondition,
  invalidCondition,
  promotedCondition,
  setCondition,
} from '../../../src/api/conditions.js';
import type { Phase } from '../../../src/api/types.js';

const t0 = new Date('2024-05-01T10:00:00Z');
const t1 = new Date('2024-05-01T10:05:00Z');

describe('setCondition', () => {
  it('adds a condition of a new type with the current time', () => {
    const conditions = setCondition(undefined, promotedCondition('Initialized'), t0);
    expect(conditions).toEqual([
      {
        type: 'Promoted',
        status: 'True',
        reason: 'Initialized',
        message: 'Initialization done: all traffic goes to the primary.',
        lastTransitionTime: '2024-05-01T10:00:00.000Z',
      },
    ]);
  });

  it('keeps lastTransitionTime while the status stays the same, updating reason and message', () => {
    const first = setCondition([], promotedCondition('Progressing'), t0);
    const second = setCondition(first, promotedCondition('WaitingPromotion'), t1);
    expect(second).toEqual([
      expect.objectContaining({
        status: 'Unknown',
        reason: 'WaitingPromotion',
        lastTransitionTime: t0.toISOString(),
      }),
    ]);
  });

  it('moves lastTransitionTime when the status changes', () => {
    const first = setCondition([], promotedCondition('Progressing'), t0);
    const second = setCondition(first, promotedCondition('Succeeded'), t1);
    expect(second[0]).toMatchObject({ status: 'True', lastTransitionTime: t1.toISOString() });
  });

  it('replaces only the condition of its type, in place, without changing its input', () => {
    const start = setCondition(
      setCondition([], invalidCondition([]), t0),
      promotedCondition('Failed'),
      t0,
    );
    const frozen = structuredClone(start);
    const next = setCondition(
      start,
      invalidCondition([{ path: 'spec', message: 'm', fix: 'f' }]),
      t1,
    );
    expect(start).toEqual(frozen);
    expect(next.map((c) => [c.type, c.status])).toEqual([
      ['Invalid', 'True'],
      ['Promoted', 'False'],
    ]);
    expect(findCondition(next, 'Promoted')).toBe(start[1]);
  });
});

describe('promotedCondition', () => {
  it.each<[Phase, string]>([
    ['Initializing', 'Unknown'],
    ['Initialized', 'True'],
    ['Waiting', 'Unknown'],
    ['Progressing', 'Unknown'],
    ['Paused', 'Unknown'],
    ['WaitingPromotion', 'Unknown'],
    ['Promoting', 'Unknown'],
    ['Finalising', 'Unknown'],
    ['Succeeded', 'True'],
    ['Failed', 'False'],
  ])('is %s -> %s', (phase, status) => {
    expect(promotedCondition(phase)).toMatchObject({ type: 'Promoted', status, reason: phase });
  });

  it('carries the message it is given', () => {
    expect(promotedCondition('Failed', 'Aborted by a person').message).toBe('Aborted by a person');
  });
});

describe('invalidCondition', () => {
  it('is True and names every problem while the spec is invalid', () => {
    const condition = invalidCondition([
      {
        path: 'spec.analysis.stepWeight',
        message: '60 is greater than maxWeight 50',
        fix: 'lower it',
      },
      { path: 'spec.analysis.interval', message: 'is not a duration', fix: 'write 1m' },
    ]);
    expect(condition).toMatchObject({ type: 'Invalid', status: 'True', reason: 'InvalidSpec' });
    expect(condition.message).toContain('spec.analysis.stepWeight');
    expect(condition.message).toContain('spec.analysis.interval');
  });

  it('is False once the spec is valid', () => {
    expect(invalidCondition([])).toMatchObject({
      type: 'Invalid',
      status: 'False',
      reason: 'ValidSpec',
    });
  });
});
