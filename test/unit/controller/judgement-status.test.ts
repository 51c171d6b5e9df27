import { describe, expect, it } from 'vitest';
import type { MachineDocument } from '../../../machines/persistence.js';
import type { Rollout } from '../../../src/api/types.js';
import { judgementLines } from '../../../src/cli/judgement-view.js';
import { statusFromMachine } from '../../../src/controller/status.js';

const rollout = {
  apiVersion: 'fledge.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'api', namespace: 'prod', generation: 3 },
  spec: {},
} as unknown as Rollout;

const judgement = {
  result: 'Fail' as const,
  score: 50,
  message: 'judgement Fail, score 50',
  metrics: [
    {
      name: 'request-duration',
      classification: 'High' as const,
      canaryMedian: 250,
      primaryMedian: 100,
      canarySamples: 10,
      primarySamples: 10,
      shift: 150,
      interval: [140, 160] as [number, number],
      intervalConfidence: 0.98,
      pValue: 0.0001,
    },
    {
      name: 'errors',
      classification: 'Nodata' as const,
      canaryMedian: null,
      primaryMedian: 0.2,
      canarySamples: 0,
      primarySamples: 10,
      shift: null,
      interval: null,
      intervalConfidence: null,
      pValue: null,
    },
  ],
};

const document = (withJudgement: boolean): MachineDocument => ({
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
    noData: true,
    results: [{ metric: 'judge', value: null, passed: false }],
    ...(withJudgement ? { judgement } : {}),
  },
  resumeTo: null,
  queuedAt: null,
  slotGrantedAt: null,
});

describe('status.lastJudgement', () => {
  const now = new Date('2026-02-02T00:00:00.000Z');

  it('shows each metric of the last judgement, leaving out what a side could not give', () => {
    const status = statusFromMachine(rollout, document(true), now);
    expect(status.lastJudgement).toEqual({
      result: 'Fail',
      score: 50,
      message: 'judgement Fail, score 50',
      metrics: [
        judgement.metrics[0],
        {
          name: 'errors',
          classification: 'Nodata',
          primaryMedian: 0.2,
          canarySamples: 0,
          primarySamples: 10,
        },
      ],
    });
  });

  it('keeps the previous judgement through an analysis without one while the judge is there', () => {
    const judged = {
      ...rollout,
      spec: { analysis: { judge: { metrics: [] } } },
    } as unknown as Rollout;
    const before = statusFromMachine(judged, document(true), now);
    const after = statusFromMachine({ ...judged, status: before }, document(false), now);
    expect(after.lastJudgement).toEqual(before.lastJudgement);
  });

  it('drops the last judgement once the judge is removed from the spec', () => {
    const before = statusFromMachine(rollout, document(true), now);
    const after = statusFromMachine({ ...rollout, status: before }, document(false), now);
    expect(after.lastJudgement).toBeUndefined();
  });

  it('reads in fledge status as one line per metric', () => {
    const status = statusFromMachine(rollout, document(true), now);
    if (!status.lastJudgement) throw new Error('no lastJudgement');
    expect(judgementLines(status.lastJudgement)).toEqual([
      'judge Fail, score 50',
      '  request-duration  High    canary 250  primary 100  shift +150  [+140, +160]  n 10/10',
      '  errors            Nodata  canary -    primary 0.2  shift -                   n 0/10',
    ]);
  });
});
