import { type AnalysisResult, JUDGE_RESULT_NAME, type MetricResult } from './analysis.js';
import type { PersistedContext, Reason, ResumablePhase, RolloutContext } from './context.js';
import { describeError } from './describeError.js';
import type { WebhooksOutcome } from './effects.js';

/**
 * Pure context updates, one per decision of the chart. Each returns only the fields it
 * changes; the machine's actions merge them with `assign`.
 */
type Update = Partial<PersistedContext>;

export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/** A new or retried revision is analysed from scratch: nothing of an earlier analysis counts. */
const freshAnalysis = {
  failedChecks: 0,
  iterations: 0,
  lastAnalysis: null,
  nextAnalysisAt: null,
  progressDeadlineAt: null,
  nextPromotionStepAt: null,
  queuedAt: null,
  slotGrantedAt: null,
} satisfies Update;

export function startRevision(context: RolloutContext, revision: string): Update {
  return {
    revision,
    ...freshAnalysis,
    resumeTo: null,
    reason: 'NewRevision',
    message: context.plan.skipAnalysis
      ? `new revision ${revision}: promoting without analysis (skipAnalysis)`
      : `new revision ${revision}: starting the analysis from weight 0`,
  };
}

export function restartRevision(context: RolloutContext): Update {
  return {
    ...freshAnalysis,
    reason: 'Retried',
    message: `retrying revision ${context.revision} from weight 0`,
  };
}

export function markInitialized(context: RolloutContext): Update {
  return {
    lastPromotedRevision: context.revision,
    reason: 'Initialized',
    message: `initialized with revision ${context.revision}; waiting for a new revision`,
  };
}

export function noteRetry(context: RolloutContext, step: string, error: unknown): Update {
  return {
    message: `${step} failed: ${describeError(error)}; retrying in ${seconds(context.plan.intervalMs)}`,
  };
}

export function holdAtGate(context: RolloutContext, gate: string, detail?: string): Update {
  const why = detail ? `: ${detail}` : '';
  return {
    message: `${gate} gate is closed${why}; asking again in ${seconds(context.plan.intervalMs)}`,
  };
}

/** A release that must wait for a slot joins the queue once; a restore keeps its place. */
export function enterQueue(context: RolloutContext): Update {
  if (!context.plan.waitsForSlot || context.slotGrantedAt !== null) return {};
  const queuedAt = context.queuedAt ?? context.now();
  return {
    queuedAt,
    message: `revision ${context.revision} waits for a release slot (queued at ${new Date(queuedAt).toISOString()})`,
  };
}

/** The slot a release takes when no queue applies: kept, once taken, until the release ends. */
export function takeSlot(context: RolloutContext): Update {
  return { slotGrantedAt: context.slotGrantedAt ?? context.now() };
}

export function grantSlot(context: RolloutContext): Update {
  const now = context.now();
  const waited = context.queuedAt === null ? 0 : now - context.queuedAt;
  return {
    slotGrantedAt: now,
    message: `release slot granted after ${seconds(waited)} in the queue; starting revision ${context.revision}`,
  };
}

export function armProgressDeadline(context: RolloutContext): Update {
  return { progressDeadlineAt: context.now() + context.plan.progressDeadlineMs };
}

/** What reaches the canary while its analysis runs at weight 0, by strategy. */
const trafficAtZero = {
  canary: '',
  abTesting: '; requests that match analysis.match go to it',
  blueGreen: '; only test traffic reaches it',
} as const;

export function beginAnalysis(context: RolloutContext): Update {
  return {
    nextAnalysisAt: context.now() + context.plan.intervalMs,
    progressDeadlineAt: null,
    message: `canary ready${trafficAtZero[context.plan.strategy]}; first analysis in ${seconds(context.plan.intervalMs)}`,
  };
}

/** A passing interval of A/B testing or blue/green that is not yet the last. */
export function notePassedAnalysis(context: RolloutContext): Update {
  const { iterations, plan } = context;
  return {
    message: `analysis ${iterations} of ${plan.iterations} passed${trafficAtZero[plan.strategy]}`,
  };
}

export function scheduleNextAnalysis(context: RolloutContext): Update {
  return { nextAnalysisAt: context.now() + context.plan.intervalMs };
}

export function applyWeight(canaryWeight: number): Update {
  return { canaryWeight, message: `canary weight ${canaryWeight}%` };
}

/** Blue/green: all traffic at once, judged for one more interval before promotion. */
export function applySwitch(canaryWeight: number): Update {
  return {
    canaryWeight,
    message: `switched ${canaryWeight}% of traffic to the canary; analysing it before promotion`,
  };
}

export function recordAnalysis(context: RolloutContext, analysis: AnalysisResult): Update {
  return { lastAnalysis: analysis, iterations: context.iterations + 1 };
}

