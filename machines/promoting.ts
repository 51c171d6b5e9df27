import type { PersistedContext, RolloutContext } from './context.js';
import { describeError } from './describeError.js';
import type { WebhooksOutcome } from './effects.js';
import { armProgressDeadline, seconds } from './updates.js';
import { promotedWeight } from './weights.js';

/** The context updates of a promotion and what follows it (Promoting, Succeeded). */
type Update = Partial<PersistedContext>;

export type PromotionCause = 'analysis' | 'request' | 'skipAnalysis';

export function beginPromotion(context: RolloutContext, cause: PromotionCause): Update {
  const why = {
    analysis: 'analysis passed',
    request: 'promotion requested',
    skipAnalysis: 'skipAnalysis',
  }[cause];
  return {
    ...armProgressDeadline(context),
    nextPromotionStepAt: null,
    resumeTo: null,
    ...(cause === 'request' ? { reason: 'PromotionRequested' as const } : {}),
    message: `promoting revision ${context.revision} (${why})`,
  };
}

/**
 * One step of a promotion in steps (stepWeightPromotion): the weight it set, and when the next
 * is due. The analysis is over (nothing pinned from here on) and the primary is ready.
 */
export function applyPromotionStep(context: RolloutContext, canaryWeight: number): Update {
  const { plan, revision } = context;
  const every = `${plan.promotionStep ?? 100}% every ${seconds(plan.intervalMs)} (stepWeightPromotion)`;
  const who =
    plan.mode === 'backend'
      ? `the canary backend takes ${every}`
      : `the primary is ready and takes back ${every}`;
  return {
    canaryWeight,
    nextAnalysisAt: null,
    progressDeadlineAt: null,
    nextPromotionStepAt: context.now() + plan.intervalMs,
    message: `promoting revision ${revision}: ${who}; canary weight ${canaryWeight}%`,
  };
}

export function markPromoted(context: RolloutContext): Update {
  return {
    lastPromotedRevision: context.revision,
    canaryWeight: promotedWeight(context.plan),
    nextAnalysisAt: null,
    progressDeadlineAt: null,
    nextPromotionStepAt: null,
    reason: 'Promoted',
    message: `promoted revision ${context.revision}`,
  };
}

export function notePostRollout(context: RolloutContext, outcome: WebhooksOutcome): Update {
  if (outcome.ok) return {};
  return {
    message: `${context.message}; post-rollout webhooks failed: ${outcome.message ?? 'no detail'}`,
  };
}

export function notePostRolloutError(context: RolloutContext, error: unknown): Update {
  return notePostRollout(context, { ok: false, message: describeError(error) });
}
