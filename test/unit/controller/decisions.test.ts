import { describe, expect, it } from 'vitest';
import type { MachineDocument } from '../../../machines/persistence.js';
import { decisionsBetween } from '../../../src/controller/decisions.js';

const base: MachineDocument = {
  version: 1,
  state: 'Progressing',
  phase: 'Progressing',
  revision: 'rev2',
  lastPromotedRevision: 'rev1',
  canaryWeight: 10,
  failedChecks: 0,
  iterations: 1,
  nextAnalysisAt: 1000,
  progressDeadlineAt: null,
  nextPromotionStepAt: null,
  message: 'canary weight 10%',
  reason: 'NewRevision',
  lastAnalysis: null,
  resumeTo: null,
  queuedAt: null,
  slotGrantedAt: null,
};

describe('decisionsBetween', () => {
  it('reports the first state of a machine as its phase', () => {
    expect(decisionsBetween(null, { ...base, phase: 'Initializing', message: 'x' }, 5)).toEqual([
      { type: 'Normal', reason: 'Initializing', message: 'x' },
    ]);
  });

  it('reports nothing when only the schedule changed', () => {
    expect(decisionsBetween(base, { ...base, nextAnalysisAt: 2000 }, 5)).toEqual([]);
  });

  it('reports a weight step', () => {
    expect(decisionsBetween(base, { ...base, canaryWeight: 20 }, 5)).toEqual([
      { type: 'Normal', reason: 'WeightChanged', message: 'canary weight 10% -> 20%' },
    ]);
  });

  it('reports a failed check with its count, the threshold and the failing metric', () => {
    const after: MachineDocument = {
      ...base,
      failedChecks: 2,
      lastAnalysis: {
        noData: false,
        results: [{ metric: 'request-success-rate', value: 70, min: 99, passed: false }],
      },
    };
    const [decision] = decisionsBetween({ ...base, failedChecks: 1 }, after, 5);
    expect(decision?.type).toBe('Warning');
    expect(decision?.reason).toBe('FailedCheck');
    expect(decision?.message).toContain('failed check 2 of 5 for revision rev2');
    expect(decision?.message).toContain('request-success-rate: 70 out of range (min 99)');
  });

  it('reports a rollback with its reason, and not the weight going to 0', () => {
    const after: MachineDocument = {
      ...base,
      phase: 'Failed',
      state: 'Failed',
      canaryWeight: 0,
      reason: 'ThresholdReached',
      message: 'threshold reached',
    };
    expect(decisionsBetween(base, after, 5)).toEqual([
      {
        type: 'Warning',
        reason: 'ThresholdReached',
        message: 'rolled back revision rev2: threshold reached',
      },
    ]);
  });

  it('tells the failed check before the rollback it caused', () => {
    const after: MachineDocument = {
      ...base,
      phase: 'Failed',
      state: 'RollingBack',
      canaryWeight: 0,
      failedChecks: 3,
      reason: 'ThresholdReached',
      message: 'threshold reached',
    };
    expect(
      decisionsBetween({ ...base, failedChecks: 2 }, after, 3).map((decision) => decision.reason),
    ).toEqual(['FailedCheck', 'ThresholdReached']);
  });

  it('reports a promotion', () => {
    const after: MachineDocument = {
      ...base,
      phase: 'Succeeded',
      state: 'Succeeded',
      canaryWeight: 0,
    };
    expect(decisionsBetween({ ...base, phase: 'Finalising' }, after, 5)[0]).toEqual({
      type: 'Normal',
      reason: 'Succeeded',
      message: 'promoted revision rev2',
    });
  });

  it('reports joining the release queue after the phase change, and the slot once granted', () => {
    const waiting: MachineDocument = {
      ...base,
      state: 'Waiting',
      phase: 'Waiting',
      canaryWeight: 0,
      message: 'new revision',
    };
    const queued: MachineDocument = {
      ...waiting,
      state: 'Queued',
      queuedAt: 5000,
      message: 'revision rev2 waits for a release slot',
    };
    expect(decisionsBetween({ ...base, phase: 'Succeeded', canaryWeight: 0 }, queued, 5)).toEqual([
      { type: 'Normal', reason: 'Waiting', message: queued.message },
      { type: 'Normal', reason: 'Queued', message: queued.message },
    ]);
    expect(decisionsBetween(waiting, queued, 5).map((d) => d.reason)).toEqual(['Queued']);
    expect(decisionsBetween(queued, { ...queued, message: 'still waiting' }, 5)).toEqual([]);
    const granted: MachineDocument = {
      ...queued,
      state: 'Waiting',
      slotGrantedAt: 9000,
      message: 'release slot granted after 4s in the queue',
    };
    expect(decisionsBetween(queued, granted, 5)).toEqual([
      { type: 'Normal', reason: 'SlotGranted', message: granted.message },
    ]);
  });
});
