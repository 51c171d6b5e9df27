import type { ManualAction } from '../../machines/allowedActions.js';
import { MANUAL_ACTIONS, planAction } from '../cli/manual-action.js';
import { maxWeightOf, type RolloutObject, thresholdOf } from '../cli/rollout-object.js';
import { clip } from './markers.js';

/** An action as the page offers it: allowed with what it will do, or refused with why. */
export interface ActionChoice {
  action: ManualAction;
  allowed: boolean;
  /** What confirming does, or why the phase refuses it: the CLI's own words. */
  message: string;
  notes: string[];
}

/** One line of the list: what `fledge status` shows, as data for the page. */
export interface RolloutRow {
  /** `namespace/name`. */
  key: string;
  namespace: string;
  name: string;
  /** Empty until the controller has written a status. */
  phase: string;
  canaryWeight: number;
  maxWeight: number;
  failedChecks: number;
  threshold: number | null;
  revision: string;
  /** Epoch ms of creation, so the page ages it by its own clock. */
  createdAt: number | null;
  message: string;
}

export function rowKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function rolloutRow(rollout: RolloutObject): RolloutRow {
  const namespace = rollout.metadata?.namespace ?? '';
  const name = rollout.metadata?.name ?? '';
  const status = rollout.status ?? {};
  const created = Date.parse(rollout.metadata?.creationTimestamp ?? '');
  return {
    key: rowKey(namespace, name),
    namespace,
    name,
    phase: status.phase ?? '',
    canaryWeight: status.canaryWeight ?? 0,
    maxWeight: maxWeightOf(rollout),
    failedChecks: status.failedChecks ?? 0,
    threshold: thresholdOf(rollout) ?? null,
    revision: status.currentRevision ?? '',
    createdAt: Number.isNaN(created) ? null : created,
    message: clip(status.message ?? ''),
  };
}

/** Every manual action, decided as `fledge promote|abort|…` would decide it now. */
export function actionChoices(rollout: RolloutObject): ActionChoice[] {
  return MANUAL_ACTIONS.map((action) => {
    const plan = planAction(action, rollout);
    return plan.kind === 'refuse'
      ? { action, allowed: false, message: plan.message, notes: [] }
      : { action, allowed: true, message: plan.message, notes: plan.notes };
  });
}
