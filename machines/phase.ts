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

/**
 * Where a restored machine must pick up to continue from this snapshot: the restore point of
 * the deepest active state that declares one in the chart.
 */
export function restorePointOf(snapshot: RolloutSnapshot): RestorePoint {
  let deepest: { depth: number; point: RestorePoint } | undefined;
  for (const [id, meta] of Object.entries(snapshot.getMeta())) {
    const depth = id.split('.').length;
    if (meta?.restorePoint && (!deepest || depth > deepest.depth)) {
      deepest = { depth, point: meta.restorePoint };
    }
  }
  if (!deepest)
    throw new Error(
      `the rollout machine's state ${JSON.stringify(snapshot.value)} has no restore point`,
    );
  return deepest.point;
}

/** Whether the machine waits for time or a person (the chart's `resting` tag). */
export function isResting(snapshot: RolloutSnapshot): boolean {
  return snapshot.hasTag('resting');
}

/** Whether the machine has nothing armed and may be restored from status (the `settled` tag). */
export function isSettled(snapshot: RolloutSnapshot): boolean {
  return snapshot.hasTag('settled');
}
