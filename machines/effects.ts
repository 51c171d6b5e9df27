import { fromPromise } from 'xstate';
import type { AnalysisResult } from './analysis.js';
import type { Reason } from './context.js';
import type { WebhookType } from './plan.js';

export type GateType = Extract<
  WebhookType,
  'confirm-rollout' | 'confirm-traffic-increase' | 'confirm-promotion' | 'rollback'
>;
export type NotifyingWebhookType = Extract<WebhookType, 'pre-rollout' | 'rollout' | 'post-rollout'>;

export interface GateOutcome {
  open: boolean;
  message?: string;
}

export interface WebhooksOutcome {
  ok: boolean;
  message?: string;
}

/**
 * `routed`: the traffic is back on the stable side. False when the primary was missing and the
 * rollback created it again: callers sent to it before it has ready pods would find none, so
 * they stay where they are, `canaryWeight` percent on the canary (as the routing object says).
 */
export type RollbackOutcome = { routed: true } | { routed: false; canaryWeight: number };

// biome-ignore lint/suspicious/noConfusingVoidType: an effect without a result is an async function that returns nothing.
type Done = void;

/**
 * The side effects the machine asks for, by actor name, with their inputs and outputs. The
 * controller supplies them with `machine.provide({ actors })`; each may throw. All must be
 * idempotent: a restored machine runs the effect it was in again.
 */
export interface EffectSignatures {
  /** Create the primary, the Services and the routing (100% primary); scale the target to 0. */
  initialize: { input: { revision: string }; output: Done };
  /** Call the gates of one type; closed or unreachable gates hold, they never fail a check. */
  checkGate: { input: { type: GateType }; output: GateOutcome };
  /** Call the webhooks of one type. */
  runWebhooks: { input: { type: NotifyingWebhookType }; output: WebhooksOutcome };
  /**
   * Record the primary's template as the stable revision, scale the target up and wait until
   * it is ready, at most until `deadline` (epoch ms).
   */
  startCanary: { input: { deadline: number }; output: Done };
  /**
   * Route `canaryWeight` percent to the canary; `pinned`: also the requests the strategy sends
   * to it whatever the weight (A/B matches, the affinity cookie), off when the release ends.
   */
  setWeight: { input: { canaryWeight: number; pinned: boolean }; output: Done };
  /** Query the metrics of one interval. */
  analyse: { input: { iteration: number }; output: AnalysisResult };
  /**
   * Copy the target's template to the primary and wait until it is ready, at most until
   * `deadline`; then record it as the stable revision.
   */
  promote: { input: { deadline: number }; output: Done };
  /** Route all traffic to where it ends (`canaryWeight`, nothing pinned) and scale the target to 0. */
  finalise: { input: { canaryWeight: number }; output: Done };
  /**
   * Weight 0 and nothing pinned at once, then scale the target to 0; or, when the primary is
   * missing, create it again from the stable revision and route nothing.
   */
  rollback: { input: { reason: Reason | null }; output: RollbackOutcome };
  /** Wait until the primary (the stable side) is ready, at most until `deadline`. */
  awaitPrimary: { input: { deadline: number }; output: Done };
}

export type EffectName = keyof EffectSignatures;

/**
 * The effects that start without waiting for the status that decided them. Every other effect
 * changes the cluster or calls out, so it waits until that status is written: the decision is
 * on record before its effect, and a replica that takes over never finds a weight or a
 * promotion its status does not explain. The analysis only reads, and held behind a status
 * write queued at a busy API server it would run late. The rollback takes callers off a
 * failing canary, and each moment it waits they get the failing version: its route write goes
 * out beside the status that decides it, and only its next write (the canary scaled down)
 * waits for that status (`decisionRecorded` in the controller's effect context). A replica
 * that takes over before that status landed finds less canary traffic than the status says,
 * never more, and its next step sets the weight again.
 */
export const effectsAheadOfStatus: ReadonlySet<EffectName> = new Set<EffectName>([
  'analyse',
  'rollback',
]);

function unprovided<Name extends EffectName>(name: Name) {
  return fromPromise<EffectSignatures[Name]['output'], EffectSignatures[Name]['input']>(
    async () => {
      throw new Error(
        `the rollout machine's effect '${name}' was not provided; pass it with machine.provide({ actors: { ${name} } })`,
      );
    },
  );
}

/** The machine's actor slots; an effect left unprovided fails like any effect, with a message. */
export const effectSlots = {
  initialize: unprovided('initialize'),
  checkGate: unprovided('checkGate'),
  runWebhooks: unprovided('runWebhooks'),
  startCanary: unprovided('startCanary'),
  setWeight: unprovided('setWeight'),
  analyse: unprovided('analyse'),
  promote: unprovided('promote'),
  finalise: unprovided('finalise'),
  rollback: unprovided('rollback'),
  awaitPrimary: unprovided('awaitPrimary'),
};
