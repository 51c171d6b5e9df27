/**
 * The RolloutPlan the machine runs, derived from a validated spec: the strategy, the steps of
 * canary weight, and every duration in milliseconds.
 */
import { type RolloutPlan, type Strategy, webhookTypes } from '../../machines/plan.js';
import { parseDuration } from './duration.js';
import type { RolloutSpec } from './types.js';

/** `spec` must come from validateRollout: defaults applied and every rule met. */
export function planFromSpec(spec: RolloutSpec): RolloutPlan {
  const { analysis } = spec;
  const declared = new Set((analysis.webhooks ?? []).map((webhook) => webhook.type));
  const strategy = strategyOf(analysis);
  return {
    mode: spec.targetRef ? 'workload' : 'backend',
    strategy,
    weights:
      strategy === 'canary' ? canaryWeights(analysis) : strategy === 'blueGreen' ? [100] : [],
    iterations: analysis.iterations ?? 0,
    ...(analysis.stepWeightPromotion !== undefined
      ? { promotionStep: analysis.stepWeightPromotion }
      : {}),
    pinsRequests: analysis.match !== undefined || analysis.sessionAffinity !== undefined,
    threshold: analysis.threshold,
    intervalMs: durationMs(analysis.interval, 'spec.analysis.interval'),
    onFailure: analysis.onFailure,
    onNoData: analysis.onNoData,
    promotion: spec.promotion,
    skipAnalysis: spec.skipAnalysis,
    progressDeadlineMs: spec.progressDeadlineSeconds * 1000,
    webhookTypes: webhookTypes.filter((type) => declared.has(type)),
  };
}

/** Iterations make A/B testing with match, blue/green without; weights a weighted canary. */
export function strategyOf(
  analysis: Pick<RolloutSpec['analysis'], 'iterations' | 'match'>,
): Strategy {
  if (analysis.iterations === undefined) return 'canary';
  return analysis.match === undefined ? 'blueGreen' : 'abTesting';
}

/**
 * stepWeights as given; otherwise multiples of stepWeight below maxWeight, then maxWeight
 * itself, so the last step is always exactly maxWeight (step 20, max 50: 20, 40, 50).
 */
export function canaryWeights(
  analysis: Pick<RolloutSpec['analysis'], 'stepWeight' | 'stepWeights' | 'maxWeight'>,
): number[] {
  if (analysis.stepWeights) return [...analysis.stepWeights];
  const step = analysis.stepWeight;
  if (step === undefined || step < 1) {
    throw new Error('spec.analysis needs stepWeight or stepWeights: validate the Rollout first');
  }
  const weights: number[] = [];
  for (let weight = step; weight < analysis.maxWeight; weight += step) weights.push(weight);
  return [...weights, analysis.maxWeight];
}

function durationMs(text: string, field: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new Error(
      `${field} ${JSON.stringify(text)} is not a duration: validate the Rollout first`,
    );
  }
  return ms;
}
