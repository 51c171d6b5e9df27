import type { Actor, ActorOptions } from 'xstate';
import { createActor } from 'xstate';
import type {
  AnalysisResult,
  JudgedMetricResult,
  JudgementResult,
  MetricResult,
} from './analysis.js';
import type { PersistedContext, Phase, RestorePoint, RolloutInput } from './context.js';
import { reasons, restorePoints, resumablePhases } from './context.js';
import type { RolloutSnapshot } from './phase.js';
import { phaseOf, restorePointOf } from './phase.js';
import type { RolloutMachine } from './rollout.js';

const documentVersion = 1;

/**
 * The machine as it lives in the Rollout's `status.machine`: where to resume, the phase for
 * people, and the persisted context. Not xstate's snapshot: pending timers are not in that,
 * and its shape belongs to xstate.
 */
export interface MachineDocument extends PersistedContext {
  version: typeof documentVersion;
  state: RestorePoint;
  phase: Phase;
}

const fix =
  'remove status.machine from the Rollout (kubectl patch rollout NAME --subresource=status --type=merge -p \'{"status":{"machine":null}}\') and fledge starts it afresh from Initializing';

/** A stored machine document fledge cannot resume from; the message names the field and the fix. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

export function toStatusDocument(snapshot: RolloutSnapshot): MachineDocument {
  const { context } = snapshot;
  return {
    version: documentVersion,
    state: restorePointOf(snapshot),
    phase: phaseOf(snapshot),
    revision: context.revision,
    lastPromotedRevision: context.lastPromotedRevision,
    canaryWeight: context.canaryWeight,
    failedChecks: context.failedChecks,
    iterations: context.iterations,
    nextAnalysisAt: context.nextAnalysisAt,
    progressDeadlineAt: context.progressDeadlineAt,
    nextPromotionStepAt: context.nextPromotionStepAt,
    message: context.message,
    reason: context.reason,
    lastAnalysis: context.lastAnalysis,
    resumeTo: context.resumeTo,
    queuedAt: context.queuedAt,
    slotGrantedAt: context.slotGrantedAt,
  };
}

type Check = (value: unknown) => boolean;

const isString: Check = (value) => typeof value === 'string';
const isCount: Check = (value) => Number.isInteger(value) && (value as number) >= 0;
const isWeight: Check = (value) => isCount(value) && (value as number) <= 100;
const isTime: Check = (value) => Number.isFinite(value);
const orNull =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);
const oneOf =
  (values: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && values.includes(value);
// The API server's merge patch drops a null inside an array's objects: an absent value is
// a metric without data, as null is.
const isMetricResult: Check = (value) => {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Partial<MetricResult>;
  return (
    typeof result.metric === 'string' &&
    (result.value === undefined || result.value === null || typeof result.value === 'number') &&
    typeof result.passed === 'boolean'
  );
};
const isJudgedMetric: Check = (value) => {
  if (typeof value !== 'object' || value === null) return false;
  const metric = value as Partial<JudgedMetricResult>;
  return typeof metric.name === 'string' && typeof metric.classification === 'string';
};
const isJudgement: Check = (value) => {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null) return false;
  const judgement = value as Partial<JudgementResult>;
  return (
    oneOf(['Pass', 'Marginal', 'Fail'])(judgement.result) &&
    typeof judgement.score === 'number' &&
    typeof judgement.message === 'string' &&
    Array.isArray(judgement.metrics) &&
    judgement.metrics.every(isJudgedMetric)
  );
};
const isAnalysis: Check = (value) => {
  if (typeof value !== 'object' || value === null) return false;
  const { results, noData, blind, judgement } = value as {
    results?: unknown;
    noData?: unknown;
    blind?: unknown;
    judgement?: unknown;
  };
  return (
    typeof noData === 'boolean' &&
    (blind === undefined || typeof blind === 'string') &&
    Array.isArray(results) &&
    results.every(isMetricResult) &&
    isJudgement(judgement)
  );
};

/** A judged metric as stored, with the nulls a merge patch dropped put back. */
function withJudgedNulls(metric: JudgedMetricResult): JudgedMetricResult {
  return {
    ...metric,
    canaryMedian: metric.canaryMedian ?? null,
    primaryMedian: metric.primaryMedian ?? null,
    shift: metric.shift ?? null,
    interval: metric.interval ?? null,
    intervalConfidence: metric.intervalConfidence ?? null,
    pValue: metric.pValue ?? null,
  };
}

