import type { Phase, RolloutEvent } from './context.js';

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
} satisfies Record<string, Exclude<RolloutEvent, { type: 'NEW_REVISION' }>>;

export type ManualAction = keyof typeof manualActionEvents;

const allowed: Record<Phase, ManualAction[]> = {
  Initializing: [],
  Initialized: [],
  Waiting: ['promote', 'abort', 'pause'],
  Progressing: ['promote', 'abort', 'pause'],
  Paused: ['promote', 'abort', 'resume'],
  WaitingPromotion: ['promote', 'abort', 'pause'],
  // The primary already runs the new revision: an abort could not restore the old one.
  Promoting: [],
  Finalising: [],
  Succeeded: [],
  Failed: ['retry'],
};

/** The manual actions the machine acts on in a phase; it ignores the others. */
export function allowedActions(phase: Phase): ManualAction[] {
  return allowed[phase];
}
