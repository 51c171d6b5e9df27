import { assign, emit, setup } from 'xstate';
import type { AnalysisResult } from './analysis.js';
import type {
  Reason,
  RestorePoint,
  ResumablePhase,
  RolloutContext,
  RolloutEmitted,
  RolloutEvent,
  RolloutInput,
} from './context.js';
import type { GateOutcome, RollbackOutcome, WebhooksOutcome } from './effects.js';
import { effectSlots } from './effects.js';
import type { StateMeta, StateTag } from './meta.js';
import type { WebhookType } from './plan.js';
import * as promoting from './promoting.js';
import * as rollingBack from './rolling-back.js';
import * as update from './updates.js';
import { nextWeight, promotionStepsLeft } from './weights.js';

/**
 * The vocabulary of the rollout chart: its effects (actors), decisions (guards), context
 * updates (actions) and waits (delays). `rollout.ts` uses these names only.
 */
export const rolloutSetup = setup({
  types: {
    context: {} as RolloutContext,
    events: {} as RolloutEvent,
    input: {} as RolloutInput,
    emitted: {} as RolloutEmitted,
    tags: {} as StateTag,
    meta: {} as StateMeta,
  },
  actors: effectSlots,
  guards: {
    isNewRevision: ({ context, event }) =>
      event.type === 'NEW_REVISION' && event.revision !== context.revision,
    skipsAnalysis: ({ context }) => context.plan.skipAnalysis,
    declares: ({ context }, params: { type: WebhookType }) =>
      context.plan.webhookTypes.includes(params.type),
    isOpen: (_, gate: GateOutcome) => gate.open,
    routed: (_, outcome: RollbackOutcome) => outcome.routed,
    succeeded: (_, outcome: WebhooksOutcome) => outcome.ok,
    weightIsZero: ({ context }) => context.canaryWeight === 0,
    pinsRequests: ({ context }) => context.plan.pinsRequests,
    belowMaxWeight: ({ context }) => nextWeight(context.plan, context.canaryWeight) !== undefined,
    /** A/B testing and blue/green run a number of intervals before they promote or switch. */
    analysesLeft: ({ context }) => context.iterations < context.plan.iterations,
    switchesAtOnce: ({ context }) => context.plan.strategy === 'blueGreen',
    thresholdReached: ({ context }) => context.failedChecks >= context.plan.threshold,
    rollsBackOnFailure: ({ context }) => context.plan.onFailure === 'rollback',
    pausesOnNoData: ({ context }) => context.plan.onNoData === 'pause',
    /** Missing data counts, except before the canary got any traffic (contract §2). */
    analysisHadNoData: ({ context }) =>
      context.lastAnalysis !== null &&
      !update.beforeAnyTraffic(context) &&
      update.hadNoData(context.lastAnalysis),
    /** No data the metric source could not have had is no verdict (docs/analysis.md). */
    analysisBlind: ({ context }) =>
      context.lastAnalysis !== null && update.blindToCanary(context.lastAnalysis, context),
    analysisHeld: ({ context }) =>
      context.lastAnalysis !== null && update.heldByJudge(context.lastAnalysis),
    analysisPassed: ({ context }) =>
      context.lastAnalysis !== null &&
      update.passed(context.lastAnalysis, { excuseNoData: update.beforeAnyTraffic(context) }),
    /** Once a person has seen the threshold reached, only a person promotes. */
    promotesAutomatically: ({ context }) =>
      context.plan.promotion === 'auto' && context.failedChecks < context.plan.threshold,
    resumesTo: ({ context }, params: { phase: ResumablePhase }) =>
      context.resumeTo === params.phase,
    resumesAt: ({ context }, params: { point: RestorePoint }) => context.resumeAt === params.point,
    isRestoring: ({ context }) => context.resumeAt !== null,
    /** stepWeightPromotion: traffic moves to where promotion ends in more than one step. */
    promotionStepsLeft: ({ context }) => promotionStepsLeft(context.plan, context.canaryWeight),
    waitsForSlot: ({ context }) =>
      context.plan.waitsForSlot === true && context.slotGrantedAt === null,
  },
  actions: {
    adoptRevision: assign(({ event }) =>
      event.type === 'NEW_REVISION' ? { revision: event.revision } : {},
    ),
    startRevision: assign(({ context, event }) =>
      event.type === 'NEW_REVISION' ? update.startRevision(context, event.revision) : {},
    ),
    restartRevision: assign(({ context }) => update.restartRevision(context)),
    markInitialized: assign(({ context }) => update.markInitialized(context)),
    noteRetry: assign(({ context }, params: { step: string; error: unknown }) =>
      update.noteRetry(context, params.step, params.error),
    ),
    announceRetry: emit(({ context }, params: { step: string; error: unknown }) => ({
      type: 'retrying' as const,
      message: update.noteRetry(context, params.step, params.error).message ?? '',
    })),
    holdAtGate: assign(({ context }, params: { gate: string; detail?: string }) =>
      update.holdAtGate(context, params.gate, params.detail),
    ),
    applyWeight: assign((_, params: { canaryWeight: number }) =>
      update.applyWeight(params.canaryWeight),
    ),
    enterQueue: assign(({ context }) => update.enterQueue(context)),
    takeSlot: assign(({ context }) => update.takeSlot(context)),
    grantSlot: assign(({ context }) => update.grantSlot(context)),
    applySwitch: assign((_, params: { canaryWeight: number }) =>
      update.applySwitch(params.canaryWeight),
    ),
    notePassedAnalysis: assign(({ context }) => update.notePassedAnalysis(context)),
    armProgressDeadline: assign(({ context }) => update.armProgressDeadline(context)),
    beginAnalysis: assign(({ context }) => update.beginAnalysis(context)),
    scheduleNextAnalysis: assign(({ context }) => update.scheduleNextAnalysis(context)),
    recordAnalysis: assign(({ context }, analysis: AnalysisResult) =>
      update.recordAnalysis(context, analysis),
    ),
    holdOnMarginal: assign(({ context }) => update.holdOnMarginal(context)),
    countAnalysisFailure: assign(({ context }) => update.countAnalysisFailure(context)),
    noteBlindAnalysis: assign(({ context }) => update.noteBlindAnalysis(context)),
    countWebhookFailure: assign(({ context }, params: { type: string } & WebhooksOutcome) =>
      update.countWebhookFailure(context, params.type, params),
    ),
    countEffectFailure: assign(({ context }, params: { step: string; error: unknown }) =>
      update.countEffectFailure(context, params.step, params.error),
    ),
    fail: assign(({ context }, params: { reason: Reason }) =>
      rollingBack.fail(context, params.reason),
    ),
    awaitRestoredPrimary: assign(({ context }, params: { canaryWeight: number }) =>
      rollingBack.awaitRestoredPrimary(context, params.canaryWeight),
    ),
    markRolledBack: assign(({ context }) => rollingBack.markRolledBack(context)),
    pause: assign(({ context }, params: { resumeTo: ResumablePhase; reason: Reason }) =>
      update.pause(context, params.resumeTo, params.reason),
    ),
    resume: assign(({ context }) => update.resume(context)),
    beginPromotion: assign(({ context }, params: { cause: promoting.PromotionCause }) =>
      promoting.beginPromotion(context, params.cause),
    ),
    applyPromotionStep: assign(({ context }, params: { canaryWeight: number }) =>
      promoting.applyPromotionStep(context, params.canaryWeight),
    ),
    markPromoted: assign(({ context }) => promoting.markPromoted(context)),
    notePostRollout: assign(({ context }, outcome: WebhooksOutcome) =>
      promoting.notePostRollout(context, outcome),
    ),
    notePostRolloutError: assign(({ context }, params: { error: unknown }) =>
      promoting.notePostRolloutError(context, params.error),
    ),
    finishRestore: assign({ resumeAt: null }),
  },
  delays: {
    untilNextAnalysis: ({ context }) =>
      Math.max(0, (context.nextAnalysisAt ?? context.now()) - context.now()),
    untilProgressDeadline: ({ context }) =>
      Math.max(0, (context.progressDeadlineAt ?? context.now()) - context.now()),
    untilNextPromotionStep: ({ context }) =>
      Math.max(0, (context.nextPromotionStepAt ?? context.now()) - context.now()),
    retryInterval: ({ context }) => context.plan.intervalMs,
  },
});
