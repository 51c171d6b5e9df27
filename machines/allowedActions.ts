import type { Phase } from './context.js';

/** The one-shot and pause annotations of contract §3, as the CLI names them. */
export type ManualAction = 'promote' | 'abort' | 'retry' | 'pause' | 'resume';

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