const fields: Record<Exclude<keyof MachineDocument, 'version'>, [Check, string]> = {
  state: [oneOf(restorePoints), `one of ${restorePoints.join(', ')}`],
  phase: [isString, 'a phase name'],
  revision: [isString, 'a string'],
  lastPromotedRevision: [orNull(isString), 'a string or null'],
  canaryWeight: [isWeight, 'an integer from 0 to 100'],
  failedChecks: [isCount, 'a non-negative integer'],
  iterations: [isCount, 'a non-negative integer'],
  nextAnalysisAt: [orNull(isTime), 'epoch milliseconds or null'],
  progressDeadlineAt: [orNull(isTime), 'epoch milliseconds or null'],
  nextPromotionStepAt: [orNull(isTime), 'epoch milliseconds or null'],
  message: [isString, 'a string'],
  reason: [orNull(oneOf(reasons)), `null or one of ${reasons.join(', ')}`],
  lastAnalysis: [orNull(isAnalysis), 'null or {results: [{metric, value, passed}], noData}'],
  resumeTo: [orNull(oneOf(resumablePhases)), `null or one of ${resumablePhases.join(', ')}`],
  queuedAt: [orNull(isTime), 'epoch milliseconds or null'],
  slotGrantedAt: [orNull(isTime), 'epoch milliseconds or null'],
};

/**
 * Validates a stored document. Anything fledge did not write in this version is rejected with
 * a SnapshotError, never half-used.
 */
export function parseMachineDocument(stored: unknown): MachineDocument {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    throw new SnapshotError(
      `status.machine is ${JSON.stringify(stored)}, not an object; to recover, ${fix}`,
    );
  }
  const document = stored as Record<string, unknown>;
  if (document.version !== documentVersion) {
    throw new SnapshotError(
      `status.machine has version ${JSON.stringify(document.version)}; fledge 0.1 reads version ${documentVersion}; to recover, ${fix}`,
    );
  }
  for (const [name, [check, expected]] of Object.entries(fields)) {
    // A JSON merge patch deletes a field it sets to null: absent reads as null.
    const value = document[name] === undefined && check(null) ? null : document[name];
    if (!check(value)) {
      throw new SnapshotError(
        `status.machine.${name} is ${JSON.stringify(document[name])}, expected ${expected}; to recover, ${fix}`,
      );
    }
  }
  const unknownFields = Object.keys(document).filter(
    (name) => name !== 'version' && !(name in fields),
  );
  if (unknownFields.length > 0) {
    throw new SnapshotError(
      `status.machine has unknown fields ${unknownFields.join(', ')}: it was written by another fledge version; to recover, ${fix}`,
    );
  }
  const withNulls: Record<string, unknown> = Object.fromEntries(
    Object.keys(fields).map((name) => [name, document[name] ?? null]),
  );
  const analysis = withNulls.lastAnalysis as AnalysisResult | null;
  if (analysis) {
    withNulls.lastAnalysis = {
      ...analysis,
      results: analysis.results.map((result) => ({ ...result, value: result.value ?? null })),
      ...(analysis.judgement
        ? {
            judgement: {
              ...analysis.judgement,
              metrics: analysis.judgement.metrics.map(withJudgedNulls),
            },
          }
        : {}),
    };
  }
  return { ...withNulls, version: documentVersion } as unknown as MachineDocument;
}

type RestoreOptions = Omit<RolloutInput, 'resume'> &
  Omit<ActorOptions<RolloutMachine>, 'input' | 'snapshot'>;

/**
 * A new, unstarted actor that continues from a stored document: it re-enters the stored
 * step, re-running its (idempotent) effect and re-arming its waits from the deadlines.
 * Throws SnapshotError on a document it cannot trust.
 */
export function restoreActor(
  machine: RolloutMachine,
  stored: unknown,
  options: RestoreOptions,
): Actor<RolloutMachine> {
  const { state, version: _version, phase: _phase, ...context } = parseMachineDocument(stored);
  const { plan, revision, now, ...actorOptions } = options;
  return createActor(machine, {
    ...actorOptions,
    input: { plan, revision, now, resume: { state, context } },
  });
}
