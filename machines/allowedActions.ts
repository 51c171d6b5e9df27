import type { Phase, RolloutEvent } from './context.js';
import type { RolloutSnapshot } from './phase.js';
import { rolloutMachine } from './rollout.js';

/**
 * The one-shot and pause annotations of contract §3, as the CLI names them, with the event
 * each sends the machine. The CLI lists them in this order.
 */
export const manualActionEvents = {
  promote: { type: 'PROMOTE' },
  abort: { type: 'ABORT' },
  retry: { type: 'RETRY' },
  pause: { type: 'PAUSE' },
  resume: { type: 'RESUME' },
} satisfies Record<string, Exclude<RolloutEvent, { type: 'NEW_REVISION' | 'TARGET_LOST' }>>;

export type ManualAction = keyof typeof manualActionEvents;

const manualActions = Object.keys(manualActionEvents) as ManualAction[];

/**
 * The manual actions the machine acts on in a phase; it ignores the others. Read from the
 * chart: an action is allowed where the phase has a transition for its event.
 */
export function allowedActions(phase: Phase): ManualAction[] {
  const handled = new Set<string>(rolloutMachine.root.states[phase]?.events ?? []);
  return manualActions.filter((action) => handled.has(manualActionEvents[action].type));
}

/**
 * The manual actions the machine acts on in this very state: its phase's, less those a state
 * within the phase holds (a rollback waiting for its primary takes a retry without acting).
 * What the controller accepts; `allowedActions` is what a reader of the status can know.
 */
export function acceptedActions(snapshot: RolloutSnapshot): ManualAction[] {
  return manualActions.filter((action) => snapshot.can(manualActionEvents[action]));
}
