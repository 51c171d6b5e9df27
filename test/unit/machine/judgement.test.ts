import { describe, expect, it } from 'vitest';
import type { AnalysisResult, JudgementResult } from '../../../machines/analysis.js';
import { parseMachineDocument } from '../../../machines/persistence.js';
import { newRevision, passing } from './harness.js';

const metric = {
  name: 'request-duration',
  classification: 'Pass' as const,
  canaryMedian: 100,
  primaryMedian: 100,
  canarySamples: 10,
  primarySamples: 10,
  shift: 0,
  interval: [-2, 2] as [number, number],
  intervalConfidence: 0.98,
  pValue: 1,
};

function judged(result: JudgementResult['result'], score: number): AnalysisResult {
  return {
    results: [
      ...passing.results,
      {
        metric: 'judge',
        value: score,
        passed: result === 'Pass',
        ...(result === 'Pass' ? {} : { message: `judgement ${result}, score ${score}` }),
      },
    ],
    noData: false,
    judgement: { result, score, message: `judgement ${result}, score ${score}`, metrics: [metric] },
  };
}

describe('a statistical judgement as a check', () => {
  it('holds the weight on a marginal judgement: no step, no failed check, then goes on once it passes', async () => {
    const rollout = await newRevision({
      script: {
        analyse: (iteration) =>
          iteration >= 3 && iteration <= 5 ? judged('Marginal', 80) : passing,
      },
    });
    await rollout.until(() => rollout.doc().iterations === 5);
    expect(rollout.doc()).toMatchObject({
      phase: 'Progressing',
      canaryWeight: 20,
      failedChecks: 0,
    });
    expect(rollout.doc().message).toBe(
      'holding at weight 20%: judgement Marginal, score 80; judging again in 1s',
    );
    await rollout.until(() => rollout.state() === 'Succeeded');
    expect(rollout.doc().failedChecks).toBe(0);
    expect(rollout.weightsSet()).toEqual([10, 20, 30, 40, 50]);
  });

  it('counts a failing judgement as a failed check with its message', async () => {
    const rollout = await newRevision({ script: { analyse: () => judged('Fail', 0) } });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc().message).toContain('judge: judgement Fail, score 0');
    expect(rollout.weightsSet()).toEqual([]);
  });

  it('never holds on a marginal judgement when another metric failed', async () => {
    const failingToo: AnalysisResult = {
      ...judged('Marginal', 80),
      results: [
        { metric: 'request-success-rate', value: 80, min: 99, passed: false },
        { metric: 'judge', value: 80, passed: false },
      ],
    };
    const rollout = await newRevision({ script: { analyse: () => failingToo } });
    await rollout.until(() => rollout.state() === 'Failed');
    expect(rollout.doc().failedChecks).toBe(3);
  });

  it('restores a judgement whose nulls a merge patch dropped', async () => {
    const rollout = await newRevision({ script: { analyse: () => judged('Pass', 100) } });
    await rollout.until(() => rollout.doc().iterations === 2);
    const stored = structuredClone(rollout.doc()) as unknown as {
      lastAnalysis: { judgement: { metrics: Record<string, unknown>[] } };
    };
    const first = stored.lastAnalysis.judgement.metrics[0] ?? {};
    delete first.shift;
    delete first.interval;
    const restored = parseMachineDocument(stored);
    expect(restored.lastAnalysis?.judgement?.metrics[0]).toMatchObject({
      shift: null,
      interval: null,
      canaryMedian: 100,
    });
  });

  it('refuses a stored judgement of another shape', async () => {
    const rollout = await newRevision({ script: { analyse: () => judged('Pass', 100) } });
    await rollout.until(() => rollout.doc().iterations === 2);
    const stored = structuredClone(rollout.doc()) as unknown as {
      lastAnalysis: { judgement: { result: string } };
    };
    stored.lastAnalysis.judgement.result = 'Maybe';
    expect(() => parseMachineDocument(stored)).toThrow(/status.machine.lastAnalysis/);
  });
});
