import { describe, expect, it } from 'vitest';
import { promotionStepsLeft, promotionStepWeight } from '../../../machines/weights.js';
import { makePlan } from './harness.js';

describe('promotion steps', () => {
  it.each([
    { mode: 'workload', step: undefined, from: 50, to: 0, more: false },
    { mode: 'workload', step: 20, from: 50, to: 30, more: true },
    { mode: 'workload', step: 20, from: 30, to: 10, more: true },
    { mode: 'workload', step: 20, from: 10, to: 0, more: false },
    { mode: 'workload', step: 50, from: 50, to: 0, more: false },
    { mode: 'workload', step: 100, from: 100, to: 0, more: false },
    { mode: 'workload', step: 20, from: 0, to: 0, more: false },
    { mode: 'backend', step: undefined, from: 40, to: 100, more: false },
    { mode: 'backend', step: 25, from: 40, to: 65, more: true },
    { mode: 'backend', step: 25, from: 90, to: 100, more: false },
  ] as const)(
    '$mode, step $step: from $from to $to, more steps: $more',
    ({ mode, step, from, to, more }) => {
      const plan = makePlan({ mode, ...(step === undefined ? {} : { promotionStep: step }) });
      expect(promotionStepWeight(plan, from)).toBe(to);
      expect(promotionStepsLeft(plan, from)).toBe(more);
    },
  );
});
