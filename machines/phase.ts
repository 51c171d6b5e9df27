import type { SnapshotFrom } from 'xstate';
import type { Phase, RestorePoint } from './context.js';
import { phases } from './context.js';
import type { RolloutMachine } from './rollout.js';

export type RolloutSnapshot = SnapshotFrom<RolloutMachine>;

/** The phase of a snapshot: its top-level state. */
export function phaseOf(snapshot: RolloutSnapshot): Phase {
  const top = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0];
  const phase = phases.find((name) => name === top);
  if (!phase) throw new Error(`the rollout machine is in '${String(top)}', which is not a phase`);
  return phase;
}

/** Where a restored machine must pick up to continue from this snapshot. */
export function restorePointOf(snapshot: RolloutSnapshot): RestorePoint {
  if (snapshot.matches({ Progressing: 'confirmingTrafficIncrease' })) return 'IncreasingWeight';
  if (snapshot.matches({ Progressing: 'increasingWeight' })) return 'IncreasingWeight';
  if (snapshot.matches({ Progressing: 'confirmingPromotion' })) return 'ConfirmingPromotion';
  if (snapshot.matches({ Failed: 'rolledBack' })) return 'Failed';
  if (snapshot.matches('Failed')) return 'RollingBack';
  if (snapshot.matches({ Succeeded: 'done' })) return 'Succeeded';
  if (snapshot.matches('Succeeded')) return 'PostRollout';
  return phaseOf(snapshot);
}
