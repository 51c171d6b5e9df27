import { findCondition } from '../api/conditions.js';
import { CONDITION_INVALID, ONE_SHOT_ANNOTATIONS, type Phase } from '../api/types.js';
import { type RolloutObject, rolloutKey, thresholdOf } from './rollout-object.js';

/** Exit codes of `fledge wait`, for CD pipelines. */
export const WAIT_EXIT = { succeeded: 0, failed: 1, timeout: 2, unavailable: 3 } as const;

/**
 * The revision the rollout must reach: computed from the target like the controller does, or
 * unknown when the CLI cannot read everything it needs (then `wait` falls back to waiting for
 * the rollout to move, see `WaitMemory`).
 */
export type ExpectedRevision = { revision: string } | { unknown: string };

/** What `wait` remembers across observations. */
export interface WaitMemory {
  /** status.currentRevision when the wait began. */
  startRevision: string | undefined;
  /** Whether the rollout was seen in a phase between start and end of an analysis. */
  sawActivity: boolean;
}

export type WaitVerdict = { done: false } | { done: true; exitCode: 0 | 1; message: string };

const FINISHED: Phase[] = ['Initialized', 'Succeeded', 'Failed'];

export function initialMemory(rollout: RolloutObject): WaitMemory {
  return {
    startRevision: rollout.status?.currentRevision,
    sawActivity: !FINISHED.includes(rollout.status?.phase ?? 'Initializing'),
  };
}

export function remember(memory: WaitMemory, rollout: RolloutObject): WaitMemory {
  const phase = rollout.status?.phase;
  return phase && !FINISHED.includes(phase) ? { ...memory, sawActivity: true } : memory;
}

/**
 * Whether the rollout has finished with the revision the target runs now. A finished phase
 * alone proves nothing: right after `kubectl set image` the Rollout still says Succeeded
 * (or Failed) about the previous revision until the controller notices the new one. So the
 * rollout must report the expected revision; when that cannot be computed, it must have
 * moved since the wait began (a new revision, or a phase between start and end).
 * A pending one-shot annotation (promote, abort, retry) also means the end is not reached.
 */
export function judgeWait(
  rollout: RolloutObject,
  expected: ExpectedRevision,
  memory: WaitMemory,
): WaitVerdict {
  const status = rollout.status ?? {};
  const key = rolloutKey(rollout);
  const invalid = findCondition(status.conditions, CONDITION_INVALID);
  const generation = rollout.metadata?.generation ?? 0;
  if (invalid?.status === 'True' && (status.observedGeneration ?? 0) >= generation) {
    return {
      done: true,
      exitCode: 1,
      message:
        `rollout ${key} has an invalid spec and will not progress: ${invalid.message ?? status.message ?? ''}`.trim(),
    };
  }
  const phase = status.phase;
  if (!phase || !FINISHED.includes(phase)) return { done: false };
  const annotations = rollout.metadata?.annotations ?? {};
  const pending = ONE_SHOT_ANNOTATIONS.some((a) => a in annotations);
  if (pending) return { done: false };
  const revision = status.currentRevision;
  const current =
    'revision' in expected
      ? revision === expected.revision
      : memory.sawActivity || revision !== memory.startRevision;
  if (!current) return { done: false };
  const what = `rollout ${key} revision ${revision ?? '-'}`;
  switch (phase) {
    case 'Succeeded':
      return { done: true, exitCode: 0, message: `${what} succeeded: promoted to the primary` };
    case 'Initialized':
      return {
        done: true,
        exitCode: 0,
        message: `${what} initialized: the primary runs it (a first revision is not analysed)`,
      };
    default:
      return {
        done: true,
        exitCode: 1,
        message: `${what} failed and was rolled back (${status.failedChecks ?? 0}/${thresholdOf(rollout) ?? '?'} failed checks): ${status.message ?? 'see fledge status'}`,
      };
  }
}

/** What is still awaited, for the timeout message: the pipeline log should say why it gave up. */
export function describeWaiting(rollout: RolloutObject, expected: ExpectedRevision): string {
  const status = rollout.status ?? {};
  const key = rolloutKey(rollout);
  const phase = status.phase ?? 'no status yet';
  if (
    'revision' in expected &&
    status.currentRevision !== expected.revision &&
    FINISHED.includes(status.phase ?? 'Initializing')
  ) {
    return `rollout ${key} is ${phase} with revision ${status.currentRevision ?? '-'}; the controller has not started on the target's revision ${expected.revision} (is it running? is spec.suspend set?)`;
  }
  return `rollout ${key} is ${phase} at weight ${status.canaryWeight ?? 0}% with ${status.failedChecks ?? 0} failed checks: ${status.message ?? ''}`.trim();
}