/** Adapters report a missing value as null, but a NaN can slip through as a number. */
function lacksValue(result: MetricResult): boolean {
  return result.value === null || Number.isNaN(result.value);
}

/** True when a metric had no data: flagged by the adapter, or a null or NaN value. */
export function hadNoData(analysis: AnalysisResult): boolean {
  return analysis.noData || analysis.results.some(lacksValue);
}

/**
 * Flagger's rule, kept for its users: while no traffic has been routed to the canary (weight
 * 0, the first analysis of a revision), missing data is no verdict. Data that is there (a
 * direct load test) is still judged.
 */
export function beforeAnyTraffic(context: PersistedContext): boolean {
  return context.canaryWeight === 0 && context.iterations <= 1;
}

/**
 * Passed means every metric in range and, unless `excuseNoData`, data for every metric; no
 * metrics at all passes.
 */
export function passed(analysis: AnalysisResult, { excuseNoData = false } = {}): boolean {
  if (excuseNoData) {
    return analysis.results.every((result) => lacksValue(result) || result.passed);
  }
  return !hadNoData(analysis) && analysis.results.every((result) => result.passed);
}

/**
 * Missing data the metric source could not have had (it restarted within the window) says
 * nothing about the canary: no failed check, no step, no pause. A metric that has a value
 * out of range still counts.
 */
export function blindToCanary(analysis: AnalysisResult, context: PersistedContext): boolean {
  return (
    analysis.blind !== undefined &&
    !beforeAnyTraffic(context) &&
    hadNoData(analysis) &&
    passed(analysis, { excuseNoData: true })
  );
}

export function noteBlindAnalysis(context: RolloutContext): Update {
  return {
    message: `no verdict this interval, the weight holds at ${context.canaryWeight}%: ${context.lastAnalysis?.blind ?? 'the metric source is blind'}`,
  };
}

/**
 * A marginal judgement with every other metric passed and nothing missing: the interval
 * neither passes nor fails, so the weight holds and the next interval judges again.
 */
export function heldByJudge(analysis: AnalysisResult): boolean {
  return (
    analysis.judgement?.result === 'Marginal' &&
    !hadNoData(analysis) &&
    analysis.results.every((result) => result.passed || result.metric === JUDGE_RESULT_NAME)
  );
}

export function holdOnMarginal(context: RolloutContext): Update {
  const judgement = context.lastAnalysis?.judgement;
  const why = judgement ? judgement.message : 'judgement marginal';
  return {
    message: `holding at weight ${context.canaryWeight}%: ${why}; judging again in ${seconds(context.plan.intervalMs)}`,
  };
}

export function describeAnalysis(analysis: AnalysisResult): string {
  const failing = analysis.results.filter((result) => !result.passed || lacksValue(result));
  if (failing.length === 0) return analysis.noData ? 'no data' : 'all metrics in range';
  return failing
    .map((result) => {
      if (result.message) return `${result.metric}: ${result.message}`;
      if (lacksValue(result)) return `${result.metric}: no data`;
      const range = [
        result.min === undefined ? '' : `min ${result.min}`,
        result.max === undefined ? '' : `max ${result.max}`,
      ]
        .filter(Boolean)
        .join(', ');
      return `${result.metric}: ${result.value} out of range (${range})`;
    })
    .join('; ');
}

function countFailedCheck(context: RolloutContext, cause: string): Update {
  const failedChecks = context.failedChecks + 1;
  return {
    failedChecks,
    message: `failed check ${failedChecks} of ${context.plan.threshold}: ${cause}`,
  };
}

export function countAnalysisFailure(context: RolloutContext): Update {
  const cause = context.lastAnalysis ? describeAnalysis(context.lastAnalysis) : 'no analysis';
  return countFailedCheck(context, cause);
}

export function countWebhookFailure(
  context: RolloutContext,
  type: string,
  outcome: WebhooksOutcome,
): Update {
  return countFailedCheck(context, `${type} webhooks failed: ${outcome.message ?? 'no detail'}`);
}

export function countEffectFailure(context: RolloutContext, step: string, error: unknown): Update {
  return countFailedCheck(context, `${step} failed: ${describeError(error)}`);
}

export function pause(context: RolloutContext, resumeTo: ResumablePhase, reason: Reason): Update {
  const why =
    reason === 'NoData'
      ? `no data (onNoData: pause): ${context.lastAnalysis ? describeAnalysis(context.lastAnalysis) : ''}`
      : reason === 'ThresholdReached'
        ? `${context.message} (onFailure: pause)`
        : 'paused by request';
  return {
    resumeTo,
    reason,
    message: `paused at weight ${context.canaryWeight}%: ${why}; resume, promote or abort`,
  };
}

export function resume(context: RolloutContext): Update {
  return { resumeTo: null, reason: 'Resumed', message: `resumed ${context.resumeTo ?? ''}`.trim() };
}
