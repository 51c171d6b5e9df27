import type { PersistedContext, Reason, RolloutContext } from './context.js';

/** The context updates of Failed: the rollback, and the primary it may create again. */
type Update = Partial<PersistedContext>;

/** Why a rollback began, by the machine's reason; a dashboard tells rollbacks by these. */
export const failureCauses: Partial<Record<Reason, string>> = {
  Aborted: 'aborted by request',
  ThresholdReached: 'failed checks reached the threshold',
  RollbackGateOpen: 'the rollback gate is open',
  ProgressDeadlineExceeded: 'not ready within the progress deadline',
  TargetLost: 'the target Deployment is gone',
};

function failureCause(reason: Reason | null): string {
  return (reason && failureCauses[reason]) ?? `${reason}`;
}

export function fail(context: RolloutContext, reason: Reason): Update {
  return {
    reason,
    canaryWeight: 0,
    resumeTo: null,
    nextAnalysisAt: null,
    progressDeadlineAt: null,
    nextPromotionStepAt: null,
    message: `rolling back revision ${context.revision}: ${failureCause(reason)}; last: ${context.message}`,
  };
}

/** The final word of a rollback keeps what caused it, so status still says which check failed. */
export function markRolledBack(context: RolloutContext): Update {
  const where = context.plan.mode === 'backend' ? 'the stable backend' : 'the primary';
  const last = context.message.split('; last: ')[1];
  return {
    canaryWeight: 0,
    // Set only while the rollback waited for a primary it created again.
    progressDeadlineAt: null,
    message: `rolled back revision ${context.revision}: ${failureCause(context.reason)}; traffic is on ${where}${last ? `; last: ${last}` : ''}`,
  };
}

/**
 * The rollback found no available pod in the primary (it was missing and was created again
 * from the stable template, or is not up yet): callers stay on the canary (`canaryWeight`, as
 * the routing object has it: status says where they are, not the 0 the rollback aims at)
 * until it is ready, within a progress deadline of its own, armed once per rollback. The
 * message keeps what caused the rollback, as `fail` wrote it.
 */
export function awaitRestoredPrimary(context: RolloutContext, canaryWeight: number): Update {
  const progressDeadlineAt =
    context.progressDeadlineAt ?? context.now() + context.plan.progressDeadlineMs;
  const last = context.message.split('; last: ')[1];
  return {
    canaryWeight,
    progressDeadlineAt,
    message: `rolling back revision ${context.revision}: ${failureCause(context.reason)}; the primary has no available pod: callers go back to it once it is ready (by ${new Date(progressDeadlineAt).toISOString()}) and stay on the canary until then${last ? `; last: ${last}` : ''}`,
  };
}

/**
 * How long one wait for that primary may last: until the progress deadline, and once that
 * has passed, one interval at a time, each failure reported, until it is ready.
 */
export function primaryWaitDeadline(context: RolloutContext): number {
  const now = context.now();
  const deadline = context.progressDeadlineAt ?? now;
  return deadline > now ? deadline : now + context.plan.intervalMs;
}
