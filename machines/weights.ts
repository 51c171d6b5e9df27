import type { RolloutPlan } from './plan.js';

export function maxWeight(plan: RolloutPlan): number {
  return plan.weights.at(-1) ?? 0;
}

/**
 * The weight a passing interval steps to: the first planned weight above the current one.
 * Undefined at the maximum, where a passing interval promotes instead.
 */
export function nextWeight(plan: RolloutPlan, canaryWeight: number): number | undefined {
  return plan.weights.find((weight) => weight > canaryWeight);
}

/** The weight a step sets; at the maximum there is no step, so the weight stays. */
export function steppedWeight(plan: RolloutPlan, canaryWeight: number): number {
  return nextWeight(plan, canaryWeight) ?? canaryWeight;
}

/** Where traffic ends after promotion: all on the primary, or all on the canary backend. */
export function promotedWeight(plan: RolloutPlan): number {
  return plan.mode === 'backend' ? 100 : 0;
}
