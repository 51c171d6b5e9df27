import type { Phase, RolloutEvent } from './context.js';
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

/**
 * The manual actions the machine acts on in a phase; it ignores the others. Read from the
 * chart: an action is allowed where the phase has a transition for its event.
 */
export function allowedActions(phase: Phase): ManualAction[] {
  const handled = new Set<string>(rolloutMachine.root.states[phase]?.events ?? []);
  return (Object.keys(manualActionEvents) as ManualAction[]).filter((action) =>
    handled.has(manualActionEvents[action].type),
  );
}
