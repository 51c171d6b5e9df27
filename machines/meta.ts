import type { RestorePoint } from './context.js';

/**
 * What a state of the rollout chart means beyond its transitions. `rollout.ts` declares it
 * state by state; persistence, the runner and the CLI read it from there.
 */
export interface StateMeta {
  /**
   * What `status.machine.state` says while this state is active (the deepest active state
   * that declares one wins), so a restarted controller knows where to pick up.
   */
  restorePoint?: RestorePoint;
  /** A restore to `restorePoint` re-enters this state (one per restore point). */
  entry?: boolean;
}

/** The state a restore to `point` re-enters, re-running its effect and re-arming its waits. */
export const resumesAt = (point: RestorePoint): StateMeta => ({ restorePoint: point, entry: true });

/** A step stored as `point` but resumed from that point's entry (e.g. after its gate). */
export const storedAs = (point: RestorePoint): StateMeta => ({ restorePoint: point });

/** Tags of the chart's states. */
export type StateTag =
  /**
   * Between effects: waiting for time or a person. What the cluster holds must then match the
   * machine's state, so the controller may correct drift without racing a write.
   */
  | 'resting'
  /**
   * Resting with nothing armed: no timer, no effect, no slot to wait for. Only news from
   * outside (a new revision, a person's action, a spec change, drift) moves it, and all of it
   * is in the stored status, so the controller may let the running machine go and restore it
   * from status when news comes: thousands of settled Rollouts cost no running machine.
   */
  | 'settled';
