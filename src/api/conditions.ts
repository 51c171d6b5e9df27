/**
 * The Rollout's conditions: `Promoted` (as Flagger sets it, so that
 * `kubectl wait --for=condition=Promoted` works) and `Invalid`. Pure: each function returns
 * new values and never reads the clock.
 */
import { formatProblems, type Problem } from './problems.js';
import { CONDITION_INVALID, CONDITION_PROMOTED, type Condition, type Phase } from './types.js';

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/**
 * `conditions` with `update` in place of the condition of its type. lastTransitionTime
 * changes only when the status does, so it tells when the condition last flipped.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const list = conditions ?? [];
  const current = list.find((condition) => condition.type === update.type);
  const lastTransitionTime =
    current?.status === update.status && current.lastTransitionTime !== undefined
      ? current.lastTransitionTime
      : now.toISOString();
  const next: Condition = { ...update, lastTransitionTime };
  return current === undefined
    ? [...list, next]
    : list.map((condition) => (condition === current ? next : condition));
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

const PROMOTED_MESSAGES: Record<Phase, string> = {
  Initializing: 'Creating the primary, the Services and the routing.',
  Initialized: 'Initialization done: all traffic goes to the primary.',
  Waiting: 'Waiting for a go-ahead before the analysis starts.',
  Progressing: 'New revision detected: the canary analysis is running.',
  Paused: 'The analysis is paused.',
  WaitingPromotion: 'The analysis passed: waiting for the promotion.',
  Promoting: 'Promoting the canary.',
  Finalising: 'Routing all traffic to the promoted version.',
  Succeeded: 'The canary analysis passed and the new revision is promoted.',
  Failed: 'The canary was rolled back.',
};

/** True on Initialized and Succeeded, False on Failed, Unknown otherwise; reason is the phase. */
export function promotedCondition(phase: Phase, message?: string): ConditionUpdate {
  const status =
    phase === 'Initialized' || phase === 'Succeeded'
      ? 'True'
      : phase === 'Failed'
        ? 'False'
        : 'Unknown';
  return {
    type: CONDITION_PROMOTED,
    status,
    reason: phase,
    message: message ?? PROMOTED_MESSAGES[phase],
  };
}

/** True with every problem in the message while the spec is invalid, False once it is valid. */
export function invalidCondition(problems: readonly Problem[]): ConditionUpdate {
  return problems.length > 0
    ? {
        type: CONDITION_INVALID,
        status: 'True',
        reason: 'InvalidSpec',
        message: formatProblems(problems),
      }
    : {
        type: CONDITION_INVALID,
        status: 'False',
        reason: 'ValidSpec',
        message: 'The spec is valid.',
      };
}
