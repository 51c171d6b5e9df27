/**
 * Flagger's manual gates, keyed by rollout: a `gate` approves steps and promotion when open,
 * a `rollback` gate asks for a rollback when open. Both start closed, as in Flagger. They live
 * in memory, so a restarted loadtester forgets them; a closed gate fails safe (no progress, no
 * rollback). At most `capacity` gates are open at once: past it, opening one is refused and
 * every open gate stays as it is.
 */
export type GateKind = 'gate' | 'rollback';

export class GateStore {
  private readonly openGates = new Set<string>();

  constructor(readonly capacity: number) {}

  /** False when opening one more gate would pass the capacity; closing always succeeds. */
  set(kind: GateKind, rollout: string, open: boolean): boolean {
    const key = `${kind} ${rollout}`;
    if (!open) {
      this.openGates.delete(key);
      return true;
    }
    if (!this.openGates.has(key) && this.openGates.size >= this.capacity) return false;
    this.openGates.add(key);
    return true;
  }

  isOpen(kind: GateKind, rollout: string): boolean {
    return this.openGates.has(`${kind} ${rollout}`);
  }

  get size(): number {
    return this.openGates.size;
  }
}
