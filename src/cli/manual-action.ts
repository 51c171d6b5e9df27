import type { ManualAction } from '../../machines/allowedActions.js';
import { allowedActions, manualActionEvents } from '../../machines/allowedActions.js';
import { type RestorePoint, restorePoints } from '../../machines/context.js';
import { ANNOTATIONS, type Phase } from '../api/types.js';
import { type RolloutObject, rolloutKey } from './rollout-object.js';

export const MANUAL_ACTIONS: readonly ManualAction[] = Object.keys(
  manualActionEvents,
) as ManualAction[];

/** What a manual command does to a Rollout: an annotation patch and what it will cause, or a refusal. */
export type ActionPlan =
  | { kind: 'refuse'; message: string }
  | {
      kind: 'annotate';
      annotations: Record<string, string | null>;
      message: string;
      notes: string[];
    };

const ONE_SHOT: Partial<Record<ManualAction, string>> = {
  promote: ANNOTATIONS.promote,
  abort: ANNOTATIONS.abort,
  retry: ANNOTATIONS.retry,
};

const LATE: Phase[] = ['Promoting', 'Finalising'];
const SETTLED: Phase[] = ['Initializing', 'Initialized', 'Succeeded'];

/** Why a phase refuses an action, in words that point at what to do instead. */
function refusalReason(action: ManualAction, phase: Phase, revision: string): string {
  switch (action) {
    case 'promote':
      if (phase === 'Failed')
        return `the analysis failed; \`fledge retry\` analyses revision ${revision} again`;
      if (LATE.includes(phase)) return 'it is already being promoted';
      return 'nothing to promote (no new revision is under analysis)';
    case 'abort':
      if (phase === 'Failed') return 'it has already been rolled back';
      if (LATE.includes(phase)) {
        return 'the primary already runs the new revision, too late to abort; revert the target Deployment to roll out the old version again';
      }
      return 'nothing to abort (no new revision is under analysis)';
    case 'retry':
      if (phase === 'Failed') {
        return 'its rollback has not routed callers back to the primary yet (its status message says why); ask again once it has';
      }
      return 'retry only applies to a Failed rollout';
    case 'pause':
      if (phase === 'Paused') return 'it is already paused';
      if (phase === 'Failed')
        return 'nothing to pause (it was rolled back); `fledge retry` analyses it again';
      return SETTLED.includes(phase) || LATE.includes(phase)
        ? 'nothing to pause (pause holds the canary weight during an analysis)'
        : 'fledge does not accept a pause in this phase';
    case 'resume':
      return 'it is not paused';
  }
}

function willHappen(action: ManualAction, rollout: RolloutObject): string {
  const status = rollout.status ?? {};
  const revision = status.currentRevision ?? 'the current revision';
  const weight = status.canaryWeight ?? 0;
  switch (action) {
    case 'promote':
      return `fledge promotes revision ${revision} now, skipping the remaining analysis steps`;
    case 'abort':
      return 'fledge routes all traffic back to the primary at once, scales the canary down and marks the rollout Failed (reason Aborted)';
    case 'retry':
      return `fledge analyses revision ${revision} again, from weight 0`;
    case 'pause':
      return `fledge holds the canary at weight ${weight}% until \`fledge resume ${rollout.metadata?.name ?? ''}\``;
    case 'resume':
      return `fledge continues the analysis from weight ${weight}%`;
  }
}

/** The state the machine stored in status (`status.machine.state`), if it is one it knows. */
function storedPoint(rollout: RolloutObject): RestorePoint | undefined {
  const state = rollout.status?.machine?.state;
  return restorePoints.find((point) => point === state);
}

/**
 * Decides a manual command against the rollout's phase and stored state, with the machine's
 * own chart of accepted actions: the controller would refuse the others, so the CLI refuses
 * them with the reason instead of leaving an annotation that does nothing.
 */
export function planAction(action: ManualAction, rollout: RolloutObject): ActionPlan {
  const key = rolloutKey(rollout);
  const phase = rollout.status?.phase;
  const annotations = rollout.metadata?.annotations ?? {};
  const pauseSet = ANNOTATIONS.pause in annotations;
  const name = rollout.metadata?.name ?? '';

  if (action === 'resume' && pauseSet) {
    return {
      kind: 'annotate',
      annotations: { [ANNOTATIONS.pause]: null },
      message: `resume: removed ${ANNOTATIONS.pause} from rollout ${key}; ${willHappen(action, rollout)}`,
      notes: [],
    };
  }
  if (!phase) {
    return {
      kind: 'refuse',
      message: `${action}: rollout ${key} has no status yet: the fledge controller has not picked it up (is it running? see \`fledge status ${name}\`)`,
    };
  }
  if (action === 'resume' && phase === 'Paused') {
    return {
      kind: 'refuse',
      message: `resume: rollout ${key} paused itself, not through ${ANNOTATIONS.pause} (${rollout.status?.message ?? 'see its status'}); decide with \`fledge promote ${name}\` or \`fledge abort ${name}\``,
    };
  }
  const accepted = allowedActions(phase, storedPoint(rollout));
  if (!accepted.includes(action)) {
    const hint =
      accepted.length > 0 ? ` (in phase ${phase} fledge accepts: ${accepted.join(', ')})` : '';
    return {
      kind: 'refuse',
      message: `${action}: rollout ${key} is ${phase}; ${refusalReason(action, phase, rollout.status?.currentRevision ?? '-')}${hint}`,
    };
  }

  const notes: string[] = [];
  const oneShot = ONE_SHOT[action];
  if (oneShot && oneShot in annotations) {
    notes.push(
      `${oneShot} was already set: the controller has not acted on it yet (is it running?)`,
    );
  }
  if (action === 'promote' && pauseSet) {
    notes.push(
      `${ANNOTATIONS.pause} is still set, so the next revision will hold too; \`fledge resume ${name}\` removes it`,
    );
  }
  const annotation = oneShot ?? ANNOTATIONS.pause;
  return {
    kind: 'annotate',
    annotations: { [annotation]: 'true' },
    message: `${action}: set ${annotation} on rollout ${key}; ${willHappen(action, rollout)}`,
    notes,
  };
}
