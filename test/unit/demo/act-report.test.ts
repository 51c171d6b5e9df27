import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../../src/api/types.js';
import { finishes, type Observation, reportAct } from '../../../src/demo/act-report.js';

const at = (ms: number, status: RolloutStatus): Observation => ({ at: 1_000 + ms, status });
const failing = { metric: 'request-success-rate', value: 70, min: 99, passed: false };
const passing = { metric: 'request-duration', value: 40, max: 500, passed: true };

describe('reportAct', () => {
  it('lists the weights in the order they were set, once each, without 0', () => {
    const act = reportAct('healthy', 'Succeeded', 1_000, [
      at(100, { phase: 'Progressing', canaryWeight: 0, currentRevision: 'b' }),
      at(200, { phase: 'Progressing', canaryWeight: 10 }),
      at(300, { phase: 'Progressing', canaryWeight: 10 }),
      at(400, { phase: 'Progressing', canaryWeight: 20 }),
      at(900, { phase: 'Succeeded', canaryWeight: 0, currentRevision: 'b', message: 'promoted' }),
    ]);
    expect(act).toMatchObject({
      outcome: 'Succeeded',
      revision: 'b',
      weights: [10, 20],
      failedChecks: [],
      message: 'promoted',
      durationMs: 900,
    });
  });

  it('records each rise of failedChecks with the metrics that failed it', () => {
    const act = reportAct('faulty', 'Failed', 1_000, [
      at(100, { phase: 'Progressing', failedChecks: 0 }),
      at(2_000, { phase: 'Progressing', failedChecks: 1, lastAnalysis: [failing, passing] }),
      at(2_500, { phase: 'Progressing', failedChecks: 1, lastAnalysis: [failing, passing] }),
      at(4_000, {
        phase: 'Failed',
        failedChecks: 2,
        lastAnalysis: [failing],
        message: 'rolled back',
      }),
    ]);
    expect(act.outcome).toBe('Failed');
    expect(act.failedChecks).toEqual([
      { count: 1, afterMs: 2_000, metrics: [failing], message: '' },
      { count: 2, afterMs: 4_000, metrics: [failing], message: 'rolled back' },
    ]);
  });

  it('has no outcome when the last status seen is not terminal', () => {
    const act = reportAct('faulty', 'Failed', 1_000, [at(100, { phase: 'Progressing' })]);
    expect(act.outcome).toBeUndefined();
  });
});

describe('finishes', () => {
  it('needs a terminal phase for a revision other than the one before the change', () => {
    expect(finishes({ phase: 'Succeeded', currentRevision: 'a' }, 'a')).toBe(false);
    expect(finishes({ phase: 'Progressing', currentRevision: 'b' }, 'a')).toBe(false);
    expect(finishes({ phase: 'Failed', currentRevision: 'b' }, 'a')).toBe(true);
  });
});
