import type { JudgementResult, MetricResult } from '../../machines/analysis.js';
import type { MachineDocument } from '../../machines/persistence.js';
import {
  type ConditionUpdate,
  findCondition,
  invalidCondition,
  promotedCondition,
  setCondition,
} from '../api/conditions.js';
import type { Problem } from '../api/problems.js';
import type {
  JudgedMetricStatus,
  JudgementStatus,
  ManualAction as ManualActionStatus,
  MetricStatus,
  Rollout,
  RolloutStatus,
} from '../api/types.js';

/**
 * The Rollout's status while its machine runs: what people read (phase, weight, checks,
 * conditions, last analysis) and, in `machine`, what a restarted controller resumes from.
 */
export function statusFromMachine(
  rollout: Rollout,
  document: MachineDocument,
  now: Date,
  lastAction?: ManualActionStatus,
  effectConditions: readonly ConditionUpdate[] = [],
): RolloutStatus {
  const previous = rollout.status ?? {};
  const phaseChanged = previous.phase !== document.phase;
  let conditions = setCondition(previous.conditions, promotedCondition(document.phase), now);
  for (const update of effectConditions) conditions = setCondition(conditions, update, now);
  if (findCondition(conditions, 'Invalid')) {
    conditions = setCondition(conditions, invalidCondition([]), now);
  }
  return {
    ...(lastAction ? { lastAction } : keep(previous, 'lastAction')),
    phase: document.phase,
    canaryWeight: document.canaryWeight,
    failedChecks: document.failedChecks,
    iterations: document.iterations,
    currentRevision: document.revision,
    ...(document.lastPromotedRevision === null
      ? {}
      : { lastPromotedRevision: document.lastPromotedRevision }),
    observedGeneration: rollout.metadata.generation ?? 0,
    message: document.message,
    lastTransitionTime:
      phaseChanged || !previous.lastTransitionTime
        ? now.toISOString()
        : previous.lastTransitionTime,
    conditions,
    lastAnalysis: document.lastAnalysis
      ? document.lastAnalysis.results.map(withoutNullValue)
      : (previous.lastAnalysis ?? []),
    ...(document.lastAnalysis?.judgement
      ? { lastJudgement: judgementStatus(document.lastAnalysis.judgement) }
      : // Not every analysis judges; a judgement outlives those, but not the judge's removal.
        rollout.spec.analysis?.judge
        ? keep(previous, 'lastJudgement')
        : {}),
    machine: document as unknown as Record<string, unknown>,
  };
}

/** The judge's last judgement for people; a number a side could not give is left out. */
function judgementStatus(judgement: JudgementResult): JudgementStatus {
  return {
    result: judgement.result,
    score: judgement.score,
    message: judgement.message,
    metrics: judgement.metrics.map((metric): JudgedMetricStatus => {
      const present = Object.entries(metric).filter(([, value]) => value !== null);
      return Object.fromEntries(present) as unknown as JudgedMetricStatus;
    }),
  };
}

export const CONDITION_BACKEND_UNAVAILABLE = 'BackendUnavailable';

/**
 * Backend mode: True with the reason while a backend (Service or multicluster mirror) is
 * missing or has no ready endpoints, False once both can take traffic.
 */
export function backendUnavailableCondition(problem: string | null): ConditionUpdate {
  return problem
    ? {
        type: CONDITION_BACKEND_UNAVAILABLE,
        status: 'True',
        reason: 'BackendUnavailable',
        message: problem,
      }
    : {
        type: CONDITION_BACKEND_UNAVAILABLE,
        status: 'False',
        reason: 'BackendsAvailable',
        message: 'Both backends exist and have ready endpoints.',
      };
}

/**
 * The status of a Rollout whose spec is invalid: the problems in the `Invalid` condition and
 * the message, everything else as it was, so a fix resumes where it stopped.
 */
export function statusForInvalidSpec(
  rollout: { metadata: { generation?: number }; status?: RolloutStatus },
  problems: Problem[],
  now: Date,
): RolloutStatus {
  const previous = rollout.status ?? {};
  const condition = invalidCondition(problems);
  return {
    ...previous,
    observedGeneration: rollout.metadata.generation ?? 0,
    message: `invalid spec: ${condition.message}`,
    conditions: setCondition(previous.conditions, condition, now),
  };
}

/** The status with only the message changed (a blocked reconcile explains itself). */
export function statusWithMessage(
  rollout: { status?: RolloutStatus },
  message: string,
): RolloutStatus {
  return { ...(rollout.status ?? {}), message };
}

function keep<K extends keyof RolloutStatus>(
  status: RolloutStatus,
  key: K,
): Partial<RolloutStatus> {
  return status[key] === undefined ? {} : { [key]: status[key] };
}

/** A metric without data has no `value` in status: a merge patch cannot carry a null. */
function withoutNullValue(result: MetricResult): MetricStatus {
  const { value, ...rest } = result;
  return value === null ? rest : { ...rest, value };
}
