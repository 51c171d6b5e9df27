import type { AnalysisResult } from './analysis.js';
import type { RolloutPlan } from './plan.js';

/** The phases of contract §2, in the order a healthy rollout meets them. */
export const phases = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'Paused',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
] as const;
export type Phase = (typeof phases)[number];

/** The phases a pause can return to. */
export const resumablePhases = ['Waiting', 'Progressing', 'WaitingPromotion'] as const;
export type ResumablePhase = (typeof resumablePhases)[number];

/**
 * Where a restored machine picks up, as `status.machine.state` names it: a phase, or a step
 * within one that the phase's entry would not repeat. After a passing analysis, the weight
 * increase, the blue/green switch or the promotion gate (not another analysis); in Promoting,
 * the traffic still to move in steps (stepWeightPromotion), not another promotion; in Failed,
 * the rollback still to apply, or the primary it created again still to become ready; in Succeeded, the post-rollout webhooks still to call. Which
 * state each one is, and where it re-enters, the chart says (`meta.restorePoint`); this list is
 * the stored vocabulary.
 */
export const restorePoints = [
  ...phases,
  'IncreasingWeight',
  'ConfirmingPromotion',
  'RollingBack',
  'RestoringPrimary',
  'PostRollout',
  'Queued',
  'Switching',
  'ShiftingTraffic',
] as const;
export type RestorePoint = (typeof restorePoints)[number];

/** Why the machine took its last decision; status.reason and Events carry it. */
export const reasons = [
  'Initialized',
  'NewRevision',
  'Retried',
  'PauseRequested',
  'Resumed',
  'NoData',
  'ThresholdReached',
  'RollbackGateOpen',
  'ProgressDeadlineExceeded',
  'Aborted',
  'PromotionRequested',
  'Promoted',
  'TargetLost',
] as const;
export type Reason = (typeof reasons)[number];

/** The part of the machine's context that lives in the Rollout's status. */
export interface PersistedContext {
  /** The revision being rolled out, or the one last rolled out. */
  revision: string;
  lastPromotedRevision: string | null;
  canaryWeight: number;
  failedChecks: number;
  /** Analyses run for the current revision. */
  iterations: number;
  /** Epoch ms when the next analysis is due; at or before now while one is running. */
  nextAnalysisAt: number | null;
  /** Epoch ms by which the canary (Waiting) or the primary (Promoting) must be ready. */
  progressDeadlineAt: number | null;
  /** Epoch ms when the next promotion step (stepWeightPromotion) is due, while they run. */
  nextPromotionStepAt: number | null;
  message: string;
  reason: Reason | null;
  lastAnalysis: AnalysisResult | null;
  /** The phase a resume returns to, while Paused. */
  resumeTo: ResumablePhase | null;
  /** Epoch ms when this release entered the release queue: its place in line (FIFO). */
  queuedAt: number | null;
  /** Epoch ms when this release got its release slot; it holds the slot until it ends. */
  slotGrantedAt: number | null;
}

export interface RolloutContext extends PersistedContext {
  plan: RolloutPlan;
  now: () => number;
  /** Set only while the machine routes itself into a restored state. */
  resumeAt: RestorePoint | null;
}

export interface RolloutInput {
  plan: RolloutPlan;
  /** The target's current revision; a restored document's own revision takes precedence. */
  revision: string;
  /** Epoch ms; Date.now in the controller, the simulated clock's now in tests. */
  now: () => number;
  /** Where to resume: a document validated by `parseMachineDocument`. */
  resume?: { state: RestorePoint; context: PersistedContext };
}

export type RolloutEvent =
  | { type: 'NEW_REVISION'; revision: string }
  | { type: 'PROMOTE' }
  | { type: 'ABORT' }
  | { type: 'RETRY' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  /** The target Deployment is gone: canary traffic must go back to the primary at once. */
  | { type: 'TARGET_LOST' }
  /** The controller's release queue has a slot for this release: its analysis may start. */
  | { type: 'SLOT_GRANTED' };

/**
 * What the machine tells its runner without changing state: a failed effect outside the
 * analysis that it retries (initialising, starting the canary, promoting, rolling back), so
 * that a person hears of it although no check failed and the phase did not change.
 */
export type RolloutEmitted = { type: 'retrying'; message: string };

export function contextFromInput(input: RolloutInput): RolloutContext {
  const fresh: PersistedContext = {
    revision: input.revision,
    lastPromotedRevision: null,
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    nextAnalysisAt: null,
    progressDeadlineAt: null,
    nextPromotionStepAt: null,
    message: 'Initializing',
    reason: null,
    lastAnalysis: null,
    resumeTo: null,
    queuedAt: null,
    slotGrantedAt: null,
  };
  return {
    ...(input.resume?.context ?? fresh),
    plan: input.plan,
    now: input.now,
    resumeAt: input.resume?.state ?? null,
  };
}
