import type { RolloutContext } from './context.js';
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

/**
 * The weight a promotion step sets: stepWeightPromotion closer to where promotion ends, never
 * past it. Without stepWeightPromotion, where promotion ends: all traffic moves at once.
 */
export function promotionStepWeight(plan: RolloutPlan, canaryWeight: number): number {
  const end = promotedWeight(plan);
  const step = plan.promotionStep ?? 100;
  return canaryWeight > end
    ? Math.max(end, canaryWeight - step)
    : Math.min(end, canaryWeight + step);
}

/**
 * Whether promotion moves traffic in more steps before it finalises: the next step is a weight
 * short of where promotion ends (the step that would reach it is the finalising).
 */
export function promotionStepsLeft(plan: RolloutPlan, canaryWeight: number): boolean {
  return promotionStepWeight(plan, canaryWeight) !== promotedWeight(plan);
}

/** What the routing object holds: the canary's share, and whether pinned requests go to it. */
export interface Traffic {
  canaryWeight: number;
  /** The requests the strategy sends to the canary whatever the weight: A/B matches, affinity cookie. */
  pinned: boolean;
}

/**
 * What the routing object must hold while the machine rests. Requests are pinned exactly while
 * an analysis is scheduled: the pinning step begins the analysis, and a promotion or rollback,
 * which unpin, end it.
 */
export function restingTraffic(
  context: Pick<RolloutContext, 'canaryWeight' | 'nextAnalysisAt' | 'plan'>,
): Traffic {
  return {
    canaryWeight: context.canaryWeight,
    pinned: context.plan.pinsRequests && context.nextAnalysisAt !== null,
  };
}
