import { describe, expect, it } from 'vitest';
import type { MachineDocument } from '../../../machines/persistence.js';
import type { Rollout } from '../../../src/api/types.js';
import {
  backendUnavailableCondition,
  statusForInvalidSpec,
  statusFromMachine,
} from '../../../src/controller/status.js';

const rollout = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'api', namespace: 'prod', generation: 3 },
  spec: {},
  status: {
    phase: 'Initialized',
    lastTransitionTime: '2026-01-01T00:00:00.000Z',
    lastAction: { action: 'pause', at: '2026-01-01T00:00:00.000Z' },
    conditions: [
      { type: 'Invalid', status: 'True', reason: 'InvalidSpec', message: 'bad' },
      { type: 'Promoted', status: 'True', reason: 'Initialized', lastTransitionTime: 'then' },
    ],
  },
} as unknown as Rollout;

const document: MachineDocument = {
  version: 1,
  state: 'Progressing',
  phase: 'Progressing',
  revision: 'rev2',
  lastPromotedRevision: 'rev1',
  canaryWeight: 30,
  failedChecks: 1,
  iterations: 4,
  nextAnalysisAt: 5000,
  progressDeadlineAt: null,
  nextPromotionStepAt: null,
  message: 'canary weight 30%',
  reason: null,
  lastAnalysis: {
    noData: false,
    results: [{ metric: 'request-success-rate', value: 99.9, min: 99, passed: true }],
  },
  resumeTo: null,
  queuedAt: null,
  slotGrantedAt: null,
};

describe('statusFromMachine', () => {
  const now = new Date('2026-02-02T00:00:00.000Z');
  const status = statusFromMachine(rollout, document, now);

  it('shows the machine to people and keeps it for a restart', () => {
    expect(status).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 30,
      failedChecks: 1,
      iterations: 4,
      currentRevision: 'rev2',
      lastPromotedRevision: 'rev1',
      observedGeneration: 3,
      message: 'canary weight 30%',
      lastAnalysis: document.lastAnalysis?.results,
      machine: document,
    });
  });

  it('sets Promoted to Unknown while progressing and clears Invalid', () => {
    const promoted = status.conditions?.find((c) => c.type === 'Promoted');
    const invalid = status.conditions?.find((c) => c.type === 'Invalid');
    expect(promoted).toMatchObject({ status: 'Unknown', lastTransitionTime: now.toISOString() });
    expect(invalid?.status).toBe('False');
  });

  it('stamps lastTransitionTime only when the phase changes', () => {
    expect(status.lastTransitionTime).toBe(now.toISOString());
    const again = statusFromMachine({ ...rollout, status }, document, new Date(0));
    expect(again.lastTransitionTime).toBe(now.toISOString());
  });

  it('leaves out the value of a metric without data, as a merge patch cannot carry null', () => {
    const noData: MachineDocument = {
      ...document,
      lastAnalysis: {
        noData: true,
        results: [{ metric: 'request-success-rate', value: null, min: 99, passed: false }],
      },
    };
    const [result] = statusFromMachine(rollout, noData, now).lastAnalysis ?? [];
    expect(result).toEqual({ metric: 'request-success-rate', min: 99, passed: false });
  });

  it('keeps the last manual action unless a new one is given', () => {
    expect(status.lastAction?.action).toBe('pause');
    const action = { action: 'promote' as const, at: now.toISOString() };
    expect(statusFromMachine(rollout, document, now, action).lastAction).toEqual(action);
  });
});

describe('statusForInvalidSpec', () => {
  it('names every problem in the Invalid condition and the message, keeping progress', () => {
    const status = statusForInvalidSpec(
      rollout,
      [
        {
          path: 'spec.analysis.stepWeight',
          message: 'is 60, above maxWeight 50',
          fix: 'lower it',
        },
      ],
      new Date(0),
    );
    expect(status.phase).toBe('Initialized');
    expect(status.message).toContain('spec.analysis.stepWeight');
    const invalid = status.conditions?.find((c) => c.type === 'Invalid');
    expect(invalid).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(invalid?.message).toContain('lower it');
  });
});

describe('the BackendUnavailable condition', () => {
  const now = new Date('2026-02-01T00:00:00.000Z');

  it('is True with the problem while a backend cannot take traffic', () => {
    const problem = 'the Linkerd multicluster mirror prod/api-west has no ready endpoints';
    const status = statusFromMachine(rollout, document, now, undefined, [
      backendUnavailableCondition(problem),
    ]);
    expect(status.conditions?.find((c) => c.type === 'BackendUnavailable')).toEqual({
      type: 'BackendUnavailable',
      status: 'True',
      reason: 'BackendUnavailable',
      message: problem,
      lastTransitionTime: now.toISOString(),
    });
  });

  it('turns False once both backends are available and keeps the other conditions', () => {
    const status = statusFromMachine(rollout, document, now, undefined, [
      backendUnavailableCondition(null),
    ]);
    expect(status.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Invalid', 'False'],
      ['Promoted', 'Unknown'],
      ['BackendUnavailable', 'False'],
    ]);
  });
});
