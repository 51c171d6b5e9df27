import type { ManualAction } from '../../machines/allowedActions.js';
import { ANNOTATIONS, ONE_SHOT_ANNOTATIONS } from '../api/types.js';

/**
 * The manual control of contract §3: annotations on a Rollout become machine events. One-shot
 * annotations (promote, abort, retry) are removed once acted on; pause is a level: while it is
 * present the rollout holds, and its removal resumes.
 */
export interface ManualIntent {
  /** Actions to send to the machine, in this order. */
  actions: ManualAction[];
  /** One-shot annotations to remove once the actions were handed to the machine. */
  consumed: string[];
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === 'true';
}

/**
 * Reads the annotations. `paused` is whether the machine is paused because of the annotation
 * (so that removing it resumes, while a pause from onFailure/onNoData is left to a person).
 * Abort wins over promote when both are set: stopping is the safe reading of a conflict.
 */
export function manualIntent(
  annotations: Record<string, string> | undefined,
  pausedByAnnotation: boolean,
): ManualIntent {
  const a = annotations ?? {};
  const actions: ManualAction[] = [];
  const consumed = ONE_SHOT_ANNOTATIONS.filter((key) => key in a);
  if (isTrue(a[ANNOTATIONS.abort])) actions.push('abort');
  else if (isTrue(a[ANNOTATIONS.promote])) actions.push('promote');
  if (isTrue(a[ANNOTATIONS.retry])) actions.push('retry');
  const pauseWanted = isTrue(a[ANNOTATIONS.pause]);
  if (pauseWanted && !pausedByAnnotation) actions.push('pause');
  if (!pauseWanted && pausedByAnnotation) actions.push('resume');
  return { actions, consumed };
}
