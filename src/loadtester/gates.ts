/**
 * Flagger's manual gates, keyed by rollout: a `gate` approves steps and promotion when open,
 * a `rollback` gate asks for a rollback when open. Both start closed, as in Flagger. They live
 * in memory, so a restarted loadtester forgets them; a closed gate fails safe (no progress, no
 * rollback).
 */
export type GateKind = 'gate' | 'rollback';

export class GateStore {
  private readonly openGates = new Set<string>();

  set(kind: GateKind, rollout: string, open: boolean): void {
    const key = `${kind} ${rollout}`;
    if (open) this.openGates.add(key);
    else this.openGates.delete(key);
  }

  isOpen(kind: GateKind, rollout: string): boolean {
    return this.openGates.has(`${kind} ${rollout}`);
  }
}
